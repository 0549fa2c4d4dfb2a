"""search_entries: a stored tsvector column, GIN-indexed with updated_at, on PostgreSQL (SQLite:
no change)

The index on the expression `to_tsvector('simple', terms)` let PostgreSQL find the matching
entries, but any plan that read entries in another order (the newest first, the cases a user
sees) recomputed the vector of every row it passed: at 1,000,000 petitions a search spent seconds
on it (bench/RESULTS.md, issue 21). The vector is now stored with the row, computed by
PostgreSQL itself when `terms` is written (a generated column, so the application writes `terms`
as before), and the GIN index is on the column and `updated_at` together (the `btree_gin`
extension, shipped with PostgreSQL and trusted: a database owner may create it), so "these words,
among the entries since then" is answered inside the index before any row is read (see
`engine.views.search`); the expression index it replaces is dropped. Adding the column computes
it for every existing entry (a rewrite of the table: about two minutes at 1,000,000 entries on
the development machine, the index included). Downgrading leaves the extension installed (it may
have been there before). SQLite keeps its FTS5 table `search_fts`.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 20:00:00
"""
from alembic import op

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute("ALTER TABLE search_entries ADD COLUMN terms_vector tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED")
    op.execute("CREATE INDEX ix_search_entries_terms_vector ON search_entries "
               "USING gin (terms_vector, updated_at)")
    op.execute("DROP INDEX ix_search_entries_fts")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_search_entries_fts ON search_entries "
               "USING gin (to_tsvector('simple', terms))")
    op.execute("DROP INDEX ix_search_entries_terms_vector")
    op.execute("ALTER TABLE search_entries DROP COLUMN terms_vector")
