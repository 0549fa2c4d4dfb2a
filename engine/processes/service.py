"""Deploy BPMN, start and drive process instances; save = serialize + copy out, in one transaction."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import limits
from engine.access import cases as case_access
from engine.audit import last_change
from engine.audit import service as audit
from engine.cases.models import Case
from engine.deadlines import service as deadlines
from engine.documents.catalog import BY_KEY as DOCUMENT_TEMPLATES, JOB_KIND as DOCUMENT_JOB
from engine.documents.catalog import step_documents
from engine.jobs import service as jobs
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.access import authority
from engine.access import assignment as task_assignment
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.processes import actions, form_values, scripts
from engine.processes.models import BpmnSource, ProcessDefinition, ProcessInstance
from engine.runtime import Runtime
from engine.timers.models import Timer
from engine.uow import UnitOfWork
from engine.workflow import checks, forms
from engine.workflow import parser as bpmn
from engine.workflow.adapter import (BpmnInvalid, CompiledSpec, NothingWaits, Problem, Run,
                                     policy_problems,
                                     SERIALIZER_VERSION, TaskNotReady, call_targets, checksum,
                                     direct_calls,
                                     compile_spec)
from engine.processes import lint, store

# ---------------------------------------------------------------------------------------------
# Deploy


@dataclass
class DeployResult:
    key: str
    version: int
    checksum: str
    created: bool
    warnings: list[dict] = field(default_factory=list)


def get_definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    """A deployed version of a process (the latest when `version` is None)."""
    if version is None:
        definition = store.latest_definition(session, key)
    else:
        definition = session.scalar(select(ProcessDefinition).where(
            ProcessDefinition.key == key, ProcessDefinition.version == version))
    if definition is None:
        if version:
            raise NotFound("process %(key)r version %(version)s is not deployed",
                           reason="process_version_not_deployed",
                           params={"key": key, "version": version})
        raise NotFound("process %(key)r is not deployed", reason="process_key_not_deployed",
                       params={"key": key})
    return definition


def deploy(uow: UnitOfWork, *, runtime: Runtime, files: list[tuple[str, bytes]], actor: str,
           comment: str = "") -> list[DeployResult]:
    """Validate and deploy BPMN files; unchanged files are not re-versioned; a file none of whose
    processes can run refuses the whole call (see `_partly_runnable`)."""
    session = uow.session
    now = runtime.clock.now()
    if not files:
        raise Invalid("no BPMN file given", reason="bpmn_file_missing", fields={"bpmn": [notes.note("required")]})
    roots = _parse_all(files)
    problems: list[Problem] = []
    # Which file defines each process id: a key in two files deploys twice, in file order.
    in_bundle = [(pid, name) for name, root in roots.items() for pid in bpmn.process_ids(root)]
    all_ids = {pid: name for name, root in roots.items() for pid in store.all_process_ids(root)}
    if not in_bundle:
        raise BpmnInvalid(checks.no_executable(roots))
    data_by_name = dict(files)
    results: list[DeployResult] = []
    planned: dict[str, tuple[int, str]] = {}  # key -> (version, checksum) planned in this call
    failed: dict[str, list[tuple[str, list[Problem]]]] = {}  # file -> its processes that fail
    for pid, name in in_bundle:
        file_sum = checksum(data_by_name[name])
        sources, dep_sums = store.resolve_sources(session, name, roots, data_by_name, all_ids)
        try:
            compiled = _compiled(runtime, _spec_checksum(pid, file_sum, dep_sums), pid, sources)
        except BpmnInvalid as exc:
            failed.setdefault(name, []).append(
                (pid, [bpmn.locate(sources, p) for p in exc.problems]))
            continue
        unknown = actions.unknown(compiled, name)
        if unknown:
            problems.extend(bpmn.locate(sources, p) for p in unknown)
            continue
        if pid in planned:
            version, latest_sum = planned[pid]
        else:
            latest = store.latest_definition(session, pid)
            version, latest_sum = (latest.version, latest.checksum) if latest else (0, None)
        warnings = [w.as_dict() for w in lint_warnings(runtime.settings, pid, compiled,
                                                       sources)]
        warnings += [bpmn.locate(sources, w).as_dict()
                     for w in task_assignment.warnings(session, compiled.human_tasks)]
        if latest_sum == file_sum:
            results.append(DeployResult(pid, version, file_sum, False, warnings))
            continue
        planned[pid] = (version + 1, file_sum)
        results.append(DeployResult(pid, version + 1, file_sum, True, warnings))
        results[-1].sources = (name, dep_sums, compiled,  # type: ignore[attr-defined]
                               store.lane_rules(sources))
    problems.extend(_partly_runnable(results, failed, in_bundle, roots))
    if problems:
        raise BpmnInvalid(problems)
    for result in results:
        if result.created:
            _record_version(session, runtime, result, roots, data_by_name, actor=actor,
                            comment=comment, now=now)
    session.flush()
    return results


def _spec_checksum(key: str, file_sum: str, dep_sums: list[str]) -> str:
    """What a version's compiled spec is cached under: its key and every source's checksum."""
    return hashlib.sha256("|".join([key, file_sum, *dep_sums]).encode()).hexdigest()


def _compiled(runtime: Runtime, spec_sum: str, key: str,
              sources: list[tuple[str, bytes]]) -> CompiledSpec:
    """The spec of exactly these sources: compiled, or (the same files deployed or run before)
    from the cache with its scripts checked against the policy again (what was cached may have
    been compiled for a running version, without that check)."""
    compiled = runtime.spec_cache.get(spec_sum)
    if compiled is None:
        return compile_spec(key, sources)
    problems = policy_problems(compiled)
    if problems:
        raise BpmnInvalid(problems)
    return compiled


def _partly_runnable(results: list[DeployResult], failed: dict, in_bundle: list,
                     roots: dict) -> list[Problem]:
    """The problems that refuse the deployment. A file none of whose processes can run is
    refused; in a file where some can, those deploy and each one that cannot is a warning
    (its problems, and that it was not deployed), so starting it says it is not deployed."""
    refusing: list[Problem] = []
    for name, failures in failed.items():
        deployed = [r for r in results if (r.key, name) in in_bundle]
        if not deployed:
            refusing.extend(p for _, found in failures for p in found)
            continue
        for pid, found in failures:
            deployed[0].warnings.extend(
                p.as_dict() for p in [lint.not_deployed(roots[name], name, pid), *found])
    return refusing


def _parse_all(files: list[tuple[str, bytes]]) -> dict:
    """Each file's parsed XML by name; every file's syntax problems refuse them all."""
    roots, problems = {}, []
    for name, data in files:
        try:
            roots[name] = bpmn.parse_xml(data, name)
        except BpmnInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise BpmnInvalid(problems)
    return roots


def _record_version(session: Session, runtime: Runtime, result: DeployResult, roots: dict,
                    data_by_name: dict, *, actor: str, comment: str, now: datetime) -> None:
    """Store a new version: its source, its definition row, its compiled spec, the audit event."""
    name, dep_sums, compiled, lanes = result.sources  # type: ignore[attr-defined]
    store.store_source(session, name, data_by_name[name], now)
    spec_sum = _spec_checksum(result.key, result.checksum, dep_sums)
    definition = ProcessDefinition(
        key=result.key, name=bpmn.process_names(roots[name]).get(result.key, result.key),
        version=result.version, checksum=result.checksum, source_checksum=result.checksum,
        dependency_checksums=dep_sums, spec_checksum=spec_sum, deployed_at=now,
        deployed_by=actor, comment=comment, lanes=lanes or None)
    session.add(definition)
    runtime.spec_cache.put(spec_sum, compiled)
    audit.record(session, at=now, actor=actor, action="process_deployed",
                 detail={"key": result.key, "version": result.version,
                         "checksum": result.checksum, "file": name, "comment": comment})


def lint_warnings(settings, key: str, compiled: CompiledSpec,
                  sources: list[tuple[str, bytes]] | None = None) -> list[Problem]:
    """Domain findings that do not stop the engine (they never refuse a deployment)."""
    return lint.warnings(settings, key, compiled, sources)


def policy_report(session: Session, runtime: Runtime) -> list[tuple[str, int, Problem]]:
    """What the current script policy would refuse in every deployed version (for `init-db`
    after an upgrade: those versions keep running, and such a script fails when it runs)."""
    found = []
    for definition in session.scalars(select(ProcessDefinition)
                                      .order_by(ProcessDefinition.key, ProcessDefinition.version)):
        try:
            problems = policy_problems(store.compiled_for(session, runtime, definition.id))
        except BpmnInvalid as exc:
            problems = exc.problems
        found.extend((definition.key, definition.version, p) for p in problems)
    return found


# ---------------------------------------------------------------------------------------------
# Instances


def start_instance(uow: UnitOfWork, *, runtime: Runtime, key: str, version: int | None = None,
                   data: dict | None = None, user: User | None, case_id: int | None = None,
                   actor: str | None = None) -> tuple[ProcessInstance, list[Task]]:
    """Start a deployed process and run it to its first wait."""
    limits.check_data(data)
    session = uow.session
    now = runtime.clock.now()
    definition = get_definition(session, key, version)
    compiled = store.compiled_for(session, runtime, definition.id)
    scripts.use(session, runtime)
    if compiled.initiator and user is not None:
        # Camunda's `initiator`: the start event names the variable that holds who started it.
        data = {compiled.initiator: user.username, **(data or {})}
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
    tasks = store.save(uow, runtime, instance, run, actor=actor, now=now)
    return instance, tasks


def get_instance(session: Session, instance_id: str) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("process instance %(id)s not found", reason="instance_not_found",
                       params={"id": instance_id})
    return instance


def may_drive_instance(session: Session, user: User, instance: ProcessInstance) -> bool:
    """Messages, retry, reading: whoever started it, or a supervisor who may see its case."""
    if instance.started_by_id == user.id:
        return True
    if "supervisor" not in user.roles or instance.case_id is None:
        return False
    return case_access.may_see_case(session, user, session.get(Case, instance.case_id))


def open_tasks(session: Session, instance_id: str) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.instance_id == instance_id,
                                                   Task.status == "open")
                                .order_by(Task.created_at, Task.id)))


def complete_task(uow: UnitOfWork, *, runtime: Runtime, task_id: str, data: dict,
                  version: int | None, user: User) -> tuple[Task, list[Task]]:
    """Validate the data against the task's form, complete it, run on; return it and new tasks."""
    limits.check_data(data)
    session = uow.session
    now = runtime.clock.now()
    # One read of the task and its instance, locking both (writes to an instance are serialised).
    found = store.lock_task_and_instance(session, runtime, task_id)
    if found is None:
        raise NotFound("task %(id)s not found", reason="task_not_found", params={"id": task_id})
    row, instance = found
    if row.status != "open" or (version is not None and version != row.version):
        # Say who changed it, how and when (the page keeps what the user typed).
        changed = last_change.of_task(session, runtime.clock, task_id)
        by, change, at = changed["by"], changed["change"], changed["at"]
    if row.status != "open":
        raise Conflict("task %(id)s is already %(status)s", reason="task_not_open",
                       params={"id": task_id, "status": row.status, "by": by,
                               "change": change, "at": at})
    if version is not None and version != row.version:
        raise Conflict("task %(id)s has changed (version %(version)s, you sent %(sent)s)",
                       reason="task_version_stale",
                       params={"id": task_id, "version": row.version, "sent": version,
                               "by": by, "change": change, "at": at})
    if row.assignee_id is not None and row.assignee_id != user.id:
        raise Conflict("task is held by someone else", reason="task_held_by_other")
    if not authority.may_work(user, row, session):
        raise Forbidden("you may not complete this task", reason="task_complete_forbidden")
    compiled = store.compiled_for(session, runtime, instance.definition_id)
    form = compiled.form(row.element_id)
    data = forms.drop_hidden(form, data)  # a hidden field's value is not stored
    errors = forms.validate(form, data)
    errors.update(form_values.field_errors(session, form=form, data=data, task=row,
                                           checked=errors))
    if errors:
        raise Invalid("the form has errors", reason="form_invalid", fields=errors)
    action = (row.properties or {}).get("action")
    if action:
        case = session.get(Case, instance.case_id) if instance.case_id else None
        data = {**data, **actions.run(action, actions.ActionContext(
            session=session, runtime=runtime, user=user, task=row, instance=instance, case=case,
            data=data, process_data=dict(instance.data or {}), uow=uow))}
    run = store.load(session, runtime, instance)
    try:
        run.complete(task_id, data, now)
    except TaskNotReady:
        raise Conflict("task %(id)s is not waiting for completion", reason="task_not_ready",
                       params={"id": task_id}) from None
    # The row is finished here, so the copy-out in save sees it as done already.
    store.finish_task(session, row, status="completed", now=now, by=user.id)
    if row.deadline_key:
        deadlines.task_finished(session, runtime, row, completed=True, data=data)
    audit.record(session, at=now, actor=user.username, action="task_completed",
                 case_id=instance.case_id, instance_id=instance.id, task_id=task_id,
                 task_name=row.name, detail={"data": data})
    # The step's document (BPMN `document`): a job row in this transaction, generated by a
    # worker once this completion has committed (never inside it; its failure fails only the job).
    for document in step_documents((row.properties or {}).get("document")):
        if document in DOCUMENT_TEMPLATES:
            jobs.submit(session, runtime, kind=DOCUMENT_JOB, owner=user, suffix="", params={
                "case_id": instance.case_id, "instance_id": instance.id, "template": document,
                "task_id": task_id, "source": "completion"}, background=True)
    new_tasks = store.save(uow, runtime, instance, run, actor=user.username, now=now)
    return row, new_tasks


