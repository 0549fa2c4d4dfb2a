"""documents: template versions, generated documents, dossiers

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-04 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document_templates',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(64), nullable=False, index=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('key', 'version'),
    )
    op.create_table(
        'documents',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=False,
                  index=True),
        sa.Column('template_key', sa.String(64), nullable=False),
        sa.Column('template_version', sa.Integer(), nullable=False),
        sa.Column('template_sha256', sa.String(64), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(64), nullable=False),
        sa.Column('task_id', sa.String(36), nullable=True),
        sa.Column('docx_attachment_id', sa.Integer(), sa.ForeignKey('attachments.id'),
                  nullable=False),
        sa.Column('pdf_attachment_id', sa.Integer(), sa.ForeignKey('attachments.id'),
                  nullable=True),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('revealed', sa.Boolean(), nullable=False),
        sa.Column('generated_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'dossiers',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=False,
                  index=True),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('pdf_attachment_id', sa.Integer(), sa.ForeignKey('attachments.id'),
                  nullable=True),
        sa.Column('zip_attachment_id', sa.Integer(), sa.ForeignKey('attachments.id'),
                  nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('pdf_sha256', sa.String(64), nullable=True),
        sa.Column('contents', sa.JSON(), nullable=True),
        sa.Column('built_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('dossiers')
    op.drop_table('documents')
    op.drop_table('document_templates')
