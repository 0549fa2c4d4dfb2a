"""`cluedesk serve` and `cluedesk scheduler` as real processes: a production WSGI server with
keep-alive, JSON errors, the in-process timer worker and its heartbeat on /health."""
from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.api_client import ApiClient
from tests.conftest import CONFORMANCE
from tests.integration.support import (ROOT, clean_env, dispose_app, free_port, http_json,
                                       issue_tokens, make_app, wait_for)

pytestmark = pytest.mark.timeout(120)

FAST_TIMERS = {"CLUEDESK_TIMERS_POLL_SECONDS": "1", "CLUEDESK_TIMERS_HEARTBEAT_SECONDS": "1"}


class Proc:
    """A `python -m engine.cli ...` subprocess whose output goes to a log file."""

    def __init__(self, args: list[str], url: str, log: Path, env: dict[str, str]):
        self.log = log
        self._log_file = open(log, "wb")
        self.popen = subprocess.Popen([sys.executable, "-m", "engine.cli", *args], cwd=ROOT,
                                      env=clean_env(url, **env), stdin=subprocess.DEVNULL,
                                      stdout=self._log_file, stderr=subprocess.STDOUT)

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, *, kill: bool = False) -> None:
        if self.alive():
            self.popen.kill() if kill else self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._log_file.close()


def health(base: str) -> dict:
    status, body = http_json("GET", f"{base}/api/v1/health", timeout=2)
    assert status in (200, 503), (status, body)
    return body


@pytest.fixture(scope="module")
def server(scratch, tmp_path_factory):
    """`cluedesk serve` on a free port over a committed SQLite scratch database."""
    url = scratch.create("sqlite")
    token = issue_tokens(url, ["designer"])["designer"]
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    proc = Proc(["serve", "--host", "127.0.0.1", "--port", str(port)], url, log, FAST_TIMERS)
    base = f"http://127.0.0.1:{port}"
    try:
        def up():
            assert proc.alive(), "server exited:\n" + proc.output()
            return health(base)
        try:
            wait_for(up, timeout=60, what="GET /api/v1/health")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- server output ---\n{proc.output()}") from None
        yield {"base": base, "port": port, "url": url, "token": token, "proc": proc}
    finally:
        proc.stop()


def test_health_reports_the_in_process_scheduler_running(server):
    body = wait_for(lambda: (lambda b: b if b["scheduler"] == "running" else None)(
        health(server["base"])), timeout=20, what="scheduler running")
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert server["proc"].alive()


def test_keep_alive_two_requests_over_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=5)
    try:
        conn.request("GET", "/api/v1/health")
        first = conn.getresponse()
        first_body = json.loads(first.read())
        assert first.status == 200 and first_body["status"] == "ok"
        assert first.version == 11, "the server must speak HTTP/1.1"
        assert (first.getheader("Connection") or "").lower() != "close"
        assert conn.sock is not None, "the server closed the connection after one request"
        local = conn.sock.getsockname()

        conn.request("GET", "/api/v1/process-definitions",
                     headers={"Authorization": f"Bearer {server['token']}"})
        second = conn.getresponse()
        second_body = json.loads(second.read())
        assert second.status == 200, second_body
        assert isinstance(second_body, list)
        assert (second.getheader("Connection") or "").lower() != "close"
        assert conn.sock is not None and conn.sock.getsockname() == local, \
            "the second request went over a new connection"
    finally:
        conn.close()


def test_server_is_not_the_werkzeug_development_server(server):
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=5)
    try:
        conn.request("GET", "/api/v1/health")
        resp = conn.getresponse()
        resp.read()
        header = resp.getheader("Server") or ""
        assert "werkzeug" not in header.lower(), header
        assert "python" not in header.lower(), header  # Werkzeug says "Werkzeug/x Python/y"
    finally:
        conn.close()


def _get(server, path):
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp, resp.read().decode("utf-8", errors="replace")
    finally:
        conn.close()


def test_unknown_page_gives_an_html_404_page(server):
    resp, raw = _get(server, "/no-such-page")
    assert resp.status == 404 and resp.getheader("Content-Type").startswith("text/html")
    assert 'data-code="not_found"' in raw and "Traceback" not in raw