def send_message(uow: UnitOfWork, *, runtime: Runtime, instance_id: str, name: str,
                 payload: dict, user: User) -> ProcessInstance:
    """Deliver a message to the instance; correlation is computed from the payload."""
    limits.check_data(payload, field="payload")
    session = uow.session
    now = runtime.clock.now()
    instance = store.lock_instance(session, runtime, instance_id)
    if not may_drive_instance(session, user, instance):
        raise Forbidden("you may not send messages to this instance", reason="instance_message_forbidden")
    if instance.status != "running":
        raise Conflict("instance is %(status)s; nothing waits for %(name)r",
                       reason="instance_not_running", params={"status": instance.status, "name": name})
    run = store.load(session, runtime, instance)
    try:
        run.send_message(name, payload or {}, now)
    except NothingWaits:
        runtime.workflow_cache.put(instance.id, (instance.revision, run))
        raise Conflict("nothing in this instance waits for message %(name)r",
                       reason="instance_message_unexpected", params={"name": name}) from None
    audit.record(session, at=now, actor=user.username, action="message_received",
                 case_id=instance.case_id, instance_id=instance.id, detail={"name": name})
    store.save(uow, runtime, instance, run, actor=user.username, now=now)
    return instance


def retry_instance(uow: UnitOfWork, *, runtime: Runtime, instance_id: str, data: dict | None,
                   user: User) -> ProcessInstance:
    """Merge data into the failed task and run it again."""
    limits.check_data(data)
    session = uow.session
    now = runtime.clock.now()
    instance = store.lock_instance(session, runtime, instance_id)
    if not may_drive_instance(session, user, instance):
        raise Forbidden("you may not retry this instance", reason="instance_retry_forbidden")
    if instance.status != "error":
        raise Conflict("instance is %(status)s, not in error", reason="instance_not_in_error",
                       params={"status": instance.status})
    run = store.load(session, runtime, instance)
    run.retry(data, now)
    audit.record(session, at=now, actor=user.username, action="instance_retried",
                 case_id=instance.case_id, instance_id=instance.id, detail={"data": data or {}})
    store.save(uow, runtime, instance, run, actor=user.username, now=now)
    return instance


