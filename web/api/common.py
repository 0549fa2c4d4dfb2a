"""Parsing helpers shared by the API views."""
from __future__ import annotations

from flask import request
from marshmallow import Schema

from engine.errors import DomainError


class BadRequest(DomainError):
    code = "bad_request"


def json_body(schema: Schema) -> dict:
    """The request's JSON parsed by `schema` (400 when it is not JSON, 422 when invalid)."""
    if not request.data:
        payload = {}
    else:
        payload = request.get_json(silent=True)
        if payload is None:
            raise BadRequest("the body is not valid JSON")
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    return schema.load(payload)


def query_args(schema: Schema) -> dict:
    return schema.load(request.args.to_dict())
