"""Domain errors. The web layer maps each to one HTTP status in one place.

A refusal is raised with a stable fine-grained `reason` (e.g. ``task_version_stale``), an
English message id with ``%(name)s`` placeholders, and the parameters that fill it:

    raise Conflict("task has changed (version %(version)s, you sent %(sent)s)",
                   reason="task_version_stale", params={"version": 3, "sent": 2})

`message` is the English text (the API's contract); pages translate `msgid` with gettext and
fill in `params`. Never translate by matching the English text.
"""
from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, reason: str | None = None, params: dict | None = None,
                 fields: dict | None = None, details: list | None = None):
        self.msgid = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.reason = reason or self.code
        self.fields = fields or {}
        self.details = details or []


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class Conflict(DomainError):
    code = "conflict"


class Invalid(DomainError):
    """Valid JSON, invalid content (422)."""
    code = "invalid"
