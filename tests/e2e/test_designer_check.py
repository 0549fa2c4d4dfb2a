"""POST /designer/check: the properties panel's check as you type, for process designers only.
Each answer is what deploy and the engine say of the text (the sandbox policy, lint, how a timer
is read), in the user's language; a timer's answer says when it fires."""
from __future__ import annotations

from tests.e2e.test_pages_inbox import Browser


def check(browser: Browser, kind: str, text: str):
    return browser.client.post("/designer/check", json={"kind": kind, "text": text},
                               headers={"X-CSRFToken": browser.csrf})


def answer(browser, kind, text):
    response = check(browser, kind, text)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_condition_is_checked_as_the_engine_reads_it(app):
    designer = Browser(app, "designer")
    assert answer(designer, "condition", 'decision == "approve"') == {
        "errors": [], "warnings": [], "preview": None}
    # A single = is no comparison: Python refuses it, so deploy would; said in Chinese.
    wrong = answer(designer, "condition", 'decision = "approve"')
    assert wrong["errors"] == [{"message": "脚本或表达式有误：语法不正确", "line": 1}]
    assert answer(designer, "condition", "(amount > 1000")["errors"][0]["message"] == \
        "脚本或表达式有误：“(”没有对应的“)”"
    # The sandbox's policy, as deploy applies it; a function that is not a helper (lint).
    refused = answer(designer, "condition", "x.__class__")["errors"]
    assert len(refused) == 1 and "__class__" in refused[0]["message"]
    assert not refused[0]["message"].isascii()
    unknown = answer(designer, "condition", "shell('ls') == 0")
    assert unknown["errors"] == [] and "shell" in unknown["warnings"][0]["message"]
    assert not unknown["warnings"][0]["message"].isascii()


def test_a_script_gets_the_sandboxs_checks_with_their_lines(app):
    designer = Browser(app, "designer")
    found = answer(designer, "script", "x = 1\nimport os\ny = open('f')")
    assert [(p["line"], p["message"]) for p in found["errors"]] == [
        (2, "脚本中不允许使用 import。"), (3, "脚本中不能使用“open”。")]
    assert found["warnings"] == []  # `open` is said once, as refused
    assert answer(designer, "script", "due = add_working_days(today(), 3)\nn = len(note or '')") \
        == {"errors": [], "warnings": [], "preview": None}


def test_a_timer_is_read_as_the_engine_reads_it_and_said_in_words(app):
    designer = Browser(app, "designer")
    assert answer(designer, "timeDuration", '"P3D"')["preview"] == "定时器启动 3 天后"
    assert answer(designer, "timeDuration", '"PT2H30M"')["preview"] == "定时器启动 2 小时 30 分钟后"
    assert answer(designer, "timeDate", '"2026-12-31T17:00"')["preview"] == "2026年12月31日 17:00"
    assert answer(designer, "timeCycle", '"R/2026-12-07T09:00/P1D"')["preview"] == \
        "每天 9:00，自 2026年12月7日 9:00 起"
    assert answer(designer, "timeCycle", '"R3/PT1H"')["preview"] == "每 1 小时一次，共 3 次"
    assert answer(designer, "timeDuration", "shelved_review_period")["preview"] == \
        "定时器启动时由流程数据 shelved_review_period 决定"
    # Working days from today, evaluated in the sandbox on the deployment's calendar.
    later = answer(designer, "timeDate", "add_working_days(today(), 3).isoformat()")
    assert later["errors"] == [] and later["preview"].startswith("3 个工作日后（按现在计算：")
    due = answer(designer, "timeDate", 'deadline_due("acceptance_notice").isoformat()')
    assert due["preview"].startswith("法定时限“告知受理情况”到期时（按现在计算：")
    # What the engine cannot read: said, with what to write instead.
    for kind, text in [("timeDuration", '"P3X"'), ("timeDate", '"tomorrow"'),
                       ("timeCycle", '"P1D"')]:
        refused = answer(designer, kind, text)
        assert refused["preview"] is None and refused["errors"][0]["message"].startswith(
            "引擎无法把"), (kind, text, refused)
    assert answer(designer, "timeDuration", "P3D")["errors"][0]["message"] == \
        '定时器的值是 Python 文本：请连同引号写成 "P3D"（不加引号则表示一个流程变量）'
    assert "isoformat" in answer(designer, "timeDate", "add_working_days(today(), 3)")[
        "errors"][0]["message"]


def test_the_check_answers_in_english_for_an_english_page(app):
    designer = Browser(app, "designer")
    designer.client.post("/language", data={"lang": "en", "csrf_token": designer.csrf})
    assert answer(designer, "timeDuration", '"P1D"')["preview"] == "1 day after the timer starts"
    assert answer(designer, "timeCycle", '"R2/P1W"')["preview"] == "every 1 week, 2 times"
    assert answer(designer, "condition", "a = 1")["errors"][0]["message"] == \
        "Invalid script or expression: the syntax is not valid"


def test_only_designers_check_and_only_known_kinds(app):
    worker = Browser(app, "a-worker")
    assert check(worker, "condition", "x").status_code in (302, 403)
    designer = Browser(app, "designer")
    assert check(designer, "sql", "select 1").status_code == 422
    assert designer.client.post("/designer/check", json={"kind": "condition", "text": "x"}
                                ).status_code == 400  # no CSRF token


def test_lint_warns_of_a_fixed_timer_value_the_engine_cannot_read(runtime):
    """What the panel says as you type, validate says of the file: a quoted value the engine
    cannot read, and an ISO value written without quotes (a variable that is never set)."""
    from engine.processes import lint

    def timer(element_id, body):
        return (f'<bpmn:intermediateCatchEvent id="{element_id}"><bpmn:timerEventDefinition>'
                f"<bpmn:timeDuration>{body}</bpmn:timeDuration></bpmn:timerEventDefinition>"
                "</bpmn:intermediateCatchEvent>")
    steps = [timer("bad", '"P3X"'), timer("bare", "P3D"), timer("good", '"P3D"')]
    ids = ["s", "bad", "bare", "good", "e"]
    xml = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
           'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
           '<bpmn:process id="timed" isExecutable="true"><bpmn:startEvent id="s"/>'
           + "".join(steps) + '<bpmn:endEvent id="e"/>'
           + "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                     for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False)))
           + "</bpmn:process></bpmn:definitions>").encode()
    found = runtime.read(lambda uow: lint.validate(uow.session, runtime, [("timed.bpmn", xml)]))
    assert found["errors"] == []
    assert sorted((w["element_id"], w["reason"]) for w in found["warnings"]
                  if w["reason"].startswith("timer_")) == [
        ("bad", "timer_invalid"), ("bare", "timer_unquoted")]
