"""Problem clues (问题线索): registered from petitions about party members and officials, disposed
of in one of four ways (线索处置四类方式), inquired into (谈话函询), verified (初步核实) and, when
discipline was breached, filed as a case (立案 → 审查调查 → 审理 → 处分 → 结案). Every change is
audited; reporter identity never appears in these records."""
from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.audit import service as audit
from engine.cases import service as cases
from engine.cases.models import Case
from engine.clues.models import DISPOSITIONS, FINDINGS, Clue
from engine.deadlines import service as deadlines
from engine.deadlines.models import Deadline
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.petitions.models import Petition
from engine.runtime import Runtime

DISPOSITION_LABELS = {"inquiry": "谈话函询", "verification": "初步核实", "shelved": "暂存待查",
                      "closed": "予以了结"}
FINDING_LABELS = {"true": "属实", "partly_true": "部分属实", "untrue": "不属实",
                  "unverifiable": "无法查实"}
INQUIRY_METHODS = {"talk": "谈话", "letter": "函询"}
INQUIRY_OUTCOMES = ("close", "verification")
# Decisions after a verification, and the findings each one fits.
VERIFICATION_DECISIONS = {"file": ("true", "partly_true"), "close": FINDINGS,
                          "remind": ("true", "partly_true"), "clarify": ("untrue",)}
REMIND_METHODS = {"remind": "提醒谈话", "criticise": "批评教育"}
SANCTIONS = {"warning": "警告", "serious_warning": "严重警告", "removal_from_post": "撤销党内职务",
             "probation": "留党察看", "expulsion": "开除党籍", "gov_warning": "政务警告",
             "gov_demerit": "政务记过", "gov_major_demerit": "政务记大过",
             "gov_demotion": "政务降级", "gov_dismissal": "政务撤职", "gov_expulsion": "政务开除",
             "exempted": "免予处分"}
# Member units of a key verification's joint review (联审会商), by unit code: those with joint
# reviewers in the demo organisation (the case and trial offices have none).
KEY_REVIEW_MEMBERS = ("supervision-office", "org-dept", "police")
SUMMARY_CHARS = 500


def _required_text(value, field: str) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise Invalid("%(field)s is required", reason="clue_text_required", params={"field": field},
                      fields={field: [notes.note("required")]})
    return text


def _touch(clue: Clue, now: datetime) -> None:
    clue.updated_at = now


def _unit_code(session: Session, unit_id: int | None) -> str | None:
    return session.scalar(select(Unit.code).where(Unit.id == unit_id)) if unit_id else None


def _record(session: Session, runtime: Runtime, *, clue: Clue, actor: str, action: str,
            **detail) -> None:
    audit.record(session, at=runtime.clock.now(), actor=actor, action=action,
                 case_id=clue.case_id, detail={"clue": clue.number, **detail})


# ---------------------------------------------------------------------------------------------
# Reading


def get(session: Session, clue_id: int) -> Clue:
    """The clue, or NotFound."""
    clue = session.get(Clue, clue_id) if isinstance(clue_id, int) else None
    if clue is None:
        raise NotFound("clue %(id)s not found", reason="clue_not_found", params={"id": clue_id})
    return clue


def of_process(session: Session, *, process_data: dict) -> Clue:
    """The clue a clue process works on (process data `clue_id`)."""
    clue_id = process_data.get("clue_id")
    if not isinstance(clue_id, int):
        raise Invalid("this process works on a clue: start it with clue_id",
                      reason="clue_required",
                      fields={"clue_id": [notes.note("required")]})
    return get(session, clue_id)


def for_case(session: Session, *, case_id: int) -> list[Clue]:
    """The clues of a case, oldest first."""
    return list(session.scalars(select(Clue).where(Clue.case_id == case_id).order_by(Clue.id)))


def may_see(session: Session, *, user: User, clue: Clue) -> bool:
    """Whoever may see the clue's case; a clue without a case: its unit and the units above."""
    if clue.case_id is not None:
        return case_access.may_see_case(session, user, cases.get_case(session, clue.case_id))
    if clue.unit_id is None:
        return False
    if clue.unit_id == user.unit_id and {"caseworker", "supervisor"} & user.roles:
        return True
    if "supervisor" in user.roles:
        path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id)) or "/"
        unit_path = session.scalar(select(Unit.path).where(Unit.id == clue.unit_id)) or ""
        return unit_path.startswith(path)
    return False


