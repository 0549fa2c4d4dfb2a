"""Escalation of a difficult case to its collaboration zone (协作区提级办理): the township applies,
the zone head decides, the functional office analyses, the zone draws an investigation team from
its OTHER townships (never the accused's own: 回避), the dossier is compiled at the zone and the
case is archived at the county."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.audit import service as audit
from engine.cases import service as cases
from engine.cases.models import Case
from engine.errors import Conflict, Forbidden, Invalid
from engine import notes
from engine.notifications import service as notifications
from engine.org.models import Unit, User
from engine.processes import service as processes
from engine.processes.models import ProcessInstance
from engine.access import recusal
from engine.runtime import Runtime
from engine.uow import UnitOfWork
from engine.zones.models import ZoneEscalation
from engine.deadlines import service as deadlines
from engine.documents import dossier_queue
from engine.deadlines.models import Deadline
from engine.inbox.models import Task

PROCESS_KEY = "zone_escalation"
_SPLIT = re.compile(r"[\s,，、;；]+")


def _township_and_zone(session: Session, case: Case) -> tuple[Unit, Unit]:
    """The case's handling township and the zone above it (422 when there is none)."""
    unit = session.get(Unit, case.handling_unit_id) if case.handling_unit_id else None
    if unit is None:
        raise Invalid("the case has no handling unit yet", reason="case_no_handling_unit",
                      fields={"handling_unit": [notes.note("not_set")]})
    zone = session.get(Unit, unit.parent_id) if unit.parent_id else None
    if unit.kind != "township" or zone is None or zone.kind != "zone":
        raise Invalid("the handling unit %(unit)s is not a township in a collaboration zone",
                      reason="zone_not_township", params={"unit": unit.code},
                      fields={"handling_unit": [notes.note("not_zone_township")]})
    return unit, zone


def _running(session: Session, case_id: int) -> str | None:
    return session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.case_id == case_id, ProcessInstance.process_key == PROCESS_KEY,
        ProcessInstance.status.in_(("running", "error"))).limit(1))


def escalate(uow: UnitOfWork, *, runtime: Runtime, user: User, case_id: int,
             reason: str) -> tuple[ZoneEscalation, ProcessInstance, list]:
    """The handling township applies to its zone: the escalation row and its process."""
    session = uow.session
    case = cases.get_case(session, case_id)
    staff = case.handling_unit_id is not None and user.unit_id == case.handling_unit_id and \
        bool({"supervisor", "caseworker"} & user.roles)
    if not staff and not case_access.may_see_case(session, user, case):
        raise Forbidden("you may not see this case", reason="case_not_visible")
    if not (reason or "").strip():
        raise Invalid("give the reason for escalating", reason="escalation_reason_required",
                      fields={"reason": [notes.note("required")]})
    if case.status in ("merged", "cancelled"):
        raise Invalid("the case is %(status)s", reason="case_not_open", params={"status": case.status},
                      fields={"case": [notes.note("status", status=case.status)]})
    if _running(session, case.id) is not None:
        raise Conflict("an escalation of this case is already under way",
                       reason="escalation_pending")
    township, zone = _township_and_zone(session, case)
    if not staff:
        raise Forbidden("only the handling township's supervisor or caseworkers apply to escalate",
                        reason="escalation_forbidden")
    accused_id = recusal.accused_township_id(session, case.id)
    accused = session.get(Unit, accused_id).code if accused_id else ""
    now = runtime.clock.now()
    row = ZoneEscalation(case_id=case.id, zone_id=zone.id, township_id=township.id,
                         reason=reason.strip(), applied_by_id=user.id, applied_at=now, team=[])
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="case_escalation_applied",
                 case_id=case.id, detail={"escalation_id": row.id, "zone": zone.code,
                                          "township": township.code, "reason": row.reason})
    data = {"escalation_id": row.id, "case_number": case.number, "handling_unit": township.code,
            "township": township.code, "zone_unit": zone.code, "accused_township": accused,
            "escalation_reason": row.reason, "zone_accepted": False, "team": [],
            "investigations": []}
    instance, tasks = processes.start_instance(uow, runtime=runtime, key=PROCESS_KEY, data=data,
                                               user=user, case_id=case.id)
    notifications.notify(session, user_ids=notifications.supervisors_of(session, zone.id),
                         kind="escalated", now=now, case_id=case.id,
                         message=f"{case.number}：{township.name}申请提级至{zone.name}办理："
                                 f"{row.reason}")
    return row, instance, tasks


