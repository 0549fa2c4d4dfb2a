"""test_runs.steps / history and test_cases: step back, and saved test-runs replayed after an edit

A test-run keeps each step it took (`steps`: the task's element id, the submitted data, or a
timer firing) and the serialized state before each (`history`), so the designer can step back
and take the other branch. `test_cases` holds test-runs saved by name per process (the steps
and what each met: the task and its deadline rows), replayed against a later draft. Existing
test-runs keep their state and start with no steps behind them (they cannot step back past
today).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 05:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('steps', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('history', sa.JSON(), nullable=True))
    op.execute("UPDATE test_runs SET steps = '[]', history = '[]'")
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.alter_column('steps', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('history', existing_type=sa.JSON(), nullable=False)
    op.create_table(
        'test_cases',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('process_key', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('steps', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_cases')),
        sa.UniqueConstraint('process_key', 'name', name=op.f('uq_test_cases_process_key')))


def downgrade() -> None:
    op.drop_table('test_cases')
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.drop_column('history')
        batch_op.drop_column('steps')
