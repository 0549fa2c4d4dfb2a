"""tasks: an index of the step names

The inbox search matches a step's name: it lists the distinct names of the tasks (a few hundred,
one probe of this index each) and keeps those containing the search, instead of testing the name
of every task a supervisor may see on each of the page's counts (bench/RESULTS.md, issue 28).
Schema only: the index is built from the rows.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 08:00:00
"""
from alembic import op

revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_tasks_name", "tasks", ["name"])


def downgrade():
    op.drop_index("ix_tasks_name", table_name="tasks")
