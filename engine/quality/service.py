"""Quality review of handled petitions, clues and cases (办信办案质量评查, 每季通报).

A round is one quarter of one reviewing unit (usually the county commission). Its sample is drawn
from the items closed in the quarter by the townships below that unit: per township a share of
them (`quality_review.share`, at least one when it has any), at random but reproducibly: the
population is read in a fixed order and shuffled by a generator seeded with the round's recorded
seed, the quarter and the township's code. The same seed therefore shows the same draw later.

Reviewers (listed on the round) score items against the round's checklist, never items of their
own unit. A failed item needs a rectification by its township. When every item is scored the
round's notice is issued (the periodic obligation `quality_review_notice`).
"""
from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased, object_session

from engine.audit import service as audit
from engine.cases.models import Case
from engine.clues.models import Clue
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.org.models import Unit, User
from engine.petitions.models import Petition
from engine.quality import rectification
from engine.quality.models import ITEM_KINDS, ReviewItem, ReviewRound
from engine.reports.rollup import case_unit
from engine.org.tree import Tree, UnitInfo
from engine.reports.service import Period, calendar_period, responsible_units
from engine.runtime import Runtime
from engine.uow import UnitOfWork

REVIEWER_ROLES = {"supervisor", "caseworker"}
KIND_ORDER = {k: i for i, k in enumerate(ITEM_KINDS)}


# ---------------------------------------------------------------------------------------------
# Configuration


def checklist(runtime: Runtime) -> list[dict]:
    rows = runtime.settings.get("quality_review", "checklist")
    out = [{"key": str(r["key"]), "label": str(r.get("label", r["key"])),
            "points": int(r.get("points", 0))} for r in rows]
    if not out:
        out = [{"key": "procedure", "label": "程序规范", "points": 100}]
    return out


def default_share(runtime: Runtime) -> float:
    return float(runtime.settings.get("quality_review", "share"))


def pass_score(runtime: Runtime) -> int:
    return int(runtime.settings.get("quality_review", "pass_score"))


def quarter_period(runtime: Runtime, year: int, quarter: int) -> Period:
    if not 1 <= quarter <= 4:
        raise Invalid("a quarter is 1 to 4", reason="quarter_invalid",
                      fields={"quarter": [notes.note("quarter_number")]})
    return calendar_period(runtime, kind="quarter", on=date(year, quarter * 3, 1))


# ---------------------------------------------------------------------------------------------
# The population and the draw


@dataclass(frozen=True)
class Candidate:
    kind: str
    item_id: int
    number: str
    case_id: int | None
    unit_id: int  # the township


def _township(tree: Tree, unit_id: int | None) -> UnitInfo | None:
    for i in reversed(tree.ancestry(unit_id)):
        if tree.by_id[i].kind == "township":
            return tree.by_id[i]
    return None


def population(session: Session, *, tree: Tree, scope: UnitInfo,
               p: Period) -> dict[int, list[Candidate]]:
    """Per township in scope: the items closed in the period, in a fixed order.

    - petition: a first-time petition whose case closed (办结) in the period without being filed;
    - clue: a clue closed (了结) in the period;
    - case: a filed case concluded (结案) in the period (not cancelled).
    """
    c = aliased(Case)
    in_p = and_(c.closed_at >= p.start, c.closed_at < p.end)
    rows = []
    rows += [("petition", *r) for r in session.execute(
        select(Petition.id, func.coalesce(Petition.display_number, Petition.number), c.id,
                func.coalesce(case_unit(c), Petition.unit_id))
        .join(c, c.id == Petition.case_id)
        .where(Petition.repeat_of_id.is_(None), c.status == "closed", c.filed_at.is_(None),
               in_p))]
    rows += [("clue", *r) for r in session.execute(
        select(Clue.id, func.coalesce(Clue.display_number, Clue.number), Clue.case_id,
               func.coalesce(c.handling_unit_id, Clue.unit_id, c.first_handling_unit_id,
                             c.registered_unit_id))
        .outerjoin(c, c.id == Clue.case_id)
        .where(Clue.status == "closed", Clue.closed_at >= p.start, Clue.closed_at < p.end))]
    rows += [("case", *r) for r in session.execute(
        select(c.id, func.coalesce(c.display_number, c.number), c.id, case_unit(c))
        .where(c.filed_at.is_not(None), c.status == "closed", in_p))]
    out: dict[int, list[Candidate]] = defaultdict(list)
    for kind, item_id, number, case_id, unit_id in rows:
        town = _township(tree, unit_id)
        if town is not None and tree.contains(scope, town.id):
            out[town.id].append(Candidate(kind, item_id, number, case_id, town.id))
    for items in out.values():
        items.sort(key=lambda x: (KIND_ORDER[x.kind], x.item_id))
    return out