def of_process(session: Session, *, process_data: dict, case: Case | None) -> ZoneEscalation:
    """The escalation a zone_escalation task works on (started by POST /cases/{id}/escalate)."""
    row = session.get(ZoneEscalation, process_data.get("escalation_id") or 0)
    if row is None or case is None or row.case_id != case.id:
        raise Invalid("this process must be started by escalating a case "
                      "(POST /api/v1/cases/{id}/escalate)", reason="escalation_required",
                      fields={"escalation_id": [notes.note("no_escalation")]})
    return row


def decide(session: Session, runtime: Runtime, *, user: User, row: ZoneEscalation, case: Case,
           accept: bool, reason: str, uow: UnitOfWork | None = None,
           instance_id: str | None = None) -> ZoneEscalation:
    """The zone head accepts (the zone handles the case, the township's open work on it is
    withdrawn) or refuses with a reason (the township's tasks stay as they were)."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise Invalid("a refusal needs a reason", reason="escalation_refusal_reason_required",
                      fields={"decision_reason": [notes.note("required")]})
    now = runtime.clock.now()
    row.decision = "accepted" if accept else "refused"
    row.decided_by_id, row.decided_at = user.id, now
    if accept:
        case.handling_unit_id = row.zone_id
    zone = session.get(Unit, row.zone_id)
    audit.record(session, at=now, actor=user.username,
                 action="case_escalation_accepted" if accept else "case_escalation_refused",
                 case_id=case.id, detail={"escalation_id": row.id, "zone": zone.code,
                                          "reason": reason})
    if accept and uow is not None:
        withdraw_township_work(uow, runtime, row=row, case=case, actor=user.username,
                               zone_instance_id=instance_id)
    return row


def withdraw_township_work(uow: UnitOfWork, runtime: Runtime, *, row: ZoneEscalation,
                           case: Case, actor: str, zone_instance_id: str | None) -> list[str]:
    """Cancel, with the recorded status `withdrawn`, every other running instance of the case
    that holds an open task of the township (offered to its unit or bound to one of its people):
    the saved workflow, the task rows and the deadlines then agree. When that was the case's own
    process, the zone's process becomes it (its end closes the case). Audited; returns the
    withdrawn instance ids."""
    session = uow.session
    path = session.scalar(select(Unit.path).where(Unit.id == row.township_id))
    township = select(Unit.id).where(Unit.path.startswith(path))
    people = select(User.id).where(User.unit_id.in_(township))
    open_tasks = list(session.scalars(select(Task).where(
        Task.case_id == case.id, Task.status == "open",
        Task.process_key != PROCESS_KEY,
        (Task.candidate_unit_id.in_(township)) | (Task.candidate_user_id.in_(people))
        | (Task.assignee_id.in_(people)))))
    instance_ids = sorted({t.instance_id for t in open_tasks} - {zone_instance_id})
    if not instance_ids:
        return []
    now = runtime.clock.now()
    withdrawn_tasks = [{"task_id": t.id, "element_id": t.element_id} for t in open_tasks
                       if t.instance_id in instance_ids]
    for instance_id in instance_ids:
        processes.cancel_instance(uow, runtime=runtime, instance_id=instance_id, actor=actor,
                                  reason="escalation accepted: the zone handles the case",
                                  record_as="withdrawn")
        # Clocks of the withdrawn work that no task carries any more stop too.
        for key in sorted(set(session.scalars(select(Deadline.key).where(
                Deadline.instance_id == instance_id,
                Deadline.status.in_(("open", "suspended")))))):
            deadlines.settle(session, runtime, case_id=case.id, key=key, status="cancelled",
                             actor=actor, reason="escalation accepted: work withdrawn")
        if case.instance_id == instance_id and zone_instance_id:
            case.instance_id = zone_instance_id
    audit.record(session, at=now, actor=actor, action="township_work_withdrawn",
                 case_id=case.id, detail={"escalation_id": row.id, "instances": instance_ids,
                                          "tasks": withdrawn_tasks})
    return instance_ids


def withdraw_pending(runtime: Runtime) -> int:
    """Upgrade step (init-db): cases a zone accepted before this release whose township work
    still runs get it withdrawn now. Returns how many instances were withdrawn."""
    def work(uow: UnitOfWork) -> int:
        session = uow.session
        count = 0
        for row in list(session.scalars(select(ZoneEscalation).where(
                ZoneEscalation.decision == "accepted", ZoneEscalation.archived_at.is_(None))
                .order_by(ZoneEscalation.id))):
            case = session.get(Case, row.case_id)
            zone_instance = None
            for instance in session.scalars(select(ProcessInstance).where(
                    ProcessInstance.case_id == case.id,
                    ProcessInstance.process_key == PROCESS_KEY)):
                if (instance.data or {}).get("escalation_id") == row.id:
                    zone_instance = instance.id
            count += len(withdraw_township_work(uow, runtime, row=row, case=case,
                                                actor="system", zone_instance_id=zone_instance))
        return count
    return runtime.transact(work)


def analyse(session: Session, runtime: Runtime, *, user: User, row: ZoneEscalation,
            analysis: str, suggested: str = "") -> None:
    """The commission's functional office records its analysis (研判)."""
    if not (analysis or "").strip():
        raise Invalid("the analysis is required", reason="escalation_analysis_required",
                      fields={"analysis": [notes.note("required")]})
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="case_escalation_analysed", case_id=row.case_id,
                 detail={"escalation_id": row.id, "analysis": analysis.strip(),
                         "suggested_investigators": (suggested or "").strip()})


