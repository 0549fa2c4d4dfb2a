"""GET /designer/choices: what the properties panel's pickers offer, for process designers only."""
from __future__ import annotations

from sqlalchemy import select

from engine.org.models import ROLES
from engine.processes import service as processes
from engine.processes.models import ProcessDefinition
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


def _deploy(runtime, name: str) -> None:
    xml = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
           'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
           f'<bpmn:process id="called_one" name="{name}" isExecutable="true">'
           '<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>'
           '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/></bpmn:process>'
           '</bpmn:definitions>').encode()
    runtime.transact(lambda uow: processes.deploy(uow, runtime=runtime,
                                                  files=[("called_one.bpmn", xml)],
                                                  actor="designer"))


def test_a_call_activity_picks_a_deployed_process_by_its_name(app, runtime):
    """Issue 22: the deployed processes, each by its newest version's name, for calledElement."""
    _deploy(runtime, "旧名称")
    _deploy(runtime, "被调用的流程")
    found = Browser(app, "designer").get("/designer/choices").get_json()["processes"]
    deployed = runtime.read(lambda uow: set(uow.session.scalars(select(ProcessDefinition.key))))
    assert [p["key"] for p in found] == sorted(deployed)
    called = next(p for p in found if p["key"] == "called_one")
    assert called == {"key": "called_one", "label": "被调用的流程 · called_one",
                      "description": "被调用的流程（第 2 版）"}


def test_the_element_templates_take_their_keys_from_the_registry_and_configuration(app, runtime):
    """Issue 22: the templates' action and deadline keys come with the choices, each one known
    to this installation (the page hard-codes none)."""
    found = Browser(app, "designer").get("/designer/choices").get_json()
    templates = found["templates"]
    assert templates["notification"] == {"action": "petition.notify_reporter"}
    assert templates["member"] == {"action": "review.opinion", "deadline": "joint_review_opinion"}
    assert templates["deadline"] == {"deadline": found["deadlines"][0]["key"]}
    assert templates["approval"] == {}
    actions_ = {a["key"] for a in found["actions"]}
    keys = {d["key"] for d in found["deadlines"]}
    for properties in templates.values():
        assert properties.get("action", "clue.approve") in actions_
        assert properties.get("deadline", "acceptance_notice") in keys
