"""The few calls of libseccomp (Debian's libseccomp2) the script workers need, through ctypes.

libseccomp is the maintained part: it knows every architecture's system call numbers and writes
the BPF program. Its own Python binding is built for Debian's system Python only and the PyPI
ctypes binding (pyseccomp) is unmaintained since 2021, so the four stable C calls are bound here.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno

ACT_ALLOW = 0x7FFF0000


def act_errno(code: int) -> int:
    return 0x00050000 | (code & 0x0000FFFF)


class SeccompUnavailable(RuntimeError):
    """libseccomp is not installed (install Debian's libseccomp2)."""


def library():
    """libseccomp, loaded (do this before limits on open files take effect)."""
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError:
        name = ctypes.util.find_library("seccomp")
        if name is None:
            raise SeccompUnavailable("libseccomp not found; install libseccomp2") from None
        lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add.restype = ctypes.c_int
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                     ctypes.c_uint]
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_load.restype = ctypes.c_int
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def allow_only(syscalls: list[str], lib=None) -> None:
    """Load a filter on this process: these system calls run, every other one fails with EPERM
    (opening files, sockets, new processes, signals to others, changing limits...)."""
    lib = lib or library()
    ctx = lib.seccomp_init(act_errno(errno.EPERM))
    if not ctx:
        raise SeccompUnavailable("seccomp_init failed")
    try:
        for name in syscalls:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                continue  # not a system call on this architecture
            rc = lib.seccomp_rule_add(ctx, ACT_ALLOW, number, 0)
            if rc < 0:
                raise SeccompUnavailable(f"seccomp_rule_add({name}) failed: {rc}")
        rc = lib.seccomp_load(ctx)
        if rc < 0:
            raise SeccompUnavailable(f"seccomp_load failed: {rc}")
    finally:
        lib.seccomp_release(ctx)
