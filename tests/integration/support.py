"""Helpers for the integration tests: committed scratch databases, apps and tokens built the way
an outside caller builds them, the real command line in a subprocess, bounded waits."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from engine.config import load_settings
from engine.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


def issue_tokens(url: str, users: list[str], overrides: dict | None = None) -> dict[str, str]:
    """API tokens issued in a committed transaction, as `engine.org.service.issue_token` does."""
    from engine.org import service as org
    rt = Runtime(load_settings({"database": {"url": url}, **(overrides or {})}))
    try:
        return rt.transact(lambda uow: {u: org.issue_token(uow.session, username=u,
                                                           now=rt.clock.now()) for u in users})
    finally:
        rt.dispose()


def make_app(url: str, **sections):
    """`web.create_app` on `url`, with more override sections (e.g. clock={...})."""
    from web import create_app
    return create_app({"database": {"url": url}, **sections})


def dispose_app(app) -> None:
    app.extensions["cluedesk"].dispose()


def sql_scalar(app, sql: str, **params) -> Any:
    """One value read straight from the app's database (not through our services)."""
    with app.extensions["cluedesk"].engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def clean_env(url: str, **extra: str) -> dict[str, str]:
    """The environment for a subprocess: ours without any CLUEDESK_* setting, plus `extra`."""
    from tests.conftest import TEST_ENV
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CLUEDESK_") or k == "CLUEDESK_CONFIG"}
    env.update(TEST_ENV)
    env["CLUEDESK_DATABASE_URL"] = url
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def cli(url: str, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m engine.cli ARGS` against `url`, bounded in time."""
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT,
                          env=clean_env(url, **(env or {})), input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2,
             what: str = "condition") -> Any:
    """Poll until `predicate()` is truthy; return its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # e.g. connection refused while a server starts
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f" (last error: {last_exc!r})" if last_exc else ""))


def http_json(method: str, url: str, *, token: str | None = None, body: Any = None,
              content_type: str = "application/json", timeout: float = 5) -> tuple[int, Any]:
    """One HTTP request to a real server; returns (status, parsed JSON or None)."""
    data = None
    headers = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def race(app, calls: list[tuple[str, str, dict]], token: str, *,
         timeout: float = 30) -> list[tuple[int, Any]]:
    """Send the requests `(method, path, json)` at the same moment, one thread and one test
    client each, released together by a barrier; return `(status, json)` in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    headers = {"Authorization": f"Bearer {token}"}

    def worker(i: int, method: str, path: str, body: dict) -> None:
        try:
            client = app.test_client()
            barrier.wait(timeout=timeout)
            resp = client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
            results[i] = (resp.status_code, resp.get_json(silent=True))
        except BaseException as exc:  # reported by the caller, never swallowed
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i, *call), daemon=True)
               for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a racing request did not finish in time"
    for r in results:
        if isinstance(r, BaseException):
            raise AssertionError(f"a racing request raised {r!r}") from r
    return results
