"""Quarterly scores of village supervision committees (村务监督委员会季度量化考评, seed 004),
scored by their township.

A village unit stands for its village and its supervision committee. Indicators, each a share
between 0 and 1 read as rows (the rows a figure links to):

- `petitions_on_time`: deadlines (`evaluation.petition_deadlines`) of petitions naming the village
  (linked village, engine/supervision/villages) that fell due in the quarter (by now): the share
  not breached;
- `rectifications_on_time`: findings about the village (patrol feedback, daily supervision) whose
  time limit fell in the quarter (by now): the share closed (销号) by their due time;
- `satisfaction`: reporters' return visits in the quarter on petitions naming the village: the
  share satisfied or basically so;
- `manual`: the township's manual score of the committee for the quarter / 100.

As for zones: indicators without rows are left out and the others' weights
(`evaluation.committee_weights`) carry the score; grades from `evaluation.grades`; ranked within
their township. Supervisors see the committees below their unit; only a supervisor of the
committee's own township records its manual score.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.deadlines.models import Deadline
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.evaluation import service as evaluation
from engine.evaluation.models import ManualScore
from engine.org.models import User
from engine.petitions.models import Petition
from engine.reports.rollup import DUE_STATUSES
from engine.org.tree import Tree, UnitInfo
from engine.reports.service import Period, period
from engine.runtime import Runtime
from engine.visits.models import ReturnVisit

INDICATORS = ("petitions_on_time", "rectifications_on_time", "satisfaction", "manual")
LABELS = {"petitions_on_time": "村民信访件按时办理率", "rectifications_on_time": "整改按期销号率",
          "satisfaction": "回访满意率", "manual": "乡镇评议打分"}
PERIOD_RE = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Quarter:
    key: str
    p: Period


def quarter(runtime: Runtime, key: str) -> Quarter:
    """`2026-Q1` … `2026-Q4`."""
    m = PERIOD_RE.match(key or "")
    if not m:
        raise Invalid("a quarter is YYYY-Q1 to YYYY-Q4", reason="committee_period_invalid",
                      fields={"period": [notes.note("quarter_format")]})
    year, q = int(m.group(1)), int(m.group(2))
    first = date(year, 3 * q - 2, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return Quarter(key, period(runtime, first=first, last=after - timedelta(days=1)))


def weights(runtime: Runtime) -> dict[str, float]:
    configured = runtime.settings.get("evaluation", "committee_weights")
    return {k: float(configured.get(k, 0) or 0) for k in INDICATORS}


# ---------------------------------------------------------------------------------------------
# Authority (API.md "Authority": evaluation)


def scope_of(session: Session, user: User) -> tuple[Tree, UnitInfo, list[UnitInfo]]:
    """A supervisor sees the committees (villages) below their unit."""
    if "supervisor" not in user.roles:
        raise Forbidden("only supervisors see the scores of village supervision committees",
                        reason="committee_not_supervisor")
    tree = Tree.of(session)
    scope = tree.by_id[user.unit_id]
    villages = [u for u in tree.below(scope, kind="village") if u.active and u.id != scope.id]
    if not villages:
        raise Forbidden("there is no village supervision committee below your unit",
                        reason="committee_none_below")
    return tree, scope, villages


def township_of(tree: Tree, village: UnitInfo) -> UnitInfo | None:
    for i in reversed(tree.ancestry(village.id)):
        if tree.by_id[i].kind == "township":
            return tree.by_id[i]
    return None


def _committee(tree: Tree, villages: list[UnitInfo], code: str) -> UnitInfo:
    unit = tree.by_code.get(code)
    if unit is None or unit.kind != "village":
        raise NotFound("village supervision committee %(code)s not found",
                       reason="committee_not_found", params={"code": code})
    if unit not in villages:
        raise Forbidden("you do not evaluate this committee", reason="committee_not_above")
    return unit


# ---------------------------------------------------------------------------------------------
# Rows


def _in(column, p: Period):
    return and_(column >= p.start, column < p.end)


def _deadline_rows(session: Session, runtime: Runtime, p: Period) -> list[dict]:
    keys = runtime.settings.get("evaluation", "petition_deadlines")
    until = min(p.end, runtime.clock.now())
    rows = session.execute(
        select(Deadline.id, Deadline.key, Deadline.status, Deadline.due_at, Deadline.case_id,
               Petition.number, Petition.village_unit_id)
        .join(Petition, Petition.case_id == Deadline.case_id)
        .where(Petition.village_unit_id.is_not(None), Deadline.key.in_(list(keys)),
               Deadline.status.in_(DUE_STATUSES), Deadline.due_at >= p.start,
               Deadline.due_at < until)
        .order_by(Deadline.due_at, Deadline.id)).all()
    seen, out = set(), []
    for i, key, status, due, case_id, number, village in rows:
        if (i, village) in seen:
            continue
        seen.add((i, village))
        out.append({"unit_id": village, "kind": "deadline", "id": i, "case_id": case_id,
                    "number": number, "what": key, "date": runtime.clock.local(due),
                    "counted": status != "breached", "status": status})
    return out


def _finding_rows(session: Session, runtime: Runtime, p: Period,
                  villages: list[UnitInfo]) -> list[dict]:
    rows = evaluation.indicator_rows(session, runtime, evaluation.EvalPeriod("", p, ()),
                                     "rectifications_on_time")
    ids = {v.id for v in villages}
    return [r for r in rows if r["unit_id"] in ids]


def _visit_rows(session: Session, runtime: Runtime, p: Period) -> list[dict]:
    rows = session.execute(
        select(ReturnVisit.id, ReturnVisit.case_id, Petition.number, ReturnVisit.satisfaction,
               ReturnVisit.visited_at, Petition.village_unit_id)
        .join(Petition, Petition.case_id == ReturnVisit.case_id)
        .where(Petition.village_unit_id.is_not(None), ReturnVisit.kind == "reporter",
               ReturnVisit.satisfaction.is_not(None), _in(ReturnVisit.visited_at, p))
        .order_by(ReturnVisit.visited_at, ReturnVisit.id)).all()
    seen, out = set(), []
    for i, case_id, number, s, at, village in rows:
        if (i, village) in seen:
            continue
        seen.add((i, village))
        out.append({"unit_id": village, "kind": "return_visit", "id": i, "case_id": case_id,
                    "number": number, "what": s, "date": runtime.clock.local(at),
                    "counted": s in ("satisfied", "basically_satisfied"), "status": s})
    return out


def indicator_rows(session: Session, runtime: Runtime, q: Quarter, key: str,
                   villages: list[UnitInfo]) -> list[dict]:
    if key == "petitions_on_time":
        return _deadline_rows(session, runtime, q.p)
    if key == "rectifications_on_time":
        return _finding_rows(session, runtime, q.p, villages)
    if key == "satisfaction":
        return _visit_rows(session, runtime, q.p)
    raise NotFound("no indicator %(key)s", reason="indicator_unknown", params={"key": key})


# ---------------------------------------------------------------------------------------------
# Results


def evaluate(session: Session, runtime: Runtime, *, user: User, period_key: str) -> dict:
    """Every committee below the caller's unit for the quarter: figures, score, grade and rank
    within its township."""
    tree, scope, villages = scope_of(session, user)
    q = quarter(runtime, period_key)
    w = weights(runtime)
    figures: dict[int, dict[str, dict]] = {v.id: {} for v in villages}
    for key in INDICATORS:
        if key == "manual":
            continue
        rows = indicator_rows(session, runtime, q, key, villages)
        for v in villages:
            mine = [r for r in rows if r["unit_id"] == v.id]
            counted = sum(1 for r in mine if r["counted"])
            figures[v.id][key] = {
                "rows": len(mine), "counted": counted,
                "value": round(counted / len(mine), 4) if mine else None,
                "shown": round(100 * counted / len(mine), 1) if mine else None}
    manual = evaluation.manual_scores(session, villages, q.key)
    for v in villages:
        figures[v.id]["manual"] = evaluation.manual_figure(manual.get(v.id))
    out = []
    for v in villages:
        f = figures[v.id]
        score = evaluation.weighted_score(f, w, LABELS)
        g = evaluation.grade(runtime, score)
        town = township_of(tree, v)
        out.append({"unit": v.code, "name": v.name, "township": town.code if town else "",
                    "township_name": town.name if town else "", "score": score, "grade": g,
                    "grade_label": evaluation.GRADES[g], "indicators": f, "rank": None,
                    "may_score": town is not None and town.id == user.unit_id})
    for r in out:
        peers = [o for o in out if o["township"] == r["township"]]
        r["rank"] = 1 + sum(1 for o in peers if (o["score"] or 0) > (r["score"] or 0))
    excellent, good = evaluation.thresholds(runtime)
    return {"period": q.key, "from": q.p.first, "to": q.p.last, "unit": scope.code,
            "unit_name": scope.name, "weights": w,
            "grades": {"excellent": excellent, "good": good},
            "committees": sorted(out, key=lambda r: (r["township"], r["rank"], r["unit"]))}


def rows(session: Session, runtime: Runtime, *, user: User, period_key: str, committee: str,
         indicator: str) -> dict:
    """The rows one committee's figure counts (each with its case or finding)."""
    tree, _scope, villages = scope_of(session, user)
    v = _committee(tree, villages, committee)
    q = quarter(runtime, period_key)
    if indicator == "manual":
        m = evaluation.manual_scores(session, [v], q.key).get(v.id)
        items = [] if m is None else [{"kind": "manual_score", "id": m.id, "case_id": None,
                                       "number": "", "what": m.comment,
                                       "date": runtime.clock.local(m.scored_at),
                                       "counted": True, "status": "", "score": m.score}]
    else:
        items = [r for r in indicator_rows(session, runtime, q, indicator, villages)
                 if r["unit_id"] == v.id]
    for r in items:
        r.pop("unit_id", None)
        r["unit_name"] = v.name
    return {"period": q.key, "committee": v.code, "committee_name": v.name,
            "indicator": indicator, "label": LABELS.get(indicator, indicator), "rows": items}


def set_manual(session: Session, runtime: Runtime, *, user: User, period_key: str,
               committee: str, score: float, comment: str) -> ManualScore:
    """A supervisor of the committee's own township records its quarterly manual score."""
    tree, _scope, villages = scope_of(session, user)
    v = _committee(tree, villages, committee)
    town = township_of(tree, v)
    if town is None or town.id != user.unit_id:
        raise Forbidden("the committee's township scores it", reason="committee_not_township")
    q = quarter(runtime, period_key)
    row, before = evaluation.record_manual(session, runtime, user=user, unit=v, key=q.key,
                                           score=score, comment=comment)
    audit.record(session, at=row.scored_at, actor=user.username,
                 action="committee_score_recorded",
                 detail={"committee": v.code, "period": q.key, "score": score,
                         "before": before})
    return row