def sample_size(n: int, share: float) -> int:
    """A share of n items, rounded up; at least one when there is any."""
    if n <= 0:
        return 0
    return min(n, max(1, math.ceil(n * share - 1e-9)))


def draw(session: Session, *, tree: Tree, scope: UnitInfo, p: Period, year: int, quarter: int,
         share: float, seed: str) -> list[Candidate]:
    """The sample: per township (in id order) `sample_size` items chosen by a generator seeded
    with seed, quarter and township code. Pure: the same arguments give the same items."""
    chosen = []
    groups = population(session, tree=tree, scope=scope, p=p)
    for town_id in sorted(groups):
        items = groups[town_id]
        rng = random.Random(f"{seed}|{year}-Q{quarter}|{tree.by_id[town_id].code}")
        picked = rng.sample(items, sample_size(len(items), share))
        chosen += sorted(picked, key=lambda x: (KIND_ORDER[x.kind], x.item_id))
    return chosen


# ---------------------------------------------------------------------------------------------
# Authority (API.md "Authority": quality review)


def _unit_info(tree: Tree, user: User) -> UnitInfo:
    return tree.by_id[user.unit_id]


def may_run(tree: Tree, user: User, scope: UnitInfo) -> bool:
    """Draw a round and issue its notice: a supervisor of the reviewing unit or above it."""
    return "supervisor" in user.roles and tree.contains(_unit_info(tree, user), scope.id)


def may_see(tree: Tree, user: User, rnd: ReviewRound) -> bool:
    """See a round: who may run it, its reviewers, and supervisors of the units it reviews."""
    scope = tree.by_id[rnd.unit_id]
    if may_run(tree, user, scope) or user.username in (rnd.reviewers or []):
        return True
    if "supervisor" not in user.roles:
        return False
    own = tree.by_id[user.unit_id]
    reviewed = object_session(rnd).scalars(select(ReviewItem.unit_id).where(
        ReviewItem.round_id == rnd.id).distinct())
    return any(tree.contains(own, unit_id) for unit_id in reviewed)


def from_reviewed_unit(tree: Tree, user: User, township_id: int) -> bool:
    """The user works in the reviewed township or a unit below it."""
    return township_id in tree.ancestry(user.unit_id)


# ---------------------------------------------------------------------------------------------
# Rounds


def _reviewer_users(session: Session, tree: Tree, scope: UnitInfo, names: list[str]) -> list[User]:
    if not names:
        raise Invalid("name at least one reviewer", reason="reviewers_missing",
                      fields={"reviewers": [notes.note("at_least_one")]})
    users = []
    for name in dict.fromkeys(names):
        user = session.scalar(select(User).where(User.username == name))
        if user is None or not user.active:
            raise Invalid("no active user %(name)s", reason="reviewer_unknown",
                          params={"name": name}, fields={"reviewers": [notes.note("name", name=name)]})
        if not REVIEWER_ROLES & user.roles:
            raise Invalid("%(name)s is neither a caseworker nor a supervisor",
                          reason="reviewer_role", params={"name": name},
                          fields={"reviewers": [notes.note("name", name=name)]})
        if not tree.contains(scope, user.unit_id) and not tree.contains(
                tree.by_id[user.unit_id], scope.id):
            raise Invalid("%(name)s works outside the reviewing unit", reason="reviewer_outside",
                          params={"name": name}, fields={"reviewers": [notes.note("name", name=name)]})
        users.append(user)
    return users