def for_user(session: Session, *, user: User, clue_id: int) -> Clue:
    """The clue, if the user may see it."""
    clue = get(session, clue_id)
    if not may_see(session, user=user, clue=clue):
        raise Forbidden("you may not see this clue", reason="clue_not_visible")
    return clue


def of_case_for_user(session: Session, *, user: User, case_id: int) -> list[Clue]:
    """The clues of a case the user may see."""
    case_access.case_for_user(session, user, case_id)
    return for_case(session, case_id=case_id)


def describe(session: Session, runtime: Runtime, *, clue: Clue) -> dict:
    """A clue as the API shows it (local times, unit code and usernames)."""
    def local(value):
        return runtime.clock.local(value) if value is not None else None
    users = runtime.names.usernames(session, [clue.proposed_by_id, clue.approved_by_id])
    case_number = session.scalar(select(Case.number).where(Case.id == clue.case_id)) \
        if clue.case_id else None
    petition_number = session.scalar(select(Petition.number).where(
        Petition.id == clue.petition_id)) if clue.petition_id else None
    return {
        "id": clue.id, "number": clue.number, "display_number": clue.display_number, "case_id": clue.case_id, "case_number": case_number,
        "petition_id": clue.petition_id, "petition_number": petition_number,
        "source": clue.source, "status": clue.status,
        "unit": _unit_code(session, clue.unit_id),
        "accused": {"name": clue.accused_name, "post": clue.accused_post,
                    "unit": clue.accused_unit, "level": clue.accused_level},
        "summary": clue.summary, "disposition": clue.disposition,
        "disposition_reason": clue.disposition_reason,
        "proposed_by": users.get(clue.proposed_by_id), "proposed_at": local(clue.proposed_at),
        "approved_by": users.get(clue.approved_by_id), "approved_at": local(clue.approved_at),
        "shelved_until": local(clue.shelved_until), "finding": clue.finding,
        "finding_at": local(clue.finding_at), "key_verification": clue.key_verification,
        "closed_reason": clue.closed_reason, "closed_at": local(clue.closed_at),
        "created_at": local(clue.created_at), "updated_at": local(clue.updated_at),
    }


# ---------------------------------------------------------------------------------------------
# Creation and disposition (线索处置)


def create_from_petition(session: Session, runtime: Runtime, *, petition: Petition, unit: Unit,
                         actor: str) -> Clue:
    """Enter a petition about a party member or official in its handling unit's clue ledger."""
    now = runtime.clock.now()
    # Once per petition: classifying it again (after an undone repeat link) moves the clue.
    clue = session.scalar(select(Clue).where(Clue.petition_id == petition.id))
    if clue is not None:
        if clue.unit_id != unit.id and clue.status == "pending":
            clue.unit_id = unit.id
            _touch(clue, now)
            _record(session, runtime, clue=clue, actor=actor, action="clue_moved",
                    unit=unit.code)
        return clue
    first = petition.accused[0] if petition.accused else None
    clue = Clue(
        **cases.numbers(session, runtime, unit=unit, year=runtime.clock.local(now).year,
                        kind="clue"),
        case_id=petition.case_id, petition_id=petition.id, source="petition",
        status="pending", unit_id=unit.id,
        accused_name=first.name if first else "", accused_post=first.post if first else "",
        accused_unit=first.unit if first else "",
        accused_level=first.level if first else "other",
        summary=(petition.content or "")[:SUMMARY_CHARS], disposition_reason="",
        closed_reason="", key_verification=False, created_at=now, updated_at=now)
    session.add(clue)
    session.flush()
    _record(session, runtime, clue=clue, actor=actor, action="clue_created", source="petition",
            petition=petition.number, unit=unit.code)
    return clue


def propose(session: Session, runtime: Runtime, *, clue: Clue, user: User, disposition: str,
            reason: str) -> Clue:
    """The caseworker proposes one of the four ways with reasons (pending approval)."""
    if disposition not in DISPOSITIONS:
        raise Invalid("unknown disposition %(disposition)r", reason="clue_disposition_unknown",
                      params={"disposition": disposition},
                      fields={"disposition": [notes.note("one_of", options=", ".join(DISPOSITIONS))]})
    reason = _required_text(reason, "disposition_reason")
    if clue.status not in ("pending", "shelved"):
        raise Invalid("clue %(number)s is %(status)s", reason="clue_not_pending",
                      params={"number": clue.number, "status": clue.status}, fields={"clue": [notes.note("status", status=clue.status)]})
    now = runtime.clock.now()
    clue.disposition, clue.disposition_reason = disposition, reason
    clue.proposed_by_id, clue.proposed_at = user.id, now
    clue.approved_by_id = clue.approved_at = None
    _touch(clue, now)
    _record(session, runtime, clue=clue, actor=user.username, action="clue_disposition_proposed",
            disposition=disposition, reason=reason)
    return clue


