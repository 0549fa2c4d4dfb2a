"""The database's full-text match of a search's terms (see `engine.search.terms.query`)."""
from __future__ import annotations

from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.orm import Session

from engine.search import terms
from engine.search.models import SearchEntry


def _fts5(wanted) -> str:
    # FTS5: each term quoted (terms hold only letters and digits), `*` for a prefix.
    return " ".join(f'"{term}"' + ("*" if prefix else "") for term, prefix in wanted)


def _rowids(expression: str):
    return select(text("rowid")).select_from(text("search_fts")).where(
        text("search_fts MATCH :expression").bindparams(expression=expression))


def matches(session: Session, q: str, *, walk: bool = False) -> ColumnElement[bool] | None:
    """A condition on `SearchEntry` true where every term of `q` matches (None: no terms).
    `walk` (SQLite): for a query that reads the entries in another index's order and keeps the
    matching ones; the matches are listed once and each entry looked up in that list, never
    each match looked up in the entries."""
    wanted = terms.query(q)
    if not wanted:
        return None
    if session.get_bind().dialect.name == "sqlite":
        # `id + 0` is no key: SQLite cannot read the entries by it, so it keeps the order.
        return (SearchEntry.id + 0 if walk else SearchEntry.id).in_(_rowids(_fts5(wanted)))
    expression = " & ".join(term + (":*" if prefix else "") for term, prefix in wanted)
    # The stored `to_tsvector('simple', terms)` (migration 0036), not mapped: SQLite has none.
    vector = literal_column(f"{SearchEntry.__tablename__}.terms_vector")
    return vector.op("@@")(func.to_tsquery("simple", expression))


def only_prefixes(q: str) -> bool:
    """Whether every term of `q` is a prefix (a single Han character, one Latin or digit word):
    PostgreSQL cannot estimate how many entries such a search matches."""
    wanted = terms.query(q)
    return bool(wanted) and all(prefix for _, prefix in wanted)


def sqlite_count(session: Session, q: str) -> int:
    """How many entries match every term of `q`, from SQLite's full-text index alone."""
    wanted = terms.query(q)
    if not wanted:
        return 0
    return session.scalar(select(func.count()).select_from(
        _rowids(_fts5(wanted)).subquery())) or 0
