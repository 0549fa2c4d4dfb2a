"""Search: one box (in the top bar) for petitions, clues and cases the user may see."""
from __future__ import annotations

from flask import g, render_template, request

from engine.views import search as search_view
from web.auth import runtime
from web.ui import N_, bp, page

# Who gets the search box: the people who work on petitions, clues and cases.
ROLES = ("caseworker", "supervisor", "intake_clerk", "joint_reviewer")
KIND_NAMES = {"petition": N_("Petition"), "clue": N_("Clue"), "case": N_("Case")}


@bp.app_context_processor
def _search_roles():
    return {"search_roles": ROLES}


@bp.get("/search")
@page()
def search_page():
    """The newest matches first; a kind narrows them."""
    rt = runtime()
    user = g.user
    q = request.args.get("q", "")
    kind = request.args.get("kind") or None
    result = rt.read(lambda uow: search_view.search(uow.session, user, q, kind=kind, limit=50))
    return render_template("search/page.html", result=result, kind=kind, kinds=KIND_NAMES)
