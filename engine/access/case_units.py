"""Who sees and who supervises a case's tasks, derived from the case's units (API.md "Authority").

SEE: a supervisor of one of the case's units -- the handling unit (a zone after it accepted an
escalation), the registering unit -- or of a unit above one of them sees every task of the case;
except a user recused from the case, and, once a zone accepted the case, anyone working in the
township the case was escalated from (回避). The chair of a joint review sees its members' tasks.
SUPERVISE (reassign, decide, 督办): only tasks whose own unit lies in the supervisor's subtree (a
county supervisor sees the city's approval of its case but does not reassign it).

A task bound to one person (a lane `user_from`, e.g. an investigator of a zone's team) carries the
unit it is done for: the case's handling unit; its eligible assignees are the users of that unit's
subtree with the lane's role, never the escalated-from township nor a recused user.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, literal, or_, select
from sqlalchemy.orm import Session, aliased

from engine.cases.models import Case
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.zones.models import ZoneEscalation

# Processes whose supervisor-lane task makes its holder the chair of the whole instance.
CHAIRED = ("joint_review",)


def _path(session: Session, unit_id: int | None) -> str | None:
    return session.scalar(select(Unit.path).where(Unit.id == unit_id)) if unit_id else None


def _subtree(path: str):
    return select(Unit.id).where(Unit.path.startswith(path))


def _withdrawn_from(path: str):
    """Cases a zone accepted from a township at or above the user's unit (回避)."""
    ancestors = select(Unit.id).where(literal(path).startswith(Unit.path))
    return select(ZoneEscalation.case_id).where(ZoneEscalation.decision == "accepted",
                                                ZoneEscalation.township_id.in_(ancestors))


def seen_case_clause(session: Session, user: User, case=Case) -> ColumnElement[bool] | None:
    """True of a case (row `case`, the Case entity or an alias of it) a supervisor sees through
    their units (None: not a supervisor). A condition on that row, never "its id among every
    case below me": that list is as long as the county's cases, and PostgreSQL, unable to hash
    it in its working memory, scanned it once per row (minutes at a million, issue 21)."""
    if "supervisor" not in user.roles:
        return None
    path = _path(session, user.unit_id) or "/"
    subtree = _subtree(path)
    return and_(or_(case.handling_unit_id.in_(subtree), case.registered_unit_id.in_(subtree)),
                case.id.notin_(_withdrawn_from(path)))


def seen_clause(session: Session, user: User, *, per_row: bool = False
                ) -> ColumnElement[bool] | None:
    """Tasks a supervisor sees through the case's units and through chairing (None: none).
    `per_row`: for a condition checked on few rows (a page read in index order): each row's
    case is looked up by its key, where PostgreSQL would otherwise list every case the user
    sees into a hash table first (22 ms at 100,000 cases, for the five rows of a page that
    needed it; bench/RESULTS.md, issue 28)."""
    case = aliased(Case)
    seen = seen_case_clause(session, user, case)
    if seen is None:
        return None
    subtree = _subtree(_path(session, user.unit_id) or "/")
    chair = aliased(Task)
    # The chair's task looked up among the row's instance's tasks (as "every chaired instance",
    # SQLite listed them by scanning all tasks whenever its statistics made the process index
    # look unselective: 90 ms a search at 1,000,000, issue 21).
    chaired = exists(select(chair.id).where(chair.instance_id == Task.instance_id,
                                            chair.process_key.in_(CHAIRED),
                                            chair.candidate_role == "supervisor",
                                            chair.candidate_unit_id.in_(subtree)))
    of_case = select(case.id).where(case.id == Task.case_id, seen)
    by_units = of_case.limit(1).scalar_subquery().isnot(None) if per_row else exists(of_case)
    return or_(by_units, chaired)


def sees_case(session: Session, user: User, case: Case) -> bool:
    """A supervisor of one of the case's units (or above), or a member of the zone's team."""
    path = _path(session, user.unit_id) or "/"
    if user.username in team_of(session, case.id):
        return True
    if "supervisor" not in user.roles or withdrawn_from_user(session, user, case.id, path):
        return False
    for unit_id in (case.handling_unit_id, case.registered_unit_id):
        unit_path = _path(session, unit_id)
        if unit_path is not None and unit_path.startswith(path):
            return True
    return False


def withdrawn_from_user(session: Session, user: User, case_id: int | None,
                        path: str | None = None) -> bool:
    """The case was taken over by a zone from the user's township (or a unit above the user)."""
    if case_id is None:
        return False
    path = path or _path(session, user.unit_id) or "/"
    return session.scalar(_withdrawn_from(path).where(
        ZoneEscalation.case_id == case_id).limit(1)) is not None


def team_case_ids(session: Session, username: str) -> set[int]:
    """The cases on whose accepted escalation's investigation team the user is."""
    return {case_id for case_id, team in session.execute(
        select(ZoneEscalation.case_id, ZoneEscalation.team).where(
            ZoneEscalation.decision == "accepted")) if username in (team or [])}


def team_of(session: Session, case_id: int) -> set[str]:
    """The usernames on the investigation teams of the case's accepted escalations."""
    teams = session.scalars(select(ZoneEscalation.team).where(
        ZoneEscalation.case_id == case_id, ZoneEscalation.decision == "accepted"))
    return {name for team in teams for name in (team or [])}


def unit_done_for(session: Session, case_id: int | None) -> int | None:
    """The unit a task bound to one person is done for: the case's handling unit."""
    if case_id is None:
        return None
    return session.scalar(select(Case.handling_unit_id).where(Case.id == case_id))


def eligible_for_person_task(session: Session, user: User, task: Task) -> bool:
    """Who may be given a task bound to one person: the unit's subtree, with the lane's role."""
    if task.candidate_unit_id is None:
        return task.candidate_user_id in (None, user.id)
    unit_path = _path(session, task.candidate_unit_id)
    own_path = _path(session, user.unit_id)
    if unit_path is None or own_path is None or not own_path.startswith(unit_path):
        return False
    if withdrawn_from_user(session, user, task.case_id, own_path):
        return False
    return task.candidate_role in user.roles or "supervisor" in user.roles


def person_bound(task: Task) -> bool:
    return task.candidate_user_id is not None

