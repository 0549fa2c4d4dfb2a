"""Move running instances to another version of their process (designers; audited)."""
from __future__ import annotations

from sqlalchemy import select

from engine.audit import service as audit
from engine.deadlines import service as deadlines
from engine.errors import Conflict, Invalid
from engine import notes
from engine.inbox.models import Task
from engine.org.models import User
from engine.processes import scripts
from engine.processes import service as processes
from engine.processes import store
from engine.processes.models import ProcessInstance
from engine.runtime import Runtime
from engine.timers.models import Timer
from engine.uow import UnitOfWork
from engine.workflow.adapter import Run
from engine.workflow.migration import MigrationRefused, migrate


def migrate_instances(uow: UnitOfWork, *, runtime: Runtime, instance_ids: list[str],
                      version: int, mapping: dict[str, str] | None = None, dry_run: bool = False,
                      user: User) -> list[dict]:
    """Move instances to `version` of their process; all or nothing unless `dry_run`."""
    session = uow.session
    now = runtime.clock.now()
    if not instance_ids:
        raise Invalid("name at least one instance", reason="migration_no_instance",
                      fields={"instance_ids": [notes.note("required")]})
    reports, refused = [], []
    for instance_id in dict.fromkeys(instance_ids):
        instance = store.lock_instance(session, runtime, instance_id)
        report = {"instance_id": instance.id, "process_key": instance.process_key,
                  "from_version": instance.version, "to_version": version, "missing": [],
                  "moved": {}, "reset": [], "kept_timers": [], "status": "refused",
                  "message": ""}
        reports.append(report)
        if instance.status not in ("running", "error"):
            report["message"] = f"instance is {instance.status}"
            refused.append(report)
            continue
        target_def = processes.get_definition(session, instance.process_key, version)
        if target_def.id == instance.definition_id:
            report["message"] = f"instance is already on version {version}"
            refused.append(report)
            continue
        source = store.compiled_for(session, runtime, instance.definition_id)
        target = store.compiled_for(session, runtime, target_def.id)
        scripts.use(session, runtime)
        # Always from the saved state: the cached workflow is never changed by a dry run.
        run = Run.load(source, instance.state)
        try:
            moved, plan = migrate(run, target, mapping, now)
        except MigrationRefused as exc:
            report["missing"], report["message"] = exc.missing, str(exc)
            refused.append(report)
            continue
        report.update(missing=[], moved=plan.moved, reset=plan.reset,
                      kept_timers=plan.kept_timers,
                      status="would_migrate" if dry_run else "migrated")
        if dry_run:
            continue
        runtime.workflow_cache.pop(instance.id)
        _retarget_tasks(session, runtime, instance, target, plan.moved)
        instance.definition_id, instance.version = target_def.id, target_def.version
        audit.record(session, at=now, actor=user.username, action="instance_migrated",
                     case_id=instance.case_id, instance_id=instance.id,
                     detail={"key": instance.process_key, "from": report["from_version"],
                             "to": version, "mapping": dict(mapping or {}),
                             "reset": plan.reset})
        moved.step(now)  # re-arms reset timers; ready tasks come back with the new spec
        store.save(uow, runtime, instance, moved, actor=user.username, now=now)
    if refused and not dry_run:
        raise Conflict("%(refused)s", reason="migration_refused", params={"refused": "; ".join(
                           f"{r['instance_id']}: {r['message']}" for r in refused)},
                       details=[{"element_id": m, "line": None, "file_name": None,
                                 "message": f"{r['instance_id']}: {r['message']}"}
                                for r in refused for m in (r["missing"] or [None])])
    return reports


def _retarget_tasks(session, runtime: Runtime, instance: ProcessInstance, target,
                    moved: dict[str, str]) -> None:
    """Open inbox rows follow their element to the target: name, lane, properties, deadline;
    pending timer rows follow theirs (their due time is set again when the workflow is saved)."""
    for timer in session.scalars(select(Timer).where(Timer.instance_id == instance.id,
                                                     Timer.status == "pending")):
        timer.element_id = moved.get(timer.element_id, timer.element_id)
    for row in session.scalars(select(Task).where(Task.instance_id == instance.id,
                                                  Task.status == "open")):
        new_id = moved.get(row.element_id, row.element_id)
        info = target.human_tasks.get(new_id)
        if info is None:
            continue
        old_key = row.deadline_key
        row.element_id, row.name, row.lane = new_id, info["name"], info["lane"]
        row.properties = dict(info["properties"])
        new_key = info["properties"].get("deadline")
        if new_key != old_key:
            if old_key:
                deadlines.task_finished(session, runtime, row, completed=False)
            row.deadline_key = new_key
            if new_key:
                session.flush()
                deadlines.attach_task(session, runtime, row)
        row.version += 1
