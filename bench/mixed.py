"""Mixed load (issue 28 point 3): an agency's day against gunicorn on PostgreSQL.

    .venv/bin/python -m bench.mixed [--tasks 1000000] [--instances 10000] [--users 10,50,100]
                                    [--duration 120]

1. A scratch PostgreSQL database (`bench.scratch`): `cluedesk init-db`, `deploy` (bpmn/ and
   chain20), `demo --no-samples`, `bench-seed --tasks N` (N seeded cases, each with its petition,
   open task and deadline), then `--instances` real running chain20 instances (their tasks are
   what the load completes, and every completion is a real engine step).
2. gunicorn with `gunicorn.conf.py` (2 gthread workers) on a free port of 127.0.0.1, warmed up
   (each worker builds its repeat-check index on its first check).
3. Locust headless (`bench/locustfile.py`: the request mix) with 10, 50 and 100 users, each for
   `--duration` seconds; per kind of request: requests/s, p50/p95/p99, failures; the server's
   CPU (gunicorn master, workers and their script workers: cores used) and peak RSS.
4. `cluedesk reports verify` and `cluedesk audit verify` must come back clean.

Locust may live in another virtual environment (it pins its own Flask): set LOCUST to its
`locust` executable, else `locust` beside this interpreter or on PATH is used. Load tool, server
and database share this machine's cores; the load average is printed with each level.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench import scratch
from bench.common import CHAIN_FILE, PROCESS_KEY, ROOT, log
from bench.server import HOST, free_port

CASEWORKERS = {"a-worker": "town-a", "a-worker2": "town-a", "b-worker": "town-b"}
SUPERVISORS = {"a-head": ("town-a", ["a-worker", "a-worker2"]), "b-head": ("town-b", ["b-worker"])}
CLERKS = ["clerk"]


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUEDESK_")}
    env.update({"CLUEDESK_DATABASE_URL": url, "CLUEDESK_LOCAL_CONFIG": "",
                "CLUEDESK_SERVER_DEMO": "true",
                "CLUEDESK_SERVER_SECRET_KEY": secrets.token_urlsafe(32),
                "CLUEDESK_AUDIT_KEY": secrets.token_urlsafe(32),
                "CLUEDESK_TIMERS_POLL_SECONDS": "3600", "PYTHONUNBUFFERED": "1"})
    return env


def _cli(env: dict, *args: str, timeout: float = 3600) -> str:
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"cluedesk {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


def seed(env: dict, tasks: int, instances: int) -> dict:
    """The database for the run; returns what the Locust users need (tokens, ids)."""
    from sqlalchemy import bindparam, text

    from engine.org.service import issue_token
    from engine.runtime import Runtime
    from web import create_app

    began = time.monotonic()
    _cli(env, "init-db")
    _cli(env, "deploy")
    _cli(env, "deploy", str(CHAIN_FILE))
    _cli(env, "demo", "--no-samples")
    log(f"mixed: bench-seed --tasks {tasks:,} (load {os.getloadavg()[0]:.1f})")
    _cli(env, "bench-seed", "--tasks", str(tasks))
    log(f"mixed: seeded in {time.monotonic() - began:.0f} s")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        app = create_app(runtime=Runtime.from_config())
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    runtime = app.extensions["cluedesk"]
    try:
        users = [*CASEWORKERS, *SUPERVISORS, *CLERKS, "designer"]
        tokens = {u: runtime.transact(lambda uow, u=u: issue_token(
            uow.session, username=u, now=runtime.clock.now())) for u in users}
        client = app.test_client()
        began = time.monotonic()
        # Only a process designer starts a process by key, and a lane-less task is offered to
        # the instance's starter: the instances are then handed to the caseworkers in turn (as
        # if each had started them), so their tasks are the caseworkers' own.
        ready: dict[str, list] = {u: [] for u in CASEWORKERS}
        owners = sorted(CASEWORKERS)
        handed: dict[str, list[str]] = {u: [] for u in CASEWORKERS}
        for number in range(instances):
            who = owners[number % len(owners)]
            resp = client.post("/api/v1/process-instances", json={"process_key": PROCESS_KEY},
                               headers={"Authorization": f"Bearer {tokens['designer']}"})
            if resp.status_code != 201:
                raise RuntimeError(f"starting chain20: {resp.status_code} {resp.get_json()}")
            ready[who] += [(t["id"], t["version"]) for t in resp.get_json()["ready_tasks"]]
            handed[who].append(resp.get_json()["id"])
            if number % 1000 == 999:
                log(f"mixed: {number + 1:,} running instances")
        with runtime.engine.begin() as conn:
            for who, ids in handed.items():
                uid = conn.execute(text("SELECT id FROM users WHERE username = :u"),
                                   {"u": who}).scalar()
                for first in range(0, len(ids), 1000):
                    chunk = ids[first:first + 1000]
                    conn.execute(text("UPDATE process_instances SET started_by_id = :u "
                                      "WHERE id IN :ids").bindparams(
                                          bindparam("ids", expanding=True)),
                                 {"u": uid, "ids": chunk})
                    conn.execute(text("UPDATE tasks SET candidate_user_id = :u "
                                      "WHERE instance_id IN :ids").bindparams(
                                          bindparam("ids", expanding=True)),
                                 {"u": uid, "ids": chunk})
        log(f"mixed: {instances:,} instances started in {time.monotonic() - began:.0f} s")
        probe_id, probe_version = ready["a-worker"][0]
        resp = client.post(f"/api/v1/tasks/{probe_id}/complete",
                           json={"data": {}, "version": probe_version},
                           headers={"Authorization": f"Bearer {tokens['a-worker']}"})
        if resp.status_code != 200:
            raise RuntimeError(f"a-worker cannot complete a chain20 task: {resp.status_code} "
                               f"{resp.get_json()}")
        ready["a-worker"][0] = next((t["id"], t["version"])
                                    for t in resp.get_json()["next_tasks"])
        with runtime.engine.connect() as conn:
            def sample(unit: str, role: str, what: str) -> list:
                return list(conn.execute(text(
                    f"SELECT t.{what} FROM tasks t JOIN units u ON u.id = t.candidate_unit_id "
                    "WHERE t.status = 'open' AND u.code = :unit AND t.candidate_role = :role "
                    "AND t.case_id IS NOT NULL ORDER BY t.id LIMIT 500"),
                    {"unit": unit, "role": role}).scalars())
            caseworkers = {u: {"ready": ready[u], "cases": sample(unit, "caseworker", "case_id")}
                           for u, unit in CASEWORKERS.items()}
            supervisors = {u: {"tasks": sample(unit, "caseworker", "id"), "assignees": names}
                           for u, (unit, names) in SUPERVISORS.items()}
        for who, mine in [*caseworkers.items(), *supervisors.items()]:
            if not mine.get("tasks", mine.get("cases")):
                raise RuntimeError(f"no seeded task for {who}'s unit")
        return {"password": "demo", "tokens": tokens,
                "caseworkers": caseworkers, "supervisors": supervisors, "clerks": CLERKS}
    finally:
        runtime.dispose()


# --- the server and its resources ----------------------------------------------------------------

def _tree(pid: int) -> list[int]:
    """pid and all its descendants now."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / ticks


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Sampler(threading.Thread):
    """Peak RSS of a process tree, sampled every second."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.peak = max(self.peak, _rss_mb(_tree(self.pid)))


def start_gunicorn(env: dict, port: int, log_path: Path, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                             "-b", f"{HOST}:{port}", "-w", str(workers)], cwd=ROOT, env=env,
                            stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + log_path.read_text(errors="replace"))
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn not healthy:\n" + log_path.read_text(errors="replace"))


def warm_up(base: str, data: dict, workers: int) -> None:
    """Each worker builds its repeat index on its first check: send checks (several at once, so
    every worker gets some) until a round answers quickly."""
    body = json.dumps({"channel": "letter", "reporter": {"anonymous": True},
                       "received_at": "2026-03-02T09:00:00+08:00", "accused": [],
                       "township": "town-a", "village": "东村", "category": "welfare_funds",
                       "content": "东村村委会主任虚报低保户名单"}).encode()

    def check() -> float:
        req = urllib.request.Request(f"{base}/api/v1/petitions/repeat-check", data=body,
                                     method="POST", headers={
                                         "Content-Type": "application/json",
                                         "Authorization": f"Bearer {data['tokens']['clerk']}"})
        t0 = time.perf_counter()
        urllib.request.urlopen(req, timeout=600).read()
        return time.perf_counter() - t0
    for attempt in range(10):
        times: list[float] = []
        threads = [threading.Thread(target=lambda times=times: times.append(check()))
                   for _ in range(workers * 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log(f"mixed: warm-up round {attempt + 1}: repeat checks up to {max(times):.1f} s")
        if max(times) < 5 or attempt >= 3:
            return


def locust_command() -> list[str]:
    found = os.environ.get("LOCUST") or (
        str(Path(sys.executable).parent / "locust")
        if (Path(sys.executable).parent / "locust").exists() else shutil.which("locust"))
    if not found:
        raise RuntimeError("Locust is not installed: pip install -e '.[bench]' (or set LOCUST)")
    return [found]


def refresh_ready(url: str, data: dict, data_path: Path) -> None:
    """Each level is a new Locust process: give it the caseworkers' open chain20 tasks as they
    are now (the previous level completed some)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for name, mine in data["caseworkers"].items():
                mine["ready"] = [list(row) for row in conn.execute(text(
                    "SELECT t.id, t.version FROM tasks t JOIN users u ON u.id = "
                    "t.candidate_user_id WHERE u.username = :u AND t.status = 'open' AND "
                    "t.process_key = :k ORDER BY t.created_at, t.id"),
                    {"u": name, "k": PROCESS_KEY})]
    finally:
        engine.dispose()
    data_path.write_text(json.dumps(data), encoding="utf-8")


