"""tasks: an index of the open tasks in due order (the inbox of whoever sees many units)

A county supervisor's inbox (`GET /api/v1/tasks?scope=all`) sees the tasks of every unit below
the county and of every case handled or registered there. No index served that condition, so at
100,000 open tasks each page was a scan of the whole table and a sort (880 ms p95, bench/
RESULTS.md, issue 28). With the open tasks in due order the first page is the first rows of
this index that the supervisor may see. Schema only: the index is built from the rows.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_tasks_open_due", "tasks", ["due_at", "created_at", "id"],
                    postgresql_where=sa.text("status = 'open'"),
                    sqlite_where=sa.text("status = 'open'"))


def downgrade():
    op.drop_index("ix_tasks_open_due", table_name="tasks")
