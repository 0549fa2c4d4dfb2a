"""Joint reviews (联审会商): the chair convenes member units, each states its position, the chair
records the decision. The same pattern serves the village cadre qualification review."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.audit import service as audit
from engine.cases.models import Case
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.access import authority
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.processes.models import ProcessInstance
from engine.reviews.models import POSITIONS, JointReview, JointReviewOpinion
from engine.runtime import Runtime

# What the chair may decide (the process output `review_decision`).
DECISIONS = ("agree", "disagree", "supplement")
_SPLIT = re.compile(r"[\s,，、;；]+")


def parse_units(value) -> list[str]:
    """Unit codes from a list or a comma/space separated string, in order, without repeats."""
    if isinstance(value, str):
        items = _SPLIT.split(value)
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = []
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


def _units_by_code(session: Session, codes: list[str]) -> dict[str, Unit]:
    if not codes:
        return {}
    return {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes),
                                                                  Unit.active.is_(True)))}


def convene(session: Session, runtime: Runtime, *, user: User, case: Case | None,
            instance_id: str | None, subject: str, members, chair_unit: str | None,
            agenda: str = "") -> JointReview:
    """Open a joint review with its member units (every member states a position)."""
    codes = parse_units(members)
    if not codes:
        raise Invalid("a joint review needs at least one member unit", reason="review_members_required",
                      fields={"review_members": [notes.note("member_unit_required")]})
    known = _units_by_code(session, codes + ([chair_unit] if chair_unit else []))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Invalid("unknown member unit(s): %(units)s", reason="review_members_unknown",
                      params={"units": ", ".join(unknown)},
                      fields={"review_members": [notes.note("unknown_unit_code", unit=c) for c in unknown]})
    if chair_unit and chair_unit not in known:
        raise Invalid("unknown chair unit %(unit)r", reason="review_chair_unknown",
                      params={"unit": chair_unit}, fields={"chair_unit": [notes.note("unknown_unit")]})
    now = runtime.clock.now()
    review = JointReview(case_id=case.id if case is not None else None, instance_id=instance_id,
                         subject=(subject or "").strip(), members=codes,
                         convened_by_id=user.id, convened_at=now)
    session.add(review)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="joint_review_convened",
                 case_id=review.case_id, instance_id=instance_id,
                 detail={"review_id": review.id, "subject": review.subject, "members": codes,
                         "chair_unit": chair_unit, "agenda": agenda or ""})
    return review


def find_open(session: Session, *, instance_id: str, review_id=None) -> JointReview:
    """The undecided review of this instance (the one named by `review_id` when given)."""
    if review_id is not None:
        review = session.get(JointReview, int(review_id))
        if review is not None and review.instance_id == instance_id and review.decided_at is None:
            return review
    review = session.scalar(select(JointReview).where(
        JointReview.instance_id == instance_id, JointReview.decided_at.is_(None))
        .order_by(JointReview.id.desc()).limit(1))
    if review is None:
        raise Invalid("this task belongs to no open joint review; convene it first",
                      reason="review_not_open",
                      fields={"joint_review_id": [notes.note("no_open_review")]})
    return review


def record_opinion(session: Session, runtime: Runtime, *, user: User, review: JointReview,
                   unit_id: int, position: str, reason: str) -> JointReviewOpinion:
    """A member unit states its position; disagreeing or supplementing needs a reason."""
    reason = (reason or "").strip()
    if position not in POSITIONS:
        raise Invalid("position is agree, disagree or supplement", reason="review_position_unknown",
                      fields={"position": [notes.note("one_of", options=", ".join(POSITIONS))]})
    if position in ("disagree", "supplement") and not reason:
        raise Invalid("a reason is required when the position is %(position)s",
                      reason="review_position_reason_required", params={"position": position},
                      fields={"reason": [notes.note("required_when_position", position=position)]})
    code = runtime.names.unit_codes(session, [unit_id]).get(unit_id)
    if code not in (review.members or []):
        raise Forbidden("unit %(unit)s is not a member of this joint review",
                        reason="review_not_member", params={"unit": code})
    if session.scalar(select(JointReviewOpinion.id).where(
            JointReviewOpinion.review_id == review.id,
            JointReviewOpinion.unit_id == unit_id)) is not None:
        raise Conflict("unit %(unit)s has already stated its position",
                       reason="review_position_given", params={"unit": code})
    now = runtime.clock.now()
    opinion = JointReviewOpinion(review_id=review.id, unit_id=unit_id, user_id=user.id,
                                 position=position, reason=reason, at=now)
    session.add(opinion)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="joint_review_opinion_given",
                 case_id=review.case_id, instance_id=review.instance_id,
                 detail={"review_id": review.id, "unit": code, "position": position,
                         "reason": reason})
    return opinion


def decide(session: Session, runtime: Runtime, *, user: User, review: JointReview,
           decision: str, note: str) -> JointReview:
    """The chair consolidates the members' positions and records the decision."""
    if decision not in DECISIONS:
        raise Invalid("the decision is agree, disagree or supplement",
                      reason="review_decision_unknown",
                      fields={"review_decision": [notes.note("one_of", options=", ".join(DECISIONS))]})
    if not (note or "").strip():
        raise Invalid("summarise the decision", reason="review_note_required", fields={"review_note": [notes.note("required")]})
    given = list(session.scalars(select(JointReviewOpinion).where(
        JointReviewOpinion.review_id == review.id)))
    codes = runtime.names.unit_codes(session, [o.unit_id for o in given])
    missing = [c for c in review.members if c not in {codes[o.unit_id] for o in given}]
    if missing:
        raise Invalid("still waiting for: %(units)s", reason="review_positions_missing",
                      params={"units": ", ".join(missing)},
                      fields={"review_decision": [notes.note("positions_missing")]})
    now = runtime.clock.now()
    review.decision, review.decided_by_id, review.decided_at = decision, user.id, now
    tally = {p: sum(1 for o in given if o.position == p) for p in POSITIONS}
    audit.record(session, at=now, actor=user.username, action="joint_review_decided",
                 case_id=review.case_id, instance_id=review.instance_id,
                 detail={"review_id": review.id, "decision": decision, "note": note.strip(),
                         "positions": tally})
    return review


