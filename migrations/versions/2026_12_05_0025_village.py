"""village power: village matters (四议两公开 and the micro-power list), their meetings, steps
and rule overrides; disclosure items (村务公开). New tables only: nothing to fill.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 12:30:00
"""
from alembic import op
import sqlalchemy as sa

from engine.db import JSONType, UTCDateTime

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'village_matters',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('number', sa.String(64), nullable=False, unique=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False, index=True),
        sa.Column('kind', sa.String(32), nullable=False, index=True),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('facts', JSONType, nullable=False),
        sa.Column('status', sa.String(16), nullable=False, index=True),
        sa.Column('instance_id', sa.String(36), index=True),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False, index=True),
        sa.Column('updated_at', UTCDateTime, nullable=False),
        sa.Column('finished_at', UTCDateTime))
    op.create_table(
        'village_meetings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('matter_id', sa.Integer(), sa.ForeignKey('village_matters.id'), nullable=False,
                  index=True),
        sa.Column('step', sa.String(64), nullable=False),
        sa.Column('body', sa.String(100), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('members', sa.Integer(), nullable=False),
        sa.Column('present', sa.Integer(), nullable=False),
        sa.Column('votes_for', sa.Integer(), nullable=False),
        sa.Column('votes_against', sa.Integer(), nullable=False),
        sa.Column('votes_abstain', sa.Integer(), nullable=False),
        sa.Column('quorum_met', sa.Boolean(), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('resolution', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False))
    op.create_table(
        'village_steps',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('matter_id', sa.Integer(), sa.ForeignKey('village_matters.id'), nullable=False,
                  index=True),
        sa.Column('step', sa.String(64), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('outcome', sa.String(16), nullable=False),
        sa.Column('facts', JSONType, nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('at', UTCDateTime, nullable=False))
    op.create_table(
        'village_overrides',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('matter_id', sa.Integer(), sa.ForeignKey('village_matters.id'), nullable=False,
                  index=True),
        sa.Column('rule', sa.String(64), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('at', UTCDateTime, nullable=False),
        sa.Column('clue_id', sa.Integer(), sa.ForeignKey('clues.id')),
        sa.Column('used_at', UTCDateTime))
    op.create_table(
        'disclosure_items',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('number', sa.String(64), nullable=False, unique=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False, index=True),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('matter_id', sa.Integer(), sa.ForeignKey('village_matters.id')),
        sa.Column('accused_name', sa.String(100), nullable=False),
        sa.Column('name_publicly', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False, index=True),
        sa.Column('instance_id', sa.String(36), index=True),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False, index=True),
        sa.Column('approved_by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('approved_at', UTCDateTime),
        sa.Column('withdrawn_at', UTCDateTime),
        sa.Column('withdrawn_reason', sa.Text(), nullable=False))


def downgrade() -> None:
    for table in ('disclosure_items', 'village_overrides', 'village_steps', 'village_meetings',
                  'village_matters'):
        op.drop_table(table)
