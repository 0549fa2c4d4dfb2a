"""Driving chain20 through the HTTP API: one poster per transport, one case loop for both."""
from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable

from bench.common import CHAIN_FILE, PROCESS_KEY, STEPS, Timings

# post(path, body, content_type) -> (status, decoded JSON); path is under /api/v1.
Post = Callable[[str, bytes, str], tuple[int, object]]


class FlaskClientPoster:
    """POSTs through Flask's test client (no sockets, no WSGI server)."""

    def __init__(self, app, token: str):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, path: str, body: bytes, content_type: str) -> tuple[int, object]:
        resp = self.client.post(f"/api/v1{path}", data=body, content_type=content_type,
                                headers=self.headers)
        return resp.status_code, resp.get_json(silent=True)


class KeepAlivePoster:
    """POSTs over one persistent HTTP/1.1 connection; counts the TCP connections it opened."""

    def __init__(self, host: str, port: int, token: str):
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.connects = 0

    def __call__(self, path: str, body: bytes, content_type: str) -> tuple[int, object]:
        if self.conn.sock is None:
            self.connects += 1
        self.conn.request("POST", f"/api/v1{path}", body=body,
                          headers={**self.headers, "Content-Type": content_type})
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None

    def get(self, path: str) -> tuple[int, object]:
        """GET over the same connection."""
        if self.conn.sock is None:
            self.connects += 1
        self.conn.request("GET", f"/api/v1{path}", headers=self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _post_json(post: Post, path: str, payload: dict, expected: int) -> dict:
    """POST a JSON body; fail loudly unless the status is `expected`."""
    status, body = post(path, json.dumps(payload).encode(), "application/json")
    if status != expected:
        raise RuntimeError(f"POST {path} -> {status}, expected {expected}: {body}")
    return body


def deploy_chain(post: Post) -> None:
    """Deploy chain20 (201 when new, 200 when already deployed)."""
    status, body = post("/process-definitions", CHAIN_FILE.read_bytes(), "application/xml")
    if status not in (200, 201):
        raise RuntimeError(f"deploying {CHAIN_FILE.name} -> {status}: {body}")


def run_case(post: Post, timings: Timings, key: str = PROCESS_KEY) -> int:
    """Start one case and complete its 20 tasks in turn, timing each completion and the case;
    returns the instance id."""
    case_start = time.perf_counter()
    started = _post_json(post, "/process-instances", {"process_key": key}, 201)
    (task,) = started["ready_tasks"]
    steps = []
    for number in range(1, STEPS + 1):
        t0 = time.perf_counter()
        done = _post_json(post, f"/tasks/{task['id']}/complete",
                          {"data": {}, "version": task["version"]}, 200)
        steps.append(time.perf_counter() - t0)
        next_tasks = done["next_tasks"]
        if len(next_tasks) != (0 if number == STEPS else 1):
            raise RuntimeError(f"step {number} returned {len(next_tasks)} next tasks")
        task = next_tasks[0] if next_tasks else None
    timings.add_case(time.perf_counter() - case_start, steps)
    return started["id"]

