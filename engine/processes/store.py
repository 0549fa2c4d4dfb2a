"""The persistence of process definitions and instances: stored BPMN sources, compiled specs
(cached by checksum), the instance lock, load, and save = serialize + copy out (inbox rows of
ready tasks, timer rows, deadline rows, audit events) in one transaction.

The step's own rows are written as Core statements on the transaction's connection, not through
the ORM unit of work (whose flush cost a step more than its statements): the instance's update,
each finished task's update, and the new tasks in one multi-row insert. Each written object's
attributes are set as committed values, so the objects stay current and nothing is written
twice; a later ORM change to them (a deadline setting a new task's due time) flushes as usual.
Which task rows are open is read with the instance's lock, not again by the copy-out."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, insert, literal_column, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached

from engine import db
from engine.audit import service as audit
from engine.cases.models import Case
from engine.deadlines import service as deadlines
from engine.documents import dossier_queue
from engine.errors import NotFound
from engine.access import assignment, authority
from engine.inbox.models import Task
from engine.processes import scripts
from engine.processes.models import BpmnSource, ProcessDefinition, ProcessInstance
from engine.runtime import Runtime
from engine.settings_schema import LaneRule
from engine.timers.models import Timer
from engine.uow import UnitOfWork
from engine.workflow import parser as bpmn
from engine.workflow.adapter import (CompiledSpec, Run,
                                     SERIALIZER_VERSION, checksum,
                                     compile_spec)


LANE_RULE = LaneRule()


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                          .order_by(ProcessDefinition.version.desc()).limit(1))


def all_process_ids(root) -> list[str]:
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    return [p.get("id") for p in root.xpath("./bpmn:process", namespaces=ns)]


def store_source(session: Session, name: str, data: bytes, now: datetime) -> None:
    sum_ = checksum(data)
    if session.get(BpmnSource, sum_) is None:
        session.add(BpmnSource(checksum=sum_, file_name=name, xml=data.decode("utf-8"),
                               created_at=now))
        session.flush()


def resolve_sources(session: Session, name: str, roots: dict, data_by_name: dict,
                     all_ids: dict) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The file plus every file its call activities need, transitively; deployed ones pinned."""
    sources = [(name, data_by_name[name])]
    seen_files = {name}
    dep_sums: list[str] = []
    pending = list(bpmn.called_elements(roots[name]))
    seen_ids: set[str] = set()
    while pending:
        pid = pending.pop()
        if pid in seen_ids:
            continue
        seen_ids.add(pid)
        if pid in all_ids:
            other = all_ids[pid]
            if other not in seen_files:
                seen_files.add(other)
                sources.append((other, data_by_name[other]))
                dep_sums.append(checksum(data_by_name[other]))
                pending.extend(bpmn.called_elements(roots[other]))
            continue
        deployed = latest_definition(session, pid)
        if deployed is None:
            continue  # compile_spec reports the missing target with its element
        source = session.get(BpmnSource, deployed.source_checksum)
        if source.checksum not in dep_sums:
            dep_sums.append(source.checksum)
            data = source.xml.encode("utf-8")
            sources.append((source.file_name, data))
            root = bpmn.parse_xml(data, source.file_name)
            pending.extend(bpmn.called_elements(root))
    return sources, dep_sums


def lane_rules(sources: list[tuple[str, bytes]]) -> dict[str, dict[str, dict]]:
    """{process key: {lane: rule}} drawn in the files (their lanes' `role` and unit rule
    properties), the valid rules only (`lint.invalid_lane_rules` names the others)."""
    found: dict[str, dict[str, dict]] = {}
    for name, data in sources:
        for key, lanes in bpmn.lane_rules(bpmn.parse_xml(data, name)).items():
            for lane, rule in lanes.items():
                if not LANE_RULE.validate(rule):
                    found.setdefault(key, {})[lane] = rule
    return found


def version_lanes(session: Session, runtime: Runtime, definition_id: int) -> dict | None:
    """The lane mapping stored with a deployed version (None: config.yaml's alone): from the
    definition cache (a deployed version never changes), else read without flushing what the
    step has changed so far (a flush here cost a step more than the rest of its reads)."""
    cached = runtime.definition_cache.get(definition_id)
    if cached is not None:
        return cached.lanes
    with session.no_autoflush:
        return session.scalar(select(ProcessDefinition.lanes)
                              .where(ProcessDefinition.id == definition_id))


