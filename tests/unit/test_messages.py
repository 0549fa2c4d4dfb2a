"""`web.ui.messages.localize`: the engine's English refusals in the page user's language, and a
check that each pattern still fits a message the code really produces."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import flask_wtf.csrf
import pytest
from flask import Flask
from marshmallow import ValidationError, validate
from werkzeug import exceptions as http

from engine.config import load_settings
from engine.db import Base
from engine.errors import Invalid
from engine.processes import lint
from engine.processes import service as processes
from engine.runtime import Runtime
from engine.workflow import forms
from engine.workflow.adapter import BpmnInvalid
from engine.workflow.parser import MAX_BPMN_BYTES
from engine.workflow.problems import REASONS
from web import i18n, schemas
from web.ui.designer import _localized
from web.ui.messages import MESSAGES, localize
from web.ui.refusals import text

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "tests" / "fixtures" / "malformed_bpmn"
# As written where they are raised ({…} where a value goes), or (a message as formatted, the
# part of it written in the source) when the message is put together from pieces.
SOURCES = [
    "vars() takes no argument in scripts",
    "deadline key {key!r} is not configured",  # a script's refusal, stored as the instance's error
    "the request has invalid fields", "an unexpected error occurred; it has been logged",
    "The CSRF token has expired.", "The CSRF token is missing.",
    "The CSRF session token is missing.", "The CSRF tokens do not match.",
    "The CSRF token is invalid.", "the BPMN cannot run; nothing was deployed",
    # Notes on one field, as the engine and the web layer write them.
    "required", "unknown field", "is not of type", "already exists", "unknown unit",
    "unknown user", "retired unit", "inside the unit's own subtree", "yourself", "at least one",
    "unknown role {bad[0]}", "{tasks} open task(s)", "active users {', '.join(people)}",
    '["empty"]', "not UTF-8 text", "content does not match the type",
    "allowed: {', '.join(allowed)}", "not in this case", '["too large"]', '["too short"]',
    # Field notes on limited and required intake fields (issue 21).
    ("at most 100 characters", "at most 100 characters"),
    "name an accused person or say why none is named",
    # Task forms' own notes (issue 23).
    "does not match the pattern", "chosen more than once", "may not work this task",
]
FORM = {"type": "object", "required": ["a"], "additionalProperties": False, "properties": {
    "a": {"type": "string"}, "n": {"type": "integer", "minimum": 1, "maximum": 5},
    "x": {"type": "integer", "exclusiveMinimum": 0}, "e": {"type": "string", "enum": ["y"]},
    "d": {"type": "string", "format": "date"}, "t": {"type": "string", "format": "date-time"},
    "s": {"type": "string", "minLength": 2, "maxLength": 3},
    "s1": {"type": "string", "minLength": 1}}}


def formatted(source: str) -> str:
    """The message as the engine formats it, with 7 for every value."""
    return re.sub(r"\{([^{}]*)\}", lambda m: "'7'" if m.group(1).endswith("!r") else "7",
                  source).strip('[]"')


def library_notes() -> list[str]:
    """Field notes jsonschema (task forms) and marshmallow (intake) really write."""
    notes = [*forms.validate(FORM, {"z": 1, "n": "q", "e": "w", "d": "no", "t": "no",
                                    "s": "x", "s1": "", "x": 0}).values(),
             *forms.validate(FORM, {"a": 1, "n": 0, "s": "xxxx"}).values(),
             *forms.validate(FORM, {"a": "", "n": 9}).values(),
             *schemas.PetitionIn().validate({"channel": "nope", "x": 1, "received_at": "bad",
                                             "content": 5, "reporter": None}).values(),
             *schemas.PetitionIn().validate({}).values()]
    for length in (validate.Length(min=2), validate.Length(max=1), validate.Length(1, 3)):
        with pytest.raises(ValidationError) as refused:
            length("" if length.min else "xx")
        notes.append(refused.value.messages)
    return [note for group in notes for note in group]


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


def engine_problems() -> list[str]:
    """The messages the patterns must know: coded problems are shown from their reason, a
    script refusal's detail through a pattern."""
    found, no_file = designer_problems()
    assert all(p["reason"] in REASONS for p in found), [p for p in found
                                                        if p["reason"] not in REASONS]
    return [p["params"]["detail"] for p in found if p["reason"] == "script_refused"]


