"""daily supervision: inspections, findings, rectification entries and evidence, the
interference register; petitions' free-text village linked to village units where names match

Revision ID: 0015
Revises: 0014a
Create Date: 2026-12-04 16:00:00
"""
from alembic import op
import sqlalchemy as sa

from engine.db import JSONType, UTCDateTime

revision = '0015'
down_revision = '0014a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inspections',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('number', sa.String(64), nullable=False, unique=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False, index=True),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('targets', JSONType, nullable=False),
        sa.Column('inspectors', JSONType, nullable=False),
        sa.Column('planned_on', sa.Date()),
        sa.Column('status', sa.String(20), nullable=False, index=True),
        sa.Column('instance_id', sa.String(36), index=True),
        sa.Column('report', sa.Text(), nullable=False),
        sa.Column('carried_out_on', sa.Date()),
        sa.Column('approved_by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('approved_at', UTCDateTime),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False, index=True))
    op.create_table(
        'inspection_findings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('number', sa.String(64), nullable=False, unique=True),
        sa.Column('inspection_id', sa.Integer(), sa.ForeignKey('inspections.id'), nullable=False,
                  index=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False, index=True),
        sa.Column('supervising_unit_id', sa.Integer(), sa.ForeignKey('units.id')),
        sa.Column('category', sa.String(32), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('suggestion', sa.Text(), nullable=False),
        sa.Column('responsible_person', sa.String(100), nullable=False),
        sa.Column('time_limit_days', sa.Integer(), nullable=False),
        sa.Column('due_at', UTCDateTime),
        sa.Column('person_name', sa.String(100), nullable=False),
        sa.Column('person_post', sa.String(100), nullable=False),
        sa.Column('clue_id', sa.Integer(), sa.ForeignKey('clues.id')),
        sa.Column('status', sa.String(16), nullable=False, index=True),
        sa.Column('measures', sa.Text(), nullable=False),
        sa.Column('progress', sa.Text(), nullable=False),
        sa.Column('instance_id', sa.String(36), index=True),
        sa.Column('recurring', sa.Boolean(), nullable=False),
        sa.Column('closed_at', UTCDateTime, index=True),
        sa.Column('closed_by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('created_at', UTCDateTime, nullable=False, index=True),
        sa.Column('updated_at', UTCDateTime, nullable=False))
    op.create_table(
        'rectification_entries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('finding_id', sa.Integer(), sa.ForeignKey('inspection_findings.id'),
                  nullable=False, index=True),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('at', UTCDateTime, nullable=False))
    op.create_table(
        'rectification_evidence',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('finding_id', sa.Integer(), sa.ForeignKey('inspection_findings.id'),
                  nullable=False, index=True),
        sa.Column('file_name', sa.String(255), nullable=False),
        sa.Column('content_type', sa.String(100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('storage_key', sa.String(100), nullable=False, unique=True),
        sa.Column('uploaded_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('uploaded_at', UTCDateTime, nullable=False))
    op.create_table(
        'interference_entries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('number', sa.String(64), nullable=False, unique=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False, index=True),
        sa.Column('cadre_name', sa.String(100), nullable=False),
        sa.Column('cadre_unit', sa.String(200), nullable=False),
        sa.Column('cadre_post', sa.String(100), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False, index=True),
        sa.Column('form', sa.String(200), nullable=False),
        sa.Column('matter_kind', sa.String(32), nullable=False),
        sa.Column('matter', sa.Text(), nullable=False),
        sa.Column('handling', sa.Text(), nullable=False),
        sa.Column('clue_id', sa.Integer(), sa.ForeignKey('clues.id')),
        sa.Column('recorded_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False, index=True),
        sa.Column('updated_at', UTCDateTime, nullable=False),
        sa.Column('corrections', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('village_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_petitions_village_unit', 'units', ['village_unit_id'],
                                    ['id'])
    # Data: link each petition's free-text village to the village unit of that name below its
    # township (the rest stay unlinked; GET /api/v1/villages/unlinked lists them).
    op.execute("""
        UPDATE petitions SET village_unit_id = (
            SELECT u.id FROM units u, units t
            WHERE u.kind = 'village' AND t.id = petitions.township_id
              AND u.path LIKE t.path || '%' AND u.id <> t.id
              AND (u.name = petitions.village OR u.name = petitions.village || '村'
                   OR u.name || '村' = petitions.village)
            ORDER BY u.id LIMIT 1)
        WHERE village <> '' AND township_id IS NOT NULL""")


def downgrade() -> None:
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_petitions_village_unit', type_='foreignkey')
        batch_op.drop_column('village_unit_id')
    for table in ('interference_entries', 'rectification_evidence', 'rectification_entries',
                  'inspection_findings', 'inspections'):
        op.drop_table(table)
