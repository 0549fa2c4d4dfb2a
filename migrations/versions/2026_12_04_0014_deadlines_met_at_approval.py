"""deadlines: a proposal's clock is met at its approval, one row per starting event

Before this release `disposal_proposal` and `inquiry_report` were met when the caseworker
submitted the proposal or report, and every send-back started a second row. Now the approval
meets them (DEADLINES.md) and re-work runs against the first row. This migration mends the rows
already written: per starting event it keeps the first row, deletes the duplicates started by
send-backs, and sets the kept row's status from what actually happened (met at the approval,
still open under the open task, or cancelled); open tasks of running instances get the task
properties the new process versions carry, so the next completion follows the new rule.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 16:00:00
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None

# key -> (the task that works on it, the approval that meets it, a task that starts a new one)
RULES = {
    "disposal_proposal": ("propose_disposition", "approve_disposition", "review_shelved"),
    "inquiry_report": ("report_inquiry", "approve_inquiry_report", "plan_inquiry"),
}

deadlines = sa.table(
    "deadlines", sa.column("id", sa.Integer), sa.column("key", sa.String),
    sa.column("case_id", sa.Integer), sa.column("instance_id", sa.String),
    sa.column("task_id", sa.String), sa.column("started_at", sa.DateTime(timezone=True)),
    sa.column("due_at", sa.DateTime(timezone=True)), sa.column("warn_at", sa.DateTime(timezone=True)),
    sa.column("status", sa.String), sa.column("met_at", sa.DateTime(timezone=True)),
    sa.column("breached_at", sa.DateTime(timezone=True)), sa.column("extensions", sa.JSON),
    sa.column("updated_at", sa.DateTime(timezone=True)))
tasks = sa.table(
    "tasks", sa.column("id", sa.String), sa.column("instance_id", sa.String),
    sa.column("element_id", sa.String), sa.column("status", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("completed_at", sa.DateTime(timezone=True)),
    sa.column("due_at", sa.DateTime(timezone=True)), sa.column("warn_at", sa.DateTime(timezone=True)),
    sa.column("deadline_key", sa.String), sa.column("properties", sa.JSON))
audit = sa.table("audit_events", sa.column("id", sa.Integer), sa.column("action", sa.String),
                 sa.column("instance_id", sa.String), sa.column("task_id", sa.String))


def _utc(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _db(value, sqlite: bool):
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if sqlite else value


def episodes(ordered: list[dict], work: str, approve: str, restart: str) -> list[list[dict]]:
    """Split an instance's tasks (by creation) into starting events: a work task starts a new
    one unless it follows an approval (a send-back); a restart task always starts a new one."""
    found: list[list[dict]] = []
    previous = None
    for task in ordered:
        if task["element_id"] == restart:
            previous = restart
            continue
        if task["element_id"] == work and previous != approve:
            found.append([])
        if found:
            found[-1].append(task)
        previous = task["element_id"]
    return found


def mend(conn, now: datetime) -> dict:
    """Mend every case's rows of the keys in RULES; returns counts (for the tests)."""
    sqlite = conn.dialect.name == "sqlite"
    counts = {"merged": 0, "reopened": 0, "met_at_approval": 0, "cancelled": 0}
    for key, (work, approve, restart) in RULES.items():
        rows = [dict(r._mapping) for r in conn.execute(
            sa.select(deadlines).where(deadlines.c.key == key, deadlines.c.task_id.is_not(None))
            .order_by(deadlines.c.started_at, deadlines.c.id))]
        instance_ids = sorted({r["instance_id"] for r in rows if r["instance_id"]})
        for instance_id in instance_ids:
            # In creation order; tasks created at the same instant by the order of their
            # `task_created` audit events.
            created = sa.select(sa.func.min(audit.c.id)).where(
                audit.c.action == "task_created", audit.c.task_id == tasks.c.id,
                audit.c.instance_id == instance_id).scalar_subquery()
            ordered = [dict(t._mapping) for t in conn.execute(
                sa.select(tasks).where(tasks.c.instance_id == instance_id,
                                       tasks.c.element_id.in_((work, approve, restart)))
                .order_by(tasks.c.created_at, created, tasks.c.id))]
            for group in episodes(ordered, work, approve, restart):
                ids = {t["id"] for t in group}
                mine = [r for r in rows if r["task_id"] in ids]
                if not mine:
                    continue
                kept, duplicates = mine[0], mine[1:]
                extensions = [e for r in mine for e in (r["extensions"] or [])]
                breached_at = next((_utc(r["breached_at"]) for r in mine if r["breached_at"]),
                                   None)
                if duplicates:
                    conn.execute(sa.delete(deadlines).where(
                        deadlines.c.id.in_([r["id"] for r in duplicates])))
                    counts["merged"] += len(duplicates)
                last = group[-1]
                due = _utc(kept["due_at"])
                values = {"extensions": extensions, "updated_at": _db(now, sqlite)}
                if last["status"] == "open":
                    values.update(status="breached" if breached_at else "open", met_at=None,
                                  task_id=last["id"], breached_at=_db(breached_at, sqlite))
                    props = dict(last["properties"] or {})
                    props.update(deadline=key,
                                 deadline_met="approved" if last["element_id"] == approve
                                 else "later")
                    conn.execute(sa.update(tasks).where(tasks.c.id == last["id"]).values(
                        deadline_key=key, properties=props, due_at=kept["due_at"],
                        warn_at=kept["warn_at"]))
                    counts["reopened"] += 1
                elif last["element_id"] == approve and last["status"] == "completed":
                    met = _utc(last["completed_at"])
                    late = breached_at is not None or (due is not None and met > due)
                    values.update(status="breached" if late else "met",
                                  met_at=_db(met, sqlite), task_id=last["id"],
                                  breached_at=_db(breached_at or (due if late else None), sqlite))
                    counts["met_at_approval"] += 1
                elif last["status"] == "cancelled":
                    values.update(status="cancelled", met_at=None)
                    counts["cancelled"] += 1
                else:
                    continue
                conn.execute(sa.update(deadlines).where(deadlines.c.id == kept["id"])
                             .values(**values))
    return counts


def upgrade() -> None:
    mend(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    # The mended rows are the truth under either rule; nothing to undo.
    pass
