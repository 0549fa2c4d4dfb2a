"""report rollup: counts per unit, local day and figure; the marker of a built rollup

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 13:00:00
"""
from datetime import datetime, UTC

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_counts',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('figure', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'unit_id', 'figure', 'key', name=op.f('pk_report_counts')))
    op.create_table(
        'report_rollup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_rollup')))
    # An empty database has an empty rollup: built, in the configured time zone. With data,
    # `cluedesk init-db` builds it (engine.reports.rollup.ensure).
    bind = op.get_bind()
    tables = ('cases', 'petitions', 'clues', 'deadlines', 'clarifications',
              'accusation_referrals', 'return_visits')
    if not any(bind.execute(sa.text(f'SELECT 1 FROM {t} LIMIT 1')).first() for t in tables):
        from engine.config import load_settings
        tz = str(load_settings().get('clock', 'timezone', default='Asia/Shanghai'))
        rollup = sa.table('report_rollup', sa.column('id', sa.Integer()),
                          sa.column('timezone', sa.String()),
                          sa.column('built_at', sa.DateTime(timezone=True)))
        op.bulk_insert(rollup, [{'id': 1, 'timezone': tz,
                                 'built_at': datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table('report_rollup')
    op.drop_table('report_counts')
