from flask import Blueprint, render_template

bp = Blueprint("proposals", __name__, url_prefix="/proposals")


@bp.get("")
def index():
    return render_template("coming_soon.html", title="시민제안")
