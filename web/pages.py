"""Server-rendered pages."""
from flask import Blueprint, render_template
from sqlalchemy import func, select

from engine.processes.models import ProcessDefinition
from web.auth import runtime

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The start page: where the API and its documentation are."""
    count = runtime().read(lambda uow: uow.session.scalar(
        select(func.count(func.distinct(ProcessDefinition.key)))))
    return render_template("index.html", definitions=count)