def compiled_for(session: Session, runtime: Runtime, definition_id: int) -> CompiledSpec:
    """The parsed spec of a definition, from the cache or parsed from its stored sources."""
    definition = runtime.definition_cache.get(definition_id)
    if definition is None:  # definitions never change once deployed
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound("process definition %(id)s not found", reason="definition_not_found",
                           params={"id": definition_id})
        session.expunge(definition)
        runtime.definition_cache.put(definition_id, definition)
    compiled = runtime.spec_cache.get(definition.spec_checksum)
    if compiled is None:
        sums = [definition.source_checksum, *definition.dependency_checksums]
        rows = {s.checksum: s for s in session.scalars(
            select(BpmnSource).where(BpmnSource.checksum.in_(sums)))}
        compiled = compile_spec(definition.key, [(rows[s].file_name, rows[s].xml.encode("utf-8"))
                                                 for s in sums], check_policy=False)
        runtime.spec_cache.put(definition.spec_checksum, compiled)
    return compiled


def lock_instance(session: Session, runtime: Runtime, instance_id: str) -> ProcessInstance:
    """The instance, locked (writes to an instance are serialised), with its open tasks' keys."""
    stmt = select(ProcessInstance, _OPEN_TASK_IDS[runtime.sqlite]).where(ProcessInstance.id == instance_id)
    if not runtime.sqlite:
        stmt = stmt.with_for_update(of=ProcessInstance)
    found = session.execute(stmt.execution_options(populate_existing=True)).one_or_none()
    if found is None:
        raise NotFound("process instance %(id)s not found", reason="instance_not_found",
                       params={"id": instance_id})
    _keep_open_ids(session, found[0], found[1])
    return found[0]


def load(session: Session, runtime: Runtime, instance: ProcessInstance) -> Run:
    """The workflow at the instance's revision: the cached one if current, else deserialized."""
    scripts.use(session, runtime)  # script helpers look things up in this transaction
    cached = runtime.workflow_cache.pop(instance.id)
    if cached is not None and cached[0] == instance.revision:
        return cached[1]
    return Run.load(compiled_for(session, runtime, instance.definition_id), instance.state)


def save(uow: UnitOfWork, runtime: Runtime, instance: ProcessInstance, run: Run, *, actor: str,
          now: datetime) -> list[Task]:
    """Serialize the workflow, copy out tasks and timers, append audit events; return new tasks."""
    session = uow.session
    previous_status = instance.status
    new_tasks = _sync_tasks(session, runtime, instance, run, now)
    if run.compiled.has_timers:
        _sync_timers(session, instance, run, now)
    completed = run.status == "completed" and previous_status != "completed"
    # After the copy-out, which asks the workflow about tasks that left the inbox: dumping
    # drops the finished history.
    _write(session, _UPDATE_INSTANCE, instance, {
        "serializer_version": SERIALIZER_VERSION, "revision": (instance.revision or 0) + 1,
        "updated_at": now, "data": run.data, "status": run.status,
        "error_element_id": run.error.element_id if run.error is not None else None,
        "error_message": run.error.message if run.error is not None else None,
        "state": run.dump(), "completed_at": now if completed else instance.completed_at})
    case = session.get(Case, instance.case_id) if instance.case_id else None
    if completed:
        audit.record(session, at=now, actor=actor, action="instance_completed",
                     case_id=instance.case_id, instance_id=instance.id)
        # The case's own process (not an approval or other side process) closes the case.
        if case is not None and case.status == "open" and case.instance_id in (None, instance.id):
            # 结案 may have been recorded earlier (case_filing concludes before the feedback).
            case.status, case.closed_at = "closed", case.closed_at or now
            # Its dossier is compiled and frozen, by a worker once this commits (a zone's
            # archive step, in this same transaction, has queued that already).
            dossier_queue.queue(session, runtime, case=case, actor=actor, freeze=True,
                                source=dossier_queue.CONCLUDED)
        deadlines.instance_completed(session, runtime, process_key=instance.process_key,
                                     data=instance.data, actor=actor)
    if instance.status == "error" and previous_status != "error":
        audit.record(session, at=now, actor=actor, action="instance_failed",
                     case_id=instance.case_id, instance_id=instance.id,
                     detail={"element_id": run.error.element_id, "message": run.error.message,
                             # the coded problem, so a page can say it in the user's language
                             "reason": run.error.reason, "params": run.error.params or {}})
    for message in run.sent_messages:
        audit.record(session, at=now, actor=actor, action="message_sent",
                     case_id=instance.case_id, instance_id=instance.id,
                     detail={"name": message["name"]})
    run.sent_messages = []
    db.write_deferred(session)  # the step's own rows, in one round trip on PostgreSQL
    session.flush()  # what it changed through the ORM (deadlines, jobs, a closed case)
    revision = instance.revision
    uow.after_commit(lambda: runtime.workflow_cache.put(instance.id, (revision, run)))
    return new_tasks


