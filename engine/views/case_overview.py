"""Everything the case page shows in one read: the case, its petitions and repeats, clues,
current tasks with their owners, deadlines, process instances, and what the reader may do."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.admin import service as admin
from engine.audit import service as audit
from engine.cases import service as cases
from engine.clues import service as clues
from engine.deadlines import service as deadlines
from engine.audit.models import AuditEvent
from engine.errors import NotFound
from engine.access import authority
from engine.inbox import service as inbox
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.petitions import service as petitions
from engine.petitions.models import Petition
from engine.processes.models import ProcessDefinition, ProcessInstance
from engine.runtime import Runtime
from engine.views import case_record, timeline
from engine.zones import service as zones


def case_overview(session: Session, runtime: Runtime, *, user: User, case_id: int) -> dict:
    """The case as its page shows it, for whoever may see it (the reading is audited); the
    reporter is masked; eligible assignees come with each task the reader may reassign."""
    case = cases.read_case(session, runtime, user=user, case_id=case_id)
    now = runtime.clock.now()
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(
        {case.registered_unit_id, case.handling_unit_id, case.first_handling_unit_id} - {None})))}
    own = list(session.scalars(select(Petition).where(Petition.case_id == case.id)
                               .order_by(Petition.received_at, Petition.id)))
    own_ids = [p.id for p in own]
    repeats = list(session.scalars(select(Petition).where(Petition.repeat_of_id.in_(own_ids))
                                   .order_by(Petition.received_at))) if own_ids else []
    originals = list(session.scalars(select(Petition).where(Petition.id.in_(
        {p.repeat_of_id for p in own if p.repeat_of_id})))) if own_ids else []
    tasks = list(session.scalars(select(Task).where(Task.case_id == case.id,
                                                    Task.status == "open")
                                 .order_by(Task.created_at, Task.id)))
    instances = list(session.scalars(select(ProcessInstance).where(
        ProcessInstance.case_id == case.id).order_by(ProcessInstance.created_at)))
    names = dict(session.execute(select(ProcessDefinition.id, ProcessDefinition.name).where(
        ProcessDefinition.id.in_({i.definition_id for i in instances}))).all()) if instances else {}
    supervises = case_access.supervises(session, user, case)
    handling_staff = case.handling_unit_id == user.unit_id and bool(
        {"supervisor", "caseworker"} & user.roles)

    def brief(p: Petition) -> dict:
        return {"id": p.id, "number": p.number, "display_number": p.display_number,
                "case_id": p.case_id, "status": p.status,
                "received_at": runtime.clock.local(p.received_at)}
    return {
        "case": case, "taken_by": _display_names(session, [case.taken_by_id]).get(case.taken_by_id),
        "registered_unit": units.get(case.registered_unit_id),
        "handling_unit": units.get(case.handling_unit_id),
        "first_handling_unit": units.get(case.first_handling_unit_id),
        "petitions": [petitions.describe(session, p, runtime) for p in own],
        "repeats": [brief(p) for p in repeats], "originals": [brief(p) for p in originals],
        "clues": [clues.describe(session, runtime, clue=c)
                  for c in clues.for_case(session, case_id=case.id)],
        "tasks": task_rows(session, runtime, user=user, tasks=tasks),
        "deadlines": [{"row": d, "warning": deadlines.warning_of(d, now)}
                      for d in deadlines.for_case(session, case.id)],
        "instances": [{"id": i.id, "process_key": i.process_key, "version": i.version,
                       "status": i.status, "name": names.get(i.definition_id) or i.process_key,
                       "main": i.id == case.instance_id} for i in instances],
        "record": case_record.build(session, runtime, case_id=case.id, number=case.number),
        "escalations": zones.of_case(session, runtime, case),
        "may_supervise": supervises and case.status == "open",
        "may_escalate": handling_staff and case.status == "open",
    }


def task_rows(session: Session, runtime: Runtime, *, user: User, tasks: list[Task]) -> list[dict]:
    """Tasks as the case page and the overdue board list them: owner's name, and for those the
    reader may reassign, who may be given them (eligible, never recused)."""
    rows = inbox.describe(session, tasks, runtime)
    owners = _display_names(session, [t.assignee_id for t in tasks])
    for task, row in zip(tasks, rows, strict=False):
        row["assignee_name"] = owners.get(task.assignee_id)
        row["may_reassign"] = task.status == "open" and authority.may_supervise(session, user, task)
        row["eligible"] = admin.eligible_assignees(session, user=user, task_id=task.id) \
            if row["may_reassign"] else []
    return rows


def _display_names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {i: d or u for i, u, d in session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(ids)))}


def instance_of_case(session: Session, *, user: User, case_id: int,
                     instance_id: str) -> ProcessInstance:
    """One of the case's process instances, for whoever may see the case."""
    case = case_access.case_for_user(session, user, case_id)
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.case_id != case.id:
        raise NotFound("no such process instance in this case", reason="case_instance_not_found")
    return instance


def case_views(session: Session, *, user, case_id: int) -> list[AuditEvent]:
    """Who read a case's details, oldest first; for supervisors over the case's units."""
    case_access.supervised_case(session, user, case_id)
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.action == audit.VIEWED)
        .order_by(AuditEvent.at, AuditEvent.id)))


def case_history(session: Session, runtime: Runtime, *, user: User, case_id: int,
                 page: int) -> dict:
    """Page `page` (from 1, oldest first) of the case's whole history, for whoever may see the
    case (the reading is noted as the case page's is)."""
    case = cases.read_case(session, runtime, user=user, case_id=case_id)
    size = timeline.HISTORY_PAGE
    part = timeline.timeline_part(session, case_id=case.id, offset=(max(page, 1) - 1) * size,
                                   limit=size)
    pages = max((part["total"] + size - 1) // size, 1)
    return {"case": {"id": case.id, "number": case.number,
                     "display_number": case.display_number},
            "timeline": part, "page": min(max(page, 1), pages), "pages": pages}
