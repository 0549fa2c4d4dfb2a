"""tasks: partial indexes of open tasks (by unit in page order; by instance)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 07:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_open_unit_due',
                              ['candidate_unit_id', 'due_at', 'created_at', 'id',
                               'candidate_role'], unique=False,
                              postgresql_where=sa.text("status = 'open'"),
                              sqlite_where=sa.text("status = 'open'"))
        batch_op.create_index('ix_tasks_open_instance', ['instance_id'], unique=False,
                              postgresql_where=sa.text("status = 'open'"),
                              sqlite_where=sa.text("status = 'open'"))


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_open_instance')
        batch_op.drop_index('ix_tasks_open_unit_due')