def describe(session: Session, runtime: Runtime, review: JointReview) -> dict:
    """A review with one entry per member unit (position null while it has not stated one)."""
    opinions = list(session.scalars(select(JointReviewOpinion).where(
        JointReviewOpinion.review_id == review.id).order_by(JointReviewOpinion.id)))
    unit_ids = [o.unit_id for o in opinions]
    codes = runtime.names.unit_codes(session, unit_ids)
    users = runtime.names.usernames(session, [o.user_id for o in opinions]
                                    + [review.convened_by_id, review.decided_by_id])
    names = dict(session.execute(select(Unit.code, Unit.name).where(
        Unit.code.in_(review.members or []))).all()) if review.members else {}
    by_unit = {codes[o.unit_id]: o for o in opinions}

    def local(value):
        return runtime.clock.local(value).isoformat() if value is not None else None
    entries = []
    for code in review.members or []:
        o = by_unit.get(code)
        entries.append({"unit": code, "unit_name": names.get(code, code),
                        "position": o.position if o else None,
                        "reason": o.reason if o else None,
                        "by": users.get(o.user_id) if o else None,
                        "at": local(o.at) if o else None})
    return {"id": review.id, "case_id": review.case_id, "instance_id": review.instance_id,
            "subject": review.subject, "members": list(review.members or []),
            "status": "decided" if review.decided_at else "convened",
            "convened_by": users.get(review.convened_by_id),
            "convened_at": local(review.convened_at),
            "decision": review.decision, "decided_by": users.get(review.decided_by_id),
            "decided_at": local(review.decided_at), "opinions": entries}


def for_case(session: Session, runtime: Runtime, *, user: User, case_id: int) -> list[dict]:
    """The case's joint reviews, for whoever may see the case, oldest first."""
    case = case_access.case_for_user(session, user, case_id)
    reviews = session.scalars(select(JointReview).where(JointReview.case_id == case.id)
                              .order_by(JointReview.convened_at, JointReview.id))
    return [describe(session, runtime, r) for r in reviews]


def may_see_review(session: Session, user: User, review: JointReview) -> bool:
    """Whoever may see its case; for a review without a case, whoever sees one of its tasks or
    started its process."""
    if review.case_id is not None:
        return case_access.may_see_case(session, user, session.get(Case, review.case_id))
    if review.instance_id is None:
        return review.convened_by_id == user.id
    if session.scalar(select(Task.id).where(Task.instance_id == review.instance_id,
                                            authority.visible_clause(session, user, "all"))
                      .limit(1)) is not None:
        return True
    started = session.scalar(select(ProcessInstance.started_by_id).where(
        ProcessInstance.id == review.instance_id))
    return started == user.id


def for_user(session: Session, runtime: Runtime, *, user: User, review_id: int) -> dict:
    """One joint review, if the user may see it."""
    review = session.get(JointReview, review_id)
    if review is None:
        raise NotFound("joint review %(id)s not found", reason="review_not_found",
                       params={"id": review_id})
    if not may_see_review(session, user, review):
        raise Forbidden("you may not see this joint review", reason="review_not_visible")
    return describe(session, runtime, review)
