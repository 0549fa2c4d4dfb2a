"""repeat_keys: the repeat check's candidate keys per petition, filled for existing petitions

The repeat check finds candidates by looking these keys up (the same surname or kind of post in
the same place, the same or a near full name) instead of building an index in every process.
Existing petitions get their keys here, computed by the code that writes them at registration
(engine/petitions/similarity.py `index_keys`).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 12:30:00
"""
import sqlalchemy as sa
from alembic import op

from engine.petitions.similarity import PetitionFeatures, index_keys

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BATCH = 2000


def _fill(conn) -> None:
    last = 0
    keys = sa.table("repeat_keys", sa.column("key"), sa.column("petition_id"))
    while True:
        rows = conn.execute(sa.text(
            "SELECT p.id, p.village, u.code FROM petitions p "
            "LEFT JOIN units u ON u.id = p.township_id WHERE p.id > :last ORDER BY p.id "
            f"LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return
        accused: dict[int, list[dict]] = {}
        for pid, name, post, unit in conn.execute(sa.text(
                "SELECT petition_id, name, post, unit FROM accused_persons "
                "WHERE petition_id > :first AND petition_id <= :last ORDER BY id"),
                {"first": last, "last": rows[-1][0]}):
            accused.setdefault(pid, []).append({"name": name, "post": post, "unit": unit})
        values = [{"key": key, "petition_id": pid}
                  for pid, village, township in rows
                  for key in sorted(index_keys(PetitionFeatures(
                      petition_id=pid, accused=accused.get(pid, []), township=township or "",
                      village=village or "")))]
        if values:
            conn.execute(keys.insert(), values)
        last = rows[-1][0]


def upgrade() -> None:
    op.create_table(
        'repeat_keys',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'],
                                name=op.f('fk_repeat_keys_petition_id_petitions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', 'petition_id', name=op.f('pk_repeat_keys')))
    with op.batch_alter_table('repeat_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repeat_keys_petition_id'), ['petition_id'],
                              unique=False)
    _fill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('repeat_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repeat_keys_petition_id'))
    op.drop_table('repeat_keys')
