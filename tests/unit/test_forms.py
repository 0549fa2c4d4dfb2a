"""`camunda:formData` read into JSON Schema, and completion data checked against it (issue 23,
API.md "Forms"): every type, the constraints, help text and `show_when`; lint's form problems."""
from __future__ import annotations

from lxml import etree

from engine.workflow import checks, forms
from engine.workflow.parser import camunda_extensions
from tests.conftest import FIXTURES

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def task_form(path, task_id: str) -> list[dict]:
    root = etree.parse(str(path)).getroot()
    (node,) = root.xpath(f".//*[@id='{task_id}']")
    return camunda_extensions(node)["formData"]


def schema() -> dict:
    return forms.form_schema(task_form(FIXTURES / "form_all_types.bpmn", "fill"))


def test_every_type_becomes_a_json_schema_property():
    props = schema()["properties"]
    assert props["title"] == {"type": "string", "title": "文号", "pattern": "^(?:[A-Z]{2}-[0-9]{3})$",
                              "description": "两个大写字母、短横线和三位数字，如 JW-001"}
    assert props["details"] == {"type": "string", "x-type": "textarea", "title": "情况说明",
                                "maxLength": 500}
    assert props["count"] == {"type": "integer", "title": "人数", "minimum": 1, "maximum": 10}
    assert props["amount"]["type"] == "number" and props["urgent"]["type"] == "boolean"
    assert props["found_on"]["format"] == "date" and props["talk_at"]["format"] == "date-time"
    assert props["kind"] == {"enum": ["discipline", "duty"], "title": "问题类型",
                             "x-labels": {"discipline": "违纪", "duty": "失职"}}
    assert props["areas"] == {
        "type": "array", "items": {"enum": ["funds", "land", "other"]}, "uniqueItems": True,
        "minItems": 1, "x-type": "multi_enum", "title": "涉及领域",
        "x-labels": {"funds": "资金", "land": "土地", "other": "其他"}}
    assert props["urgent_reason"]["x-show-when"] == {"field": "urgent", "values": ["true"]}
    assert [props[k].get("x-type") for k in ("handling_unit", "handler", "evidence")] == \
        ["unit", "person", "file"]
    assert props["evidence"]["type"] == "integer"
    assert schema()["required"] == ["title", "urgent", "urgent_reason", "areas",
                                    "handling_unit", "handler", "evidence"]


def test_an_existing_form_keeps_its_schema():
    fields = task_form(FIXTURES / "form_task.bpmn", "fill")
    assert forms.form_schema(fields) == {
        "type": "object", "additionalProperties": False, "required": ["title"], "properties": {
            "title": {"type": "string", "title": "Title", "maxLength": 20},
            "count": {"type": "integer", "title": "Count"},
            "urgent": {"type": "boolean", "title": "Urgent"},
            "person": {"type": "object", "additionalProperties": False, "properties": {
                "name": {"type": "string", "title": "Name"}}},
            "kind": {"enum": ["a", "b"], "title": "Kind",
                     "x-labels": {"a": "Kind A", "b": "Kind B"}}}}


BASE = {"title": "JW-001", "urgent": False, "areas": ["funds"], "handling_unit": "town-a",
        "handler": "clerk", "evidence": 1}


def test_a_pattern_must_match_the_whole_text():
    assert forms.validate(schema(), BASE) == {}
    for bad in ("xJW-001", "JW-0012", "jw-001"):
        assert forms.validate(schema(), {**BASE, "title": bad}) == {
            "title": ["does not match the pattern"]}


def test_a_multiple_choice_is_a_list_of_its_value_ids():
    assert forms.validate(schema(), {**BASE, "areas": ["funds", "land"]}) == {}
    assert forms.validate(schema(), {**BASE, "areas": "funds"}) == {
        "areas": ["'funds' is not of type 'array'"]}
    assert forms.validate(schema(), {**BASE, "areas": ["gold"]}) == {
        "areas": ["'gold' is not one of ['funds', 'land', 'other']"]}
    assert forms.validate(schema(), {**BASE, "areas": []}) == {"areas": ["at least one"]}
    assert forms.validate(schema(), {**BASE, "areas": ["land", "land"]}) == {
        "areas": ["chosen more than once"]}


def test_a_domain_field_has_its_shape_checked_here():
    assert forms.validate(schema(), {**BASE, "evidence": "1"}) == {
        "evidence": ["'1' is not of type 'integer'"]}
    assert forms.validate(schema(), {**BASE, "handler": 7}) == {
        "handler": ["7 is not of type 'string'"]}


