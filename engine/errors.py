"""Domain errors. The web layer maps each to one HTTP status in one place."""
from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, fields: dict | None = None, details: list | None = None):
        super().__init__(message)
        self.message = message
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
