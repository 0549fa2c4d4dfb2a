"""cases: an index of the cases on the supervised list (督办)

The inbox's supervised tab is counted on every inbox page: the tasks of cases whose
`supervised_at` is set. Without an index that was a scan of every case (124 ms a page at
1,000,000 cases, bench/RESULTS.md, issue 28); the list is a few cases among many, so a partial
index of them is small. Schema only: the index is built from the rows.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_cases_supervised", "cases", ["id"],
                    postgresql_where=sa.text("supervised_at IS NOT NULL"),
                    sqlite_where=sa.text("supervised_at IS NOT NULL"))


def downgrade():
    op.drop_index("ix_cases_supervised", table_name="cases")