def fire_timers(uow: UnitOfWork, *, runtime: Runtime, instance_id: str, now: datetime) -> int:
    """Check the instance's timers at `now`, run what they release; return how many fired."""
    session = uow.session
    instance = store.lock_instance(session, runtime, instance_id)
    if instance.status != "running":
        for row in session.scalars(select(Timer).where(Timer.instance_id == instance_id,
                                                       Timer.status == "pending")):
            row.status = "cancelled"
        return 0
    run = store.load(session, runtime, instance)
    before = {t.task_id for t in run.waiting_timers()}
    run.fire_timers(now)
    after = {t.task_id for t in run.waiting_timers()}
    for task_id in before - after:
        audit.record(session, at=now, actor="system", action="timer_fired",
                     case_id=instance.case_id, instance_id=instance.id, task_id=task_id)
    store.save(uow, runtime, instance, run, actor="system", now=now)
    return len(before - after)


def cancel_instance(uow: UnitOfWork, *, runtime: Runtime, instance_id: str, actor: str,
                    reason: str, record_as: str | None = None) -> None:
    """Stop an instance: its open tasks are cancelled and nothing waits any more. With
    `record_as` (e.g. "withdrawn") the instance keeps that status instead of counting as
    completed, so it does not close its case."""
    session = uow.session
    now = runtime.clock.now()
    instance = store.lock_instance(session, runtime, instance_id)
    if instance.status not in ("running", "error"):
        return
    run = store.load(session, runtime, instance)
    run.cancel(now, record_as=record_as)
    audit.record(session, at=now, actor=actor, action="instance_cancelled",
                 case_id=instance.case_id, instance_id=instance.id,
                 detail={"reason": reason, "status": record_as or "completed"})
    store.save(uow, runtime, instance, run, actor=actor, now=now)


