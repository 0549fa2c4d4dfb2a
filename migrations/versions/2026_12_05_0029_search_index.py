"""search_entries: the search index of petitions, clues and cases, filled for existing records

One row per record with its search terms (character pairs of Han text, Latin and digit words:
see engine/search/terms.py); matched by SQLite FTS5 (the `search_fts` table, rowid = entry id)
or by PostgreSQL full-text search (a GIN index on to_tsvector('simple', terms)). Reporter fields
are never indexed.

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-05 13:00:00
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0027'
branch_labels = None
depends_on = None

# A frozen copy of engine/search/terms.document as of this revision.
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9]+|[a-z]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def document(*texts):
    seen = {}
    for value in texts:
        for run in _RUN.findall(unicodedata.normalize("NFKC", value or "").lower()):
            pairs = [run] if not _HAN.match(run) or len(run) == 1 else \
                [run[i:i + 2] for i in range(len(run) - 1)]
            for term in pairs:
                seen.setdefault(term, None)
    return " ".join(seen)


def upgrade():
    op.create_table(
        'search_entries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=True),
        sa.Column('terms', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('kind', 'ref_id'),
    )
    op.create_index('ix_search_entries_case_id', 'search_entries', ['case_id'])
    op.create_index('ix_search_entries_unit_id', 'search_entries', ['unit_id'])
    op.create_index('ix_search_entries_updated_at', 'search_entries', ['updated_at'])
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(terms, tokenize='unicode61')")
    else:
        op.execute("CREATE INDEX ix_search_entries_fts ON search_entries "
                   "USING gin (to_tsvector('simple', terms))")
    entries = sa.table('search_entries', sa.column('id', sa.Integer), sa.column('kind'),
                       sa.column('ref_id'), sa.column('case_id'), sa.column('unit_id'),
                       sa.column('terms'), sa.column('updated_at'))
    units = dict(bind.execute(sa.text("SELECT id, name FROM units")).all())
    accused = {}
    for petition_id, name, post, unit in bind.execute(sa.text(
            "SELECT petition_id, name, post, unit FROM accused_persons ORDER BY id")):
        accused.setdefault(petition_id, []).extend((name, post, unit))
    clue_people = {}
    rows = []
    for (pid, number, display, case_id, unit_id, township_id, village_unit_id, village, sealed,
         content, received_at) in bind.execute(sa.text(
            "SELECT id, number, display_number, case_id, unit_id, township_id, village_unit_id, "
            "village, sealed, content, received_at FROM petitions ORDER BY id")):
        rows.append({"kind": "petition", "ref_id": pid, "case_id": case_id, "unit_id": unit_id,
                     "updated_at": received_at, "terms": document(
                         number, display, *accused.get(pid, ()), units.get(township_id),
                         units.get(village_unit_id), village, None if sealed else content)})
    for (cid, number, display, case_id, unit_id, name, post, unit, summary,
         created_at) in bind.execute(
            sa.text("SELECT id, number, display_number, case_id, unit_id, accused_name, "
                    "accused_post, accused_unit, summary, created_at FROM clues ORDER BY id")):
        if case_id is not None:
            clue_people.setdefault(case_id, []).extend((name, post))
        rows.append({"kind": "clue", "ref_id": cid, "case_id": case_id, "unit_id": unit_id,
                     "updated_at": created_at,
                     "terms": document(number, display, name, post, unit, summary)})
    for case_id, number, display, handling, registered, created_at in bind.execute(sa.text(
            "SELECT id, number, display_number, handling_unit_id, registered_unit_id, created_at "
            "FROM cases ORDER BY id")):
        rows.append({"kind": "case", "ref_id": case_id, "case_id": case_id,
                     "unit_id": handling or registered, "updated_at": created_at,
                     "terms": document(number, display, *clue_people.get(case_id, ()))})
    for start in range(0, len(rows), 1000):
        op.bulk_insert(entries, rows[start:start + 1000])
    if sqlite:
        op.execute("INSERT INTO search_fts (rowid, terms) SELECT id, terms FROM search_entries")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_table('search_entries')
