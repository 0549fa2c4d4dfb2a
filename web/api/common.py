"""Parsing helpers shared by the API views."""
from __future__ import annotations

import functools

from flask import request
from marshmallow import Schema

from engine.errors import DomainError


class BadRequest(DomainError):
    code = "bad_request"


@functools.cache
def _schema(cls: type[Schema], many: bool = False) -> Schema:
    return cls(many=many)  # building a schema is costly; each is built once


def dump(cls: type[Schema], obj, *, many: bool = False):
    """`obj` serialised by the schema class."""
    return _schema(cls, many).dump(obj)


def json_body(cls: type[Schema]) -> dict:
    """The request's JSON parsed by the schema (400 when it is not JSON, 422 when invalid)."""
    schema = _schema(cls)
    if not request.get_data(cache=True):  # not `request.data`: that parses form bodies too
        payload = {}
    else:
        payload = request.get_json(silent=True)
        if payload is None:
            raise BadRequest("the body is not valid JSON")
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    return schema.load(payload)


def query_args(cls: type[Schema]) -> dict:
    """The query string parsed by the schema (422 when invalid)."""
    return _schema(cls).load(request.args.to_dict())