def test_every_designer_problem_is_shown_from_its_reason_in_chinese(page):
    with page("zh-CN"):
        for problem in designer_problems()[0]:
            shown = _localized(problem)["message"]
            assert shown != problem["message"] and not shown.isascii(), problem


@pytest.fixture
def page():
    """A request in a language: `with page("en"): ...`."""
    app = Flask(__name__)
    app.secret_key = "test"
    i18n.register(app)
    return lambda lang: app.test_request_context(headers={"Accept-Language": lang})


def test_every_pattern_fits_exactly_one_message_the_code_still_produces():
    code = "\n".join(p.read_text(encoding="utf-8") for p in [
        *ROOT.glob("engine/**/*.py"), *ROOT.glob("web/**/*.py"), Path(flask_wtf.csrf.__file__)]
        if p.name != "messages.py")
    used: Counter = Counter()
    for sample in SOURCES:
        message, source = sample if isinstance(sample, tuple) else (formatted(sample), sample)
        assert source in code, f"no longer in the code: {source}"
        fits = [i for i, (pattern, _text) in enumerate(MESSAGES) if pattern.fullmatch(message)]
        assert len(fits) == 1, f"{message!r} fits patterns {fits}"
        used[fits[0]] += 1
    for note in [*library_notes(), *set(engine_problems()), *(error.description for error in (
            http.Forbidden, http.NotFound, http.RequestEntityTooLarge, http.TooManyRequests))]:
        fits = [i for i, (pattern, _text) in enumerate(MESSAGES) if pattern.fullmatch(note)]
        assert len(fits) == 1, f"{note!r} fits patterns {fits}"
        used[fits[0]] += 1
    unused = [MESSAGES[i][0].pattern for i in range(len(MESSAGES)) if not used[i]]
    assert not unused, f"patterns no sample fits (stale, or give them a sample): {unused}"


def test_localize_substitutes_the_values_and_translates_statuses(page):
    with page("zh-CN"):
        assert text("task_version_stale", {"version": 4, "sent": 3}, "") == \
            "任务已被他人更新（当前为第 4 版，您提交的是第 3 版），请刷新页面后重试。"
        assert text("task_not_open", {"status": "completed"}, "") == "该任务当前状态为“已办结”。"
        assert localize("deadline key 'x' is not configured") == "未配置期限“x”。"
        # A coded refusal in an error envelope on the designer's calls: by its reason.
        assert _localized({"error": {"code": "not_found", "reason": "testrun_not_found",
                                     "message": "test-run 7 not found (discarded, or unused for "
                                                "a day)", "params": {"id": 7}}})["error"][
            "message"] == "该试运行已不存在（已被丢弃或一天未使用），请重新开始试运行。"
        # Coded refusals are shown from their reason, their params filled in the same way.
        assert text("assignee_not_eligible", {"user": "a-worker2"}, "") == "a-worker2 不能承办此任务。"
        assert text("deadline_not_extendable", {"key": "verification_report"}, "") == \
            "“初核报告”期限不能延期。"
        assert localize("'x' is a required property") == "'x' is a required property"
        assert localize("Missing data for required field.") == "必填。"
        # The designer's problems, from their reason: ids and names, library texts unchanged.
        assert _localized({"reason": "lane_unmapped", "params": {"lane": "登记 人员"}})[
            "message"] == "泳道“登记 人员”未对应任何角色或单位；该任务将交给发起本流程实例的人员。"
        assert _localized({"reason": "duplicate_task_id", "params": {
            "id": "same", "first": "twice", "second": "twice_part"}})["message"] == \
            "元素 ID“same”同时用于“twice”和“twice_part”；在一个流程及其调用的流程中，任务 ID 必须唯一。"
        assert _localized({"reason": "xml_syntax", "params": {
            "detail": "Document is empty, line 1, column 1"}})["message"] == \
            "XML 语法错误：Document is empty, line 1, column 1"
    with page("en"):
        assert text("task_held_by_other", {}, "") == "Someone else holds this task."
        assert text("unit_not_found", {"unit": "town-z"}, "") == "Unit town-z was not found."
        assert text("task_not_open", {"status": "cancelled"}, "") == "The task is cancelled."


def test_an_unknown_message_is_shown_as_it_is(page):
    with page("zh-CN"):
        for message in ("the moon is made of cheese", "", "task is held by someone else!"):
            assert localize(message) == message
