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


def test_an_everyday_word_for_a_post_finds_the_cadre_and_an_administrator_adds_one(intake):
    """No name, the post in everyday words: "村里管账的" is the 村会计 of migration 0034's
    lexicon; a word the lexicon lacks ("跑账的") counts once an administrator adds it."""
    accused = [{"name": "王秀英", "post": "村会计", "unit": "东村村委会", "level": "village"}]
    original = register(intake, accused=accused, category="collective_assets",
                        content="东村村会计王秀英用虚开的发票报销，套取村集体资金四万八千元。")
    other = register(intake, accused=[{"name": "赵六", "post": "村文书", "unit": "东村村委会",
                                       "level": "village"}], category="collective_assets",
                     content="东村文书赵六把村里的公章借给别人开假证明。")

    def query(post: str) -> dict:
        # The API asks for a name: a clerk writes the reporter's description there.
        return petition(accused=[{"name": post, "post": "", "unit": "", "level": "village"}],
                        category="other",
                        content="东村里面那个人拿假发票报账，从村里弄走了将近五万块钱。")

    hits = _score(intake, query("村里管账的"), original["id"])
    assert hits is not None and _score(intake, query("村里管账的"), other["id"]) is None
    before = _score(intake, query("村里跑账的"), original["id"])
    admin = intake.as_("admin")
    added = admin.post("/admin/repeat-aliases",
                       json={"kind": "everyday", "alias": "跑账", "canonical": "村会计"})
    assert added.status == 201, added.json
    after = _score(intake, query("村里跑账的"), original["id"])
    assert after is not None and (before is None or after > before), (before, after)