def shelved_review_period(runtime: Runtime) -> str:
    """The configured shelving period as an ISO 8601 duration for the BPMN timer (e.g. P6M)."""
    cfg = deadlines.key_config(runtime, "shelved_review")
    amount, unit = int(cfg["amount"]), cfg["unit"]
    if unit == "months":
        return f"P{amount}M"
    if unit == "days":
        return f"P{amount}D"
    return f"P{math.ceil(amount * 7 / 5)}D"  # working days: the calendar span of that many weeks


def decide_disposition(session: Session, runtime: Runtime, *, clue: Clue, user: User,
                       approved: bool, comment: str, case: Case | None,
                       instance_id: str | None) -> Clue:
    """The supervisor approves the proposal (it takes effect) or sends it back."""
    now = runtime.clock.now()
    if clue.disposition is None or clue.proposed_at is None:
        raise Invalid("there is no proposal to approve", reason="clue_no_proposal", fields={"clue": [notes.note("no_proposal")]})
    if not approved:
        _touch(clue, now)
        _record(session, runtime, clue=clue, actor=user.username,
                action="clue_disposition_returned", disposition=clue.disposition,
                comment=comment or "")
        return clue
    clue.approved_by_id, clue.approved_at = user.id, now
    _touch(clue, now)
    _record(session, runtime, clue=clue, actor=user.username, action="clue_disposition_approved",
            disposition=clue.disposition, comment=comment or "")
    if clue.disposition == "closed":
        close(session, runtime, clue=clue, actor=user.username,
              reason=f"予以了结：{clue.disposition_reason}")
    elif clue.disposition == "shelved":
        row = deadlines.start(session, runtime, key="shelved_review", started_at=now,
                              case_id=case.id if case else None,
                              instance_id=None if case else instance_id, unit_id=clue.unit_id,
                              actor=user.username)
        clue.status, clue.shelved_until = "shelved", row.due_at
        _record(session, runtime, clue=clue, actor=user.username, action="clue_shelved",
                until=row.due_at.isoformat() if row.due_at else None)
    else:
        clue.status = clue.disposition
    return clue


def close(session: Session, runtime: Runtime, *, clue: Clue, actor: str, reason: str) -> Clue:
    """Close the clue (予以了结) with the reason why; every closed clue records it."""
    reason = _required_text(reason, "closed_reason")
    now = runtime.clock.now()
    clue.status, clue.closed_reason, clue.closed_at = "closed", reason, now
    clue.shelved_until = None
    _touch(clue, now)
    _record(session, runtime, clue=clue, actor=actor, action="clue_closed", reason=reason)
    return clue


def review_shelved(session: Session, runtime: Runtime, *, clue: Clue, user: User,
                   new_information: bool, note: str) -> Clue:
    """A shelved clue's periodic review: it goes back to be disposed of again."""
    note = _required_text(note, "review_note")
    now = runtime.clock.now()
    clue.status, clue.shelved_until = "pending", None
    _touch(clue, now)
    _record(session, runtime, clue=clue, actor=user.username, action="shelved_clue_reviewed",
            new_information=bool(new_information), note=note)
    return clue


# ---------------------------------------------------------------------------------------------
# Talk or letter inquiry (谈话函询)


def plan_inquiry(session: Session, runtime: Runtime, *, clue: Clue, user: User, method: str,
                 questions: str) -> Clue:
    """Talk or letter, with the questions to put."""
    if method not in INQUIRY_METHODS:
        raise Invalid("unknown method %(method)r", reason="clue_inquiry_method_unknown",
                      params={"method": method}, fields={"inquiry_method": [notes.note("talk_or_letter")]})
    _required_text(questions, "inquiry_questions")
    _touch(clue, runtime.clock.now())
    _record(session, runtime, clue=clue, actor=user.username, action="inquiry_planned",
            method=method)
    return clue


def talk_held(session: Session, runtime: Runtime, *, clue: Clue, user: User, talked_on: str,
              record: str) -> Clue:
    """The talk with the cadre was held (the report's month starts now)."""
    _required_text(record, "talk_record")
    _touch(clue, runtime.clock.now())
    _record(session, runtime, clue=clue, actor=user.username, action="inquiry_talk_held",
            talked_on=talked_on)
    return clue