def create_round(session: Session, runtime: Runtime, *, user: User, unit_code: str | None,
                 year: int, quarter: int, reviewers: list[str], share: float | None = None,
                 seed: str | None = None) -> ReviewRound:
    """Draw the quarter's sample for the unit (default: the caller's) and record the seed."""
    tree = Tree.of(session)
    scope = tree.get(unit_code) if unit_code else tree.by_id[user.unit_id]
    if not may_run(tree, user, scope):
        raise Forbidden("only a supervisor of the reviewing unit draws its quality review",
                        reason="quality_review_not_supervisor")
    if scope not in responsible_units(tree, scope):
        raise Forbidden("%(unit)s does not review the townships' handling; the commission "
                        "above them does", reason="quality_review_not_reviewing_unit",
                        params={"unit": scope.name})
    p = quarter_period(runtime, year, quarter)
    today = runtime.clock.local(runtime.clock.now()).date()
    if p.first > today:
        raise Invalid("that quarter has not begun", reason="quarter_future",
                      fields={"quarter": [notes.note("future")]})
    share = default_share(runtime) if share is None else float(share)
    if not 0 < share <= 1:
        raise Invalid("the share is more than 0 and at most 1", reason="share_invalid",
                      fields={"share": [notes.note("share_range")]})
    _reviewer_users(session, tree, scope, reviewers)
    if session.scalar(select(ReviewRound.id).where(
            ReviewRound.unit_id == scope.id, ReviewRound.year == year,
            ReviewRound.quarter == quarter)) is not None:
        raise Conflict("this quarter's quality review has already been drawn",
                       reason="quality_round_exists")
    seed = str(seed) if seed not in (None, "") else str(secrets.randbelow(10**9))
    now = runtime.clock.now()
    rnd = ReviewRound(unit_id=scope.id, year=year, quarter=quarter, seed=seed, share=share,
                      checklist=checklist(runtime), pass_score=pass_score(runtime),
                      reviewers=list(dict.fromkeys(reviewers)), status="drawn",
                      drawn_by_id=user.id, drawn_at=now)
    session.add(rnd)
    session.flush()
    picked = draw(session, tree=tree, scope=scope, p=p, year=year, quarter=quarter, share=share,
                  seed=seed)
    for i, c in enumerate(picked, 1):
        session.add(ReviewItem(round_id=rnd.id, kind=c.kind, item_id=c.item_id, number=c.number,
                               case_id=c.case_id, unit_id=c.unit_id, position=i, comment=""))
    session.flush()
    audit.record(session, at=now, actor=user.username, action="quality_review_drawn",
                 detail={"round": rnd.id, "unit": scope.code, "year": year, "quarter": quarter,
                         "seed": seed, "share": share, "items": [c.number for c in picked]})
    return rnd


def get_round(session: Session, user: User, round_id: int) -> ReviewRound:
    rnd = session.get(ReviewRound, round_id)
    if rnd is None:
        raise NotFound("quality review %(id)s not found", reason="quality_round_not_found",
                       params={"id": round_id})
    if not may_see(Tree.of(session), user, rnd):
        raise Forbidden("you may not see this quality review", reason="quality_round_hidden")
    return rnd


def rounds_for(session: Session, user: User) -> list[ReviewRound]:
    tree = Tree.of(session)
    rows = session.scalars(select(ReviewRound).order_by(ReviewRound.year.desc(),
                                                        ReviewRound.quarter.desc(),
                                                        ReviewRound.id.desc())).all()
    return [r for r in rows if may_see(tree, user, r)]


