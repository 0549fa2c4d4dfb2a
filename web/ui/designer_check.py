"""The designer panel's check as you type: one script or expression (a flow's condition, a script
task's script, a timer's value, a multi-instance's cardinality or completion condition) checked
the way deploy and the engine will read it (`engine.processes.lint.check_text`), its problems
and, for a timer, when it fires, said in the user's language."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify
from flask_babel import gettext as _
from marshmallow import fields, validate

from engine import glossary
from engine.processes import lint
from engine.workflow.scripting import MAX_SOURCE
from web import schemas
from web.api.common import json_body
from web.auth import runtime
from web.ui import N_, bp, page
from web.ui.designer import DESIGNER, _localized
from web.ui.terms import _lang


class CheckIn(schemas.Strict):
    kind = fields.String(required=True, validate=validate.OneOf(sorted(lint.TEXT_KINDS)))
    text = fields.String(required=True, validate=validate.Length(max=MAX_SOURCE))


@bp.post("/designer/check")
@page(roles=DESIGNER)
def check_text():
    """`{"kind", "text"}` → `{"errors", "warnings"}` (each `{"message", "line"}`, the line in
    the text) and `preview`: for a timer, when it fires, in words (null otherwise)."""
    args = json_body(CheckIn)
    rt = runtime()
    found = rt.read(lambda uow: lint.check_text(uow.session, rt, args["kind"], args["text"]))
    said = {severity: [{"message": _localized(p.as_dict())["message"], "line": p.line}
                       for p in found[severity]] for severity in ("errors", "warnings")}
    return jsonify({**said, "preview": timer_words(found["timer"])})


# --- a timer in words ("3 个工作日后", "每天 9:00", "2026年12月31日 17:00")

def _weekday(n: int) -> str:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday")][n]


def _clock(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _moment(moment: datetime) -> str:
    padded = {"mm": f"{moment.month:02d}", "dd": f"{moment.day:02d}"}
    return _("%(year)s-%(mm)s-%(dd)s %(time)s", year=moment.year, month=moment.month,
             day=moment.day, time=_clock(moment), **padded)


def _parts(parts: dict) -> str:
    words = {"years": (N_("%(num)s year"), N_("%(num)s years")),
             "months": (N_("%(num)s month"), N_("%(num)s months")),
             "weeks": (N_("%(num)s week"), N_("%(num)s weeks")),
             "days": (N_("%(num)s day"), N_("%(num)s days")),
             "hours": (N_("%(num)s hour"), N_("%(num)s hours")),
             "minutes": (N_("%(num)s minute"), N_("%(num)s minutes")),
             "seconds": (N_("%(num)s second"), N_("%(num)s seconds"))}
    return " ".join(_counted(*words[name], value) for name, value in parts.items())


def _counted(one: str, many: str, num) -> str:
    """`one` or `many` (English has two forms, Chinese one) filled with `num`."""
    return _(one if num == 1 else many, num=num)


def _cycle(found: dict) -> str:
    every, start = found["every"], found["start"]
    if start is not None and every == {"days": 1}:
        text = _("every day at %(time)s", time=_clock(start))
    elif start is not None and every == {"weeks": 1}:
        text = _("every %(weekday)s at %(time)s", weekday=_weekday(start.weekday()),
                 time=_clock(start))
    else:
        text = _("every %(period)s", period=_parts(every))
    if start is not None:
        text += _(", from %(moment)s", moment=_moment(start))
    if found["end"] is not None:
        text += _(", the last at %(moment)s", moment=_moment(found["end"]))
    if found["repeat"] >= 0:
        text += _counted(N_(", %(num)s time"), N_(", %(num)s times"), found["repeat"])
    return text


def _read(found: dict) -> str:
    if "at" in found:
        return _moment(found["at"])
    if "after" in found:
        return _("%(period)s after the timer starts", period=_parts(found["after"]))
    return _cycle(found)


def timer_words(timer: dict | None) -> str | None:
    """When a checked timer fires, in words; None for what is not a timer."""
    if timer is None:
        return None
    if "fixed" in timer:
        return _read(timer["fixed"])
    if "data" in timer:
        return _("set when the timer starts, from the process data %(names)s",
                 names=", ".join(timer["data"]))
    pattern, now = timer.get("pattern") or {}, _read(timer["computed"])
    if "working_days" in pattern:
        text = _counted(N_("%(num)s working day later"), N_("%(num)s working days later"),
                        pattern["working_days"])
    elif "days" in pattern:
        text = _counted(N_("%(num)s day later"), N_("%(num)s days later"), pattern["days"])
    elif "deadline" in pattern:
        text = _("when the statutory deadline “%(name)s” falls due",
                 name=glossary.name("deadline_key", pattern["deadline"], _lang()))
    else:
        return _("computed when the timer starts; now it would be %(moment)s", moment=now)
    return _("%(when)s (counted from now: %(moment)s)", when=text, moment=now)
