"""test_runs: designers' test-runs kept in the database, so every web process can continue one

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('test_runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('process_key', sa.String(length=255), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('sources_checksum', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('now', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_runs'))
    )
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_runs_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_test_runs_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_runs_updated_at'))
        batch_op.drop_index(batch_op.f('ix_test_runs_owner'))
    op.drop_table('test_runs')