def letter_sent(session: Session, runtime: Runtime, *, clue: Clue, user: User,
                letter_number: str, sent_on: str) -> Clue:
    """The inquiry letter went out (the written reply's deadline starts now)."""
    letter_number = _required_text(letter_number, "letter_number")
    _touch(clue, runtime.clock.now())
    _record(session, runtime, clue=clue, actor=user.username, action="inquiry_letter_sent",
            letter_number=letter_number, sent_on=sent_on)
    return clue


def reply_registered(session: Session, runtime: Runtime, *, clue: Clue, user: User,
                     summary: str, countersigned: bool, replied_on: str | None) -> Clue:
    """The caseworker registers the cadre's written reply; it must be countersigned."""
    _required_text(summary, "reply_summary")
    if not countersigned:
        raise Invalid("the written reply must be countersigned by the head of the cadre's party "
                      "organisation; return it for signature", reason="clue_reply_not_countersigned",
                      fields={"countersigned": [notes.note("countersign")]})
    _touch(clue, runtime.clock.now())
    _record(session, runtime, clue=clue, actor=user.username, action="inquiry_reply_received",
            via="registered", replied_on=replied_on)
    return clue


def reply_by_message(session: Session, runtime: Runtime, *, clue: Clue, instance_id: str) -> None:
    """Mark the written reply's deadline met when the reply came as the `inquiry_reply` message."""
    # The message interrupts the registration task, and a cancelled task cancels its deadline;
    # but the reply was received then, so the deadline was met at that moment.
    rows = session.execute(
        select(Deadline, Task).join(Task, Task.id == Deadline.task_id).where(
            Deadline.key == "inquiry_reply", Task.instance_id == instance_id,
            Task.element_id == "register_inquiry_reply", Task.status == "cancelled",
            Deadline.met_at.is_(None), Deadline.status.in_(("cancelled", "breached")))).all()
    for row, task in rows:
        received = task.completed_at or runtime.clock.now()
        row.met_at, row.updated_at = received, runtime.clock.now()
        if row.status == "cancelled":
            row.status = "met" if row.due_at is None or received <= row.due_at else "breached"
        audit.record(session, at=runtime.clock.now(), actor="system", action="deadline_met",
                     case_id=row.case_id, instance_id=row.instance_id, task_id=task.id,
                     detail={"key": row.key, "late": row.status == "breached", "via": "message"})
        _record(session, runtime, clue=clue, actor="system", action="inquiry_reply_received",
                via="message", received_at=received.isoformat())


def assess_inquiry(session: Session, runtime: Runtime, *, clue: Clue, user: User, outcome: str,
                   report: str) -> Clue:
    """The situation report with its proposal: close the clue or verify it."""
    if outcome not in INQUIRY_OUTCOMES:
        raise Invalid("unknown outcome %(outcome)r", reason="clue_outcome_unknown",
                      params={"outcome": outcome}, fields={"outcome": [notes.note("close_or_verification")]})
    _required_text(report, "inquiry_report")
    _touch(clue, runtime.clock.now())
    _record(session, runtime, clue=clue, actor=user.username, action="inquiry_reported",
            outcome=outcome)
    return clue


def decide_inquiry(session: Session, runtime: Runtime, *, clue: Clue, user: User, approved: bool,
                   comment: str, outcome: str, report: str) -> Clue:
    """The supervisor approves the report (close, or on to verification) or sends it back."""
    now = runtime.clock.now()
    _touch(clue, now)
    if not approved:
        _record(session, runtime, clue=clue, actor=user.username, action="inquiry_report_returned",
                comment=comment or "")
        return clue
    _record(session, runtime, clue=clue, actor=user.username, action="inquiry_report_approved",
            outcome=outcome, comment=comment or "")
    if outcome == "verification":
        clue.status = "verification"
        _record(session, runtime, clue=clue, actor=user.username, action="inquiry_escalated")
    else:
        close(session, runtime, clue=clue, actor=user.username,
              reason=f"谈话函询后予以了结：{report}")
    return clue


# ---------------------------------------------------------------------------------------------
# Preliminary verification (初步核实)


def chair_unit(session: Session, *, clue: Clue) -> str:
    """Who chairs a key verification's joint review: the handling unit's parent, or the county."""
    parent_id = session.scalar(select(Unit.parent_id).where(Unit.id == clue.unit_id))
    return _unit_code(session, parent_id) or "county"


