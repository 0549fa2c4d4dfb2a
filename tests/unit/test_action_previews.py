"""An action's preview (what a test-run adds to the process data in its place) names only values
the action itself returns: each key appears in the action's source, so a renamed result cannot
leave the test-run routing on a name no case ever has."""
from __future__ import annotations

import inspect

from engine.processes import actions


def test_each_preview_gives_values_its_action_returns():
    actions._load()
    assert {"clue.approve", "petition.classify", "review.decide"} <= set(actions._PREVIEWS)
    for name, preview in actions._PREVIEWS.items():
        source = inspect.getsource(actions._REGISTRY[name])
        for data in ({}, {"approved": True, "in_scope": True, "first_handling_unit": "town-a"}):
            keys = preview(_Runtime(), data, {})
            missing = [k for k in keys if f'"{k}"' not in source and f"{k}=" not in source]
            assert missing == [], f"{name}: {missing} not returned by the action"


class _Runtime:
    """Enough of a runtime for the previews that read configuration (clue.approve)."""
    class settings:
        @staticmethod
        def get(*path):
            return {"shelved_review": {"amount": 6, "unit": "months"}}
