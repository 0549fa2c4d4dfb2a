"""audit chain: chain_seq and hash (HMAC-SHA256) on audit_events; existing events are chained

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 12:00:00
"""
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_chain_seq'), ['chain_seq'])
    _chain_existing()


def _chain_existing() -> None:
    """Chain the events written before this migration, in id order, with today's key."""
    from engine.audit.chain import GENESIS, audit_key, digest
    from engine.config import load_settings
    from engine.db import JSONType, UTCDateTime

    key, _ = audit_key(load_settings())
    events = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('at', UTCDateTime),
                      sa.column('actor', sa.String), sa.column('action', sa.String),
                      sa.column('case_id', sa.Integer), sa.column('instance_id', sa.String),
                      sa.column('task_id', sa.String), sa.column('task_name', sa.String),
                      sa.column('detail', JSONType), sa.column('chain_seq', sa.Integer),
                      sa.column('hash', sa.String))
    bind = op.get_bind()
    previous, seq, updates = GENESIS, 0, []
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings():
        seq += 1
        ev = SimpleNamespace(**{**row, 'chain_seq': seq})
        previous = digest(key, previous, ev)
        updates.append({'b_id': row['id'], 'seq': seq, 'hash': previous})
    if updates:
        bind.execute(events.update().where(events.c.id == sa.bindparam('b_id'))
                     .values(chain_seq=sa.bindparam('seq'), hash=sa.bindparam('hash')), updates)


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_chain_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('chain_seq')