def test_unknown_api_url_gives_json_404_envelope(server):
    resp, raw = _get(server, "/api/v1/no-such-endpoint")
    assert resp.status == 404, raw
    assert (resp.getheader("Content-Type") or "").startswith("application/json"), raw
    body = json.loads(raw)
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == "not_found"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in raw and "File \"" not in raw


def test_serve_runs_due_timers_in_process(server):
    """The worker inside `serve` fires a timer that is due by the real clock (PT0.002S)."""
    base, token = server["base"], server["token"]
    xml = (CONFORMANCE / "boundary_timer_on_task.bpmn").read_bytes()
    status, body = http_json("POST", f"{base}/api/v1/process-definitions", token=token,
                             body=xml, content_type="application/xml")
    assert status in (200, 201), body
    status, inst = http_json("POST", f"{base}/api/v1/process-instances", token=token,
                             body={"process_key": "test_timer"})
    assert status == 201, inst

    def fired():
        s, b = http_json("GET", f"{base}/api/v1/process-instances/{inst['id']}", token=token)
        return b if s == 200 and b["data"].get("timer_called") is True else None
    after = wait_for(fired, timeout=15, what="the boundary timer to fire")
    [task] = after["ready_tasks"]
    status, done = http_json("POST", f"{base}/api/v1/tasks/{task['id']}/complete", token=token,
                             body={"data": {}, "version": task["version"]})
    assert status == 200, done
    status, final = http_json("GET", f"{base}/api/v1/process-instances/{inst['id']}", token=token)
    assert final["status"] == "completed"


def test_standalone_scheduler_heartbeat_then_stale_after_kill(backend, scratch, tmp_path):
    url = scratch.create(backend)
    app = make_app(url, timers={"heartbeat_stale_seconds": 2})
    client = app.test_client()
    api = ApiClient(client, issue_tokens(url, ["designer"]), "designer")

    def scheduler_state() -> str:
        resp = client.get("/api/v1/health")
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["scheduler"]

    proc = None
    try:
        assert scheduler_state() == "stopped"
        # Something for the worker to do: a timer due by the real clock.
        xml = (CONFORMANCE / "boundary_timer_on_task.bpmn").read_bytes()
        assert api.deploy(xml, "boundary_timer_on_task.bpmn").status == 201
        inst = api.start("test_timer").json

        proc = Proc(["scheduler"], url, tmp_path / "scheduler.log", FAST_TIMERS)

        def running():
            assert proc.alive(), "scheduler exited:\n" + proc.output()
            return scheduler_state() == "running"
        try:
            wait_for(running, timeout=60, what="health to report the scheduler running")
            wait_for(lambda: api.get(f"/process-instances/{inst['id']}")
                     .json["data"].get("timer_called") is True,
                     timeout=15, what="the standalone worker to fire the timer")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- scheduler output ---\n{proc.output()}") from None

        proc.stop(kill=True)  # a crash: no chance to say goodbye
        wait_for(lambda: scheduler_state() == "stopped", timeout=15,
                 what="health to report the scheduler stopped")
    finally:
        if proc is not None:
            proc.stop(kill=True)
        dispose_app(app)


# --- gunicorn (README "Production"): the same app behind gthread workers -----------------------

class Gunicorn(Proc):
    """`gunicorn -c gunicorn.conf.py` (the repository's settings) on a free port."""

    def __init__(self, url: str, port: int, log: Path, *, workers: int = 2, **env: str):
        self.log = log
        self._log_file = open(log, "wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "-b", f"127.0.0.1:{port}", "-w", str(workers)],
            cwd=ROOT, env=clean_env(url, **env), stdin=subprocess.DEVNULL,
            stdout=self._log_file, stderr=subprocess.STDOUT)

    def workers(self) -> set[int]:
        """The master's child processes now (its workers; their script workers are theirs)."""
        pid = self.popen.pid
        children: set[int] = set()
        for task in Path(f"/proc/{pid}/task").iterdir():
            children.update(int(c) for c in (task / "children").read_text().split())
        return children


