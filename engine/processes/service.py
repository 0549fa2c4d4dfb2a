"""Deploy BPMN, start and drive process instances; save = serialize + copy out, in one transaction."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.cases.models import Case
from engine.deadlines import service as deadlines
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.access import authority
from engine.inbox.models import Task
from engine.org.models import User
from engine.processes import actions, scripts
from engine.processes.models import BpmnSource, ProcessDefinition, ProcessInstance
from engine.runtime import Runtime
from engine.timers.models import Timer
from engine.uow import UnitOfWork
from engine.workflow import forms
from engine.workflow import parser as bpmn
from engine.workflow.adapter import (BpmnInvalid, CompiledSpec, NothingWaits, Problem, Run,
                                     SERIALIZER_VERSION, TaskNotReady, call_targets, checksum,
                                     compile_spec)

# ---------------------------------------------------------------------------------------------
# Deploy


@dataclass
class DeployResult:
    key: str
    version: int
    checksum: str
    created: bool
    warnings: list[dict] = field(default_factory=list)


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                          .order_by(ProcessDefinition.version.desc()).limit(1))


def get_definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    """A deployed version of a process (the latest when `version` is None)."""
    if version is None:
        definition = latest_definition(session, key)
    else:
        definition = session.scalar(select(ProcessDefinition).where(
            ProcessDefinition.key == key, ProcessDefinition.version == version))
    if definition is None:
        raise NotFound(f"process {key!r}" + (f" version {version}" if version else "")
                       + " is not deployed")
    return definition


def deploy(uow: UnitOfWork, *, runtime: Runtime, files: list[tuple[str, bytes]], actor: str,
           comment: str = "") -> list[DeployResult]:
    """Validate and deploy BPMN files; unchanged files are not re-versioned; errors deploy nothing."""
    session = uow.session
    now = runtime.clock.now()
    if not files:
        raise Invalid("no BPMN file given", fields={"bpmn": ["required"]})
    roots = {}
    problems: list[Problem] = []
    for name, data in files:
        try:
            roots[name] = bpmn.parse_xml(data, name)
        except BpmnInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise BpmnInvalid(problems)
    # Which file defines each process id: a key in two files deploys twice, in file order.
    in_bundle = [(pid, name) for name, root in roots.items() for pid in bpmn.process_ids(root)]
    all_ids = {pid: name for name, root in roots.items() for pid in _all_process_ids(root)}
    if not in_bundle:
        raise BpmnInvalid([Problem("the file defines no executable process",
                                   file_name=files[0][0])])
    data_by_name = dict(files)
    results: list[DeployResult] = []
    planned: dict[str, tuple[int, str]] = {}  # key -> (version, checksum) planned in this call
    for pid, name in in_bundle:
        file_sum = checksum(data_by_name[name])
        sources, dep_sums = _resolve_sources(session, name, roots, data_by_name, all_ids)
        try:
            compiled = compile_spec(pid, sources)
        except BpmnInvalid as exc:
            problems.extend(bpmn.locate(sources, p) for p in exc.problems)
            continue
        unknown = [Problem(f"unknown action {info['properties']['action']!r}; known actions: "
                           f"{', '.join(actions.names())}", element_id=element_id, file_name=name)
                   for element_id, info in compiled.human_tasks.items()
                   if info["properties"].get("action")
                   and not actions.known(info["properties"]["action"])]
        if unknown:
            problems.extend(bpmn.locate(sources, p) for p in unknown)
            continue
        if pid in planned:
            version, latest_sum = planned[pid]
        else:
            latest = latest_definition(session, pid)
            version, latest_sum = (latest.version, latest.checksum) if latest else (0, None)
        warnings = [w.as_dict() for w in lint_warnings(runtime.settings, pid, compiled,
                                                       sources)]
        if latest_sum == file_sum:
            results.append(DeployResult(pid, version, file_sum, False, warnings))
            continue
        planned[pid] = (version + 1, file_sum)
        results.append(DeployResult(pid, version + 1, file_sum, True, warnings))
        results[-1].sources = (name, dep_sums, compiled)  # type: ignore[attr-defined]
    if problems:
        raise BpmnInvalid(problems)
    for result in results:
        if not result.created:
            continue
        name, dep_sums, compiled = result.sources  # type: ignore[attr-defined]
        _store_source(session, name, data_by_name[name], now)
        spec_sum = hashlib.sha256("|".join([result.key, result.checksum, *dep_sums])
                                  .encode()).hexdigest()
        definition = ProcessDefinition(
            key=result.key, name=bpmn.process_names(roots[name]).get(result.key, result.key),
            version=result.version, checksum=result.checksum, source_checksum=result.checksum,
            dependency_checksums=dep_sums, spec_checksum=spec_sum, deployed_at=now,
            deployed_by=actor, comment=comment)
        session.add(definition)
        runtime.spec_cache.put(spec_sum, compiled)
        audit.record(session, at=now, actor=actor, action="process_deployed",
                     detail={"key": result.key, "version": result.version,
                             "checksum": result.checksum, "file": name, "comment": comment})
    session.flush()
    return results


def _all_process_ids(root) -> list[str]:
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    return [p.get("id") for p in root.xpath("./bpmn:process", namespaces=ns)]


def _store_source(session: Session, name: str, data: bytes, now: datetime) -> None:
    sum_ = checksum(data)
    if session.get(BpmnSource, sum_) is None:
        session.add(BpmnSource(checksum=sum_, file_name=name, xml=data.decode("utf-8"),
                               created_at=now))
        session.flush()


def _resolve_sources(session: Session, name: str, roots: dict, data_by_name: dict,
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


def lint_warnings(settings, key: str, compiled: CompiledSpec,
                  sources: list[tuple[str, bytes]] | None = None) -> list[Problem]:
    """Domain findings that do not stop the engine (they never refuse a deployment)."""
    from engine.processes import lint  # lint builds on this module
    return lint.warnings(settings, key, compiled, sources)


def compiled_for(session: Session, runtime: Runtime, definition_id: int) -> CompiledSpec:
    """The parsed spec of a definition, from the cache or parsed from its stored sources."""
    definition = runtime.definition_cache.get(definition_id)
    if definition is None:  # definitions never change once deployed
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound(f"process definition {definition_id} not found")
        session.expunge(definition)
        runtime.definition_cache.put(definition_id, definition)
    compiled = runtime.spec_cache.get(definition.spec_checksum)
    if compiled is None:
        sums = [definition.source_checksum, *definition.dependency_checksums]
        rows = {s.checksum: s for s in session.scalars(
            select(BpmnSource).where(BpmnSource.checksum.in_(sums)))}
        compiled = compile_spec(definition.key, [(rows[s].file_name, rows[s].xml.encode("utf-8"))
                                                 for s in sums])
        runtime.spec_cache.put(definition.spec_checksum, compiled)
    return compiled


# ---------------------------------------------------------------------------------------------
# Instances


def _lock_instance(session: Session, runtime: Runtime, instance_id: str) -> ProcessInstance:
    stmt = select(ProcessInstance).where(ProcessInstance.id == instance_id)
    if not runtime.sqlite:
        stmt = stmt.with_for_update()
    instance = session.scalar(stmt.execution_options(populate_existing=True))
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found")
    return instance


def _load(session: Session, runtime: Runtime, instance: ProcessInstance) -> Run:
    """The workflow at the instance's revision: the cached one if current, else deserialized."""
    scripts.use(session, runtime)  # script helpers look things up in this transaction
    cached = runtime.workflow_cache.pop(instance.id)
    if cached is not None and cached[0] == instance.revision:
        return cached[1]
    return Run.load(compiled_for(session, runtime, instance.definition_id), instance.state)


