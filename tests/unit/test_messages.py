"""Field notes and the web layer's own answers on the pages, by code: every note at a raise site
is an `engine.notes.Note` (jsonschema's and marshmallow's coded where they are made) whose code
has page text in Chinese and English, and the API keeps its English notes; a script's refusal is
shown by the rule it names (`SCRIPT_RULES`). No text is translated by matching its English."""
from __future__ import annotations

import ast
import json
import pickle
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from marshmallow import validate

from engine.config import load_settings
from engine.db import Base
from engine.errors import Invalid
from engine.notes import NOTES, Note, choices, note
from engine.petitions.models import CHANNELS
from engine.processes import lint
from engine.processes import service as processes
from engine.runtime import Runtime
from engine.workflow import forms
from engine.workflow.adapter import BpmnInvalid
from engine.workflow.parser import MAX_BPMN_BYTES
from engine.workflow.problems import REASONS
from tests.unit.test_refusals import KINDS, keyword
from web import i18n, schemas
from web.ui.designer import _localized
from web.ui.messages import NOTE_TEXTS, OWN_TEXTS, SCRIPT_RULES, localize, notes, own_text
from web.ui.messages import script_detail
from web.ui.refusals import text

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "tests" / "fixtures" / "malformed_bpmn"
FORM = {"type": "object", "required": ["a"], "additionalProperties": False, "properties": {
    "a": {"type": "string"}, "n": {"type": "integer", "minimum": 1, "maximum": 5},
    "x": {"type": "integer", "exclusiveMinimum": 0}, "e": {"type": "string", "enum": ["y"]},
    "d": {"type": "string", "format": "date"}, "t": {"type": "string", "format": "date-time"},
    "s": {"type": "string", "minLength": 2, "maxLength": 3},
    "s1": {"type": "string", "minLength": 1}}}
FORM_DATA = [{"z": 1, "n": "q", "e": "w", "d": "no", "t": "no", "s": "x", "s1": "", "x": 0},
             {"a": 1, "n": 0, "s": "xxxx"}, {"a": "", "n": 9}]
# Modules that build a `fields` dict before raising: every note they put in it is checked too.
BUILDERS = {"engine/workflow/forms.py", "engine/village/rules.py"}


def library_codes() -> set[str]:
    """The codes jsonschema's and marshmallow's notes can carry."""
    return {*forms.NOTE_CODES.values(), *forms.FORMAT_CODES.values(), "wrong_type", "invalid",
            *schemas.FIELD_CODES.values(), *(c for codes in schemas.LIMIT_CODES.values()
                                             for c in codes.values()),
            *(m.code for m in schemas.Strict.error_messages.values())}


def test_every_note_code_has_page_text_in_chinese_and_english_and_every_page_text_a_code():
    zh, en = i18n.translated("zh"), i18n.translated("en")
    assert set(NOTE_TEXTS) == set(NOTES) | library_codes()
    untranslated = [t for t in [*NOTE_TEXTS.values(), *OWN_TEXTS.values()]
                    if t not in zh or t not in en]
    assert untranslated == []


def coded(node: ast.AST, module: ast.Module) -> bool:
    """`node` makes only coded notes: notes.note(...), Note(...), notes.choices(...), lists and
    comprehensions of them, or a dict whose notes are put in by coded statements."""
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        return name in ("note", "Note", "choices") or any(  # a helper of the module made for it
            isinstance(f, ast.FunctionDef) and f.name == name and f.returns is not None
            and ast.unparse(f.returns).endswith(("Note", "list[notes.Note]")) for f in module.body)
    if isinstance(node, ast.List):
        return all(coded(e, module) for e in node.elts)
    if isinstance(node, ast.ListComp):
        return coded(node.elt, module)
    if isinstance(node, ast.IfExp):
        return coded(node.body, module) and coded(node.orelse, module)
    if isinstance(node, ast.BinOp):
        return coded(node.left, module) and coded(node.right, module)
    if isinstance(node, ast.Dict):
        return all(coded(v, module) for v in node.values)
    if isinstance(node, ast.Name):
        given = [*bound(node.id, module), *filled(node.id, module)]
        return bool(given) and all(coded(v, module) for v in given)
    return False


