"""Units, users, roles, passwords and API tokens."""
from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.errors import Invalid, NotFound, Unauthorized
from engine import notes
from engine.org.models import ROLES, ApiToken, LoginAttempt, Unit, User, UserRole

# Argon2id at OWASP's recommended configuration (Password Storage Cheat Sheet: 19 MiB, two
# passes, one lane: ~22 ms of one core), not argon2-cffi's default (64 MiB, three passes, four
# lanes: ~200 ms of every core on a busy 2-core machine, the slowest request under load). Hashes
# made with other parameters (earlier releases) still verify and are renewed at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def get_unit(session: Session, code: str) -> Unit:
    """The unit with this code."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound("unit %(unit)r not found", reason="unit_not_found", params={"unit": code},
                       fields={"unit": [notes.note("unknown_unit")]})
    return unit


def ensure_unit(session: Session, *, code: str, name: str, kind: str,
                parent_code: str | None) -> Unit:
    """Create the unit unless it exists (idempotent)."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is not None:
        return unit
    parent = get_unit(session, parent_code) if parent_code else None
    unit = Unit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def subtree_ids(session: Session, unit: Unit) -> list[int]:
    """The unit and every unit below it."""
    return list(session.scalars(select(Unit.id).where(Unit.path.startswith(unit.path))))


def units_of_kind(session: Session, kind: str) -> list[Unit]:
    """The active units of a kind (e.g. every township), by code."""
    return list(session.scalars(select(Unit).where(Unit.kind == kind, Unit.active.is_(True))
                                .order_by(Unit.code)))


def get_user(session: Session, username: str) -> User:
    """The user with this name."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("user %(user)r not found", reason="user_not_found", params={"user": username},
                       fields={"username": [notes.note("unknown_user")]})
    return user


def create_user(session: Session, *, username: str, roles: list[str], unit_code: str,
                password: str | None, now: datetime, actor: str = "system",
                display_name: str = "", demo_password: bool = False) -> User:
    """Create a user with roles in a unit; the password (policy-checked unless it is the demo
    loader's `demo_password`) is stored as an argon2 hash."""
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise Invalid("unknown role %(role)r; roles are %(roles)s", reason="user_role_unknown",
                      params={"role": bad[0], "roles": ", ".join(ROLES)},
                      fields={"role": [notes.note("unknown_role", role=bad[0])]})
    if not username or len(username) > 64:
        raise Invalid("username must be 1-64 characters", reason="username_length", fields={"username": [notes.note("invalid")]})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Invalid("user %(user)r exists", reason="user_exists", params={"user": username},
                      fields={"username": [notes.note("exists")]})
    if password and not demo_password:
        check_password(password, username=username)
    unit = get_unit(session, unit_code)
    user = User(username=username, display_name=display_name or username, unit_id=unit.id,
                password_hash=(_demo_hash(password) if demo_password else _hasher.hash(password))
                if password else None, created_at=now,
                role_rows=[UserRole(role=r) for r in dict.fromkeys(roles)])
    session.add(user)
    session.flush()
    audit.record(session, at=now, actor=actor, action="user_created",
                 detail={"username": username, "roles": sorted(set(roles)), "unit": unit_code})
    return user


@functools.lru_cache(maxsize=4)
def _demo_hash(password: str) -> str:
    """The demo users share one published password: hashed once per process, not ~0.1 s per user
    (the demo organisation's 37 users took 3.6 s, paid by every scratch database of the tests)."""
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User:
    """Check a password; the same error for an unknown user and a wrong password."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash:
        _hasher.hash(password)  # spend the same time either way
        raise Unauthorized("wrong username or password", reason="login_failed")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong username or password", reason="login_failed") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


# ------------------------------------------------------------------ passwords

MIN_PASSWORD_LENGTH = 10
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def _common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


def password_problem(password: str, *, username: str) -> Invalid | None:
    """Why a password may not be set: shorter than 10 characters, the user name, or in the
    shipped list of common passwords (engine/org/common_passwords.txt). None when it may."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return Invalid("the password needs at least %(min)s characters",
                       reason="password_too_short", params={"min": MIN_PASSWORD_LENGTH},
                       fields={"password": [notes.note("too_short")]})
    folded = password.strip().lower()
    if folded == (username or "").strip().lower():
        return Invalid("the password may not be the user name", reason="password_is_username",
                       fields={"password": [notes.note("is_username")]})
    if folded in _common_passwords():
        return Invalid("the password is one of the most common passwords; choose another",
                       reason="password_too_common", fields={"password": [notes.note("too_common")]})
    return None


def check_password(password: str, *, username: str) -> None:
    """Refuse (422) a password the policy does not allow."""
    problem = password_problem(password, username=username)
    if problem is not None:
        raise problem


def end_sessions(session: Session, user: User, *, revoke_tokens: bool, now: datetime) -> None:
    """End every browser session of the user at once (their cookies name an older generation)
    and, with `revoke_tokens`, revoke their API tokens."""
    user.session_generation = (user.session_generation or 0) + 1
    if revoke_tokens:
        session.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                               ApiToken.revoked_at.is_(None))
                        .values(revoked_at=now))


