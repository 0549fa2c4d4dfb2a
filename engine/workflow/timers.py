"""How the engine reads a timer's value, for checking it before it runs.

A timer's `timeDate`, `timeDuration` or `timeCycle` is a Python expression (ENGINE-NOTES: `"P3D"`
with the quotes) whose value SpiffWorkflow parses when the timer starts: an ISO 8601 date-time
(naive ones in the deployment's time zone), a duration, or a repeating interval
(`R[n]/start/duration`, `R[n]/duration/end`, `R[n]/duration`). `read` parses a value with the
library's own parsers and says what it means in parts a page can put into words; a value the
library would refuse raises `TimerInvalid` (at run time the instance would stop in error).
"""
from __future__ import annotations

from datetime import datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimeDateEventDefinition,
    TimerEventDefinition)

KINDS = {TimeDateEventDefinition: "timeDate", DurationTimerEventDefinition: "timeDuration",
         CycleTimerEventDefinition: "timeCycle"}
PARTS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


class TimerInvalid(ValueError):
    """The value is not what the engine reads for this kind of timer."""


def _moment(value: str, tz: tzinfo) -> datetime:
    moment = TimerEventDefinition.parse_time_or_duration(value)
    if not isinstance(moment, datetime):
        raise TimerInvalid("a date and time was expected, not a duration")
    return moment.astimezone(tz)


def _duration(value: str) -> dict:
    parts = TimerEventDefinition.parse_iso_duration(value)
    if not any(parts.get(p) for p in PARTS):
        raise TimerInvalid("the duration is zero")
    return {p: parts[p] for p in PARTS if parts.get(p)}


def read(kind: str, value, tz: tzinfo) -> dict:
    """What a timer of `kind` does with `value` (the text its expression gives):
    `{"at": datetime}` for a date, `{"after": parts}` for a duration, `{"repeat": n (-1: no
    end), "start": datetime | None, "end": datetime | None, "every": parts}` for a cycle; parts
    are years … seconds that are not zero. Datetimes are in `tz`."""
    if not isinstance(value, str):
        raise TimerInvalid(f"the value is {type(value).__name__}, not text")
    text = value.strip()
    try:
        if kind == "timeDate":
            return {"at": _moment(text, tz)}
        if kind == "timeDuration":
            if not text.upper().startswith("P"):
                raise TimerInvalid("a duration starts with P")
            return {"after": _duration(text)}
        if kind == "timeCycle":
            return _cycle(text, tz)
    except TimerInvalid:
        raise
    except Exception as exc:  # the library's parsers raise bare exceptions
        raise TimerInvalid(str(exc) or type(exc).__name__) from None
    raise TimerInvalid(f"unknown timer kind {kind}")


def _cycle(text: str, tz: tzinfo) -> dict:
    # As TimerEventDefinition.parse_iso_recurring_interval splits it (without reading the clock).
    if not text.upper().startswith("R"):
        raise TimerInvalid("a cycle starts with R")
    parts = text.upper().replace("--", "/").strip("R").split("/")
    if len(parts) not in (2, 3):
        raise TimerInvalid("a cycle is R[n]/duration, R[n]/start/duration or R[n]/duration/end")
    repeat = int(parts[0]) if parts[0] else -1
    first = TimerEventDefinition.parse_time_or_duration(parts[1])
    second = TimerEventDefinition.parse_time_or_duration(parts[2]) if len(parts) == 3 else None
    if isinstance(first, datetime) and isinstance(second, dict):
        return {"repeat": repeat, "start": first.astimezone(tz), "end": None,
                "every": _duration(parts[2])}
    if isinstance(first, dict) and isinstance(second, datetime):
        return {"repeat": repeat, "start": None, "end": second.astimezone(tz),
                "every": _duration(parts[1])}
    if isinstance(first, dict) and second is None:
        return {"repeat": repeat, "start": None, "end": None, "every": _duration(parts[1])}
    raise TimerInvalid("a cycle needs exactly one duration")


def expressions(specs) -> list[tuple[str | None, str, str]]:
    """(element id, kind, expression) of every timer in these process specs."""
    found = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            event = getattr(task_spec, "event_definition", None)
            for definition in getattr(event, "event_definitions", None) or [event]:
                kind = KINDS.get(type(definition))
                if kind is None:
                    kind = next((k for cls, k in KINDS.items() if isinstance(definition, cls)),
                                None)
                if kind and isinstance(definition.expression, str):
                    found.append((getattr(task_spec, "bpmn_id", None), kind,
                                  definition.expression))
    return found