def redraw(session: Session, runtime: Runtime, *, user: User, round_id: int,
           seed: str | None = None) -> dict:
    """Draw again from the recorded seed (or another one) and compare with the recorded
    sample: shows later that the sample was the seed's."""
    rnd = get_round(session, user, round_id)
    tree = Tree.of(session)
    seed = rnd.seed if seed in (None, "") else str(seed)
    picked = draw(session, tree=tree, scope=tree.by_id[rnd.unit_id],
                  p=quarter_period(runtime, rnd.year, rnd.quarter), year=rnd.year,
                  quarter=rnd.quarter, share=rnd.share, seed=seed)
    recorded = [i.number for i in items_of(session, rnd)]
    numbers = [c.number for c in picked]
    return {"seed": seed, "items": numbers, "same": numbers == recorded}


def items_of(session: Session, rnd: ReviewRound) -> list[ReviewItem]:
    return list(session.scalars(select(ReviewItem).where(ReviewItem.round_id == rnd.id)
                                .order_by(ReviewItem.position)))


# ---------------------------------------------------------------------------------------------
# Scoring


def get_item(session: Session, user: User, item_id: int) -> tuple[ReviewRound, ReviewItem]:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound("review item %(id)s not found", reason="quality_item_not_found",
                       params={"id": item_id})
    return get_round(session, user, item.round_id), item


def score(session: Session, runtime: Runtime, *, user: User, item_id: int, checks: dict,
          comment: str) -> ReviewItem:
    """A reviewer of the round, not from the item's unit, scores it against the checklist."""
    rnd, item = get_item(session, user, item_id)
    tree = Tree.of(session)
    if user.username not in (rnd.reviewers or []):
        raise Forbidden("only the round's reviewers score its items", reason="not_a_reviewer")
    if from_reviewed_unit(tree, user, item.unit_id):
        raise Forbidden("a reviewer does not review items of their own unit",
                        reason="reviewer_from_reviewed_unit")
    if rnd.status == "notified":
        raise Conflict("the notice of this quality review has been issued",
                       reason="quality_round_notified")
    keys = [c["key"] for c in rnd.checklist]
    missing = [k for k in keys if k not in checks]
    unknown = [k for k in checks if k not in keys]
    if missing or unknown:
        raise Invalid("score every check of the list, and only those", reason="checks_incomplete",
                      fields={"checks": [notes.note("check", key=k) for k in missing + unknown]})
    failed = [k for k in keys if not checks[k]]
    if failed and not comment.strip():
        raise Invalid("say what failed in a comment", reason="comment_required",
                      fields={"comment": [notes.note("required_when_check_fails")]})
    item.checks = {k: bool(checks[k]) for k in keys}
    item.score = sum(c["points"] for c in rnd.checklist if checks[c["key"]])
    item.passed = item.score >= rnd.pass_score
    item.comment = comment.strip()
    item.reviewer_id = user.id
    item.scored_at = runtime.clock.now()
    if item.passed:
        if item.rectification == "needs_rectification":
            item.rectification = None
    elif item.rectification is None:
        open_rectification(session, runtime, rnd=rnd, item=item, user=user)
    audit.record(session, at=item.scored_at, actor=user.username, action="quality_item_scored",
                 case_id=item.case_id, detail={"round": rnd.id, "item": item.number,
                                               "score": item.score, "passed": item.passed,
                                               "failed": failed})
    return item


def open_rectification(session: Session, runtime: Runtime, *, rnd: ReviewRound,
                       item: ReviewItem, user: User) -> None:
    """A failed item needs a rectification by its unit: opened (daily supervision's
    rectification, engine/quality/rectification) when the round's notice is issued."""
    item.rectification = "needs_rectification"
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="quality_rectification_needed", case_id=item.case_id,
                 detail={"round": rnd.id, "item": item.number,
                         "unit": session.scalar(select(Unit.code).where(
                             Unit.id == item.unit_id))})


# ---------------------------------------------------------------------------------------------
# Results and the notice


