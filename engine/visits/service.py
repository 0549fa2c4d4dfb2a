"""Result feedback to real-name reporters, return visits (反馈, 回访), and the first-handling
responsibility (初信初访首办责任制): repeats go back to the first unit; a transfer needs the
handling unit's supervisor and leaves the first unit accountable."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.audit import service as audit
from engine.cases.models import Case
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes as field_notes  # `notes` is a return visit's text here
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.petitions.models import Petition
from engine.runtime import Runtime
from engine.uow import UnitOfWork
from engine.visits.models import SATISFACTION, ReturnVisit
from engine.inbox import service as inbox
from engine.processes import service as processes

TRANSFER_PROCESS = "first_handling_transfer"
FEEDBACK_PROCESS = "feedback_visit"
# Dissatisfied reporters can have the matter re-handled at most this often (loops stay short).
MAX_REHANDLING = 2


def _code(session: Session, unit_id: int | None) -> str | None:
    return session.scalar(select(Unit.code).where(Unit.id == unit_id)) if unit_id else None


# ---------------------------------------------------------------------------------------------
# Return visits and feedback


def record_visit(session: Session, *, case_id: int | None, kind: str, petition_id: int | None,
                 satisfaction: str | None, notes: str, user: User, now: datetime,
                 detail: dict | None = None) -> ReturnVisit | None:
    """A return visit to the reporter or to a cleared cadre; audited (never who the reporter is)."""
    if kind not in ("reporter", "cadre"):
        raise Invalid("a return visit is to the reporter or to a cadre", reason="visit_kind_unknown",
                      fields={"kind": [field_notes.note("unknown")]})
    if satisfaction is not None and satisfaction not in SATISFACTION:
        raise Invalid("one of %(options)s", reason="visit_satisfaction_unknown",
                      params={"options": ", ".join(SATISFACTION)}, fields={"satisfaction": [field_notes.note("unknown")]})
    if kind == "reporter" and satisfaction is None:
        raise Invalid("record the reporter's satisfaction", reason="visit_satisfaction_required",
                      fields={"satisfaction": [field_notes.note("required")]})
    if case_id is None:  # a designer's test run without a case: nothing to record
        return None
    visit = ReturnVisit(case_id=case_id, petition_id=petition_id, kind=kind,
                        satisfaction=satisfaction, notes=notes or "", reopened=False,
                        visited_by_id=user.id, visited_at=now)
    session.add(visit)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="return_visit_recorded",
                 case_id=case_id, detail={"visit_id": visit.id, "kind": kind,
                                          "satisfaction": satisfaction, **(detail or {})})
    return visit


def give_feedback(session: Session, *, case_id: int | None, petition_id: int | None,
                  method: str, summary: str, round_: int, actor: str, now: datetime) -> None:
    """The result was fed back to the real-name reporter (how, not to whom)."""
    if not (summary or "").strip():
        raise Invalid("say what was fed back", reason="feedback_summary_required", fields={"feedback_summary": [field_notes.note("required")]})
    if case_id is not None:
        audit.record(session, at=now, actor=actor, action="result_fed_back", case_id=case_id,
                     detail={"petition_id": petition_id, "method": method, "round": round_})


def review(session: Session, *, case_id: int | None, visit_id: int | None, decision: str,
           reason: str, rehandled: int, actor: str, now: datetime) -> None:
    """A supervisor reviews a dissatisfied return visit: re-handle (reopens) or uphold."""
    if decision not in ("rehandle", "uphold"):
        raise Invalid("rehandle or uphold", reason="visit_review_decision_unknown", fields={"review_decision": [field_notes.note("unknown")]})
    if decision == "rehandle" and rehandled >= MAX_REHANDLING:
        raise Invalid("already re-handled %(times)s times: uphold and close, or escalate",
                      reason="visit_rehandling_exhausted", params={"times": rehandled},
                      fields={"review_decision": [field_notes.note("max_rehandlings", n=MAX_REHANDLING)]})
    if not (reason or "").strip():
        raise Invalid("give the review's reasons", reason="visit_review_reason_required",
                      fields={"review_reason": [field_notes.note("required")]})
    visit = session.get(ReturnVisit, visit_id) if visit_id else None
    if visit is not None and decision == "rehandle":
        visit.reopened = True
    if case_id is not None:
        audit.record(session, at=now, actor=actor, action="return_visit_reviewed",
                     case_id=case_id,
                     detail={"visit_id": visit_id, "decision": decision, "reason": reason})


def rehandle(session: Session, *, case_id: int | None, result: str, round_: int, actor: str,
             now: datetime) -> None:
    """The caseworker handled the matter again; the reporter gets feedback again."""
    if case_id is not None:
        audit.record(session, at=now, actor=actor, action="case_rehandled", case_id=case_id,
                     detail={"round": round_, "result": result})


def visits_for_case(session: Session, case_id: int) -> list[ReturnVisit]:
    """The case's return visits, oldest first."""
    return list(session.scalars(select(ReturnVisit).where(ReturnVisit.case_id == case_id)
                                .order_by(ReturnVisit.visited_at, ReturnVisit.id)))