def _save(uow: UnitOfWork, runtime: Runtime, instance: ProcessInstance, run: Run, *, actor: str,
          now: datetime) -> list[Task]:
    """Serialize the workflow, copy out tasks and timers, append audit events; return new tasks."""
    session = uow.session
    instance.serializer_version = SERIALIZER_VERSION
    instance.revision = (instance.revision or 0) + 1
    instance.updated_at = now
    instance.data = run.data
    previous_status = instance.status
    instance.status = run.status
    if run.error is not None:
        instance.error_element_id = run.error.element_id
        instance.error_message = run.error.message
    else:
        instance.error_element_id = instance.error_message = None
    new_tasks = _sync_tasks(session, runtime, instance, run, now)
    if run.compiled.has_timers:
        _sync_timers(session, instance, run, now)
    # After the copy-out, which asks the workflow about tasks that left the inbox: dumping
    # drops the finished history.
    instance.state = run.dump()
    case = session.get(Case, instance.case_id) if instance.case_id else None
    if instance.status == "completed" and previous_status != "completed":
        instance.completed_at = now
        audit.record(session, at=now, actor=actor, action="instance_completed",
                     case_id=instance.case_id, instance_id=instance.id)
        # The case's own process (not an approval or other side process) closes the case.
        if case is not None and case.status == "open" and case.instance_id in (None, instance.id):
            # 结案 may have been recorded earlier (case_filing concludes before the feedback).
            case.status, case.closed_at = "closed", case.closed_at or now
        deadlines.instance_completed(session, runtime, process_key=instance.process_key,
                                     data=instance.data, actor=actor)
    if instance.status == "error" and previous_status != "error":
        audit.record(session, at=now, actor=actor, action="instance_failed",
                     case_id=instance.case_id, instance_id=instance.id,
                     detail={"element_id": run.error.element_id, "message": run.error.message})
    for message in run.sent_messages:
        audit.record(session, at=now, actor=actor, action="message_sent",
                     case_id=instance.case_id, instance_id=instance.id,
                     detail={"name": message["name"]})
    run.sent_messages = []
    session.flush()
    revision = instance.revision
    uow.after_commit(lambda: runtime.workflow_cache.put(instance.id, (revision, run)))
    return new_tasks


