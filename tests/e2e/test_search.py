"""The search box (issue 21 point 2) through the API and the page, on both databases: numbers,
people, posts, places and any two or more characters of the content; only among what the user
may see; the reporter never searchable."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.search import index
from engine.search.models import SearchEntry
from tests.e2e.test_pages_cases import Page, text
from tests.api_client import deploy_processes
from tests.e2e.test_petitions import register, task_of


@pytest.fixture
def two_towns(api):
    """A town-a petition about 王秀英 taken to a clue (a-worker holds its disposal), and a
    town-b petition about 赵六 only registered."""
    deploy_processes(api)
    a = register(api, accused=[{"name": "王秀英", "post": "村党支部书记", "unit": "东村党支部",
                                "level": "village"}],
                 content="东村支书王秀英把村集体鱼塘低价承包给妻弟，承包款十二万元未入账。")
    clerk = api.as_("clerk")
    assert clerk.complete(task_of(api, a["case_id"], "repeat_check"),
                          {"is_repeat": False}).status == 200
    assert clerk.complete(task_of(api, a["case_id"], "classify"), {
        "in_scope": True, "concerns_official": True, "category": "collective_assets",
        "first_handling_unit": "town-a"}).status == 200
    assert clerk.complete(task_of(api, a["case_id"], "acceptance_notice"),
                          {"method": "phone"}).status == 200
    b = register(api, township="town-b", village="西村",
                 accused=[{"name": "赵六", "post": "村会计", "unit": "西村村委会",
                           "level": "village"}],
                 content="西村会计赵六冒领危房改造补助。")
    return api, a, b


def hits(api, user, q, **params):
    resp = api.as_(user).get("/search", query={"q": q, **params})
    assert resp.status == 200, resp.json
    return resp.json["items"]


def numbers(items) -> set[str]:
    return {h["number"] for h in items}


def test_finds_by_person_part_of_a_name_post_place_number_and_words(two_towns):
    api, a, b = two_towns
    for q in ("王秀英", "秀英", "村党支部书记", "东村", "鱼塘", "承包款 未入账", a["number"],
              a["number"][-6:]):
        found = hits(api, "clerk", q)
        assert a["number"] in numbers(found), q
        assert {h["display_number"] for h in found if h["number"] == a["number"]} == \
            {a["display_number"]}, q
        assert b["number"] not in numbers(found), q
    (petition_hit,) = [h for h in hits(api, "clerk", "鱼塘") if h["kind"] == "petition"]
    assert petition_hit["case_id"] == a["case_id"] and "王秀英" in petition_hit["title"]
    assert "鱼塘" in petition_hit["excerpt"]
    # Every word must match: one that occurs nowhere empties the result.
    assert hits(api, "clerk", "鱼塘 危房") == []
    # The clue made at classification is found too, and so is the case (by its accused).
    kinds = {h["kind"] for h in hits(api, "a-worker", "王秀英")}
    assert kinds == {"petition", "clue", "case"}
    assert {h["kind"] for h in hits(api, "a-worker", "王秀英", kind="clue")} == {"clue"}


def test_only_what_the_user_may_see(two_towns):
    api, a, b = two_towns
    assert a["number"] in numbers(hits(api, "a-worker", "东村"))  # holds its disposal
    assert hits(api, "b-worker", "王秀英") == []  # another town's case
    assert hits(api, "b-worker", "秀英 鱼塘") == []
    assert numbers(hits(api, "chief", "村")) >= {a["number"], b["number"]}  # the county
    assert a["number"] not in numbers(hits(api, "b-head", "王秀英"))
    # Recused (a declared relation to the accused): the case disappears from their search.
    resp = api.as_("admin").post("/relations", json={
        "username": "a-worker", "person_name": "王秀英", "person_kind": "accused",
        "relation": "kin", "reason": "表姐"})
    assert resp.status == 201, resp.json
    assert hits(api, "a-worker", "王秀英") == []


def test_the_reporter_is_never_searchable(two_towns, runtime):
    api, a, _b = two_towns
    for user in ("clerk", "chief", "a-worker"):
        for q in ("王小明", "小明", "13812345678", "330481199001011234", "5组12号"):
            assert hits(api, user, q) == [], (user, q)
    terms = runtime.read(lambda uow: " ".join(uow.session.scalars(select(SearchEntry.terms))))
    assert "小明" not in terms and "13812345678" not in terms and "330481" not in terms


def test_a_changed_petition_is_found_by_its_new_words_and_the_index_rebuilds(two_towns,
                                                                            runtime):
    api, a, _b = two_towns
    petition_id = a["id"]
    resp = api.as_("clerk").patch(f"/petitions/{petition_id}", json={
        "content": "东村支书王秀英挪用扶贫资金修建自家院墙。"})
    assert resp.status == 200, resp.json
    assert a["number"] in numbers(hits(api, "clerk", "院墙"))
    assert a["number"] not in numbers(hits(api, "clerk", "鱼塘 承包款", kind="petition"))

    # A rebuild (what the migration did for earlier records) writes the same entries.
    before = runtime.read(lambda uow: sorted(uow.session.execute(
        select(SearchEntry.kind, SearchEntry.ref_id, SearchEntry.terms)).all()))
    assert runtime.transact(lambda uow: index.rebuild(uow.session)) == len(before)
    after = runtime.read(lambda uow: sorted(uow.session.execute(
        select(SearchEntry.kind, SearchEntry.ref_id, SearchEntry.terms)).all()))
    assert after == before
    assert a["number"] in numbers(hits(api, "clerk", "院墙"))


def test_refusals_and_the_page(app, two_towns):
    api, a, _b = two_towns
    assert api.as_("clerk").get("/search", query={"q": "x" * 201}).status == 422
    assert api.as_("clerk").get("/search", query={"q": "东村", "kind": "x"}).status == 422
    assert hits(api, "clerk", "  ，。 ") == []
    page = Page(app, "a-worker")
    body = text(page.get("/search?q=秀英"))
    # The number as the agency writes it (信访室〔2026〕…), never the unit's code.
    assert a["display_number"] and a["display_number"] in body and a["number"] not in body
    assert "王秀英" in body and 'data-testid="search-box"' in body
    assert f'/cases/{a["case_id"]}' in body
    assert "王小明" not in body
    empty = text(page.get("/search?q=赵六"))
    assert 'data-testid="search-empty"' in empty