def filled(name: str, module: ast.Module):
    """What is put into the dict or list `name` (`name[k] = v`, `name.append(v)`)."""
    for node in ast.walk(module):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and getattr(t.value, "id", None) == name
                for t in node.targets):
            yield node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "append" and node.args:
            owner = node.func.value
            owner = owner.func.value if isinstance(owner, ast.Call) and \
                isinstance(owner.func, ast.Attribute) else owner  # name.setdefault(k, []).append
            if getattr(owner, "id", None) == name:
                yield node.args[0]


def note_sites():
    """(where, the `fields=` value, its module) of every domain error made in engine/ and web/,
    and the notes its builder modules put in."""
    for path in sorted([*(ROOT / "engine").rglob("*.py"), *(ROOT / "web").rglob("*.py")]):
        module = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(module):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            fields = keyword(node, "fields") if name in KINDS else None
            if fields is not None:
                yield f"{path.relative_to(ROOT)}:{node.lineno}", fields, module


def test_every_field_note_at_a_raise_site_is_coded_with_a_known_code():
    uncoded = []
    for where, fields, module in note_sites():
        if isinstance(fields, ast.Dict):
            values = fields.values
        elif isinstance(fields, ast.DictComp):
            values = [fields.value]
        elif isinstance(fields, ast.Name) and any(
                isinstance(v, ast.Call) for v in bound(fields.id, module)):
            continue  # from a builder (checked below) or a library (coded where it is made)
        else:
            values = [fields]
        uncoded += [f"{where}: {ast.unparse(v)}" for v in values if not coded(v, module)]
    for path in BUILDERS:
        module = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        uncoded += [f"{path}: {ast.unparse(v)}" for v in filled("errors", module)
                    if not coded(v, module)]
    assert uncoded == []
    unknown = []
    for path in sorted([*(ROOT / "engine").rglob("*.py"), *(ROOT / "web").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "note" and node.args \
                    and isinstance(node.args[0], ast.Constant) \
                    and node.args[0].value not in NOTES:
                unknown.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.args[0].value}")
    assert unknown == []


def test_no_function_hides_the_notes_module_it_makes_notes_with():
    hidden = []
    for path in sorted([*(ROOT / "engine").rglob("*.py"), *(ROOT / "web").rglob("*.py")]):
        for func in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(func, ast.FunctionDef):
                continue
            names = {a.arg for a in (*func.args.args, *func.args.kwonlyargs)} | {
                t.id for n in ast.walk(func) if isinstance(n, ast.Assign)
                for t in n.targets if isinstance(t, ast.Name)}
            uses = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                       and n.func.attr in ("note", "choices")
                       and getattr(n.func.value, "id", None) == "notes" for n in ast.walk(func))
            if uses and "notes" in names:
                hidden.append(f"{path.relative_to(ROOT)}:{func.lineno} {func.name}")
    assert hidden == []
    # A return visit's own `notes` (its text) and a refused kind's coded note, side by side.
    from engine.visits.service import record_visit
    with pytest.raises(Invalid) as refused:
        record_visit(None, case_id=1, kind="x", petition_id=None, satisfaction=None,
                     notes="said so", user=None, now=None)
    assert refused.value.fields["kind"][0].code == "unknown"


def bound(name: str, module: ast.Module):
    for node in ast.walk(module):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name
                                                for t in node.targets):
            yield node.value