# The statements of every step, built once (building one costs more than running it on SQLite).
_OPEN_OR_READY = select(Task).where(or_(
    and_(Task.instance_id == bindparam("instance_id"), Task.status == "open"),
    Task.id.in_(bindparam("ready", expanding=True))))
_task_and_instance = (select(Task, ProcessInstance)
                      .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
                      .where(Task.id == bindparam("task_id"))
                      .execution_options(populate_existing=True))
_TASK_AND_INSTANCE = {True: _task_and_instance,  # SQLite: the write lock is taken already
                      False: _task_and_instance.with_for_update(of=[ProcessInstance, Task])}


def _sync_tasks(session: Session, runtime: Runtime, instance: ProcessInstance, run: Run,
                now: datetime) -> list[Task]:
    ready = {view.id: view for view in run.ready_human_tasks()}
    # Open rows, and any row already written for a ready task (never reopened under its id);
    # two index lookups, however many tasks the instance has completed.
    # No autoflush: what this step changed so far is written once, with the rest, at the end
    # (the identity map already answers for the rows this step touched).
    with session.no_autoflush:
        rows = list(session.scalars(_OPEN_OR_READY, {"instance_id": instance.id,
                                                     "ready": list(ready)}))
    open_rows = {row.id: row for row in rows if row.status == "open"}
    done = {row.id for row in rows if row.status != "open"}
    for task_id, row in open_rows.items():
        if task_id not in ready:
            state = run.task_state(task_id)
            row.status = "completed" if state == "COMPLETED" else "cancelled"
            row.completed_at = now
            row.version += 1
            if row.deadline_key:
                deadlines.task_finished(session, runtime, row, completed=row.status == "completed")
    new_ids = [task_id for task_id in ready if task_id not in open_rows and task_id not in done]
    created = []
    for task_id in new_ids:
        view = ready[task_id]
        cand = authority.candidates_for(session, runtime, process_key=view.process_id,
                                        lane=view.lane, task_data=view.data,
                                        starter_id=instance.started_by_id,
                                        case_id=instance.case_id)
        row = Task(id=task_id, instance_id=instance.id, case_id=instance.case_id,
                   process_key=view.process_id, element_id=view.element_id, name=view.name,
                   lane=view.lane, kind=view.kind, status="open", candidate_unit_id=cand.unit_id,
                   candidate_role=cand.role, candidate_user_id=cand.user_id, created_at=now,
                   deadline_key=view.properties.get("deadline"), version=1,
                   properties=dict(view.properties))
        session.add(row)
        if row.deadline_key:
            session.flush()
            deadlines.attach_task(session, runtime, row)
        created.append(row)
        audit.record(session, at=now, actor="system", action="task_created",
                     case_id=instance.case_id, instance_id=instance.id, task_id=task_id,
                     task_name=view.name, detail={"element_id": view.element_id})
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


