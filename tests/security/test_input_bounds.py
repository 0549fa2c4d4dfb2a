"""Bounded input (issue 16): deep JSON bodies and deep process data are a 422 naming the field,
huge bodies a 413, reserved data names a 422, page numbers never reach the database as
overflowing offsets — each of these used to be a 500."""
from __future__ import annotations

import json
import re

from tests.conftest import FIXTURES


def nested(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def deep_text(depth: int) -> str:
    return "[" * depth + "]" * depth


def post_raw(api, user, path, body: str):
    return api.as_(user).post(path, data=body.encode(),
                              headers={"Content-Type": "application/json"})


def start_sequence(api):
    designer = api.as_("designer")
    assert designer.deploy((FIXTURES / "it_sequence.bpmn").read_bytes(),
                           "it_sequence.bpmn").status == 201
    inst = designer.start("it_sequence").json
    (task,) = inst["ready_tasks"]
    return designer, task


def test_a_3000_deep_body_on_repeat_check_is_a_422(api):
    resp = post_raw(api, "clerk", "/petitions/repeat-check", deep_text(3000))
    assert resp.status == 422, resp.text
    assert resp.json["error"]["fields"] == {"body": ["nested deeper than 32 levels"]}
    # Deep but within what the parser takes: still refused by the bound, not by a crash.
    body = json.dumps({"content": "x", "accused": [nested(200)]})
    assert post_raw(api, "clerk", "/petitions/repeat-check", body).status == 422


def test_a_500_deep_data_value_on_start_is_a_422_naming_data(api):
    designer = api.as_("designer")
    assert designer.deploy((FIXTURES / "it_sequence.bpmn").read_bytes(),
                           "it_sequence.bpmn").status == 201
    resp = designer.start("it_sequence", {"x": nested(500)})
    assert resp.status == 422, resp.text
    assert list(resp.json["error"]["fields"]) in (["body"], ["data"])
    # Through the engine directly (pages, services): the same bound on `data`.
    from engine.errors import Invalid
    from engine.limits import check_data
    try:
        check_data({"x": nested(40)})
    except Invalid as exc:
        assert exc.reason == "data_too_deep" and exc.fields == {
            "data": ["nested deeper than 32 levels"]}
    else:
        raise AssertionError("40 levels passed")
    check_data({"x": nested(30)})


def test_deep_data_on_completion_is_a_422(api):
    designer, task = start_sequence(api)
    resp = designer.complete(task, {"x": nested(100)})
    assert resp.status == 422 and resp.json["error"]["code"] == "invalid"
    again = designer.get(f"/tasks/{task['id']}").json
    assert again["status"] == "open"  # nothing was lost or half-done


def test_reserved_names_are_refused_on_tasks_without_a_form_and_on_start(api):
    designer, task = start_sequence(api)
    for key in ("__builtins__", "__class__", "__import__"):
        resp = designer.complete(task, {key: {"open": 1}, "ok": 1})
        assert resp.status == 422, resp.text
        assert resp.json["error"]["fields"] == {f"data.{key}": ["reserved name"]}
        assert key in resp.json["error"]["message"]
    assert designer.complete(task, {"ok": 1, "_private": 2}).status == 200
    refused = designer.start("it_sequence", {"__builtins__": {}})
    assert refused.status == 422
    assert refused.json["error"]["fields"] == {"data.__builtins__": ["reserved name"]}


def test_a_huge_body_is_a_413_and_a_wide_one_a_4xx(api):
    huge = json.dumps({"content": "信" * 600_000})
    resp = post_raw(api, "clerk", "/petitions/repeat-check", huge)
    assert resp.status == 413 and resp.json["error"]["code"] == "too_large"
    wide = "[" + "0," * 300_000 + "0]"
    assert 400 <= post_raw(api, "clerk", "/petitions/repeat-check", wide).status < 500


def test_page_numbers_past_anything_show_the_last_page(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "a-worker", "password": "demo",
                                "csrf_token": token})
    for value in ("99999999999999999999", "9" * 400, "100001", "²", "-3", "0", "x", ""):
        resp = client.get("/inbox", query_string={"page": value})
        assert resp.status_code == 200, value
    assert client.get("/inbox?page=99999999999999999999",
                      headers={"HX-Request": "true"}).status_code == 200


def test_api_page_numbers_are_validated(api):
    resp = api.as_("a-worker").get("/tasks", query={"page": "99999999999999999999"})
    assert resp.status == 422 and "page" in resp.json["error"]["fields"]
    assert api.as_("a-worker").get("/tasks", query={"page": "0"}).status == 422
