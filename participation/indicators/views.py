from flask import Blueprint, render_template

bp = Blueprint("indicators", __name__, url_prefix="/indicators")


@bp.get("")
def index():
    return render_template("coming_soon.html", title="지표")