def test_a_note_is_its_english_text_for_the_api_and_keeps_its_code():
    found = note("max_length", max=200)
    assert found == "at most 200 characters" and (found.code, found.params) == \
        ("max_length", {"max": 200})
    assert json.dumps({"q": [found]}) == '{"q": ["at most 200 characters"]}'
    copied = pickle.loads(pickle.dumps(found))
    assert (copied, copied.code, copied.params) == (found, "max_length", {"max": 200})
    assert [str(c) for c in choices(["talk", "letter"])] == ["talk", "letter"]
    with pytest.raises(KeyError):
        note("no_such_note")


def test_form_notes_keep_jsonschema_english_and_are_coded_by_validator():
    validator = Draft202012Validator(FORM, format_checker=FormatChecker())
    for data in FORM_DATA:
        found = forms.validate(FORM, data)
        given = [str(n) for group in found.values() for n in group]
        english = [e.message for e in validator.iter_errors(data)
                   if e.validator not in ("required", "additionalProperties")]
        assert sorted(n for n in given if n not in ("required", "unknown field")) == \
            sorted(english)
        assert all(isinstance(n, Note) and n.code in NOTE_TEXTS
                   for group in found.values() for n in group), found
    codes = {n.code: n.params for data in FORM_DATA
             for group in forms.validate(FORM, data).values() for n in group}
    assert codes == {"required": {}, "unknown_field": {}, "wrong_type": {}, "not_an_option": {},
                     "not_a_date": {}, "not_a_date_time": {}, "too_short": {}, "too_small": {},
                     "too_large": {}, "max_length": {"max": 3}}
    assert forms.validate(FORM, []) == {"_schema": ["must be a JSON object"]}


def test_marshmallow_notes_keep_their_english_and_are_coded_by_key_and_validator():
    refused = schemas.PetitionIn().validate({
        "channel": "nope", "x": 1, "received_at": "bad", "content": 5, "reporter": None,
        "accused": [{"name": 3}]})
    flat = {k: v for k, v in refused.items() if k != "accused"}
    flat["accused.0.name"] = refused["accused"][0]["name"]
    assert {k: [(str(n), n.code) for n in v] for k, v in flat.items()} == {
        "channel": [("Must be one of: " + ", ".join(CHANNELS) + ".", "not_an_option")],
        "x": [("Unknown field.", "unknown_field")],
        "received_at": [("Not a valid datetime.", "wrong_type")],
        "content": [("Not a valid string.", "wrong_type")],
        "reporter": [("Field may not be null.", "required")],
        "accused.0.name": [("Not a valid string.", "wrong_type")]}
    missing = schemas.PetitionIn().validate({})["channel"][0]
    assert (missing, missing.code) == ("Missing data for required field.", "required")
    long = schemas.PetitionIn().validate({"channel": "letter", "content": "x" * 20001})
    assert [(n, n.code, n.params) for n in long["content"]] == [
        ("Longer than maximum length 20000.", "max_length", {"max": 20000})]  # not the input
    both = schemas.InstructionIn().validate({"text": ""})["text"][0]
    assert (both, both.code, both.params) == ("Length must be between 1 and 4000.",
                                              "length_between", {"min": 1, "max": 4000})
    out = schemas.TaskQuery().validate({"limit": "many"})
    assert all(isinstance(n, Note) for group in out.values() for n in group), out
    # The schemas' own validator instances stay marshmallow's (the OpenAPI document reads them).
    assert any(isinstance(v, validate.Length) for v in schemas.InstructionIn().fields[
        "text"].validators)


@pytest.fixture
def page():
    """A request in a language: `with page("en"): ...`."""
    app = Flask(__name__)
    app.secret_key = "test"
    i18n.register(app)
    return lambda lang: app.test_request_context(headers={"Accept-Language": lang})


