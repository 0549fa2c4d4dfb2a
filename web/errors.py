"""Domain errors and bad input to one JSON envelope; never a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from engine import errors
from engine.workflow.adapter import BpmnInvalid

log = logging.getLogger("cluedesk.web")

STATUS = {
    errors.NotFound: 404, errors.Forbidden: 403, errors.Unauthorized: 401,
    errors.Conflict: 409, errors.Invalid: 422,
}


def envelope(status: int, code: str, message: str, fields: dict | None = None,
             details: list | None = None, *, reason: str | None = None,
             params: dict | None = None, msgid: str | None = None, own: str | None = None):
    """The error as JSON for the API, as a page otherwise. A refusal of the web layer itself
    (no `reason`) is shown on the pages by `own` (default: `code`), never by its English."""
    if not request.path.startswith("/api/"):
        from web.ui import error_page  # pages answer in HTML, in the user's language
        return error_page(status, code, message, fields, reason=reason, params=params,
                          msgid=msgid, own=own)
    # `reason` is the stable fine-grained code clients branch on (the coarse `code` when the
    # refusal has none); `params` the values its message was filled with.
    body = {"error": {"code": code, "message": message, "reason": reason or code,
                      "params": _plain(params or {})}}
    if fields:
        body["error"]["fields"] = fields
    if details is not None:
        body["error"]["details"] = details
    return jsonify(body), status


def register(app: Flask) -> None:
    @app.errorhandler(errors.DomainError)
    def _domain(exc: errors.DomainError):
        status = getattr(exc, "status", None) or \
            next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        return envelope(status, exc.code, exc.message, exc.fields, exc.details or None,
                        reason=exc.reason, params=exc.params, msgid=exc.msgid)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        fields = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return envelope(422, "invalid", "the request has invalid fields", _flatten(fields))

    @app.errorhandler(BpmnInvalid)
    def _bpmn(exc: BpmnInvalid):
        return envelope(422, "bpmn_invalid", "the BPMN cannot run; nothing was deployed",
                        details=[p.as_dict() for p in exc.problems])

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return envelope(exc.code or 500, exc.name.lower().replace(" ", "_"),
                        exc.description or exc.name,
                        own="csrf" if isinstance(exc, CSRFError) else None)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return envelope(500, "internal_error", "an unexpected error occurred; it has been logged")


def _plain(params: dict) -> dict:
    """Parameters as JSON values (anything else as its text)."""
    return {k: v if v is None or isinstance(v, bool | int | float | str | list) else str(v)
            for k, v in params.items()}


def _flatten(messages: dict, prefix: str = "") -> dict:
    """Nested marshmallow messages as dotted field paths."""
    out: dict = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, path))
        else:
            out[path] = value if isinstance(value, list) else [value]
    return out
