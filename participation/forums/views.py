from flask import Blueprint, render_template

bp = Blueprint("forums", __name__, url_prefix="/forums")


@bp.get("")
def index():
    return render_template("coming_soon.html", title="공론장")
