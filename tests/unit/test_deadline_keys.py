"""Every configured deadline key is met by exactly the event DEADLINES.md names (one test per
key): the shipped BPMN names the tasks that work under it and the one whose completion meets it;
keys no shipped process uses say why in config.yaml. The behaviour behind each row (due dates,
met at that step, one row across send-backs) is driven through HTTP in tests/e2e
(test_clue_paths, test_petitions, test_reviews_and_zones, test_clarification_and_feedback)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"

# key -> {(process, task): rule}; rule is what completing the task does (engine/deadlines
# met_rule): "completed" meets it, "later" hands it on, a field name meets it when true.
EXPECTED = {
    "forward_elsewhere": {("petition_intake", "forward"): "completed"},
    "acceptance_notice": {("petition_intake", "acceptance_notice"): "completed"},
    # Met when the proposal is *approved*; a send-back hands the same clock back.
    "disposal_proposal": {("clue_disposition", "propose_disposition"): "later",
                          ("clue_disposition", "approve_disposition"): "approved"},
    "inquiry_reply": {("inquiry", "register_inquiry_reply"): "completed"},
    "inquiry_report": {("inquiry", "report_inquiry"): "later",
                       ("inquiry", "approve_inquiry_report"): "approved"},
    "verification_report": {("preliminary_verification", "gather_evidence"): "completed"},
    "trial_report": {("case_filing", "trial_case"): "completed"},
    "decision_announcement": {("case_filing", "announce_decision"): "completed"},
    "result_feedback": {("feedback_visit", "result_feedback"): "completed"},
    "shelved_review": {("clue_disposition", "review_shelved"): "completed"},
    "zone_decision": {("zone_escalation", "zone_decide"): "completed"},
    "joint_review_opinion": {("joint_review", "member_opinion"): "completed"},
    "clarification_step": {("clarification", "carry_out"): "completed"},
    "clarification_step_joint": {("clarification", "carry_out_joint"): "completed"},
    # Every step works under the finding's clock; 销号 after verification meets it (an action).
    "rectification": {("rectification", "state_measures"): "later",
                      ("rectification", "report_progress"): "later",
                      ("rectification", "supervise"): "later",
                      ("rectification", "verify"): "later"},
    "ordinary_petition_route": {},
    "ordinary_petition_close": {},
}


def _configured() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))["deadlines"]["keys"]


def _shipped() -> dict[str, dict[tuple[str, str], tuple[str, set[str]]]]:
    """key -> {(process, task): (rule, form field ids)} from bpmn/*.bpmn."""
    found: dict[str, dict] = {}
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        for process in ET.parse(path).getroot().iter(f"{BPMN}process"):
            for task in process.iter(f"{BPMN}userTask"):
                props = {p.get("name"): p.get("value") for p in task.iter(f"{CAMUNDA}property")}
                if "deadline" not in props:
                    continue
                fields = {f.get("id") for f in task.iter(f"{CAMUNDA}formField")}
                found.setdefault(props["deadline"], {})[(process.get("id"), task.get("id"))] = \
                    (props.get("deadline_met", "completed"), fields)
    return found


def test_the_table_covers_every_configured_key():
    assert set(EXPECTED) == set(_configured())


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_key_is_met_by_the_named_event(key):
    cfg = _configured()[key]
    tasks = _shipped().get(key, {})
    assert {where: rule for where, (rule, _) in tasks.items()} == EXPECTED[key]
    if not EXPECTED[key]:
        # No process starts this clock: config.yaml says so, and why.
        assert "unused" in cfg and len(cfg["unused"]) > 20
        return
    assert "unused" not in cfg and cfg.get("met")
    meeting = [where for where, (rule, _) in tasks.items() if rule != "later"]
    if cfg.get("met_by_action"):
        assert not meeting, "a deadline met by a domain action is handed on by every task"
        return
    assert len(meeting) == 1, "exactly one task meets the deadline"
    rule, fields = tasks[meeting[0]]
    if rule != "completed":
        assert rule in fields, "the field that meets the deadline is on the task's form"
    # The meeting task is the one config.yaml's description names.
    assert meeting[0][1] in cfg["met"]