def test_notes_on_a_page_are_shown_by_their_code_in_the_users_language(page):
    with page("zh-CN"):
        assert localize(note("max_length", max=200)) == \
            "超出字数上限：最多 200 字。内容未被截断，请删减后再提交。"
        assert localize(note("status", status="completed")) == "当前状态：已办结。"
        assert localize(note("required")) == "必填。"
        # Allowed values are internal codes: a page says once to choose one.
        assert notes(choices(["talk", "letter"])) == ["请选择一个选项。"]
        assert localize(Note("required", "Missing data for required field.")) == "必填。"
        # A plain text (a page's own, already in the user's language) is shown as it is.
        assert localize("原样") == "原样" and localize("required") == "required"
        assert own_text("csrf", "The CSRF token has expired.") == "页面已过期，请刷新后重试。"
        assert own_text("bad_request", "Bad Request") == "Bad Request"
    with page("en"):
        assert localize(note("unknown_role", role="boss")) == "Unknown role “boss”."
        assert notes([note("required"), note("required")]) == ["Required."]


def test_coded_refusals_and_the_designers_envelopes_in_the_users_language(page):
    with page("zh-CN"):
        assert text("task_version_stale", {"version": 4, "sent": 3}, "") == \
            "任务已被他人更新（当前为第 4 版，您提交的是第 3 版），请刷新页面后重试。"
        assert text("task_not_open", {"status": "completed"}, "") == "该任务当前状态为“已办结”。"
        assert text("nothing_registered", {}, "as it is") == "as it is"
        # A note among a refusal's params is said in the user's language too.
        assert text("investigation_member_unfit", {"problems": note("recused", name="w")},
                    "") == "您已不能以调查组成员身份报告：w 已回避本案。"
        assert _localized({"error": {"code": "not_found", "reason": "testrun_not_found",
                                     "message": "test-run 7 not found (discarded, or unused for "
                                                "a day)", "params": {"id": 7}}})["error"][
            "message"] == "该试运行已不存在（已被丢弃或一天未使用），请重新开始试运行。"
        assert _localized({"error": {"code": "invalid", "reason": "invalid",
                                     "message": "the request has invalid fields"}})["error"][
            "message"] == _localized_own("invalid")
        assert _localized({"reason": "lane_unmapped", "params": {"lane": "登记 人员"}})[
            "message"] == "泳道“登记 人员”未对应任何角色或单位；该任务将交给发起本流程实例的人员。"
        assert _localized({"reason": "xml_syntax", "params": {
            "detail": "Document is empty, line 1, column 1"}})["message"] == \
            "XML 语法错误：Document is empty, line 1, column 1"
    with page("en"):
        assert text("unit_not_found", {"unit": "town-z"}, "") == "Unit town-z was not found."


def _localized_own(code: str) -> str:
    text_ = own_text(code, "")
    assert text_ and not text_.isascii()
    return text_


