"""Domain actions of the clues processes (named by their tasks' `action` property)."""
from __future__ import annotations

from engine.processes.actions import ActionContext, action  # noqa: F401