def team_problems(session: Session, *, row: ZoneEscalation,
                  usernames: list[str]) -> list[notes.Note]:
    """Why each proposed investigator may not join (empty when the team is acceptable)."""
    zone_townships = {u.id: u for u in session.scalars(select(Unit).where(
        Unit.parent_id == row.zone_id, Unit.kind == "township", Unit.active.is_(True)))}
    own = {row.township_id, recusal.accused_township_id(session, row.case_id)} - {None}
    users = {u.username: u for u in session.scalars(select(User).where(
        User.username.in_(usernames)))} if usernames else {}
    zone_code = session.scalar(select(Unit.code).where(Unit.id == row.zone_id))
    problems = []
    for name in usernames:
        user = users.get(name)
        if user is None or not user.active:
            problems.append(notes.note("no_active_user", name=name))
        elif "caseworker" not in user.roles or user.unit_id not in zone_townships:
            problems.append(notes.note("not_zone_caseworker", name=name, zone=zone_code))
        elif user.unit_id in own:
            problems.append(notes.note("own_township", name=name,
                                       unit=zone_townships[user.unit_id].code))
        elif recusal.is_recused(session, user_id=user.id, case_id=row.case_id):
            problems.append(notes.note("recused", name=name))
    return problems


def assemble_team(session: Session, runtime: Runtime, *, user: User, row: ZoneEscalation,
                  team, leader: str = "") -> list[str]:
    """The zone draws investigators from its other townships; refused naming who may not join."""
    items = _SPLIT.split(team) if isinstance(team, str) else [str(t) for t in team or []]
    usernames = list(dict.fromkeys(t.strip() for t in items if t and t.strip()))
    if not usernames:
        raise Invalid("name at least one investigator", reason="investigation_team_required",
                      fields={"team": [notes.note("required")]})
    problems = team_problems(session, row=row, usernames=usernames)
    if problems:
        raise Invalid("%(problems)s", reason="investigation_team_unfit",
                      params={"problems": "; ".join(problems)}, fields={"team": problems})
    leader = (leader or "").strip()
    if leader and leader not in usernames:
        raise Invalid("the team leader %(leader)s is not in the team",
                      reason="investigation_leader_not_in_team", params={"leader": leader},
                      fields={"team_leader": [notes.note("team_member")]})
    row.team = usernames
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="investigation_team_assembled", case_id=row.case_id,
                 detail={"escalation_id": row.id, "team": usernames, "leader": leader or None})
    return usernames


def record_investigation(session: Session, runtime: Runtime, *, user: User, row: ZoneEscalation,
                         findings: str) -> dict:
    """One investigator reports; refused when they are not (or no longer) fit for the team."""
    if user.username not in (row.team or []):
        raise Forbidden("%(user)s is not on this investigation team",
                        reason="investigation_not_member", params={"user": user.username})
    problems = team_problems(session, row=row, usernames=[user.username])
    if problems:
        raise Forbidden("%(problems)s", reason="investigation_member_unfit",
                        params={"problems": problems[0]})
    if not (findings or "").strip():
        raise Invalid("report the findings", reason="investigation_findings_required", fields={"findings": [notes.note("required")]})
    now = runtime.clock.now()
    audit.record(session, at=now, actor=user.username, action="investigation_reported",
                 case_id=row.case_id,
                 detail={"escalation_id": row.id, "findings": findings.strip()})
    return {"by": user.username, "findings": findings.strip(),
            "at": runtime.clock.local(now).isoformat()}