def results(session: Session, rnd: ReviewRound) -> list[dict]:
    """Per township reviewed: items, scored, passed, failed, average score (of those scored)."""
    tree = Tree.of(session)
    out: dict[int, dict] = {}
    for item in items_of(session, rnd):
        unit = tree.by_id[item.unit_id]
        r = out.setdefault(unit.id, {"unit": unit.code, "name": unit.name, "items": 0,
                                     "scored": 0, "passed": 0, "failed": 0, "total": 0,
                                     "average": None, "rectifications": 0})
        r["items"] += 1
        if item.score is not None:
            r["scored"] += 1
            r["total"] += item.score
            r["passed" if item.passed else "failed"] += 1
        if item.rectification:
            r["rectifications"] += 1
    for r in out.values():
        if r["scored"]:
            r["average"] = round(r["total"] / r["scored"], 1)
        del r["total"]
    return [out[k] for k in sorted(out)]


def results_of_rounds(session: Session, round_ids) -> dict[int, list[dict]]:
    """`results` of each round named (the dashboard's notices: results per township)."""
    return {rnd.id: results(session, rnd) for rnd in session.scalars(
        select(ReviewRound).where(ReviewRound.id.in_([i for i in round_ids if i])))}


def notify(uow: UnitOfWork, runtime: Runtime, *, user: User, round_id: int) -> ReviewRound:
    """Issue the quarter's notice (每季通报) once every item is scored; every failed item's
    township gets its rectification (daily supervision's, with 销号)."""
    session = uow.session
    rnd = get_round(session, user, round_id)
    tree = Tree.of(session)
    if not may_run(tree, user, tree.by_id[rnd.unit_id]):
        raise Forbidden("only a supervisor of the reviewing unit issues the notice",
                        reason="quality_review_not_supervisor")
    if rnd.status == "notified":
        raise Conflict("the notice of this quality review has been issued",
                       reason="quality_round_notified")
    unscored = sum(1 for i in items_of(session, rnd) if i.score is None)
    if unscored:
        raise Conflict("%(n)s items are not scored yet", reason="quality_items_unscored",
                       params={"n": unscored})
    rnd.status = "notified"
    rnd.notified_by_id = user.id
    rnd.notified_at = runtime.clock.now()
    audit.record(session, at=rnd.notified_at, actor=user.username,
                 action="quality_review_notified",
                 detail={"round": rnd.id, "unit": tree.by_id[rnd.unit_id].code,
                         "year": rnd.year, "quarter": rnd.quarter,
                         "results": results(session, rnd)})
    rectification.open_for_round(uow, runtime, rnd=rnd, user=user)
    return rnd


def describe_round(session: Session, runtime: Runtime, rnd: ReviewRound) -> dict:
    tree = Tree.of(session)
    names = dict(session.execute(select(User.id, User.username)).all())
    items = items_of(session, rnd)
    findings = rectification.finding_ids(session, [i.rectification_ref for i in items])
    return {"id": rnd.id, "unit": tree.by_id[rnd.unit_id].code,
            "unit_name": tree.by_id[rnd.unit_id].name, "year": rnd.year, "quarter": rnd.quarter,
            "seed": rnd.seed, "share": rnd.share, "checklist": rnd.checklist,
            "pass_score": rnd.pass_score, "reviewers": rnd.reviewers, "status": rnd.status,
            "drawn_by": names.get(rnd.drawn_by_id),
            "drawn_at": runtime.clock.local(rnd.drawn_at),
            "notified_by": names.get(rnd.notified_by_id),
            "notified_at": runtime.clock.local(rnd.notified_at) if rnd.notified_at else None,
            "items": [describe_item(tree, names, runtime, i, findings) for i in items],
            "results": results(session, rnd)}


def describe_item(tree: Tree, names: dict, runtime: Runtime, item: ReviewItem,
                  findings: dict[str, int] | None = None) -> dict:
    unit = tree.by_id[item.unit_id]
    return {"id": item.id, "kind": item.kind, "number": item.number, "case_id": item.case_id,
            "unit": unit.code, "unit_name": unit.name, "checks": item.checks,
            "score": item.score, "passed": item.passed, "comment": item.comment,
            "reviewer": names.get(item.reviewer_id),
            "scored_at": runtime.clock.local(item.scored_at) if item.scored_at else None,
            "rectification": item.rectification, "rectification_ref": item.rectification_ref,
            "finding_id": (findings or {}).get(item.rectification_ref or "")}
