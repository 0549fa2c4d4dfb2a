"""GET /designer/choices: what the properties panel's pickers offer, for process designers only."""
from __future__ import annotations

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
