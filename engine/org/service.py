"""Units, users, roles, passwords and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.errors import Invalid, NotFound, Unauthorized
from engine.org.models import ROLES, ApiToken, Unit, User, UserRole

_hasher = PasswordHasher()


def get_unit(session: Session, code: str) -> Unit:
    """The unit with this code."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"unit {code!r} not found", fields={"unit": ["unknown unit"]})
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
        raise NotFound(f"user {username!r} not found", fields={"username": ["unknown user"]})
    return user


def create_user(session: Session, *, username: str, roles: list[str], unit_code: str,
                password: str | None, now: datetime, actor: str = "system",
                display_name: str = "") -> User:
    """Create a user with roles in a unit; the password is stored as an argon2 hash."""
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise Invalid(f"unknown role {bad[0]!r}; roles are {', '.join(ROLES)}",
                      fields={"role": [f"unknown role {bad[0]}"]})
    if not username or len(username) > 64:
        raise Invalid("username must be 1-64 characters", fields={"username": ["invalid"]})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Invalid(f"user {username!r} exists", fields={"username": ["already exists"]})
    unit = get_unit(session, unit_code)
    user = User(username=username, display_name=display_name or username, unit_id=unit.id,
                password_hash=_hasher.hash(password) if password else None, created_at=now,
                role_rows=[UserRole(role=r) for r in dict.fromkeys(roles)])
    session.add(user)
    session.flush()
    audit.record(session, at=now, actor=actor, action="user_created",
                 detail={"username": username, "roles": sorted(set(roles)), "unit": unit_code})
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """Check a password; the same error for an unknown user and a wrong password."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash:
        _hasher.hash(password)  # spend the same time either way
        raise Unauthorized("wrong username or password")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong username or password") from None
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    refused: str | None  # None, "wrong" or "throttled"


def login(session: Session, *, username: str, password: str, now: datetime,
          max_failures: int = 5, lock_minutes: int = 15) -> LoginResult:
    """Check a login; after `max_failures` consecutive failures the account refuses every
    attempt, right or wrong, for `lock_minutes`. Failures and lock-outs are audited."""
    user = session.scalar(select(User).where(User.username == username).with_for_update(of=User))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        _hasher.hash(password)  # the same time as a real check: no timing hint
        audit.record(session, at=now, actor=username[:64], action="login_refused",
                     detail={"reason": "throttled"})
        return LoginResult(None, "throttled")
    try:
        user = authenticate(session, username, password)
    except Unauthorized:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until = now + timedelta(minutes=lock_minutes)
                user.failed_logins = 0
                audit.record(session, at=now, actor=username[:64], action="user_locked_out",
                             detail={"minutes": lock_minutes})
        audit.record(session, at=now, actor=username[:64] or "?", action="login_failed")
        return LoginResult(None, "wrong")
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, at=now, actor=user.username, action="user_logged_in")
    return LoginResult(user, None)


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
        raise Unauthorized("invalid or revoked token")
    return user
