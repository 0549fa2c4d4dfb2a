"""tasks: a task bound to one person carries the unit it is done for

Tasks offered to one person (a lane `user_from`, e.g. an investigator of a zone's team) used to
carry no unit, so no supervisor could see, list assignees for or reassign them. Open ones get
their case's handling unit, as new ones do (engine/access/case_units.unit_done_for).

Revision ID: 0014a
Revises: 0014
Create Date: 2026-12-04 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014a'
down_revision = '0014'
branch_labels = None
depends_on = None

tasks = sa.table("tasks", sa.column("id", sa.String), sa.column("case_id", sa.Integer),
                 sa.column("status", sa.String), sa.column("candidate_unit_id", sa.Integer),
                 sa.column("candidate_user_id", sa.Integer))
cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("handling_unit_id", sa.Integer))


def mend(conn) -> int:
    handling = sa.select(cases.c.handling_unit_id).where(
        cases.c.id == tasks.c.case_id).scalar_subquery()
    result = conn.execute(sa.update(tasks).where(
        tasks.c.status == "open", tasks.c.candidate_user_id.is_not(None),
        tasks.c.candidate_unit_id.is_(None), tasks.c.case_id.is_not(None))
        .values(candidate_unit_id=handling))
    return result.rowcount


def upgrade() -> None:
    mend(op.get_bind())


def downgrade() -> None:
    pass  # the unit is true either way
