"""The search plan (engine.views.search: on PostgreSQL windows of the newest entries and the rest
of the table at once for a rare word; on SQLite a frequent word's entries walked newest first, a
few, more, then the rest, a rare word's matches at once; on both databases the visibility rule
on batches of the matches) returns exactly what the plain query returns: the newest matching entries the user may
see, newest first, ties by id. Tiny windows and batches so that a few dozen entries cross every
boundary."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from engine.org.models import Unit, User
from engine.search import query
from engine.search.models import SearchEntry
from engine.views import search as view
from tests.conftest import FROZEN


def _entries(session) -> User:
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    other = session.scalar(select(Unit.id).where(Unit.id != clerk.unit_id).limit(1))
    for i in range(40):
        session.add(SearchEntry(
            kind="petition", ref_id=900_000 + i, case_id=None,
            unit_id=other if i % 3 == 1 else clerk.unit_id,
            terms="鱼塘 承包" if i % 2 == 0 else "院墙 承包",
            updated_at=FROZEN - timedelta(minutes=i // 3)))  # ties in threes
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO search_fts (rowid, terms) SELECT id, terms "
                             "FROM search_entries WHERE ref_id >= 900000"))
    return clerk


@pytest.mark.parametrize("windows, rare, batch", [
    ((4, 4, 8, None), 0, 1),  # every window, batches of one
    ((4, 4, 8, None), 100, 2),  # the first window, then the rest at once
    ((5, None), 0, 3),
    ((1000, None), 0, 100),  # one window holds everything
])
def test_windows_return_what_the_plain_query_returns(runtime, backend, monkeypatch, windows,
                                                     rare, batch):
    monkeypatch.setattr(view, "WINDOWS", windows)
    monkeypatch.setattr(view, "RARE", rare)
    monkeypatch.setattr(view, "BATCH", batch)
    # SQLite: the walks as long as the windows, walking from `rare` matches (0: always).
    monkeypatch.setattr(view, "WALK", windows)
    monkeypatch.setattr(view, "WALK_FROM", rare)
    with runtime.uow() as uow:
        session = uow.session
        clerk = _entries(session)
        for q in ("鱼塘", "承包", "院墙 承包", "危房"):
            match = query.matches(session, q)
            for wanted in (1, 3, 7, 100):
                plain = session.execute(
                    select(SearchEntry.kind, SearchEntry.ref_id)
                    .where(match, view._seen(session, clerk))
                    .order_by(SearchEntry.updated_at.desc(), SearchEntry.id.desc())
                    .limit(wanted)).all()
                if backend == "postgresql":
                    planned = view._newest_seen_postgresql(session, clerk, match, wanted)
                else:
                    planned = view._newest_seen_sqlite(session, clerk, q, match, query.matches(
                        session, q, walk=True), wanted)
                assert [tuple(r) for r in planned] == [tuple(r) for r in plain], (q, wanted)
                if q == "危房":
                    assert planned == []
