"""The script workers: a pool of processes that run BPMN scripts, conditions and timer expressions.

A script is untrusted code. The static policy and the budgets of `scripting` stop what they can
see; what they cannot (C-level work on huge inputs holding the interpreter lock, a crash of the
interpreter, memory blow-ups) must not reach the server. So every evaluation runs in a worker
process with Linux limits (CPU seconds, address space, no file writes, no new descriptors, no
child processes) and a seccomp filter that allows only computing: reading and writing its two
pipes, memory, clocks and exit (no file opens, sockets, processes, signals, limit changes).

A worker that breaches a limit, crashes, overruns its wall time or answers nonsense is killed and
replaced; only that evaluation fails (`ScriptRefused`: the instance goes to `error` naming the
element). Workers are started once and reused (one round trip per evaluation; a helper that reads
the database, such as `unit_name`, is one more round trip to the server process, which runs it).

Where the pool lives: one pool per server process (each web process and each timer worker has
its own, started on first use and after a fork), so its memory counts against that process:
at most `Limits.size` workers of `Limits.memory_mb` each.

Messages are length-prefixed JSON of the engine's serializer registry (`values.crossing`), so dates,
decimals, tuples and sets keep their types; the server never unpickles anything from a worker.
"""
from __future__ import annotations

import atexit
import math
import os
import resource
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from . import values

_HEADER = struct.Struct("!I")


@dataclass(frozen=True)
class Limits:
    size: int = 2                # workers per server process
    cpu_seconds: int = 2         # CPU time of one evaluation (RLIMIT_CPU)
    wall_seconds: float = 10.0   # wall time of one evaluation, helpers included
    memory_mb: int = 512         # address space of a worker (RLIMIT_AS)
    helper_calls: int = 10_000   # server-side helper calls of one evaluation
    start_seconds: float = 60.0  # time a new worker may take to start


# Only these system calls run in a worker once it has started (anything else fails with EPERM).
ALLOWED_SYSCALLS = [
    "read", "write", "readv", "writev", "close", "fstat", "newfstatat", "lseek",
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
    "futex", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
    "clock_gettime", "clock_getres", "gettimeofday", "time", "getrusage", "getpid", "gettid",
    "getrandom", "sched_yield", "exit", "exit_group",
]


class WorkerLost(Exception):
    """The worker died, overran or answered nonsense: it has been killed."""


