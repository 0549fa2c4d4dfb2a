"""OpenAPI 3 generated from the marshmallow schemas attached to each API view."""
from __future__ import annotations

import re
from collections.abc import Callable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from web import MAX_ID, schemas

API_PREFIX = "/api/v1"


def doc(*, body=None, query=None, responses: dict | None = None, content_type="application/json",
        auth: bool = True) -> Callable:
    """Attach request and response schemas to a view; the summary is its docstring's first line."""
    def wrap(fn):
        fn.__apidoc__ = {"body": body, "query": query, "responses": responses or {},
                         "content_type": content_type, "auth": auth}
        return fn
    return wrap


def _schema_ref(schema):
    many = False
    if isinstance(schema, list):
        schema, many = schema[0], True
    name = schema.__name__ if isinstance(schema, type) else type(schema).__name__
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {"type": "array", "items": ref} if many else ref


def build(app: Flask) -> dict:
    """The OpenAPI document for every route under /api/v1."""
    spec = APISpec(title="cluedesk API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Petitions, clues, cases and BPMN processes."},
                   # Paths are relative to this (without it a client resolves them against "/").
                   servers=[{"url": API_PREFIX}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in dir(schemas):
        obj = getattr(schemas, name)
        if isinstance(obj, type) and issubclass(obj, schemas.Schema) and obj.__module__ == \
                schemas.__name__ and name not in ("Strict",) and \
                name not in spec.components.schemas:  # nested ones register themselves
            spec.components.schema(name, schema=obj)
    def register(schema) -> None:
        """Schemas defined beside their views (not in web.schemas) are registered on use."""
        cls = schema[0] if isinstance(schema, list) else schema
        if isinstance(cls, type) and issubclass(cls, schemas.Schema) and \
                cls.__name__ not in spec.components.schemas:
            spec.components.schema(cls.__name__, schema=cls)

    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX) or rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "__apidoc__", {"responses": {}, "auth": True})
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(API_PREFIX):])
        integers = set(re.findall(r"<int:([^<>]+)>", rule.rule))
        params = [{"name": p, "in": "path", "required": True,
                   "schema": ({"type": "integer", "minimum": 0, "maximum": MAX_ID}
                              if p in integers else {"type": "string"})}
                  for p in re.findall(r"{([^}]+)}", path)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict = {"summary": (view.__doc__ or rule.endpoint).strip().splitlines()[0],
                        "operationId": f"{rule.endpoint}_{method.lower()}",
                        "parameters": list(params), "responses": {}}
            if meta.get("query") is not None:
                op["parameters"].append({"in": "query", "schema": meta["query"]})
            for schema in [meta.get("body"), *meta["responses"].values()]:
                if schema is not None and not isinstance(schema, dict):
                    register(schema)
            if meta.get("body") is not None:
                ctype = meta["content_type"]
                body = meta["body"]
                content = ({ctype: {"schema": _schema_ref(body)}} if not isinstance(body, dict)
                           else {ctype: {"schema": body}})
                op["requestBody"] = {"required": True, "content": content}
            for status, schema in meta["responses"].items():
                resp: dict = {"description": str(status)}
                if schema is not None:
                    resp["content"] = {"application/json": {"schema": _schema_ref(schema)}}
                op["responses"][str(status)] = resp
            for status in (400, 401, 403, 404, 409, 422):
                op["responses"].setdefault(str(status), {
                    "description": "error", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}})
            if meta.get("auth", True):
                op["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = op
    for path, ops in sorted(paths.items()):
        spec.path(path=path, operations=ops)
    return spec.to_dict()
