"""Which steps are approvals, and what their decision is: read from the task's form (a required
boolean `approved` / `…_approved`) or named by its `decision` property, never guessed from the
step's name; and every BPMN approval step of the project has its decision. Also the display
form of coded numbers kept without a display number (village matters, disclosure items)."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from engine import glossary
from engine.views.task_page import decision, is_approval

ROOT = Path(__file__).resolve().parents[2]


def form(**fields) -> dict:
    """A compiled form: name → (type, required)."""
    return {"type": "object",
            "properties": {n: {"type": t, "title": n.upper()} for n, (t, _) in fields.items()},
            "required": [n for n, (_, req) in fields.items() if req]}


def task(name: str = "某环节", **properties) -> SimpleNamespace:
    return SimpleNamespace(name=name, properties=properties)


def test_a_required_approved_boolean_is_the_decision():
    shown = decision(task(), form(approved=("boolean", True), comment=("string", False)))
    assert shown == {"field": "approved", "label": "APPROVED", "no": "send_back"}
    assert decision(task(), form(transfer_approved=("boolean", True)))["field"] == \
        "transfer_approved"


def test_the_name_alone_makes_no_approval():
    # Named 审批 but with only an opinion to write: no 同意 / 退回 buttons.
    assert not is_approval(task("审批"), form(approval_opinion=("string", True)))
    # An optional yes/no, or one named otherwise, is an ordinary question.
    assert decision(task(), form(approved=("boolean", False))) is None
    assert decision(task(), form(in_scope=("boolean", True))) is None
    assert decision(task(), None) is None


def test_the_decision_property_names_the_field_and_decision_no_the_refusal():
    shown = decision(task(decision="accept", decision_no="refuse"),
                     form(accept=("boolean", True), decision_reason=("string", False)))
    assert shown == {"field": "accept", "label": "ACCEPT", "no": "refuse"}
    # A property naming no boolean field of the form decides nothing.
    assert decision(task(decision="reason"), form(reason=("string", True))) is None
    # An unknown refusal reads as sending back.
    assert decision(task(decision_no="maybe"), form(approved=("boolean", True)))["no"] == \
        "send_back"


def test_every_approval_step_of_the_project_has_its_decision():
    """A user task asking 同意/批准 as a required yes/no is an approval the page offers buttons
    for; those whose refusal ends the request say so (`decision_no: refuse`)."""
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        text = path.read_text(encoding="utf-8")
        for element_id, body in re.findall(
                r'<bpmn:userTask id="([^"]+)"[^>]*>(.*?)</bpmn:userTask>', text, re.S):
            asks = re.findall(r'<camunda:formField id="([^"]+)" label="([^"]*(?:同意|批准)[^"]*)"'
                              r' type="boolean">\s*<camunda:validation><camunda:constraint '
                              r'name="required" />', body)
            if not asks:
                continue
            props = dict(re.findall(r'<camunda:property name="([^"]+)" value="([^"]*)"', body))
            fields = {f: ("boolean", True) for f, _ in asks}
            shown = decision(task(**props), form(**fields))
            assert shown is not None, f"{path.name} {element_id}: no decision"


def test_coded_numbers_without_a_display_number_read_in_the_display_form():
    fmt = glossary.DEFAULT_NUMBER_FORMAT
    assert glossary.display_of(fmt, "village-a-east-2026-V000003", unit_name="东村",
                               kind="village_matter") == "东村〔2026〕村务3号"
    assert glossary.display_of(fmt, "town-a-2026-D000012", unit_name="甲镇纪委",
                               kind="disclosure") == "甲镇纪委〔2026〕公开12号"
    assert glossary.display_of(fmt, "手写编号", unit_name="甲镇纪委", kind="disclosure") == "手写编号"