# ---------------------------------------------------------------------------------------------
# First-handling responsibility


def first_handling_unit_of(session: Session, case_id: int) -> str | None:
    """The unit code that owns the matter (初信初访首办): for a repeat petition's case, the first
    submission's case; None when no first-handling unit was fixed yet."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case %(id)s not found", reason="case_not_found", params={"id": case_id})
    petition = session.scalar(select(Petition).where(Petition.case_id == case_id)
                              .order_by(Petition.id).limit(1))
    seen: set[int] = set()
    while petition is not None and petition.repeat_of_id is not None \
            and petition.repeat_of_id not in seen:
        seen.add(petition.id)
        petition = session.get(Petition, petition.repeat_of_id)
    if petition is not None and petition.case_id is not None and petition.case_id != case_id:
        original = session.get(Case, petition.case_id)
        if original is not None and original.first_handling_unit_id is not None:
            return _code(session, original.first_handling_unit_id)
    return _code(session, case.first_handling_unit_id)


def request_transfer(uow: UnitOfWork, *, runtime: Runtime, user: User, case_id: int,
                     to_unit: str, reason: str) -> list[Task]:
    """The handling unit asks to transfer the matter: starts the approval; returns its tasks."""
    session = uow.session
    case = case_access.case_for_user(session, user, case_id)
    if case.handling_unit_id is None:
        raise Invalid("the case has no handling unit yet", reason="case_no_handling_unit",
                      fields={"case_id": [field_notes.note("not_assigned")]})
    if user.unit_id != case.handling_unit_id or not {"caseworker", "supervisor"} & user.roles:
        raise Forbidden("only the handling unit asks to transfer its matter",
                        reason="transfer_forbidden")
    target = session.scalar(select(Unit).where(Unit.code == (to_unit or "").strip(),
                                               Unit.active.is_(True)))
    if target is None:
        raise Invalid("unknown unit", reason="transfer_unit_unknown", fields={"to_unit": [field_notes.note("unknown_unit")]})
    if target.id == case.handling_unit_id:
        raise Invalid("the matter is already handled there", reason="transfer_same_unit",
                      fields={"to_unit": [field_notes.note("same_unit")]})
    if not (reason or "").strip():
        raise Invalid("give the reason for the transfer", reason="transfer_reason_required",
                      fields={"reason": [field_notes.note("required")]})
    pending = session.scalar(select(Task.id).where(Task.case_id == case.id,
                                                   Task.process_key == TRANSFER_PROCESS,
                                                   Task.status == "open").limit(1))
    if pending is not None:
        raise Conflict("a transfer of this case is already waiting for a decision",
                       reason="transfer_pending")
    now = runtime.clock.now()
    current = _code(session, case.handling_unit_id)
    data = {"case_id": case.id, "handling_unit": current, "transfer_from": current,
            "to_unit": target.code, "first_handling_unit": _code(session,
                                                                 case.first_handling_unit_id),
            "transfer_reason": reason.strip(), "requested_by": user.username}
    audit.record(session, at=now, actor=user.username, action="case_transfer_requested",
                 case_id=case.id, detail={"from": current, "to": target.code,
                                          "reason": reason.strip()})
    _, tasks = processes.start_instance(uow, runtime=runtime, key=TRANSFER_PROCESS, data=data,
                                        user=user, case_id=case.id)
    return tasks


def decide_transfer(session: Session, *, case: Case | None, approved: bool, from_unit: str,
                    to_unit: str, user: User, comment: str, now: datetime) -> None:
    """Approved: the handling unit changes, the first-handling unit stays; refused: nothing."""
    if case is None:
        return
    detail = {"from": from_unit, "to": to_unit, "comment": comment,
              "first_handling_unit": _code(session, case.first_handling_unit_id)}
    if not approved:
        audit.record(session, at=now, actor=user.username, action="case_transfer_refused",
                     case_id=case.id, detail=detail)
        return
    if _code(session, case.handling_unit_id) != from_unit:
        raise Invalid("the handling unit changed since the request", reason="transfer_stale",
                      fields={"transfer_approved": [field_notes.note("stale_request")]})
    target = session.scalar(select(Unit.id).where(Unit.code == to_unit, Unit.active.is_(True)))
    if target is None:
        raise Invalid("the target unit no longer exists", reason="transfer_unit_gone",
                      fields={"transfer_approved": [field_notes.note("unknown")]})
    if case.first_handling_unit_id is None:  # the first unit stays accountable from now on
        case.first_handling_unit_id = case.handling_unit_id
    if case.handling_unit_id is not None:
        inbox.move_case_tasks(session, case_id=case.id, from_unit_id=case.handling_unit_id,
                              to_unit_id=target, actor=user.username, now=now)
    case.handling_unit_id = target
    audit.record(session, at=now, actor=user.username, action="case_transferred",
                 case_id=case.id, detail=detail)


def receive_transfer(session: Session, *, case_id: int | None, note: str, actor: str,
                     now: datetime) -> None:
    """The receiving unit took the matter over."""
    if case_id is not None:
        audit.record(session, at=now, actor=actor, action="case_transfer_received",
                     case_id=case_id, detail={"note": note})