def diagram(session: Session, runtime: Runtime, instance: ProcessInstance,
            process: str | None = None) -> dict:
    """The instance's own process drawn, or a process it calls (`process`, at any depth): its BPMN
    XML, the elements where it is now and those it has passed, its call activities with the
    process each opens, and who holds each current step. A call activity stands for the process
    it calls (and that one's calls)."""
    compiled = store.compiled_for(session, runtime, instance.definition_id)
    reachable = set().union(*call_targets(compiled).values())
    drawn = instance.process_key if process in (None, instance.process_key) else process
    if drawn not in reachable | {instance.process_key}:
        raise NotFound("process %(key)s is not called by this instance",
                       reason="diagram_process_unknown", params={"key": process})
    called = None if drawn == instance.process_key else drawn
    run = store.load(session, runtime, instance)
    runtime.workflow_cache.put(instance.id, (instance.revision, run))
    current, done = run.diagram_elements(called)
    # The tree forgets finished work (Run.prune); the task rows remember every completed step.
    calls = call_targets(compiled, called)
    rows = session.execute(
        select(Task.element_id, Task.process_key, Task.status, User.display_name, User.username,
               Unit.name)
        .outerjoin(User, User.id == Task.assignee_id)
        .outerjoin(Unit, Unit.id == Task.candidate_unit_id)
        .where(Task.instance_id == instance.id, Task.status.in_(("completed", "open")))).all()
    holders: dict[str, list[str]] = {}
    for element_id, key, status, display_name, username, unit_name in rows:
        if status == "open":
            if key == drawn:
                holders.setdefault(element_id, []).append(
                    " · ".join(x for x in (unit_name, display_name or username) if x))
        elif key == drawn:
            done.add(element_id)
        else:
            done.update(call for call, reached in calls.items() if key in reached)
    xml, name = _source_defining(session, instance, drawn)
    return {"process": drawn, "name": name, "xml": xml, "current": sorted(current),
            "done": sorted(done - current), "calls": direct_calls(compiled, called),
            "holders": {element: sorted(set(names)) for element, names in holders.items()}}


def _source_defining(session: Session, instance: ProcessInstance, process: str) -> tuple[str, str]:
    """(XML, process name) of the file, among those the instance's version was deployed with,
    that defines `process`."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    for checksum_ in [definition.source_checksum, *(definition.dependency_checksums or [])]:
        source = session.get(BpmnSource, checksum_)
        names = bpmn.process_names(bpmn.parse_xml(source.xml.encode(), source.file_name))
        if process in names:
            return source.xml, names[process]
    raise NotFound("process %(key)s is not called by this instance",
                   reason="diagram_process_unknown", params={"key": process})


def count_definitions(session: Session) -> int:
    return session.scalar(select(func.count(ProcessDefinition.id))) or 0