# The statements of every step, built once (building one costs more than running it on SQLite).
_INSTANCES, _TASKS = ProcessInstance.__table__, Task.__table__
_UPDATE_INSTANCE = update(_INSTANCES).where(_INSTANCES.c.id == bindparam("row_id"))
_UPDATE_TASK = update(_TASKS).where(_TASKS.c.id == bindparam("row_id"))
_INSERT_TASKS = insert(_TASKS)
_NO_VALUES = dict.fromkeys(c.key for c in _TASKS.columns)  # a new row states every column


def _write(session: Session, statement, obj, values: dict) -> None:
    """Queue the update of one row by `statement` (its key bound as `row_id`) and set the same
    values on its object as committed: the object is current, the ORM has nothing to write."""
    db.defer(session, statement, {"row_id": obj.id, **values})
    for name, value in values.items():
        set_committed_value(obj, name, value)


def finish_task(session: Session, row: Task, *, status: str, now: datetime,
                by: int | None = None) -> None:
    """A task row leaves the inbox: completed (by `by`, who holds it from then) or cancelled."""
    values = {"status": status, "completed_at": now, "version": row.version + 1}
    if by is not None:
        values.update(completed_by_id=by, assignee_id=row.assignee_id or by)
    _write(session, _UPDATE_TASK, row, values)


# The keys of an instance's open task rows, read with its lock (the copy-out's read folded
# into it): from then on in this transaction only `save` changes which are open, and it keeps
# them in step. A ready task not among them is new: a task that leaves the tree is never made
# ready again under its id (a row left behind would make the insert fail, never be reopened).
_OPEN = _TASKS.alias("open_tasks")


def _open_task_ids(sqlite: bool):
    """The instance's open tasks' keys, comma-separated. Literals, not parameters: SQLite uses a
    partial index only when the query names its condition as written."""
    join = func.group_concat if sqlite else func.string_agg
    return (select(join(_OPEN.c.id, literal_column("','")))
            .where(_OPEN.c.instance_id == ProcessInstance.id,
                   _OPEN.c.status == literal_column("'open'"))
            .correlate(ProcessInstance).scalar_subquery())


_OPEN_TASK_IDS = {True: _open_task_ids(True), False: _open_task_ids(False)}
_OPEN_IDS = "open_task_ids"  # session.info: instance id -> the keys of its open task rows


def _task_and_instance(sqlite: bool):
    stmt = (select(Task, ProcessInstance, _OPEN_TASK_IDS[sqlite])
            .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
            .where(Task.id == bindparam("task_id"))
            .execution_options(populate_existing=True))
    # SQLite: the write lock is taken already.
    return stmt if sqlite else stmt.with_for_update(of=[ProcessInstance, Task])


_TASK_AND_INSTANCE = {sqlite: _task_and_instance(sqlite) for sqlite in (True, False)}


def _keep_open_ids(session: Session, instance: ProcessInstance, ids: str | None) -> None:
    session.info.setdefault(_OPEN_IDS, {})[instance.id] = set(ids.split(",")) if ids else set()