def set_password(session: Session, user: User, *, password: str, now: datetime, actor: str,
                 must_change: bool) -> None:
    """Store a new password (argon2) that the policy allows; the user's sessions end and their
    API tokens are revoked. `must_change`: they must choose another at next login (an
    administrator's reset)."""
    check_password(password, username=user.username)
    user.password_hash = _hasher.hash(password)
    user.must_change_password = must_change
    end_sessions(session, user, revoke_tokens=True, now=now)
    audit.record(session, at=now, actor=actor,
                 action="user_password_changed" if actor == user.username
                 else "user_password_reset", detail={"username": user.username})


def change_own_password(session: Session, *, user_id: int, current: str, new: str,
                        now: datetime) -> User:
    """A user changes their own password (the current one is checked first)."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise Unauthorized("authentication required", reason="login_required")
    try:
        _hasher.verify(user.password_hash or "", current)
    except (VerificationError, InvalidHashError):
        raise Invalid("the current password is wrong", reason="password_current_wrong",
                      fields={"current_password": [notes.note("wrong")]}) from None
    if new == current:
        raise Invalid("the new password must differ from the current one",
                      reason="password_unchanged", fields={"password": [notes.note("unchanged")]})
    set_password(session, user, password=new, now=now, actor=user.username, must_change=False)
    return user


# ------------------------------------------------------------------ login

@dataclass(frozen=True)
class LoginResult:
    user: User | None
    refused: str | None  # None, "wrong" or "throttled"
    wait_seconds: int = 0


FIRST_WAIT_SECONDS = 30
ATTEMPTS_KEPT = timedelta(days=1)


def _attempt(session: Session, name: str, source: str, now: datetime) -> LoginAttempt:
    """The failure counter of (name, source), created when absent (race-safe)."""
    stmt = select(LoginAttempt).where(LoginAttempt.username == name,
                                      LoginAttempt.source == source)
    row = session.scalar(stmt.with_for_update())
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginAttempt(username=name, source=source, failures=0, last_at=now)
            session.add(row)
    except IntegrityError:  # another request made it meanwhile
        row = session.scalar(stmt.with_for_update())
    return row


def login(session: Session, *, username: str, password: str, now: datetime, source: str = "",
          max_failures: int = 5, lock_minutes: int = 15, demo: bool = False) -> LoginResult:
    """Check a login, throttled per account name AND source address: after `max_failures`
    consecutive failures from one source on one name, that source waits (30 s, doubling per
    further failure, at most `lock_minutes`) before its next attempt on that name is checked.
    Unknown names are counted the same way, so the answers never tell whether an account
    exists, and nobody can lock a user out from another source. A correct but weak password
    (not in demo mode) logs in with `must_change_password` set. Failures are audited."""
    name, source = username[:64], (source or "-")[:64]
    stmt = select(LoginAttempt).where(LoginAttempt.username == name,
                                      LoginAttempt.source == source)
    waiting = session.scalar(stmt)
    if waiting is not None and waiting.wait_until is not None and waiting.wait_until > now:
        audit.record(session, at=now, actor=name, action="login_refused",
                     detail={"reason": "throttled", "source": source})
        return LoginResult(None, "throttled",
                           max(1, int((waiting.wait_until - now).total_seconds() + 0.999)))
    try:
        user = authenticate(session, username, password)
    except Unauthorized:
        row = _attempt(session, name, source, now)
        row.failures += 1
        row.last_at = now
        if row.failures >= max_failures:
            wait = min(FIRST_WAIT_SECONDS * 2 ** (row.failures - max_failures),
                       max(lock_minutes, 1) * 60)
            row.wait_until = now + timedelta(seconds=wait)
            audit.record(session, at=now, actor=name or "?", action="login_throttled",
                         detail={"source": source, "seconds": wait})
        audit.record(session, at=now, actor=name or "?", action="login_failed",
                     detail={"source": source})
        session.execute(delete(LoginAttempt).where(LoginAttempt.last_at < now - ATTEMPTS_KEPT))
        return LoginResult(None, "wrong")
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == name,
                                               LoginAttempt.source == source))
    if not demo and not user.must_change_password and \
            password_problem(password, username=user.username) is not None:
        user.must_change_password = True
    audit.record(session, at=now, actor=user.username, action="user_logged_in",
                 detail={"source": source})
    return LoginResult(user, None)


def logout(session: Session, *, user_id: int, now: datetime) -> None:
    """End the user's sessions (every browser: a copied cookie stops working too)."""
    user = session.get(User, user_id)
    if user is not None:
        end_sessions(session, user, revoke_tokens=False, now=now)
        audit.record(session, at=now, actor=user.username, action="user_logged_out")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, username: str, now: datetime) -> str:
    """Create an API token for the user; only its hash is stored."""
    user = get_user(session, username)
    token = "cd_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now))
    audit.record(session, at=now, actor="system", action="token_issued",
                 detail={"username": username})
    return token


def user_for_token(session: Session, token: str) -> User:
    """The active user holding this token."""
    user = session.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id).where(
        ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None),
        User.active.is_(True)))
    if user is None:
        raise Unauthorized("invalid or revoked token", reason="token_invalid")
    return user