def run_level(users: int, duration: int, base: str, data_path: Path, out: Path,
              server_pid: int) -> dict:
    prefix = out / f"u{users}"
    times = Path(f"{prefix}_times.tsv")
    env = {**os.environ, "CLUEDESK_MIXED_DATA": str(data_path), "CLUEDESK_MIXED_TIMES": str(times)}
    sampler = Sampler(server_pid)
    pids = _tree(server_pid)
    cpu0, wall0, load0 = _cpu_seconds(pids), time.monotonic(), os.getloadavg()[0]
    sampler.start()
    done = subprocess.run([*locust_command(), "-f", str(ROOT / "bench" / "locustfile.py"),
                           "--headless", "-u", str(users), "-r", str(max(1, users // 10)),
                           "--run-time", f"{duration}s", "--stop-timeout", "15",
                           "--host", base, "--csv", str(prefix), "--only-summary",
                           "--exit-code-on-error", "0", "--loglevel", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=duration + 300)
    sampler.stop.set()
    pids = _tree(server_pid)
    cpu = (_cpu_seconds(pids) - cpu0) / (time.monotonic() - wall0)
    load1 = os.getloadavg()[0]
    if done.returncode != 0:
        raise RuntimeError(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")
    kinds = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kinds.append({"name": row["Name"], "count": int(row["Request Count"]),
                          "failures": int(row["Failure Count"]),
                          "rps": float(row["Requests/s"]), "p50": row["50%"],
                          "p95": row["95%"], "p99": row["99%"]})
    failures_path = Path(f"{prefix}_failures.csv")
    failures = failures_path.read_text(encoding="utf-8") if failures_path.exists() else ""
    return {"users": users, "kinds": kinds, "cpu_cores": cpu, "rss_peak_mb": sampler.peak,
            "load": (load0, load1), "failures": failures, "after_ramp": after_ramp(times)}


def _percentile(ordered: list[float], share: float) -> int:
    """Nearest rank, as Locust counts (without its rounding to two figures)."""
    return round(ordered[max(0, math.ceil(len(ordered) * share) - 1)])


def after_ramp(times: Path) -> dict:
    """Per kind, the requests that started after the last log in ended: the steady state once
    every user is in, without the burst of password checks (argon2) of the ramp; and how many
    seconds of the run that leaves out."""
    rows = [(float(start), name, float(ms), failed == "1") for start, name, ms, failed in
            (line.split("\t") for line in times.read_text(encoding="utf-8").splitlines())]
    began = min((r[0] for r in rows), default=0)
    since = max((start + ms / 1000 for start, name, ms, _ in rows if name == "log in"),
                default=began)
    kinds: dict[str, list] = {}
    for start, name, ms, failed in rows:
        if start >= since:
            kinds.setdefault(name, []).append((ms, failed))
            kinds.setdefault("Aggregated", []).append((ms, failed))
    out = []
    for name in sorted(kinds, key=lambda n: (n == "Aggregated", n)):
        ordered = sorted(ms for ms, _ in kinds[name])
        out.append({"name": name, "count": len(ordered),
                    "failures": sum(failed for _, failed in kinds[name]),
                    **{f"p{int(q * 100)}": _percentile(ordered, q) for q in (0.5, 0.95, 0.99)}})
    return {"left_out_s": since - began, "kinds": out}


def render(levels: list[dict]) -> str:
    lines = ["| users | kind of request | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
             "|---|---|---|---|---|---|---|---|"]
    for level in levels:
        for k in level["kinds"]:
            lines.append(f"| {level['users']} | {k['name']} | {k['count']} | {k['rps']:.2f} | "
                         f"{k['p50']} | {k['p95']} | {k['p99']} | {k['failures']} |")
    lines += ["", "After the ramp: the requests that started once the last user had logged in "
              "(seconds of the run left out in brackets).", "",
              "| users | kind of request | requests | p50 ms | p95 ms | p99 ms | errors |",
              "|---|---|---|---|---|---|---|"]
    for level in levels:
        steady = level["after_ramp"]
        users = f"{level['users']} ({steady['left_out_s']:.0f} s)"
        for k in steady["kinds"]:
            lines.append(f"| {users} | {k['name']} | {k['count']} | {k['p50']} | {k['p95']} | "
                         f"{k['p99']} | {k['failures']} |")
    lines += ["", "| users | server CPU (cores used, of 2) | server peak RSS | load average "
              "(start → end) |", "|---|---|---|---|"]
    for level in levels:
        lines.append(f"| {level['users']} | {level['cpu_cores']:.2f} | "
                     f"{level['rss_peak_mb']:.0f} MiB | {level['load'][0]:.1f} → "
                     f"{level['load'][1]:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--users", default="10,50,100")
    parser.add_argument("--duration", type=int, default=120, help="seconds per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--out", help="keep Locust's CSV files here")
    args = parser.parse_args(argv)
    locust_command()
    if not scratch.postgres_reachable():
        raise SystemExit(f"PostgreSQL not reachable at {scratch.postgres_address()}")
    with tempfile.TemporaryDirectory(prefix="cluedesk-mixed-") as tmp_name, \
            scratch.postgres_database() as url:
        tmp = Path(tmp_name)
        out = Path(args.out) if args.out else tmp
        out.mkdir(parents=True, exist_ok=True)
        env = _env(url)
        data = seed(env, args.tasks, args.instances)
        data_path = tmp / "mixed.json"
        data_path.write_text(json.dumps(data), encoding="utf-8")
        port = free_port()
        base = f"http://{HOST}:{port}"
        server = start_gunicorn(env, port, out / "gunicorn.log", args.workers)
        levels = []
        try:
            warm_up(base, data, args.workers)
            for users in (int(u) for u in args.users.split(",")):
                refresh_ready(url, data, data_path)
                log(f"mixed: {users} users for {args.duration} s (load {os.getloadavg()[0]:.1f})")
                level = run_level(users, args.duration, base, data_path, out, server.pid)
                total = next(k for k in level["kinds"] if k["name"] == "Aggregated")
                log(f"mixed: {users} users: {total['count']} requests, "
                    f"{total['failures']} errors, "
                    f"CPU {level['cpu_cores']:.2f} cores, RSS {level['rss_peak_mb']:.0f} MiB")
                if level["failures"].count("\n") > 1:
                    log("mixed: failures:\n" + level["failures"][:3000])
                levels.append(level)
        finally:
            server.terminate()
            server.wait(timeout=60)
        verdicts = {what: _cli(env, what, "verify") for what in ("reports", "audit")}
        for what, said in verdicts.items():
            log(f"mixed: cluedesk {what} verify: {said.splitlines()[-1] if said else 'ok'}")
        print(render(levels))
        (out / "mixed.md").write_text(render(levels), encoding="utf-8")


if __name__ == "__main__":
    main()
