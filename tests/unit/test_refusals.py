"""Every coded refusal (a `DomainError` raised with `reason=`) has its text on the pages in
Chinese and English, its message is a message id (no f-string) whose placeholders its params
fill, and no reason is registered that nothing raises; no refusal is left uncoded. Read from
the source with `ast` over engine/ and web/."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from web import i18n
from web.ui.refusals import REASONS

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"DomainError", "NotFound", "Forbidden", "Unauthorized", "Conflict", "Invalid"}
# Every refusal is coded: none is translated by matching its English (nor is any field note,
# script rule or web layer's answer: tests/unit/test_messages.py).
UNCODED_AT_MOST = 0


def raise_sites():
    for path in sorted([*(ROOT / "engine").rglob("*.py"), *(ROOT / "web").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in KINDS:
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.exc


def keyword(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_every_coded_refusal_has_chinese_and_english_text_and_fills_its_message():
    zh, en = i18n.translated("zh"), i18n.translated("en")
    coded, problems = set(), []
    for where, call in raise_sites():
        reason = keyword(call, "reason")
        if reason is None:
            continue
        if not isinstance(reason, ast.Constant):
            problems.append(f"{where}: reason is not a literal")
            continue
        coded.add(reason.value)
        msgid = call.args[0] if call.args else None
        if not isinstance(msgid, ast.Constant):
            problems.append(f"{where}: the message is not a message id (an f-string?)")
            continue
        # The page text: registered for the reason in web/ui/refusals.py, or the message id's own
        # translation.
        text = REASONS.get(reason.value, msgid.value)
        if text not in zh or text not in en:
            problems.append(f"{where}: {reason.value} has no page text in zh and en "
                            "(web/ui/refusals.py or the .po files)")
        params = keyword(call, "params")
        names = set(re.findall(r"%\((\w+)\)", msgid.value))
        given = {k.value for k in params.keys} if isinstance(params, ast.Dict) else set()
        if names - given:
            problems.append(f"{where}: params lack {sorted(names - given)}")
    assert problems == []
    assert len(coded) >= 15
    assert set(REASONS) - coded == set(), "reasons with page text that nothing raises"


def test_a_coded_refusal_is_shown_by_its_reason_or_its_translated_message_id(app):
    from web.ui.refusals import text
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert text("task_held_by_other", {}, "task is held by someone else") == \
            text("task_held_by_other", {}, "anything")  # the reason decides, not the English
        assert text("task_held_by_other", {}, "x") != "task is held by someone else"


def test_every_refusal_is_coded():
    uncoded = [where for where, call in raise_sites() if keyword(call, "reason") is None]
    assert len(uncoded) <= UNCODED_AT_MOST, uncoded
