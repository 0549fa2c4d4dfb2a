"""Parsing helpers shared by the API views."""
from __future__ import annotations

import functools
import json

from flask import request
from marshmallow import Schema

from engine.errors import DomainError
from engine.limits import check_depth, too_deep

# A JSON body is a form's worth of data, not a file (files are uploads, up to storage.max_bytes).
MAX_JSON_BYTES = 1024 * 1024


class BadRequest(DomainError):
    code = "bad_request"


class TooLarge(DomainError):
    code = "too_large"
    status = 413


def parse_json(raw: bytes):
    """A JSON body, bounded in size and depth: 413 when too large, 422 when nested too deep
    (never the parser's recursion error), 400 when not JSON."""
    if len(raw) > MAX_JSON_BYTES:
        raise TooLarge("the body is larger than %(max)s bytes", reason="body_too_large",
                       params={"max": MAX_JSON_BYTES})
    try:
        payload = json.loads(raw)
    except RecursionError:
        raise too_deep("body") from None
    except ValueError:
        raise BadRequest("the body is not valid JSON", reason="body_not_json") from None
    check_depth(payload, field="body")
    return payload


@functools.cache
def _schema(cls: type[Schema], many: bool = False) -> Schema:
    return cls(many=many)  # building a schema is costly; each is built once


def dump(cls: type[Schema], obj, *, many: bool = False):
    """`obj` serialised by the schema class."""
    return _schema(cls, many).dump(obj)


def json_body(cls: type[Schema]) -> dict:
    """The request's JSON parsed by the schema (400 when it is not JSON, 422 when invalid)."""
    schema = _schema(cls)
    raw = request.get_data(cache=True)  # not `request.data`: that parses form bodies too
    if not raw:
        payload = {}
    elif not request.is_json:
        raise BadRequest("the body is not valid JSON", reason="body_not_json")
    else:
        payload = parse_json(raw)
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    return schema.load(payload)


def query_args(cls: type[Schema]) -> dict:
    """The query string parsed by the schema (422 when invalid)."""
    return _schema(cls).load(request.args.to_dict())