def compile_dossier(session: Session, runtime: Runtime, *, user: User, row: ZoneEscalation,
                    summary: str, volumes: int | None) -> None:
    """The dossier is compiled at the zone (卷宗整理): recorded, and its job queued."""
    if not (summary or "").strip():
        raise Invalid("describe the dossier", reason="dossier_summary_required", fields={"dossier_summary": [notes.note("required")]})
    now = runtime.clock.now()
    row.dossier_at = now
    audit.record(session, at=now, actor=user.username, action="dossier_compiled",
                 case_id=row.case_id, detail={"escalation_id": row.id, "summary": summary.strip(),
                                              "volumes": volumes})
    # The dossier itself (PDF and ZIP) is built by a worker once this step commits.
    dossier_queue.queue(session, runtime, case=session.get(Case, row.case_id), actor=user,
                        freeze=False, source=dossier_queue.ZONE_STEP)


def archive(session: Session, runtime: Runtime, *, user: User, row: ZoneEscalation, case: Case,
            archive_number: str) -> None:
    """The county's case-management office archives the case."""
    if not (archive_number or "").strip():
        raise Invalid("the archive number is required", reason="archive_number_required",
                      fields={"archive_number": [notes.note("required")]})
    now = runtime.clock.now()
    row.archived_at = case.archived_at = now
    audit.record(session, at=now, actor=user.username, action="case_archived", case_id=case.id,
                 detail={"escalation_id": row.id, "archive_number": archive_number.strip()})
    # Archived: the dossier is frozen (rebuilt with what was filed since the dossier step).
    dossier_queue.queue(session, runtime, case=case, actor=user, freeze=True,
                        source=dossier_queue.ARCHIVED)


def _status(row: ZoneEscalation) -> str:
    if row.archived_at:
        return "archived"
    if row.dossier_at:
        return "dossier_compiled"
    if row.decision == "refused":
        return "refused"
    if row.team:
        return "investigating"
    if row.decision == "accepted":
        return "accepted"
    return "applied"


def describe(session: Session, runtime: Runtime, row: ZoneEscalation,
             instance_id: str | None = None) -> dict:
    """An escalation as the API shows it."""
    codes = runtime.names.unit_codes(session, [row.zone_id, row.township_id])
    users = runtime.names.usernames(session, [row.applied_by_id, row.decided_by_id])

    def local(value):
        return runtime.clock.local(value).isoformat() if value is not None else None
    return {"id": row.id, "case_id": row.case_id, "instance_id": instance_id,
            "zone": codes.get(row.zone_id), "township": codes.get(row.township_id),
            "reason": row.reason, "status": _status(row),
            "applied_by": users.get(row.applied_by_id), "applied_at": local(row.applied_at),
            "decision": row.decision, "decided_by": users.get(row.decided_by_id),
            "decided_at": local(row.decided_at), "team": list(row.team or []),
            "dossier_at": local(row.dossier_at), "archived_at": local(row.archived_at)}


def for_case(session: Session, runtime: Runtime, *, user: User, case_id: int) -> list[dict]:
    """The case's escalations, oldest first, for whoever may see the case."""
    return of_case(session, runtime, case_access.case_for_user(session, user, case_id))


def of_case(session: Session, runtime: Runtime, case: Case) -> list[dict]:
    """The escalations of a case the caller has checked the user may see (`for_case`)."""
    instances = {}
    for instance in session.scalars(select(ProcessInstance).where(
            ProcessInstance.case_id == case.id, ProcessInstance.process_key == PROCESS_KEY)):
        instances[(instance.data or {}).get("escalation_id")] = instance.id
    rows = session.scalars(select(ZoneEscalation).where(ZoneEscalation.case_id == case.id)
                           .order_by(ZoneEscalation.applied_at, ZoneEscalation.id))
    return [describe(session, runtime, r, instances.get(r.id)) for r in rows]