def plan_verification(session: Session, runtime: Runtime, *, clue: Clue, user: User, plan: str,
                      key: bool, team: str) -> Clue:
    """The verification plan; a key verification (重点初核件) is marked on the clue."""
    _required_text(plan, "verification_plan")
    now = runtime.clock.now()
    clue.status, clue.key_verification = "verification", bool(key)
    _touch(clue, now)
    _record(session, runtime, clue=clue, actor=user.username, action="verification_planned",
            key_verification=bool(key), team=team or "")
    return clue


def decide_plan(session: Session, runtime: Runtime, *, clue: Clue, user: User, approved: bool,
                comment: str) -> Clue:
    """The supervisor approves the plan (the report's deadline starts) or sends it back."""
    _touch(clue, runtime.clock.now())
    _record(session, runtime, clue=clue, actor=user.username,
            action="verification_plan_approved" if approved else "verification_plan_returned",
            comment=comment or "")
    return clue


def report_verification(session: Session, runtime: Runtime, *, clue: Clue, user: User,
                        finding: str, report: str, evidence: dict) -> Clue:
    """The verification report with its finding (true / partly true / untrue / unverifiable)."""
    if finding not in FINDINGS:
        raise Invalid("unknown finding %(finding)r", reason="clue_finding_unknown",
                      params={"finding": finding}, fields={"finding": notes.choices(FINDINGS)})
    _required_text(report, "verification_report")
    now = runtime.clock.now()
    clue.finding, clue.finding_at = finding, now
    _touch(clue, now)
    _record(session, runtime, clue=clue, actor=user.username, action="verification_reported",
            finding=finding, evidence=sorted(k for k, v in evidence.items() if v))
    return clue


def decide_verification(session: Session, runtime: Runtime, *, clue: Clue, user: User,
                        decision: str, reason: str, review_decision: str | None) -> Clue:
    """File a case, close, remind/criticise, or clarify (only for an untrue finding)."""
    fits = VERIFICATION_DECISIONS.get(decision)
    if fits is None:
        raise Invalid("unknown decision %(decision)r", reason="clue_decision_unknown",
                      params={"decision": decision},
                      fields={"decision": notes.choices(VERIFICATION_DECISIONS)})
    reason = _required_text(reason, "decision_reason")
    if clue.finding not in fits:
        label = FINDING_LABELS.get(clue.finding or "", clue.finding)
        raise Invalid("decision %(decision)r does not fit the finding %(finding)s",
                      reason="clue_decision_unfit", params={"decision": decision, "finding": label},
                      fields={"decision": [notes.note("not_for_finding", finding=clue.finding)]})
    if clue.key_verification and not review_decision:
        raise Invalid("a key verification needs the joint review's decision first",
                      reason="clue_joint_review_missing",
                      fields={"decision": [notes.note("no_review_decision")]})
    _touch(clue, runtime.clock.now())
    _record(session, runtime, clue=clue, actor=user.username, action="verification_decided",
            decision=decision, finding=clue.finding, reason=reason,
            review_decision=review_decision)
    if decision == "close":
        close(session, runtime, clue=clue, actor=user.username,
              reason=f"初核{FINDING_LABELS[clue.finding]}，予以了结：{reason}")
    elif decision == "clarify":
        close(session, runtime, clue=clue, actor=user.username,
              reason=f"初核不属实，澄清正名：{reason}")
    return clue


def reminded(session: Session, runtime: Runtime, *, clue: Clue, user: User, method: str,
             record: str) -> Clue:
    """The reminder talk or criticism was given; the clue is closed with it."""
    if method not in REMIND_METHODS:
        raise Invalid("unknown method %(method)r", reason="clue_remind_method_unknown",
                      params={"method": method}, fields={"remind_method": notes.choices(REMIND_METHODS)})
    record = _required_text(record, "remind_record")
    _record(session, runtime, clue=clue, actor=user.username, action="cadre_reminded",
            method=method)
    return close(session, runtime, clue=clue, actor=user.username,
                 reason=f"{REMIND_METHODS[method]}后予以了结：{record}")


# ---------------------------------------------------------------------------------------------
# The filed case (立案 → 审查调查 → 审理 → 处分 → 结案)


def _case_record(session: Session, runtime: Runtime, *, case: Case, actor: str, action: str,
                 **detail) -> None:
    audit.record(session, at=runtime.clock.now(), actor=actor, action=action, case_id=case.id,
                 detail={"case": case.number, **detail})


def _need_case(case: Case | None) -> Case:
    if case is None:
        raise Invalid("filing needs a case: start this process from a clue's case",
                      reason="filing_case_required",
                      fields={"case": [notes.note("required")]})
    return case


