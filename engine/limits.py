"""Bounds on data from outside: how deep a value may nest, and which names data may not use.

Process data crosses the engine, the serializer and (for scripts) the sandbox, each of which
walks it recursively; a value nested thousands deep overflows them. Every value that enters a
process (start, task completion, retry, message) and every JSON body is checked here first,
without recursion, and refused with a 422 naming the field.
"""
from __future__ import annotations

from engine.errors import Invalid
from engine import notes

# Far beyond any form (the deepest, a repeating group of objects, is about 5 levels).
MAX_DEPTH = 32


def too_deep(field: str, max_depth: int = MAX_DEPTH) -> Invalid:
    return Invalid("%(field)s is nested deeper than %(max)s levels", reason="data_too_deep",
                   params={"field": field, "max": max_depth},
                   fields={field: [notes.note("max_depth", max=max_depth)]})


def check_depth(value, *, field: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse `value` when lists/objects in it nest deeper than `max_depth` (iterative)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > max_depth:
            raise too_deep(field, max_depth)
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list, tuple)))


def reserved_key(key) -> bool:
    """Names a process may not receive as data: dunder names (`__builtins__`, `__class__`, …)
    would shadow what the script sandbox and Python itself rely on."""
    return isinstance(key, str) and key.startswith("__")


def check_data(data, *, field: str = "data") -> None:
    """A value entering a process: an object, bounded in depth, with no reserved names."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise Invalid("%(field)s must be an object", reason="data_not_object",
                      params={"field": field}, fields={field: [notes.note("must_be_object")]})
    for key in data:
        if reserved_key(key):
            raise Invalid("%(field)s may not use the reserved name %(key)s",
                          reason="data_key_reserved", params={"field": field, "key": key},
                          fields={f"{field}.{key}": [notes.note("reserved_name")]})
    check_depth(data, field=field)