def test_show_when_hides_a_field_which_is_then_not_required_and_not_stored():
    s = schema()
    assert forms.hidden_fields(s, BASE) == {"urgent_reason", "other_area"}
    assert forms.validate(s, {**BASE, "urgent": True}) == {"urgent_reason": ["required"]}
    assert forms.validate(s, {**BASE, "urgent": True, "urgent_reason": "x"}) == {}
    # On a multiple choice: shown when one of its values is chosen.
    assert "other_area" not in forms.hidden_fields(s, {**BASE, "areas": ["land", "other"]})
    sent = {**BASE, "urgent_reason": "x", "other_area": "y"}
    assert forms.drop_hidden(s, sent) == BASE
    assert forms.drop_hidden(s, {**sent, "urgent": True, "areas": ["other"]}) == \
        {**sent, "urgent": True, "areas": ["other"]}


def test_a_field_hidden_by_a_hidden_field_is_hidden_too():
    s = forms.form_schema([
        {"id": "a", "type": "boolean"},
        {"id": "b", "type": "enum", "values": [{"id": "x"}, {"id": "y"}],
         "properties": {"show_when": "a=true"}},
        {"id": "c", "type": "string", "constraints": {"required": None},
         "properties": {"show_when": "b=x|y"}}])
    assert forms.hidden_fields(s, {"a": False, "b": "x"}) == {"b", "c"}
    assert forms.validate(s, forms.drop_hidden(s, {"a": False, "b": "x"})) == {}
    assert forms.validate(s, {"a": True, "b": "y"}) == {"c": ["required"]}


def test_lint_names_each_fault_of_a_form_at_its_field():
    xml = f"""<bpmn:definitions xmlns:bpmn="{BPMN_NS}"
        xmlns:camunda="http://camunda.org/schema/1.0/bpmn"><bpmn:process id="p">
      <bpmn:userTask id="t"><bpmn:extensionElements><camunda:formData>
        <camunda:formField id="ok" type="multi_enum"><camunda:value id="v" name="V"/></camunda:formField>
        <camunda:formField id="a" type="texta"/>
        <camunda:formField id="b" type="enum"/>
        <camunda:formField id="c"><camunda:validation><camunda:constraint name="pattern" config="(x"/></camunda:validation></camunda:formField>
        <camunda:formField id="d"><camunda:properties><camunda:property id="show_when" value="nope=1"/></camunda:properties></camunda:formField>
        <camunda:formField id="e"><camunda:properties><camunda:property id="show_when" value="ok=v"/></camunda:properties></camunda:formField>
      </camunda:formData></bpmn:extensionElements></bpmn:userTask></bpmn:process></bpmn:definitions>"""
    found = checks.process_errors(etree.fromstring(xml.encode()), "f.bpmn", set())
    assert [(p.reason, p.params["field"], p.line) for p in found] == [
        ("form_field_type", "a", 5),
        ("form_field_pattern", "c", 7), ("form_field_show_when", "d", 8)]


def test_a_choice_without_values_is_found_not_refused():
    """A choice field offering no value can only be left empty: a lint warning (stock
    SpiffWorkflow runs such files), found in single and multiple choices alike."""
    fields = forms.read_fields(etree.fromstring(b"""<x xmlns:camunda="http://camunda.org/schema/1.0/bpmn">
        <camunda:formData><camunda:formField id="b" type="enum"/>
        <camunda:formField id="m" type="multi_enum"/>
        <camunda:formField id="ok" type="enum"><camunda:value id="v" name="V"/></camunda:formField>
        </camunda:formData></x>"""))
    assert not [p for p in forms.problems(fields) if p[0] == "form_field_no_values"]
    assert forms.choices_without_values(forms.form_schema(fields)) == ["b", "m"]


def test_a_field_property_is_not_a_task_property():
    xml = f"""<bpmn:userTask xmlns:bpmn="{BPMN_NS}" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
        id="t"><bpmn:extensionElements><camunda:formData><camunda:formField id="f" type="string">
        <camunda:properties><camunda:property id="help" name="help" value="h"/></camunda:properties>
        </camunda:formField></camunda:formData><camunda:properties>
        <camunda:property name="deadline" value="k"/></camunda:properties>
        </bpmn:extensionElements></bpmn:userTask>"""
    found = camunda_extensions(etree.fromstring(xml.encode()))
    assert found["camundaProperties"] == {"deadline": "k"}
    assert found["formData"][0]["properties"] == {"help": "h"}