def request_filing(session: Session, runtime: Runtime, *, case: Case | None, user: User,
                   reason: str) -> Case:
    """The caseworker asks for the case to be put on file (立案呈批)."""
    case = _need_case(case)
    reason = _required_text(reason, "filing_reason")
    _case_record(session, runtime, case=case, actor=user.username,
                 action="case_filing_requested", reason=reason)
    return case


def decide_filing(session: Session, runtime: Runtime, *, case: Case | None, clue: Clue | None,
                  user: User, approved: bool, comment: str) -> Case:
    """Approval puts the case on file (filed_at: the statistics' cases filed); or send back."""
    case = _need_case(case)
    now = runtime.clock.now()
    if not approved:
        _case_record(session, runtime, case=case, actor=user.username,
                     action="case_filing_returned", comment=comment or "")
        return case
    case.filed_at = now
    if clue is not None:
        clue.status = "filed"
        _touch(clue, now)
    _case_record(session, runtime, case=case, actor=user.username, action="case_filed",
                 clue=clue.number if clue else None, comment=comment or "")
    return case


def investigated(session: Session, runtime: Runtime, *, case: Case | None, user: User,
                 report: str, measures: str) -> Case:
    """The investigation (审查调查) is done and its report goes to trial."""
    case = _need_case(case)
    _required_text(report, "investigation_report")
    _case_record(session, runtime, case=case, actor=user.username, action="case_investigated",
                 measures=measures or "")
    return case


def tried(session: Session, runtime: Runtime, *, case: Case | None, user: User, opinion: str,
          proposed_sanction: str | None) -> Case:
    """The trial office's report (审理报告) with its proposed sanction."""
    case = _need_case(case)
    _required_text(opinion, "trial_opinion")
    if proposed_sanction is not None and proposed_sanction not in SANCTIONS:
        raise Invalid("unknown sanction %(sanction)r", reason="sanction_unknown",
                      params={"sanction": proposed_sanction},
                      fields={"proposed_sanction": [notes.note("unknown")]})
    _case_record(session, runtime, case=case, actor=user.username, action="case_tried",
                 proposed_sanction=proposed_sanction)
    return case


def decide_sanction(session: Session, runtime: Runtime, *, case: Case | None, user: User,
                    sanction: str, people: int, note: str) -> Case:
    """The decision (处分决定): sanction and number of people disciplined (counted at decided_at)."""
    case = _need_case(case)
    if sanction not in SANCTIONS:
        raise Invalid("unknown sanction %(sanction)r", reason="sanction_unknown",
                      params={"sanction": sanction}, fields={"sanction": [notes.note("unknown")]})
    if not isinstance(people, int) or people < 0:
        raise Invalid("people_disciplined must be 0 or more", reason="sanction_people_negative",
                      fields={"people_disciplined": [notes.note("min_0")]})
    if sanction == "exempted" and people:
        raise Invalid("an exemption (免予处分) disciplines nobody", reason="sanction_exempt_people",
                      fields={"people_disciplined": [notes.note("zero_when_exempted")]})
    if sanction != "exempted" and not people:
        raise Invalid("a sanction disciplines at least one person", reason="sanction_people_required",
                      fields={"people_disciplined": [notes.note("min_1")]})
    now = runtime.clock.now()
    case.sanction, case.people_disciplined, case.decided_at = sanction, people, now
    _case_record(session, runtime, case=case, actor=user.username, action="case_decided",
                 sanction=sanction, sanction_label=SANCTIONS[sanction],
                 people_disciplined=people, note=note or "")
    return case


def announced(session: Session, runtime: Runtime, *, case: Case | None, user: User,
              announced_on: str, note: str) -> Case:
    """The decision was announced to the person(s) disciplined."""
    case = _need_case(case)
    _case_record(session, runtime, case=case, actor=user.username, action="decision_announced",
                 announced_on=announced_on, note=note or "")
    return case


def conclude(session: Session, runtime: Runtime, *, case: Case | None, clue: Clue | None,
             user: User, note: str) -> Case:
    """结案: the case is concluded (closed_at: the statistics' cases closed)."""
    case = _need_case(case)
    note = _required_text(note, "closing_note")
    now = runtime.clock.now()
    case.closed_at = now
    if clue is not None and clue.status != "filed":
        clue.status = "filed"
        _touch(clue, now)
    _case_record(session, runtime, case=case, actor=user.username, action="case_concluded",
                 note=note)
    return case
