"""task_candidate_users: the people a task is offered to by name (BPMN candidateUsers)

A user task's `camunda:candidateUsers` (or Activiti's, Flowable's) offers it to those users:
any of them may see and claim it. Tasks created before this release were offered by lane or to
their starter only, so no existing row needs a candidate; the table starts empty.

Revision ID: 0027
Revises: 0025
Create Date: 2026-12-05 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'task_candidate_users',
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ondelete='CASCADE',
                                name=op.f('fk_task_candidate_users_task_id_tasks')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_task_candidate_users_user_id_users')),
        sa.PrimaryKeyConstraint('task_id', 'user_id', name=op.f('pk_task_candidate_users')))
    with op.batch_alter_table('task_candidate_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_candidate_users_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task_candidate_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_candidate_users_user_id'))
    op.drop_table('task_candidate_users')
