"""The repeat check's alias table (migration 0020): administrators list, add and remove aliases;
the next repeat check reads the table (both databases)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit.models import AuditEvent
from tests.api_client import deploy_processes
from tests.e2e.test_petitions import petition, register


@pytest.fixture
def intake(api):
    deploy_processes(api)
    return api


def _score(api, query: dict, petition_id: int) -> float | None:
    resp = api.as_("clerk").post("/petitions/repeat-check", json=query)
    assert resp.status == 200, resp.json
    return next((h["score"] for h in resp.json if h["petition_id"] == petition_id), None)


def test_the_seeded_aliases_are_listed_and_an_added_alias_changes_the_next_check(intake,
                                                                              runtime):
    admin = intake.as_("admin")
    listed = admin.get("/admin/repeat-aliases")
    assert listed.status == 200, listed.json
    pairs = {(a["alias"], a["canonical"]) for a in listed.json}
    assert ("小舅子", "妻弟") in pairs and ("村长", "村主任") in pairs  # seeded by 0020

    original = register(intake, content="东村村委会主任李四的妻兄强占东村鱼塘。")
    query = petition(content="李四舅老倌霸占鱼塘", category="other")
    before = _score(intake, query, original["id"])

    added = admin.post("/admin/repeat-aliases",
                       json={"kind": "kinship", "alias": "舅老倌", "canonical": "妻兄"})
    assert added.status == 201, added.json
    again = admin.post("/admin/repeat-aliases",
                       json={"kind": "kinship", "alias": "舅老倌", "canonical": "妻兄"})
    assert again.status == 409, again.json
    assert admin.post("/admin/repeat-aliases", json={"kind": "slang", "alias": "x",
                                                     "canonical": "y"}).status == 422
    after = _score(intake, query, original["id"])
    assert after is not None and (before is None or after > before), (before, after)

    removed = admin.delete(f"/admin/repeat-aliases/{added.json['id']}")
    assert removed.status == 200, removed.json
    assert _score(intake, query, original["id"]) == before
    assert admin.delete(f"/admin/repeat-aliases/{added.json['id']}").status == 404
    actions = runtime.read(lambda uow: set(uow.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("repeat_alias_%")))))
    assert actions == {"repeat_alias_added", "repeat_alias_deleted"}


def test_only_administrators_edit_the_aliases(intake):
    body = {"kind": "kinship", "alias": "舅老倌", "canonical": "妻兄"}
    assert intake.as_("clerk").post("/admin/repeat-aliases", json=body).status == 403
    assert intake.as_("chief").get("/admin/repeat-aliases").status == 403
