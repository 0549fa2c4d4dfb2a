"""Camunda's assignment attributes on user tasks (and Activiti's and Flowable's, which are the same).

`assignee`, `candidateUsers` and `candidateGroups` are read from the task element (`read`);
each is a literal (`demo`, `a-worker, a-worker2`) or a simple variable reference (`${initiator}`,
`#{approver}`, `${request.reviewer}`), alone or as an item of a comma-separated list. A reference
is looked up in the process data when the task is created (`resolve`); anything else between
`${…}` (method calls, operators, beans) is refused at deploy (`problems`), naming the element and
its line. What a resolved name means here (a user, a role, a unit) is `engine/access/assignment`'s.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .problems import Problem

VENDOR_NS = ("http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn",
             "http://flowable.org/bpmn")
ATTRIBUTES = ("assignee", "candidateUsers", "candidateGroups")
# The start event attribute that names the variable holding who started the instance.
INITIATOR = "initiator"
_REFERENCE = re.compile(r"^\s*[$#]\{\s*(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\s*$")
_EXPRESSION = re.compile(r"[$#]\{")


def _attribute(element, name: str) -> str | None:
    for ns in VENDOR_NS:
        value = element.get(f"{{{ns}}}{name}")
        if value is not None and value.strip():
            return value.strip()
    return None


def read(element) -> dict[str, str]:
    """The assignment attributes set on a task element: attribute -> its text."""
    return {name: value for name in ATTRIBUTES
            if (value := _attribute(element, name)) is not None}


def initiator(element) -> str | None:
    """The variable a start event names for who started the instance (`camunda:initiator`)."""
    return _attribute(element, INITIATOR)


def _items(attribute: str, value: str) -> list[str]:
    if attribute == "assignee" or _REFERENCE.match(value):
        return [value]
    return [item.strip() for item in value.split(",") if item.strip()]


def unsupported(attribute: str, value: str) -> bool:
    """An expression that is not a simple variable reference (nor a list of them)."""
    return any(_EXPRESSION.search(item) and not _REFERENCE.match(item)
               for item in _items(attribute, value))


def literals(attribute: str, value: str) -> list[str]:
    """The names written as they are (not references), to check at deploy."""
    return [item for item in _items(attribute, value) if not _EXPRESSION.search(item)]


def references(assignment: dict[str, str] | None) -> set[str]:
    """The process variables an assignment reads (their first name)."""
    return {match.group("name").split(".")[0]
            for attribute, value in (assignment or {}).items()
            for item in _items(attribute, value) if (match := _REFERENCE.match(item))}


def problems(element, file_name: str) -> list[Problem]:
    """Assignment expressions this engine does not evaluate: a refusal each, with its line."""
    return [Problem.coded("assignment_expression_unsupported", element_id=element.get("id"),
                          element_name=element.get("name"), line=element.sourceline,
                          file_name=file_name, attribute=attribute, value=value)
            for attribute, value in read(element).items() if unsupported(attribute, value)]


@dataclass(frozen=True)
class Resolved:
    """The names an assignment gives once the process data is known."""
    assignee: str | None = None
    candidate_users: tuple[str, ...] = ()
    candidate_groups: tuple[str, ...] = ()
    # References with no value (or a value that is not a name or a list of names).
    unresolved: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.assignee or self.candidate_users or self.candidate_groups)


def _lookup(data: dict, path: str):
    value = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _names(value) -> list[str] | None:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def resolve(assignment: dict[str, str] | None, data: dict) -> Resolved:
    """Evaluate the variable references of a task's assignment in the process data."""
    found: dict[str, list[str]] = {name: [] for name in ATTRIBUTES}
    unresolved = []
    for attribute, value in (assignment or {}).items():
        for item in _items(attribute, value):
            match = _REFERENCE.match(item)
            if match is None:
                found[attribute].append(item)
                continue
            value = _lookup(data, match.group("name"))
            if attribute == "assignee":  # one person
                names = [value.strip()] if isinstance(value, str) and value.strip() else None
            else:
                names = _names(value)
            if not names:
                unresolved.append(item)
            else:
                found[attribute].extend(names)
    return Resolved(assignee=(found["assignee"] or [None])[0],
                    candidate_users=tuple(dict.fromkeys(found["candidateUsers"])),
                    candidate_groups=tuple(dict.fromkeys(found["candidateGroups"])),
                    unresolved=tuple(unresolved))
