"""Per-process caches of identifiers that never change once written (user ids to usernames,
unit ids to codes and back), so describing a task costs no query on a warm server."""
from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.org.models import Unit, User


class Names:
    def __init__(self):
        self._lock = threading.Lock()
        self._maps: dict[str, dict] = {"user": {}, "unit": {}, "unit_id": {}}

    def _lookup(self, session: Session, kind: str, keys, query) -> dict:
        keys = {k for k in keys if k is not None}
        cached = self._maps[kind]
        missing = [k for k in keys if k not in cached]
        if missing:
            found = dict(session.execute(query(missing)).all())
            with self._lock:
                cached.update(found)
        return {k: cached.get(k) for k in keys}

    def usernames(self, session: Session, ids) -> dict[int, str]:
        return self._lookup(session, "user", ids,
                            lambda m: select(User.id, User.username).where(User.id.in_(m)))

    def unit_codes(self, session: Session, ids) -> dict[int, str]:
        return self._lookup(session, "unit", ids,
                            lambda m: select(Unit.id, Unit.code).where(Unit.id.in_(m)))

    def unit_id(self, session: Session, code: str) -> int | None:
        return self._lookup(session, "unit_id", [code],
                            lambda m: select(Unit.code, Unit.id).where(Unit.code.in_(m))).get(code)
