"""The version diff as a pure function over two files (engine/processes/changes.py): each changed
attribute with its old and new value; what a modeler rewrites without meaning is no change."""
from __future__ import annotations

from pathlib import Path

from engine.processes.changes import compare

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "bpmn" / "case_filing.bpmn").read_text(encoding="utf-8")


def _changes(new: str) -> dict:
    diff = compare(SOURCE.encode(), new.encode())
    return {e["element_id"]: e["changes"] for e in diff["changed"]}


def test_an_unchanged_file_and_one_rewritten_in_a_modelers_order_have_no_changes():
    assert compare(SOURCE.encode(), SOURCE.encode()) == {"added": [], "removed": [], "changed": []}
    # A modeler writes a form field's validation before its values, and indents it anew.
    moved = SOURCE.replace(
        '<camunda:formField id="sanction" label="处分种类" type="enum">',
        '<camunda:formField id="sanction" label="处分种类" type="enum">\n'
        '  <camunda:validation>\n    <camunda:constraint name="required" />\n'
        '  </camunda:validation>', 1)
    moved = moved.replace('            <camunda:value id="exempted" name="免予处分" />\n'
                          '            <camunda:validation><camunda:constraint name="required" />'
                          '</camunda:validation>\n',
                          '            <camunda:value id="exempted" name="免予处分" />\n', 1)
    assert moved != SOURCE
    assert _changes(moved) == {}


def test_names_properties_forms_and_order_of_form_fields_are_changes():
    new = SOURCE.replace('name="作出处分决定"', 'name="处分决定"', 1)
    new = new.replace('value="case_filing.decide"', 'value="case_filing.other"', 1)
    new = new.replace('label="处分决定说明" type="string"', 'label="说明" type="string"', 1)
    changes = _changes(new)["decide_sanction"]
    assert changes == [
        {"field": "name", "old": "作出处分决定", "new": "处分决定"},
        {"field": "form.decision_note", "old": "处分决定说明 (string)", "new": "说明 (string)"},
        {"field": "property.action", "old": "case_filing.decide", "new": "case_filing.other"}]
    # Swapping two form fields changes nothing the facts name, but the form: one `other` change.
    first = '<camunda:formField id="decision_note" label="处分决定说明" type="string" />'
    start = SOURCE.index('<camunda:formField id="people_disciplined"')
    end = SOURCE.index(first, start) + len(first)
    block = SOURCE[start:end]
    swapped = SOURCE[:start] + first + "\n" + block[:-len(first)].rstrip() + SOURCE[end:]
    assert _changes(swapped) == {"decide_sanction": [{"field": "other", "old": None, "new": None}]}