def lock_task_and_instance(session: Session, runtime: Runtime,
                           task_id: str) -> tuple[Task, ProcessInstance] | None:
    """One read of a task row and its instance, locking both (writes to an instance are
    serialised), with the instance's open tasks' keys; None when there is no such task."""
    found = session.execute(_TASK_AND_INSTANCE[runtime.sqlite], {"task_id": task_id}).one_or_none()
    if found is None:
        return None
    _keep_open_ids(session, found[1], found[2])
    return found[0], found[1]


def _sync_tasks(session: Session, runtime: Runtime, instance: ProcessInstance, run: Run,
                now: datetime) -> list[Task]:
    ready = {view.id: view for view in run.ready_human_tasks()}
    # The open rows as read with the lock (none yet for an instance started in this step). The
    # rows this step finished are still open in the database (their update goes out at the end
    # of the save): their objects, which the identity map holds, say so.
    known = session.info.setdefault(_OPEN_IDS, {})
    open_ids = known.get(instance.id)
    if open_ids is None:
        if instance.revision:
            raise RuntimeError(f"instance {instance.id} saved without its lock")
        open_ids = set()
    for task_id in sorted(open_ids - ready.keys()):
        with session.no_autoflush:
            row = session.get(Task, task_id)
        if row.status != "open":
            continue
        state = run.task_state(task_id)
        finish_task(session, row, status="completed" if state == "COMPLETED" else "cancelled",
                    now=now)
        if row.deadline_key:
            deadlines.task_finished(session, runtime, row, completed=row.status == "completed")
    new_ids = [task_id for task_id in ready if task_id not in open_ids]
    known[instance.id] = set(ready)  # what is open once this save's writes are sent
    if not new_ids:
        return []
    stored_lanes = version_lanes(session, runtime, instance.definition_id)
    values, offered = [], []
    for task_id in new_ids:
        view = ready[task_id]
        cand = authority.candidates_for(session, runtime, process_key=view.process_id,
                                        lane=view.lane, task_data=view.data,
                                        starter_id=instance.started_by_id,
                                        case_id=instance.case_id, resolved=view.assignment,
                                        stored_lanes=stored_lanes)
        values.append({
            **_NO_VALUES, "id": task_id, "instance_id": instance.id, "case_id": instance.case_id,
            "process_key": view.process_id, "element_id": view.element_id, "name": view.name,
            "lane": view.lane, "kind": view.kind, "status": "open",
            "candidate_unit_id": cand.unit_id, "candidate_role": cand.role,
            "candidate_user_id": cand.user_id, "created_at": now, "assignee_id": cand.assignee_id,
            "deadline_key": view.properties.get("deadline"), "version": 1,
            "properties": dict(view.properties)})
        offered.append(cand.users)
    # One statement for all of them; then each row joins the session as if read back.
    db.defer(session, _INSERT_TASKS, values)
    created = []
    for row_values, users in zip(values, offered, strict=True):
        row = Task(**row_values)
        make_transient_to_detached(row)
        session.add(row)
        if users:
            assignment.record(session, row, users)
        if row.deadline_key:
            deadlines.attach_task(session, runtime, row)
        created.append(row)
        audit.record(session, at=now, actor="system", action="task_created",
                     case_id=instance.case_id, instance_id=instance.id, task_id=row.id,
                     task_name=row.name, detail={"element_id": row.element_id})
    return created


def _sync_timers(session: Session, instance: ProcessInstance, run: Run, now: datetime) -> None:
    waiting = {t.task_id: t for t in run.waiting_timers()}
    rows = {row.task_id: row for row in session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.status == "pending"))}
    for task_id, row in rows.items():
        if task_id not in waiting:
            state = run.task_state(task_id)
            row.status = "fired" if state == "COMPLETED" else "cancelled"
            row.fired_at = now
    for task_id, view in waiting.items():
        # An unevaluated timer (no due time yet) is checked at the next poll.
        due = view.due_at or now
        row = rows.get(task_id)
        if row is None:
            if session.scalar(select(Timer.id).where(Timer.task_id == task_id)) is None:
                session.add(Timer(instance_id=instance.id, task_id=task_id,
                                  element_id=view.element_id, due_at=due, status="pending"))
        elif row.due_at != due:
            row.due_at = due
