"""task comments (办理意见) and follow-up dates (提醒日期); a petition's stated reason for naming
no accused person (existing petitions without one get a note saying it was not asked for)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 12:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

# What petitions registered before the reason was required say.
NOT_ASKED = "登记时未要求说明（2026 年 12 月以前登记）"


def upgrade() -> None:
    op.create_table('task_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('task_name', sa.String(length=255), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_comments_task_id_tasks')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_task_comments_case_id_cases')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'],
                            name=op.f('fk_task_comments_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_task_comments_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_comments'))
    )
    with op.batch_alter_table('task_comments', schema=None) as batch_op:
        batch_op.create_index('ix_task_comments_case', ['case_id', 'id'], unique=False)
        batch_op.create_index('ix_task_comments_instance', ['instance_id', 'id'], unique=False)
    op.create_table('task_follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('remind_on', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_follow_ups_user_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_follow_ups_task_id_tasks'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_follow_ups'))
    )
    with op.batch_alter_table('task_follow_ups', schema=None) as batch_op:
        batch_op.create_index('ux_task_follow_ups_user_task', ['user_id', 'task_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_task_follow_ups_task_id'), ['task_id'], unique=False)
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_accused_reason', sa.Text(), nullable=True))
    petitions = sa.table('petitions', sa.column('id', sa.Integer),
                         sa.column('no_accused_reason', sa.Text))
    accused = sa.table('accused_persons', sa.column('petition_id', sa.Integer))
    op.execute(petitions.update()
               .where(~petitions.c.id.in_(sa.select(accused.c.petition_id)))
               .values(no_accused_reason=NOT_ASKED))


def downgrade() -> None:
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_column('no_accused_reason')
    with op.batch_alter_table('task_follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_follow_ups_task_id'))
        batch_op.drop_index('ux_task_follow_ups_user_task')
    op.drop_table('task_follow_ups')
    with op.batch_alter_table('task_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_task_comments_instance')
        batch_op.drop_index('ix_task_comments_case')
    op.drop_table('task_comments')
