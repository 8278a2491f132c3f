from flask import Blueprint, render_template

bp = Blueprint("polls", __name__, url_prefix="/polls")


@bp.get("")
def index():
    return render_template("coming_soon.html", title="엠보팅")
