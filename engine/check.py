"""`cluedesk check`: the invariants between serialized workflows, inbox rows, timer and deadline
rows, cases and the audit trail. An offline check: it deserializes every workflow."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from engine.audit import chain as audit_chain
from engine.audit.models import AuditEvent
from engine.cases.models import Case
from engine.deadlines.models import Deadline
from engine.inbox.models import Task
from engine.processes.models import ProcessInstance
from engine.processes.store import compiled_for
from engine.runtime import Runtime
from engine.timers.models import Timer
from engine.workflow.adapter import SERIALIZER_VERSION, Run

BATCH = 200
STATUSES = ("running", "completed", "error", "withdrawn")  # withdrawn: cancelled, e.g. by a zone
OPEN_DEADLINE = ("open", "suspended")


@dataclass
class CheckResult:
    problems: list[str]
    instances: int = 0
    tasks: int = 0
    audit_events: int = 0
    warnings: list[str] = field(default_factory=list)


def check(runtime: Runtime) -> list[str]:
    """Human-readable problems found in the database (empty when everything is consistent)."""
    return run_check(runtime=runtime).problems


def run_check(*, runtime: Runtime, batch: int = BATCH) -> CheckResult:
    """Every invariant, instances read in batches; the problems and what was checked."""
    result = CheckResult(problems=[])
    last_id = ""
    while True:
        ids = runtime.read(lambda uow, last_id=last_id: list(uow.session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.id > last_id)
            .order_by(ProcessInstance.id).limit(batch))))
        if not ids:
            break
        runtime.read(lambda uow, ids=ids: _check_instances(uow.session, runtime, ids, result))
        result.instances += len(ids)
        last_id = ids[-1]
    runtime.read(lambda uow: _check_rows(uow.session, result))
    # The audit chain and its anchors: one HMAC per event, cheap next to deserializing workflows.
    audit = audit_chain.verify(runtime)
    result.problems += audit.problems
    result.audit_events = audit.events
    warning = audit_chain.key_warning(runtime.settings)
    if warning:
        result.warnings.append(warning)
    return result


def _check_instances(session, runtime: Runtime, ids: list[str], result: CheckResult) -> None:
    problems = result.problems
    instances = list(session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids))
                                     .order_by(ProcessInstance.id)))
    open_tasks: dict[str, set[str]] = {i: set() for i in ids}
    for task_id, instance_id in session.execute(select(Task.id, Task.instance_id).where(
            Task.instance_id.in_(ids), Task.status == "open")):
        open_tasks[instance_id].add(task_id)
    pending: dict[str, set[str]] = {i: set() for i in ids}
    for task_id, instance_id in session.execute(select(Timer.task_id, Timer.instance_id).where(
            Timer.instance_id.in_(ids), Timer.status == "pending")):
        pending[instance_id].add(task_id)
    for inst in instances:
        name = f"instance {inst.id} ({inst.process_key} v{inst.version})"
        if inst.status not in STATUSES:
            problems.append(f"{name}: unknown status {inst.status!r}")
        if inst.serializer_version != SERIALIZER_VERSION:
            problems.append(f"{name}: serializer_version {inst.serializer_version!r}, "
                            f"expected {SERIALIZER_VERSION!r}")
        if not inst.revision or inst.revision < 1:
            problems.append(f"{name}: revision {inst.revision!r} is not a positive number")
        if inst.status != "running" and open_tasks[inst.id]:
            problems.append(f"{name}: {inst.status} but has open task rows "
                            f"{sorted(open_tasks[inst.id])}")
        try:
            run = Run.load(compiled_for(session, runtime, inst.definition_id), inst.state)
        except Exception as exc:  # any failure to deserialize is a problem to report
            problems.append(f"{name}: the workflow does not deserialize: "
                            f"{exc.__class__.__name__}: {exc}")
            continue
        # A withdrawn instance was cancelled: its workflow is finished (reads as completed).
        if run.status != inst.status and (inst.status, run.status) != ("withdrawn", "completed"):
            problems.append(f"{name}: status is {inst.status!r} but the workflow is "
                            f"{run.status!r}")
        ready = {view.id for view in run.ready_human_tasks()}
        if ready != open_tasks[inst.id]:
            missing = sorted(ready - open_tasks[inst.id])
            extra = sorted(open_tasks[inst.id] - ready)
            if missing:
                problems.append(f"{name}: ready human tasks without an open task row: {missing}")
            if extra:
                problems.append(f"{name}: open task rows the workflow does not wait on: {extra}")
        waiting = {view.task_id for view in run.waiting_timers()}
        if waiting != pending[inst.id]:
            missing = sorted(waiting - pending[inst.id])
            extra = sorted(pending[inst.id] - waiting)
            if missing:
                problems.append(f"{name}: waiting timers without a pending timer row: {missing}")
            if extra:
                problems.append(f"{name}: pending timer rows the workflow does not wait on: "
                                f"{extra}")
    session.expunge_all()  # keep memory flat across batches


def _check_rows(session, result: CheckResult) -> None:
    problems = result.problems
    result.tasks = session.scalar(select(func.count(Task.id))) or 0
    # Open rows of instances that do not exist (a foreign key normally prevents this).
    for task_id, instance_id in session.execute(
            select(Task.id, Task.instance_id).outerjoin(
                ProcessInstance, ProcessInstance.id == Task.instance_id)
            .where(Task.status == "open", ProcessInstance.id.is_(None))):
        problems.append(f"task {task_id}: open but its instance {instance_id} does not exist")
    # Deadlines tied to a task: the task exists, and a finished task has no open deadline.
    for dl_id, key, task_id, dl_status, task_status in session.execute(
            select(Deadline.id, Deadline.key, Deadline.task_id, Deadline.status, Task.status)
            .outerjoin(Task, Task.id == Deadline.task_id)
            .where(Deadline.task_id.is_not(None), Deadline.status.in_(OPEN_DEADLINE))
            .order_by(Deadline.id)):
        if task_status is None:
            problems.append(f"deadline {dl_id} ({key}): {dl_status} but its task {task_id} "
                            "does not exist")
        elif task_status != "open":
            problems.append(f"deadline {dl_id} ({key}): {dl_status} but its task {task_id} "
                            f"is {task_status}")
    # Every task_completed audit event names a completed task row.
    for ev_id, task_id, task_status in session.execute(
            select(AuditEvent.id, AuditEvent.task_id, Task.status)
            .outerjoin(Task, Task.id == AuditEvent.task_id)
            .where(AuditEvent.action == "task_completed").order_by(AuditEvent.id)):
        if task_status != "completed":
            state = "does not exist" if task_status is None else f"is {task_status}"
            problems.append(f"audit event {ev_id} (task_completed): task {task_id} {state}")
    # A case whose own process completed is not open, unless a side process still runs.
    other = aliased(ProcessInstance)
    side = select(other.id).where(other.case_id == Case.id, other.status == "running") \
        .correlate(Case).exists()
    for case_id, number, instance_id in session.execute(
            select(Case.id, Case.number, Case.instance_id)
            .join(ProcessInstance, ProcessInstance.id == Case.instance_id)
            .where(Case.status == "open", ProcessInstance.status == "completed", ~side)
            .order_by(Case.id)):
        problems.append(f"case {case_id} ({number}): open but its process {instance_id} "
                        "completed and nothing else runs for it")