def _keep_alive_get(port: int, paths: list[str], token: str) -> list[tuple[int, Any, str]]:
    """GET each path over ONE connection; (status, JSON body, Server header) each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    try:
        local = None
        for path in paths:
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            resp = conn.getresponse()
            out.append((resp.status, json.loads(resp.read()), resp.getheader("Server") or ""))
            assert resp.version == 11
            assert conn.sock is not None, f"the server closed the connection after {path}"
            local = local or conn.sock.getsockname()
            assert conn.sock.getsockname() == local, "a request went over a new connection"
    finally:
        conn.close()
    return out


@pytest.mark.timeout(180)
def test_gunicorn_serves_the_api_with_keep_alive_and_restarts_gracefully(backend, scratch,
                                                                          tmp_path):
    url = scratch.create(backend)
    token = issue_tokens(url, ["designer"])["designer"]
    port = free_port()
    proc = Gunicorn(url, port, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        def up():
            assert proc.alive(), "gunicorn exited:\n" + proc.output()
            return health(base)["database"] == "ok"
        try:
            wait_for(up, timeout=60, what="GET /api/v1/health through gunicorn")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- gunicorn output ---\n{proc.output()}") from None
        assert "gthread" in proc.output().lower(), proc.output()

        [(s1, h, server1), (s2, defs, _)] = _keep_alive_get(
            port, ["/api/v1/health", "/api/v1/process-definitions"], token)
        assert s1 == 200 and h["status"] == "ok", h
        # No timer worker inside the web workers: that is `cluedesk scheduler`'s job here.
        assert h["scheduler"] == "stopped", h
        assert s2 == 200 and isinstance(defs, list), defs
        assert "gunicorn" in server1.lower() and "werkzeug" not in server1.lower(), server1

        # A real write through a worker: deploy, start, complete the first task.
        xml = (ROOT / "tests" / "bpmn" / "it_sequence.bpmn").read_bytes()
        status, body = http_json("POST", f"{base}/api/v1/process-definitions", token=token,
                                 body=xml, content_type="application/xml")
        assert status in (200, 201), body
        status, inst = http_json("POST", f"{base}/api/v1/process-instances", token=token,
                                 body={"process_key": "it_sequence"})
        assert status == 201, inst
        [task] = inst["ready_tasks"]
        status, done = http_json("POST", f"{base}/api/v1/tasks/{task['id']}/complete",
                                 token=token, body={"data": {}, "version": task["version"]})
        assert status == 200, done

        # Graceful restart: SIGHUP replaces every worker; the server keeps answering.
        before = proc.workers()
        assert len(before) == 2, before
        proc.popen.send_signal(signal.SIGHUP)
        wait_for(lambda: len(proc.workers()) == 2 and not proc.workers() & before,
                 timeout=60, what="gunicorn to replace its workers after SIGHUP")
        # New workers import the app before they accept: meanwhile a request waits in the
        # listen backlog (none is refused), so give it the time an import takes on a busy box.
        status, again = http_json("GET", f"{base}/api/v1/process-instances/{inst['id']}",
                                  token=token, timeout=60)
        assert status == 200 and again["id"] == inst["id"], again
        assert proc.alive()

        proc.popen.send_signal(signal.SIGTERM)
        assert proc.popen.wait(timeout=60) == 0, proc.output()
        assert "Traceback" not in proc.output(), proc.output()
    finally:
        proc.stop(kill=True)


def test_gunicorn_refuses_a_published_secret_like_serve(scratch, tmp_path):
    url = scratch.create("sqlite")
    proc = Gunicorn(url, free_port(), tmp_path / "gunicorn.log", workers=1,
                    CLUEDESK_SERVER_SECRET_KEY="")
    try:
        code = proc.popen.wait(timeout=60)
    finally:
        proc.stop(kill=True)
    out = proc.log.read_text(errors="replace")
    assert code != 0, out
    assert "refusing to start" in out and "secret_key" in out, out
    assert "Traceback" not in out, out
