"""supervision_documents: the inspection notice, rectification notice and rectification report
generated for an inspection or a finding (issue 25 point 6); a new table, no existing rows

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'supervision_documents',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('inspection_id', sa.Integer(), sa.ForeignKey('inspections.id'), nullable=False,
                  index=True),
        sa.Column('finding_id', sa.Integer(), sa.ForeignKey('inspection_findings.id'),
                  nullable=True, index=True),
        sa.Column('template_key', sa.String(64), nullable=False),
        sa.Column('template_version', sa.Integer(), nullable=False),
        sa.Column('template_sha256', sa.String(64), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(64), nullable=False),
        sa.Column('task_id', sa.String(36), nullable=True),
        sa.Column('docx_key', sa.String(100), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('pdf_key', sa.String(100), nullable=True),
        sa.Column('pdf_sha256', sa.String(64), nullable=True),
        sa.Column('generated_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('supervision_documents')
