"""Migration 0036 stores the search vector (PostgreSQL: a generated tsvector column with its GIN
index, replacing the index on the expression; SQLite: no change): search entries written before
it are found after it, on both databases, and downgrading keeps them found."""
from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from engine.org.models import User
from engine.schema import alembic_config
from engine.search import terms
from engine.views.search import search

CONTENT = "东村支书王秀英把村集体鱼塘低价承包给妻弟，承包款十二万元未入账。"


def _found(engine, q: str) -> list[str]:
    with Session(engine) as session:
        clerk = session.scalar(select(User).where(User.username == "clerk"))
        return [h["number"] for h in search(session, clerk, q)["items"]]


def _indexes(conn) -> set[str]:
    return set(conn.scalars(text(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'search_entries'")))


def test_entries_written_before_are_found_after(scratch, backend):
    url = scratch.create(backend)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    before = ScriptDirectory.from_config(cfg).get_revision("0036").down_revision
    engine = create_engine(url)
    command.downgrade(cfg, before)
    with engine.begin() as conn:
        clerk, unit = conn.execute(text(
            "SELECT id, unit_id FROM users WHERE username = 'clerk'")).one()
        conn.execute(text(
            "INSERT INTO petitions (id, number, channel, received_at, registered_at, "
            "registered_by_id, unit_id, anonymous, village, category, content, status, sealed, "
            "updated_at) VALUES (9036, 'OLD-36', 'letter', :t, :t, :c, :u, :f, '东村', 'other', "
            ":content, 'registered', :f, :t)"),
            {"t": "2026-01-05 09:00:00", "c": clerk, "u": unit, "f": False, "content": CONTENT})
        conn.execute(text(
            "INSERT INTO search_entries (id, kind, ref_id, unit_id, terms, updated_at) "
            "VALUES (9036, 'petition', 9036, :u, :terms, :t)"),
            {"u": unit, "t": "2026-01-05 09:00:00",
             "terms": terms.document("OLD-36", "王秀英", "东村", CONTENT)})
        if backend == "sqlite":
            conn.execute(text("INSERT INTO search_fts (rowid, terms) "
                              "SELECT id, terms FROM search_entries WHERE id = 9036"))
    command.upgrade(cfg, "head")
    if backend == "postgresql":
        with engine.connect() as conn:
            assert "ix_search_entries_terms_vector" in _indexes(conn)
            assert "ix_search_entries_fts" not in _indexes(conn)
            assert conn.scalar(text("SELECT terms_vector @@ to_tsquery('simple', '鱼塘') "
                                    "FROM search_entries WHERE id = 9036"))
    for q in ("鱼塘", "秀英 承包款", "old"):
        assert _found(engine, q) == ["OLD-36"], q
    assert _found(engine, "危房") == []
    command.downgrade(cfg, before)
    if backend == "postgresql":
        with engine.connect() as conn:
            assert "ix_search_entries_fts" in _indexes(conn)
            assert "ix_search_entries_terms_vector" not in _indexes(conn)
    command.upgrade(cfg, "head")
    assert _found(engine, "鱼塘") == ["OLD-36"]
    engine.dispose()
