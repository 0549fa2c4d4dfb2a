"""A real `cluedesk serve` in a subprocess, on a free local port, for the keep-alive rows."""
from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _command() -> list[str]:
    """`cluedesk` next to this interpreter, else on PATH, else `python -m engine.cli`."""
    beside = Path(sys.executable).parent / "cluedesk"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("cluedesk")
    return [found] if found else [sys.executable, "-m", "engine.cli"]


def _healthy(port: int) -> bool:
    """True when GET /api/v1/health answers 200."""
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _wait_healthy(proc: subprocess.Popen, port: int, log_path: Path, timeout: float) -> None:
    """Poll /health until it answers; fail with the server log if the server dies or is slow."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"cluedesk serve exited with {proc.returncode}:\n"
                               + log_path.read_text(errors="replace")[-2000:])
        if _healthy(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"cluedesk serve not healthy after {timeout:.0f}s:\n"
                       + log_path.read_text(errors="replace")[-2000:])


@dataclass
class Served:
    port: int
    pid: int

    def rss_mb(self) -> float:
        """The server process's resident memory now (Linux /proc), in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc status")


@contextmanager
def serve(url: str, log_dir: Path, *, timeout: float = 60, env: dict | None = None,
          gunicorn: bool = False) -> Iterator[Served]:
    """Run `cluedesk serve` on `url` (or the production server: one gunicorn gthread worker
    with `gunicorn.conf.py`); yield its port and pid; terminate it on exit."""
    port = free_port()
    env = {**os.environ, "CLUEDESK_DATABASE_URL": url, "CLUEDESK_TIMERS_POLL_SECONDS": "3600",
           "CLUEDESK_TIMERS_HEARTBEAT_SECONDS": "3600", **(env or {})}
    log_path = log_dir / f"serve-{port}.log"
    with open(log_path, "wb") as log_file:
        command = ([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b",
                    f"{HOST}:{port}", "-w", "1"] if gunicorn else
                   [*_command(), "serve", "--host", HOST, "--port", str(port)])
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file,
                                stderr=subprocess.STDOUT)
        try:
            _wait_healthy(proc, port, log_path, timeout)
            yield Served(port, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