def start_instance(uow: UnitOfWork, *, runtime: Runtime, key: str, version: int | None = None,
                   data: dict | None = None, user: User | None, case_id: int | None = None,
                   actor: str | None = None) -> tuple[ProcessInstance, list[Task]]:
    """Start a deployed process and run it to its first wait."""
    if data is not None and not isinstance(data, dict):
        raise Invalid("data must be an object", fields={"data": ["must be an object"]})
    session = uow.session
    now = runtime.clock.now()
    definition = get_definition(session, key, version)
    compiled = compiled_for(session, runtime, definition.id)
    scripts.use(session, runtime)
    run = Run.start(compiled, data or {}, now)
    instance = ProcessInstance(id=str(uuid.uuid4()), definition_id=definition.id,
                               process_key=definition.key, version=definition.version,
                               status="running", started_by_id=user.id if user else None,
                               case_id=case_id, created_at=now, updated_at=now, state="",
                               serializer_version=SERIALIZER_VERSION, revision=0, data={})
    session.add(instance)
    session.flush()
    actor = actor or (user.username if user else "system")
    audit.record(session, at=now, actor=actor, action="instance_started", case_id=case_id,
                 instance_id=instance.id, detail={"key": key, "version": definition.version})
    tasks = _save(uow, runtime, instance, run, actor=actor, now=now)
    return instance, tasks


def get_instance(session: Session, instance_id: str) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found")
    return instance


def may_drive_instance(session: Session, user: User, instance: ProcessInstance) -> bool:
    """Messages, retry, reading: whoever started it, or a supervisor who may see its case."""
    if instance.started_by_id == user.id:
        return True
    if "supervisor" not in user.roles or instance.case_id is None:
        return False
    from engine.cases import service as cases  # cases build on processes
    return cases.may_see_case(session, user, session.get(Case, instance.case_id))


def open_tasks(session: Session, instance_id: str) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.instance_id == instance_id,
                                                   Task.status == "open")
                                .order_by(Task.created_at, Task.id)))


def complete_task(uow: UnitOfWork, *, runtime: Runtime, task_id: str, data: dict,
                  version: int | None, user: User) -> tuple[Task, list[Task]]:
    """Validate the data against the task's form, complete it, run on; return it and new tasks."""
    session = uow.session
    now = runtime.clock.now()
    # One read of the task and its instance, locking both (writes to an instance are serialised).
    found = session.execute(_TASK_AND_INSTANCE[runtime.sqlite], {"task_id": task_id}).one_or_none()
    if found is None:
        raise NotFound(f"task {task_id} not found")
    row, instance = found
    if row.status != "open":
        raise Conflict(f"task {task_id} is already {row.status}")
    if version is not None and version != row.version:
        raise Conflict(f"task {task_id} has changed (version {row.version}, you sent {version})")
    if row.assignee_id is not None and row.assignee_id != user.id:
        raise Conflict("task is held by someone else")
    if not authority.may_work(user, row, session):
        raise Forbidden("you may not complete this task")
    compiled = compiled_for(session, runtime, instance.definition_id)
    errors = forms.validate(compiled.form(row.element_id), data)
    if errors:
        raise Invalid("the form has errors", fields=errors)
    action = (row.properties or {}).get("action")
    if action:
        case = session.get(Case, instance.case_id) if instance.case_id else None
        data = {**data, **actions.run(action, actions.ActionContext(
            session=session, runtime=runtime, user=user, task=row, instance=instance, case=case,
            data=data, process_data=dict(instance.data or {})))}
    run = _load(session, runtime, instance)
    try:
        run.complete(task_id, data, now)
    except TaskNotReady:
        raise Conflict(f"task {task_id} is not waiting for completion") from None
    # The row is finished here, so the copy-out in _save sees it as done already.
    if row.assignee_id is None:
        row.assignee_id = user.id
    row.completed_by_id, row.status, row.completed_at = user.id, "completed", now
    row.version += 1
    if row.deadline_key:
        deadlines.task_finished(session, runtime, row, completed=True)
    audit.record(session, at=now, actor=user.username, action="task_completed",
                 case_id=instance.case_id, instance_id=instance.id, task_id=task_id,
                 task_name=row.name, detail={"data": data})
    new_tasks = _save(uow, runtime, instance, run, actor=user.username, now=now)
    return row, new_tasks


