"""The database's full-text match of a search's terms (see `engine.search.terms.query`)."""
from __future__ import annotations

from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.orm import Session

from engine.search import terms
from engine.search.models import SearchEntry


def matches(session: Session, q: str) -> ColumnElement[bool] | None:
    """A condition on `SearchEntry` true where every term of `q` matches (None: no terms)."""
    wanted = terms.query(q)
    if not wanted:
        return None
    if session.get_bind().dialect.name == "sqlite":
        # FTS5: each term quoted (terms hold only letters and digits), `*` for a prefix.
        expression = " ".join(f'"{term}"' + ("*" if prefix else "") for term, prefix in wanted)
        rowids = select(text("rowid")).select_from(text("search_fts")).where(
            text("search_fts MATCH :expression").bindparams(expression=expression))
        return SearchEntry.id.in_(rowids)
    expression = " & ".join(term + (":*" if prefix else "") for term, prefix in wanted)
    # The stored `to_tsvector('simple', terms)` (migration 0036), not mapped: SQLite has none.
    vector = literal_column(f"{SearchEntry.__tablename__}.terms_vector")
    return vector.op("@@")(func.to_tsquery("simple", expression))
