"""Quality review (评查): a reviewer of a round reads the case record of the items they review."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.org.models import Unit, User
from engine.quality.models import ReviewItem, ReviewRound


def reviewer_case_ids(session: Session, user: User) -> set[int]:
    """The cases whose record the user may read as a reviewer (see `reviewer_sees_case`)."""
    path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id)) or ""
    return {case_id for case_id, unit_id, reviewers in session.execute(
        select(ReviewItem.case_id, ReviewItem.unit_id, ReviewRound.reviewers).join(
            ReviewRound, ReviewRound.id == ReviewItem.round_id)
        .where(ReviewItem.case_id.is_not(None)))
        if user.username in (reviewers or []) and f"/{unit_id}/" not in path}


def reviewer_sees_case(session: Session, user: User, case_id: int) -> bool:
    """A reviewer of a round may read the case record of an item they review (not of their own
    township or a unit below it) while the round is open and after its notice."""
    rows = session.execute(
        select(ReviewItem.unit_id, ReviewRound.reviewers).join(
            ReviewRound, ReviewRound.id == ReviewItem.round_id)
        .where(ReviewItem.case_id == case_id)).all()
    if not rows:
        return False
    path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id)) or ""
    return any(user.username in (reviewers or []) and f"/{unit_id}/" not in path
               for unit_id, reviewers in rows)