def send_message(uow: UnitOfWork, *, runtime: Runtime, instance_id: str, name: str,
                 payload: dict, user: User) -> ProcessInstance:
    """Deliver a message to the instance; correlation is computed from the payload."""
    session = uow.session
    now = runtime.clock.now()
    instance = _lock_instance(session, runtime, instance_id)
    if not may_drive_instance(session, user, instance):
        raise Forbidden("you may not send messages to this instance")
    if instance.status != "running":
        raise Conflict(f"instance is {instance.status}; nothing waits for {name!r}")
    run = _load(session, runtime, instance)
    try:
        run.send_message(name, payload or {}, now)
    except NothingWaits:
        runtime.workflow_cache.put(instance.id, (instance.revision, run))
        raise Conflict(f"nothing in this instance waits for message {name!r}") from None
    audit.record(session, at=now, actor=user.username, action="message_received",
                 case_id=instance.case_id, instance_id=instance.id, detail={"name": name})
    _save(uow, runtime, instance, run, actor=user.username, now=now)
    return instance


def retry_instance(uow: UnitOfWork, *, runtime: Runtime, instance_id: str, data: dict | None,
                   user: User) -> ProcessInstance:
    """Merge data into the failed task and run it again."""
    session = uow.session
    now = runtime.clock.now()
    instance = _lock_instance(session, runtime, instance_id)
    if not may_drive_instance(session, user, instance):
        raise Forbidden("you may not retry this instance")
    if instance.status != "error":
        raise Conflict(f"instance is {instance.status}, not in error")
    run = _load(session, runtime, instance)
    run.retry(data, now)
    audit.record(session, at=now, actor=user.username, action="instance_retried",
                 case_id=instance.case_id, instance_id=instance.id, detail={"data": data or {}})
    _save(uow, runtime, instance, run, actor=user.username, now=now)
    return instance


def fire_timers(uow: UnitOfWork, *, runtime: Runtime, instance_id: str, now: datetime) -> int:
    """Check the instance's timers at `now`, run what they release; return how many fired."""
    session = uow.session
    instance = _lock_instance(session, runtime, instance_id)
    if instance.status != "running":
        for row in session.scalars(select(Timer).where(Timer.instance_id == instance_id,
                                                       Timer.status == "pending")):
            row.status = "cancelled"
        return 0
    run = _load(session, runtime, instance)
    before = {t.task_id for t in run.waiting_timers()}
    run.fire_timers(now)
    after = {t.task_id for t in run.waiting_timers()}
    for task_id in before - after:
        audit.record(session, at=now, actor="system", action="timer_fired",
                     case_id=instance.case_id, instance_id=instance.id, task_id=task_id)
    _save(uow, runtime, instance, run, actor="system", now=now)
    return len(before - after)


def cancel_instance(uow: UnitOfWork, *, runtime: Runtime, instance_id: str, actor: str,
                    reason: str) -> None:
    """Stop an instance: its open tasks are cancelled and nothing waits any more."""
    session = uow.session
    now = runtime.clock.now()
    instance = _lock_instance(session, runtime, instance_id)
    if instance.status == "completed":
        return
    run = _load(session, runtime, instance)
    run.cancel(now)
    audit.record(session, at=now, actor=actor, action="instance_cancelled",
                 case_id=instance.case_id, instance_id=instance.id, detail={"reason": reason})
    _save(uow, runtime, instance, run, actor=actor, now=now)


def diagram(session: Session, runtime: Runtime, instance: ProcessInstance) -> dict:
    """The instance's own process drawn: its BPMN XML, the elements where it is now and those it
    has passed. A call activity stands for the process it calls (and that one's calls)."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    xml = session.get(BpmnSource, definition.source_checksum).xml
    run = _load(session, runtime, instance)
    runtime.workflow_cache.put(instance.id, (instance.revision, run))
    current, done = run.diagram_elements()
    # The tree forgets finished work (Run.prune); the task rows remember every completed step.
    calls = call_targets(compiled_for(session, runtime, instance.definition_id))
    for element_id, key in session.execute(select(Task.element_id, Task.process_key).where(
            Task.instance_id == instance.id, Task.status == "completed")):
        if key == instance.process_key:
            done.add(element_id)
        else:
            done.update(call for call, reached in calls.items() if key in reached)
    return {"xml": xml, "current": sorted(current), "done": sorted(done - current)}


def count_definitions(session: Session) -> int:
    return session.scalar(select(func.count(ProcessDefinition.id))) or 0
