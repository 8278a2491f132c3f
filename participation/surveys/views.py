from flask import Blueprint, render_template

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


@bp.get("")
def index():
    return render_template("coming_soon.html", title="온라인 여론조사")
