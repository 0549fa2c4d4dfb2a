"""jobs.priority: work a person waits for runs before work nobody waits for

A worker takes the queued job of the lowest priority first, then the oldest. 0 is what a person
asked for (a ledger export, a document or a dossier from a button, the disclosure export); 1 is
what the engine queued by itself (a step's document after its completion, the dossier a case's
conclusion or archiving freezes), which must not hold up what someone is waiting for. Existing rows
become 0 (all of them were asked for, or are already done).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('priority')
