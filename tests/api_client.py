"""A small client for the JSON API that acts as one demo user at a time."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Response:
    status: int
    json: Any
    text: str


class ApiClient:
    def __init__(self, client, tokens: dict[str, str], user: str | None = None):
        self.client = client
        self.tokens = tokens
        self.user = user

    def as_(self, user: str) -> ApiClient:
        return ApiClient(self.client, self.tokens, user)

    def _headers(self, extra=None) -> dict:
        headers = dict(extra or {})
        if self.user:
            headers["Authorization"] = f"Bearer {self.tokens[self.user]}"
        return headers

    def request(self, method: str, path: str, *, json=None, data=None, headers=None,
                query=None) -> Response:
        resp = self.client.open(f"/api/v1{path}", method=method, json=json, data=data,
                                headers=self._headers(headers), query_string=query)
        body = resp.get_json(silent=True)
        return Response(resp.status_code, body, resp.get_data(as_text=True))

    def get(self, path, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path, **kw) -> Response:
        return self.request("POST", path, **kw)

    def delete(self, path, **kw) -> Response:
        return self.request("DELETE", path, **kw)

    def patch(self, path, **kw) -> Response:
        return self.request("PATCH", path, **kw)

    def deploy(self, xml: bytes, name: str = "upload.bpmn") -> Response:
        return self.post("/process-definitions", data=xml,
                         headers={"Content-Type": "application/xml", "X-File-Name": name})

    def start(self, key: str, data: dict | None = None) -> Response:
        return self.post("/process-instances", json={"process_key": key, "data": data or {}})

    def complete(self, task: dict, data: dict | None = None) -> Response:
        return self.post(f"/tasks/{task['id']}/complete",
                         json={"data": data or {}, "version": task["version"]})


def deploy_all(api: ApiClient, paths) -> Response:
    """Deploy several BPMN files in one multipart request (call activities resolve together)."""
    files = [(open(p, "rb"), p.name) for p in paths]
    try:
        resp = api.client.post("/api/v1/process-definitions", data={"bpmn": files},
                               content_type="multipart/form-data",
                               headers=api._headers())
    finally:
        for f, _ in files:
            f.close()
    return Response(resp.status_code, resp.get_json(silent=True), resp.get_data(as_text=True))


def deploy_processes(api: ApiClient) -> None:
    """Deploy every file in bpmn/ in one request, as `cluedesk deploy` does."""
    from pathlib import Path
    paths = sorted((Path(__file__).resolve().parents[1] / "bpmn").glob("*.bpmn"))
    resp = deploy_all(api.as_("designer"), paths)
    assert resp.status in (200, 201), resp.json
