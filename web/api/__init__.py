"""The JSON API under /api/v1: thin views that parse, call one service, dump."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import (cases, clarifications, clues, deadlines, health, petitions,  # noqa: E402,F401
                     processes, relations, reviews, supervision, tasks, visits, zones)
from web.api import attachments  # noqa: E402,F401
from web.api import reports  # noqa: E402,F401
from web.api import admin  # noqa: E402,F401
from web.api import documents  # noqa: E402,F401
from web.api import quality  # noqa: E402,F401
from web.api import evaluation  # noqa: E402,F401
from web.api import case_record  # noqa: E402,F401
from web.api import task_notes  # noqa: E402,F401
from web.api import conditional  # noqa: E402,F401
from web.api import village  # noqa: E402,F401
from web.api import search  # noqa: E402,F401