def script_rule_codes() -> set[str]:
    """Every rule code engine/workflow/scripting.py gives a refusal (read from the source)."""
    source = ast.parse((ROOT / "engine" / "workflow" / "scripting.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(source):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else \
            getattr(node.func, "id", None)
        given = {"error": node.args[2:3], "Finding": node.args[2:3],
                 "ScriptRefused": [keyword(node, "code")]}.get(name, [])
        found |= {g.value for g in given if isinstance(g, ast.Constant) and g.value}
    found |= {f"{kind}_not_allowed" for kind in ("name", "attribute")}  # RestrictedPython's `_`
    return found


def test_every_script_rule_has_page_text_and_the_designers_script_problems_name_theirs(page):
    assert set(SCRIPT_RULES) == script_rule_codes()
    zh, en = i18n.translated("zh"), i18n.translated("en")
    assert [t for t in SCRIPT_RULES.values() if t not in zh or t not in en] == []
    refused = [p for p in designer_problems()[0] if p["reason"] == "script_refused"]
    rules = Counter(p["params"].get("rule") for p in refused)
    assert set(rules) - {None} >= {"node_not_allowed", "decorators", "def_defaults",
                                   "annotations", "def_hides_helper", "name_not_allowed",
                                   "name_unavailable", "attribute_not_allowed",
                                   "attribute_assigned", "lambda_defaults", "fstring_fields",
                                   "computed_format_spec", "format_width", "source_too_long",
                                   "syntax"}, rules
    with page("zh-CN"):
        assert script_detail({"detail": "deadline key 'x' is not configured",
                              "rule": "deadline_unknown", "rule_key": "x"}) == "未配置期限“x”。"
        assert script_detail({"detail": "budget exhausted"}) == "budget exhausted"
        shown = [_localized(p)["message"] for p in refused if p["params"].get("rule")]
        assert shown and all(not m.isascii() for m in shown), shown


def test_a_script_refused_at_run_time_names_its_rule():
    from engine.workflow import scripting
    with pytest.raises(scripting.ScriptRefused) as refused:
        scripting.run_script("x = vars(1)")
    assert (refused.value.code, refused.value.rule()) == ("vars_argument",
                                                          {"rule": "vars_argument"})


def bpmn(*processes_: str) -> bytes:
    """A BPMN file of the given `<bpmn:process>` elements."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">\n'
            + "\n".join(processes_) + "\n</bpmn:definitions>").encode()


def flow(key: str, *steps: str, extra: str = "", when: dict | None = None) -> str:
    """Process `key`: a start event, each step (a task's XML, id="…" first) in a row, an end;
    `when` gives the flow out of a step a condition."""
    ids = [f"{key}_start", *(step.split('"')[1] for step in steps), f"{key}_end"]
    flows = "".join(f'<bpmn:sequenceFlow id="{key}_f{i}" sourceRef="{a}" targetRef="{b}">'
                    + (f"<bpmn:conditionExpression>{(when or {})[a]}</bpmn:conditionExpression>"
                       if a in (when or {}) else "") + "</bpmn:sequenceFlow>"
                    for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False)))
    return (f'<bpmn:process id="{key}" isExecutable="true">{extra}<bpmn:startEvent id="{ids[0]}"/>'
            f'{"".join(steps)}<bpmn:endEvent id="{ids[-1]}"/>{flows}</bpmn:process>')


def props(**values: str) -> str:
    return ("<bpmn:extensionElements><camunda:properties>" + "".join(
        f'<camunda:property name="{k}" value="{v}"/>' for k, v in values.items())
        + "</camunda:properties></bpmn:extensionElements>")


LINTED = bpmn(flow(
    "linted",
    '<bpmn:userTask id="ask"><bpmn:extensionElements><camunda:formData><camunda:formField '
    'id="note" type="string"/></camunda:formData><camunda:properties><camunda:property '
    'name="deadline" value="no_such_key"/></camunda:properties></bpmn:extensionElements>'
    "</bpmn:userTask>",
    '<bpmn:manualTask id="loose"/>',
    f'<bpmn:userTask id="act">{props(action="no.such_action")}</bpmn:userTask>',
    '<bpmn:scriptTask id="compute"><bpmn:script>x = shell("ls")</bpmn:script></bpmn:scriptTask>',
    '<bpmn:exclusiveGateway id="choose"><bpmn:outgoing>linted_f5</bpmn:outgoing>'
    "<bpmn:outgoing>linted_or</bpmn:outgoing></bpmn:exclusiveGateway>",
    extra='<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="nobody"><bpmn:flowNodeRef>ask'
          "</bpmn:flowNodeRef><bpmn:flowNodeRef>act</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
          '<bpmn:sequenceFlow id="linted_or" sourceRef="choose" targetRef="linted_end">'
          "<bpmn:conditionExpression>x</bpmn:conditionExpression></bpmn:sequenceFlow>",
    when={"choose": "not x"}))
REFUSED_SCRIPT = "\n".join([
    "import os", "@d\ndef f(a=1) -> int: pass", "def len(): pass", "try:\n  pass\nfinally:\n  pass", "y = __x", "z = open",
    "w = y.__class__", "y.year = 1", "g = lambda v=1: v", 'h = f"{y:{z}}"', 'k = f"{y:2000}"',
    "s = f'" + "{y}" * 21 + "'"])
# Files a designer might send, each with one or more faults; validated and deployed for real.
FAULTY = [  # each: the files of one request
    {"linted.bpmn": LINTED},
    {"scripts.bpmn": bpmn(flow("scripts", f'<bpmn:scriptTask id="s1"><bpmn:script>'
                                          f'{REFUSED_SCRIPT}</bpmn:script></bpmn:scriptTask>',
                               '<bpmn:scriptTask id="s2"><bpmn:script>x = (</bpmn:script>'
                               "</bpmn:scriptTask>",
                               '<bpmn:scriptTask id="s3"><bpmn:script>' + "x = 1\n" * 4000
                               + "</bpmn:script></bpmn:scriptTask>"))},
    {"twice.bpmn": bpmn(flow("twice", '<bpmn:userTask id="same"/>',
                             '<bpmn:callActivity id="call" calledElement="twice_part"/>')),
     "twice_part.bpmn": bpmn(flow("twice_part", '<bpmn:userTask id="same"/>'))},
    {"no_source.bpmn": bpmn(flow("no_source", '<bpmn:manualTask id="t"/>').replace(
        ' sourceRef="no_source_start"', ""))},
    {"huge.bpmn": b" " * (MAX_BPMN_BYTES + 1)},
    {"form.bpmn": bpmn(flow("form", '<bpmn:userTask id="ask"><bpmn:extensionElements>'
                            '<camunda:formData><camunda:formField id="a" type="stringy"/>'
                            '<camunda:formField id="b" type="multi_enum"/><camunda:formField '
                            'id="c"><camunda:validation><camunda:constraint name="pattern" '
                            'config="[x"/></camunda:validation><camunda:properties>'
                            '<camunda:property id="show_when" value="nope=1"/>'
                            "</camunda:properties></camunda:formField></camunda:formData>"
                            "</bpmn:extensionElements></bpmn:userTask>"))},
    *({f"{n}.bpmn": (MALFORMED / f"{n}.bpmn").read_bytes()} for n in (
        "broken_xml", "external_dtd", "missing_reference", "call_cycle", "flow_cycle_no_end",
        "no_process", "missing_called_process")),
]


def designer_problems() -> tuple[list[dict], str]:
    """Every problem validate and deploy really give for the FAULTY files (SQLite in memory),
    and the refusal of a request without a file."""
    rt = Runtime(load_settings({"database": {"url": "sqlite://"},
                                "lanes": {"linted": {"承办人": {"role": "caseworker"}}}}))
    Base.metadata.create_all(rt.engine)
    found = []
    for files in FAULTY:
        result = rt.read(lambda uow, files=files: lint.validate(uow.session, rt,
                                                                list(files.items())))
        found += [p for p in result["errors"] + result["warnings"]]
        with pytest.raises(BpmnInvalid) as refused:
            rt.transact(lambda uow, files=files: processes.deploy(uow, runtime=rt,
                                                                  files=list(files.items()),
                                                     actor="designer"))
        found += [p.as_dict() for p in refused.value.problems]
    with pytest.raises(Invalid) as no_file:
        rt.transact(lambda uow: processes.deploy(uow, runtime=rt, files=[], actor="designer"))
    rt.dispose()
    return found, no_file.value.message


def script_details() -> list[str]:
    """The details of the script refusals among the problems (all coded by their reason)."""
    found, no_file = designer_problems()
    assert all(p["reason"] in REASONS for p in found), [p for p in found
                                                        if p["reason"] not in REASONS]
    return [p["params"]["detail"] for p in found if p["reason"] == "script_refused"]


def test_every_designer_problem_is_shown_from_its_reason_in_chinese(page):
    with page("zh-CN"):
        for problem in designer_problems()[0]:
            shown = _localized(problem)["message"]
            assert shown != problem["message"] and not shown.isascii(), problem
