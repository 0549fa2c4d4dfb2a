"""quality review rounds and items, manual evaluation scores of zones

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 16:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'quality_review_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('seed', sa.String(length=64), nullable=False),
        sa.Column('share', sa.Float(), nullable=False),
        sa.Column('checklist', sa.JSON(), nullable=False),
        sa.Column('pass_score', sa.Integer(), nullable=False),
        sa.Column('reviewers', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('drawn_by_id', sa.Integer(), nullable=False),
        sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('notified_by_id', sa.Integer(), nullable=True),
        sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['notified_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('unit_id', 'year', 'quarter'))
    op.create_index('ix_quality_review_rounds_unit_id', 'quality_review_rounds', ['unit_id'])
    op.create_index('ix_quality_review_rounds_status', 'quality_review_rounds', ['status'])
    op.create_table(
        'quality_review_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('checks', sa.JSON(), nullable=True),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('passed', sa.Boolean(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=True),
        sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rectification', sa.String(length=32), nullable=True),
        sa.Column('rectification_ref', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['round_id'], ['quality_review_rounds.id']),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.ForeignKeyConstraint(['reviewer_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id', 'kind', 'item_id'))
    op.create_index('ix_quality_review_items_round_id', 'quality_review_items', ['round_id'])
    op.create_index('ix_quality_review_items_case_id', 'quality_review_items', ['case_id'])
    op.create_index('ix_quality_review_items_unit_id', 'quality_review_items', ['unit_id'])
    op.create_table(
        'evaluation_scores',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('scored_by_id', sa.Integer(), nullable=False),
        sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.ForeignKeyConstraint(['scored_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('unit_id', 'period'))
    op.create_index('ix_evaluation_scores_unit_id', 'evaluation_scores', ['unit_id'])


def downgrade() -> None:
    op.drop_table('evaluation_scores')
    op.drop_table('quality_review_items')
    op.drop_table('quality_review_rounds')