class _Worker:
    def __init__(self, limits: Limits):
        self.limits = limits
        root = Path(__file__).resolve().parents[2]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "engine.workflow.sandbox", str(limits.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=root, close_fds=True, start_new_session=True)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)
        self.cpu = 0.0
        ready = self.receive(time.monotonic() + limits.start_seconds)
        if "ready" not in ready:
            self.kill()
            raise RuntimeError(f"script worker did not start: {ready.get('fatal', ready)}")
        self.cpu = float(ready["ready"])

    def send(self, message: dict | bytes) -> None:
        raw = message if isinstance(message, bytes) else values.encode(message)
        try:
            self.proc.stdin.write(_HEADER.pack(len(raw)) + raw)
            self.proc.stdin.flush()
        except OSError:
            raise WorkerLost(self.cause()) from None

    def _read(self, n: int, deadline: float) -> bytes:
        fd, chunks, have = self.proc.stdout.fileno(), [], 0
        while have < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.selector.select(remaining):
                raise WorkerLost(f"did not finish within {self.limits.wall_seconds:g} s")
            chunk = os.read(fd, n - have)
            if not chunk:
                raise WorkerLost(self.cause())
            chunks.append(chunk)
            have += len(chunk)
        return b"".join(chunks)

    def receive(self, deadline: float) -> dict:
        (n,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if n > values.MAX_FRAME:
            raise WorkerLost("sent a message too large")
        try:
            message = values.decode(self._read(n, deadline))
        except (ValueError, TypeError, KeyError):
            raise WorkerLost("sent a malformed message") from None
        if not isinstance(message, dict):
            raise WorkerLost("sent a malformed message")
        return message

    def limit_cpu(self) -> None:
        """This evaluation may use `cpu_seconds` more than the worker has used so far."""
        soft = math.ceil(self.cpu) + self.limits.cpu_seconds
        try:
            hard = resource.prlimit(self.proc.pid, resource.RLIMIT_CPU)[1]
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.prlimit(self.proc.pid, resource.RLIMIT_CPU, (soft, hard))
        except ProcessLookupError:
            pass  # it is gone: sending to it says so

    def cause(self) -> str:
        """Why the worker stopped, in words (after it has stopped)."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return "stopped answering"
        if code in (-signal.SIGXCPU, -signal.SIGKILL) and self.limits.cpu_seconds:
            return f"used more than {self.limits.cpu_seconds} s of processor time"
        if code < 0:
            name = signal.Signals(-code).name
            return f"crashed ({name})" if code != -signal.SIGSEGV else \
                "crashed (SIGSEGV: too deeply nested a value, or out of memory)"
        return f"exited (code {code})"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.selector.close()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


class Pool:
    """Workers of one server process; `evaluate` borrows one for a single round trip."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._idle: list[_Worker] = []
        self._count = 0
        self._cond = threading.Condition()
        self.replaced = 0  # workers killed and replaced (for tests and the log)
        self.pid = os.getpid()

    def _acquire(self) -> _Worker:
        with self._cond:
            while not self._idle and self._count >= self.limits.size:
                self._cond.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return _Worker(self.limits)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if not healthy:
            worker.kill()
            self.replaced += 1
            try:  # replace it now, so the pool stays whole for the next request
                worker = _Worker(self.limits)
            except Exception:
                with self._cond:
                    self._count -= 1
                    self._cond.notify()
                return
        with self._cond:
            self._idle.append(worker)
            self._cond.notify()

    def evaluate(self, request: dict):
        """One evaluation: the result (or the new data of a script); raises the script's error."""
        from .scripting import ScriptFailed, ScriptRefused, call_helper
        try:
            raw = values.encode(request)
        except values.TooDeep as exc:
            raise ScriptRefused(f"task data: {exc}") from None
        except (TypeError, ValueError) as exc:
            raise ScriptRefused(f"task data cannot be given to the script ({exc})") from None
        worker = self._acquire()
        healthy = False
        try:
            worker.limit_cpu()
            worker.send(raw)
            deadline = time.monotonic() + self.limits.wall_seconds
            calls = 0
            while True:
                reply = worker.receive(deadline)
                if "call" not in reply:
                    break
                calls += 1
                try:
                    if calls > self.limits.helper_calls:
                        raise ScriptRefused("too many helper calls")
                    answer = {"value": call_helper(reply["call"], reply.get("args"))}
                except ScriptRefused as exc:
                    answer = {"refused": exc.reason, "code": exc.code, "params": exc.params}
                except Exception as exc:  # a helper's own error goes back as the script's error
                    answer = {"failed": f"{type(exc).__name__}: {exc}"}
                worker.send(answer)
            worker.cpu = float(reply.get("cpu", worker.cpu))
            healthy = not reply.get("retire")
        except WorkerLost as exc:
            raise ScriptRefused(f"the script was stopped: it {exc}") from None
        finally:
            self._release(worker, healthy)
        for line in reply.get("printed") or []:
            _log_print(line)
        if "refused" in reply:
            raise ScriptRefused(str(reply["refused"]), reply.get("line"), reply.get("code"),
                                reply.get("params"))
        if "failed" in reply:
            raise ScriptFailed(str(reply["failed"]), reply.get("line"), reply.get("undefined"))
        return reply.get("result")

    def workers(self) -> list[_Worker]:
        with self._cond:
            return list(self._idle)

    def close(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for worker in idle:
            worker.kill()


def _log_print(line) -> None:
    from .scripting import log
    log.info("script print: %s", line)


_limits = Limits()
_pool: Pool | None = None
_pool_lock = threading.Lock()


def configure(**changes) -> Limits:
    """Change the limits (from the configuration, or small ones in tests); returns the old ones.
    The running pool is closed; the next evaluation starts one with the new limits."""
    global _limits, _pool
    with _pool_lock:
        old, _limits = _limits, replace(_limits, **changes)
        if _pool is not None:
            _pool.close()
            _pool = None
    return old


def use_settings(settings) -> None:
    """Take the limits of the `scripts:` section of the configuration (a new pool if they
    changed)."""
    wanted = {"size": int(settings.get("scripts", "workers")),
              "cpu_seconds": int(settings.get("scripts", "cpu_seconds")),
              "wall_seconds": float(settings.get("scripts", "wall_seconds")),
              "memory_mb": int(settings.get("scripts", "memory_mb"))}
    if any(getattr(_limits, k) != v for k, v in wanted.items()):
        configure(**wanted)


def pool() -> Pool:
    """This process's pool (a new one after a fork: workers belong to the process that started
    them)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = Pool(_limits)
        return _pool


@atexit.register
def _shutdown() -> None:
    if _pool is not None and _pool.pid == os.getpid():
        _pool.close()


# ---------------------------------------------------------------------------------------------
# The worker process


def _confine(memory_mb: int) -> None:
    """Limits and the system call filter: from here on the worker can only compute and talk."""
    from . import seccomp
    lib = seccomp.library()
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * mb, memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # (root ignores it: seccomp does not)
    resource.setrlimit(resource.RLIMIT_NOFILE, (3, 3))
    seccomp.allow_only(ALLOWED_SYSCALLS, lib)


def _worker_main(memory_mb: int) -> None:
    from datetime import timedelta, timezone

    from . import engine_clock, scripting

    out_fd, in_fd = os.dup(1), 0
    os.dup2(2, 1)  # a stray write to stdout must not corrupt the channel
    os.set_inheritable(out_fd, False)

    def send(message: dict) -> None:
        raw = values.encode(message)
        os.write(out_fd, _HEADER.pack(len(raw)) + raw)

    def read_exact(n: int) -> bytes:
        chunks, have = [], 0
        while have < n:
            chunk = os.read(in_fd, n - have)
            if not chunk:
                os._exit(0)  # the server closed the pipe: it is gone or closing the pool
            chunks.append(chunk)
            have += len(chunk)
        return b"".join(chunks)

    def receive() -> dict:
        (n,) = _HEADER.unpack(read_exact(_HEADER.size))
        return values.decode(read_exact(n))

    def remote(name):
        def helper(*args):
            send({"call": name, "args": list(args)})
            answer = receive()
            if "refused" in answer:
                raise scripting.ScriptRefused(str(answer["refused"]), code=answer.get("code"),
                                              params=answer.get("params"))
            if "failed" in answer:
                raise scripting.ScriptFailed(str(answer["failed"]))
            return answer.get("value")
        helper.__name__ = name
        return helper

    helpers = {**scripting.HELPERS, **{n: remote(n) for n in scripting.REMOTE_HELPERS}}
    # Everything an evaluation touches is loaded now: after `_confine` nothing can be opened.
    scripting.evaluate_here("exec", "x = [str(i).zfill(3) for i in range(3)]\ny = f'{x}' % ()",
                            {}, helpers=helpers)
    try:
        _confine(memory_mb)
    except Exception as exc:
        send({"fatal": f"{type(exc).__name__}: {exc}"})
        return
    send({"ready": time.process_time()})
    while True:
        request = receive()
        reply: dict = {}
        try:
            offset = timezone(timedelta(seconds=int(request.get("tz_offset") or 0)))
            scripting.use(scripting.ScriptContext(tz=offset))
            engine_clock._engine_now.set(request.get("now"))
            result, printed = scripting.evaluate_here(
                request["mode"], request["text"], request["data"], request.get("external"),
                helpers=helpers, policy=bool(request.get("policy", True)))
            values.depth(result)
            reply = {"result": result, "printed": printed}
        except scripting.ScriptRefused as exc:
            reply = {"refused": exc.reason, "line": exc.line, "code": exc.code,
                     "params": exc.params, "retire": exc.reason == "out of memory"}
        except scripting.ScriptFailed as exc:
            reply = {"failed": str(exc), "line": exc.line, "undefined": exc.undefined}
        except values.TooDeep as exc:
            reply = {"refused": str(exc)}
        except MemoryError:
            reply = {"refused": "out of memory", "retire": True}
        except BaseException as exc:  # SystemExit from an unchecked script, anything else
            reply = {"failed": f"{type(exc).__name__}: {exc}"[:2000], "retire": True}
        reply["cpu"] = time.process_time()
        try:
            send(reply)
        except (values.TooDeep, TypeError, ValueError, MemoryError) as exc:
            send({"refused": f"the result cannot be kept ({type(exc).__name__})",
                  "cpu": time.process_time(), "retire": isinstance(exc, MemoryError)})


if __name__ == "__main__":
    _worker_main(int(sys.argv[1]))
