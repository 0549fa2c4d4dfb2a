"""GET /designer/choices: what the properties panel's pickers offer, for process designers only."""
from __future__ import annotations

from engine.org.models import ROLES
from engine.processes import actions
from tests.e2e.test_pages_inbox import Browser


def test_the_pickers_offer_the_engines_actions_deadlines_and_documents(app):
    found = Browser(app, "designer").get("/designer/choices").get_json()
    assert [a["key"] for a in found["actions"]] == sorted(actions.describe())
    approve = next(a for a in found["actions"] if a["key"] == "clue.approve")
    assert approve["label"] == "审批处置意见 · clue.approve"
    notice = next(d for d in found["deadlines"] if d["key"] == "acceptance_notice")
    assert "纪检监察机关处理检举控告工作规则" in notice["basis"]
    assert found["documents"] and all(d["key"] and d["label"] for d in found["documents"])


def test_only_designers_see_the_choices(app):
    assert Browser(app, "a-worker").get("/designer/choices").status_code in (302, 403)


def test_a_lane_picks_a_role_and_a_unit_rule(app):
    """Issue 22: the engine's roles; a unit or a person the task data names, or a fixed unit."""
    found = Browser(app, "designer").get("/designer/choices").get_json()
    assert [r["key"] for r in found["roles"]] == list(ROLES)
    assert next(r for r in found["roles"] if r["key"] == "caseworker")["label"] == \
        "承办人 · caseworker"
    rules = {r["key"]: r for r in found["unit_rules"]}
    assert rules["unit_from:case.handling_unit"]["description"] == "案件的承办单位"
    assert rules["user_from:investigator"]["description"] == "仅限指定的调查人"
    assert rules["unit:town-b"]["label"].endswith(" · town-b")
