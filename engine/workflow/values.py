"""Process data as plain JSON-able values: the engine's serializer registry, and its bounds.

One set of type registrations serves the saved workflow state and every value that crosses to
the script workers (`crossing`), so dates, decimals and the rest keep their types both ways.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry

MAX_DEPTH = 100           # nesting of lists/dicts a value may have (a script result, task data)
MAX_FRAME = 16 * 1024 ** 2  # bytes of one message to or from a script worker


class TooDeep(ValueError):
    """A value nested deeper than MAX_DEPTH."""


def register(registry) -> None:
    """The value types task data may hold beyond what SpiffWorkflow's registry knows."""
    # Script helpers (today, add_working_days, parse_date) return dates; SpiffWorkflow's
    # registry knows datetime but not date, so a saved date would fail to serialize.
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda v: date.fromisoformat(v["value"]), typename="date")
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]),
                      typename="Decimal")


def _crossing_registry() -> DefaultRegistry:
    registry = DefaultRegistry()
    register(registry)
    # Between processes (not in the saved state, where SpiffWorkflow makes them lists) tuples
    # and sets keep their type, so a script sees exactly what the one before it left.
    for cls in (tuple, set, frozenset):
        registry.register(cls, lambda v: {"items": [registry.convert(i) for i in v]},
                          lambda v, cls=cls: cls(registry.restore(i) for i in v["items"]),
                          typename=f"py_{cls.__name__}")
    return registry


crossing = _crossing_registry()


def depth(value, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a value (walked without recursion); raises TooDeep above `limit`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = item
        else:
            continue
        if level > limit:
            raise TooDeep(f"value nested more than {limit} levels deep")
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def encode(value) -> bytes:
    """A value as one frame's bytes (depth checked first: the encoder recurses)."""
    depth(value)
    return json.dumps(crossing.convert(value), separators=(",", ":"),
                      ensure_ascii=False).encode()


def decode(raw: bytes):
    """The value of a frame; a malformed or too deep frame raises ValueError."""
    if len(raw) > MAX_FRAME:
        raise ValueError("message too large")
    try:
        loaded = json.loads(raw)
    except RecursionError:
        raise TooDeep("value nested too deep") from None
    depth(loaded, MAX_DEPTH * 2 + 4)  # each typed value adds a level of {"typename", "items"}
    return crossing.restore(loaded)
