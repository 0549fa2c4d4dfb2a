"""Evaluation of collaboration zones (协作区履职绩效考评, seed 004): half-year and year results.

Each indicator is read as rows (the rows a figure links to) from the live tables for the zone and
every unit below it, then turned into a share between 0 and 1:

- `petitions_on_time`: petition deadlines (`evaluation.petition_deadlines`) that fell due in the
  period (by now): the share not breached;
- `clues_on_time`: clue deadlines (`evaluation.clue_deadlines`, the disposal proposal), the same;
- `cases_filed`, `cases_closed`: cases put on file / filed cases concluded in the period, divided
  by the largest zone's count;
- `satisfaction`: reporters' return visits in the period, the share satisfied or basically so;
- `rectifications_on_time`: daily supervision's findings (their rectification) whose time limit
  fell in the period (by now), the share closed (销号) by their due time;
- `review_score`: quality review items of rounds of the quarters in the period, the mean score /
  100;
- `manual`: the manual score of the zone for the period / 100.

An indicator without rows (nothing fell due, no visit, no manual score) is left out and the
weights of the others carry the score: score = 100 × Σ weight × share ÷ Σ weight (those with
data). Grades: 优秀 from `grades.excellent`, 良好 from `grades.good`, else 一般; ranks by score,
ties share a rank; the last is to be talked to (约谈提醒).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from engine.audit import service as audit
from engine.cases.models import Case
from engine.deadlines.models import Deadline
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.evaluation.models import ManualScore
from engine.org.models import User
from engine.quality.models import ReviewItem, ReviewRound
from engine.reports.rollup import DUE_STATUSES, case_unit
from engine.org.tree import Tree, UnitInfo
from engine.reports.service import Period, period
from engine.runtime import Runtime
from engine.supervision.models import Finding
from engine.visits.models import ReturnVisit

INDICATORS = ("petitions_on_time", "clues_on_time", "cases_filed", "cases_closed",
              "satisfaction", "rectifications_on_time", "review_score", "manual")
LABELS = {"petitions_on_time": "信访件按时办理率", "clues_on_time": "线索按期处置率",
          "cases_filed": "立案数", "cases_closed": "结案数", "satisfaction": "回访满意率",
          "rectifications_on_time": "整改按期销号率",
          "review_score": "质量评查平均分", "manual": "评议打分"}
GRADES = {"excellent": "优秀", "good": "良好", "fair": "一般"}
PERIOD_RE = re.compile(r"^(\d{4})(?:-H([12]))?$")


@dataclass(frozen=True)
class EvalPeriod:
    key: str
    p: Period
    quarters: tuple[tuple[int, int], ...]


def eval_period(runtime: Runtime, key: str) -> EvalPeriod:
    """`2026-H1`, `2026-H2` or `2026`."""
    m = PERIOD_RE.match(key or "")
    if not m:
        raise Invalid("a period is YYYY-H1, YYYY-H2 or YYYY", reason="evaluation_period_invalid",
                      fields={"period": [notes.note("half_year_format")]})
    year, half = int(m.group(1)), m.group(2)
    if half is None:
        first, last, quarters = date(year, 1, 1), date(year, 12, 31), (1, 2, 3, 4)
    elif half == "1":
        first, last, quarters = date(year, 1, 1), date(year, 6, 30), (1, 2)
    else:
        first, last, quarters = date(year, 7, 1), date(year, 12, 31), (3, 4)
    return EvalPeriod(key, period(runtime, first=first, last=last),
                      tuple((year, q) for q in quarters))


def weights(runtime: Runtime) -> dict[str, float]:
    configured = runtime.settings.get("evaluation", "weights")
    return {k: float(configured.get(k, 0) or 0) for k in INDICATORS}


def thresholds(runtime: Runtime) -> tuple[float, float]:
    g = runtime.settings.get("evaluation", "grades")
    return float(g.get("excellent", 90)), float(g.get("good", 75))


def grade(runtime: Runtime, score: float | None) -> str:
    excellent, good = thresholds(runtime)
    if score is not None and score >= excellent:
        return "excellent"
    if score is not None and score >= good:
        return "good"
    return "fair"


# ---------------------------------------------------------------------------------------------
# Authority (API.md "Authority": evaluation)


def scope_of(session: Session, user: User) -> tuple[Tree, UnitInfo]:
    """The evaluating unit: the caller's. A supervisor evaluates the zones below their unit."""
    if "supervisor" not in user.roles:
        raise Forbidden("only supervisors see the evaluation of zones",
                        reason="evaluation_not_supervisor")
    tree = Tree.of(session)
    return tree, tree.by_id[user.unit_id]


def manual_figure(manual) -> dict:
    """The manual score's figure (its row, or none yet)."""
    m = manual
    return {"rows": 1 if m else 0, "counted": m.score if m else None,
            "value": round(m.score / 100, 4) if m else None, "shown": m.score if m else None,
            "comment": m.comment if m else ""}


def weighted_score(figures: dict[str, dict], weights: dict[str, float],
                   labels: dict[str, str]) -> float | None:
    """The score out of 100 over the indicators with data (the others' weight is shared out);
    each figure gets its points, weight and label. None when no indicator has data."""
    used = [k for k in labels if figures[k]["value"] is not None and weights[k] > 0]
    weight = sum(weights[k] for k in used)
    for k in labels:
        figures[k]["points"] = round(100 * weights[k] * figures[k]["value"] / weight, 2) \
            if k in used else None
        figures[k]["weight"] = weights[k]
        figures[k]["label"] = labels[k]
    return round(100 * sum(weights[k] * figures[k]["value"] for k in used) / weight, 2) \
        if weight else None


def evaluates_zones(session: Session, user: User) -> bool:
    """Whether the user has zones to evaluate (the navigation shows the page only then)."""
    if "supervisor" not in user.roles:
        return False
    tree = Tree.of(session)
    scope = tree.by_id[user.unit_id]
    return any(u.id != scope.id and u.active for u in tree.below(scope, kind="zone"))


def zones_of(tree: Tree, scope: UnitInfo) -> list[UnitInfo]:
    """The zones strictly below the scope (a zone head does not evaluate their own zone)."""
    zones = [u for u in tree.below(scope, kind="zone") if u.id != scope.id and u.active]
    if not zones:
        raise Forbidden("there is no zone below your unit to evaluate",
                        reason="evaluation_no_zones")
    return zones


def _zone(tree: Tree, scope: UnitInfo, code: str) -> UnitInfo:
    unit = tree.by_code.get(code)
    if unit is None or unit.kind != "zone":
        raise NotFound("zone %(code)s not found", reason="zone_not_found", params={"code": code})
    if unit not in zones_of(tree, scope):
        raise Forbidden("you do not evaluate this zone", reason="evaluation_not_above_zone")
    return unit


# ---------------------------------------------------------------------------------------------
# Rows of each indicator


def _in(column, p: Period):
    return and_(column >= p.start, column < p.end)


def _deadline_rows(session: Session, runtime: Runtime, keys, p: Period) -> list[dict]:
    c = aliased(Case)
    now = runtime.clock.now()
    until = min(p.end, now)
    rows = session.execute(
        select(Deadline.id, Deadline.key, Deadline.status, Deadline.due_at, Deadline.case_id,
               c.number, Deadline.unit_id, case_unit(c))
        .outerjoin(c, c.id == Deadline.case_id)
        .where(Deadline.key.in_(list(keys)), Deadline.status.in_(DUE_STATUSES),
               Deadline.due_at >= p.start, Deadline.due_at < until)
        .order_by(Deadline.due_at, Deadline.id)).all()
    return [{"unit_id": own or via, "kind": "deadline", "id": i, "case_id": case_id,
             "number": number or "", "what": key, "date": runtime.clock.local(due),
             "counted": status != "breached", "status": status}
            for i, key, status, due, case_id, number, own, via in rows]


def _case_rows(session: Session, runtime: Runtime, p: Period, closed: bool) -> list[dict]:
    if closed:
        where = (_in(Case.closed_at, p), Case.filed_at.is_not(None), Case.status != "cancelled")
        column = Case.closed_at
    else:
        where = (_in(Case.filed_at, p),)
        column = Case.filed_at
    rows = session.execute(select(Case.id, Case.number, column, case_unit(Case))
                           .where(*where).order_by(column, Case.id)).all()
    return [{"unit_id": u, "kind": "case", "id": i, "case_id": i, "number": n,
             "what": "closed" if closed else "filed", "date": runtime.clock.local(at),
             "counted": True, "status": ""} for i, n, at, u in rows]


def _visit_rows(session: Session, runtime: Runtime, p: Period) -> list[dict]:
    c = aliased(Case)
    rows = session.execute(
        select(ReturnVisit.id, ReturnVisit.case_id, c.number, ReturnVisit.satisfaction,
               ReturnVisit.visited_at, case_unit(c))
        .outerjoin(c, c.id == ReturnVisit.case_id)
        .where(ReturnVisit.kind == "reporter", ReturnVisit.satisfaction.is_not(None),
               _in(ReturnVisit.visited_at, p))
        .order_by(ReturnVisit.visited_at, ReturnVisit.id)).all()
    return [{"unit_id": u, "kind": "return_visit", "id": i, "case_id": case_id,
             "number": number or "", "what": s, "date": runtime.clock.local(at),
             "counted": s in ("satisfied", "basically_satisfied"), "status": s}
            for i, case_id, number, s, at, u in rows]


def _finding_rows(session: Session, runtime: Runtime, p: Period) -> list[dict]:
    until = min(p.end, runtime.clock.now())
    rows = session.execute(
        select(Finding.id, Finding.number, Finding.status, Finding.due_at, Finding.closed_at,
               Finding.unit_id)
        .where(Finding.due_at.is_not(None), Finding.due_at >= p.start, Finding.due_at < until)
        .order_by(Finding.due_at, Finding.id)).all()
    return [{"unit_id": u, "kind": "finding", "id": i, "case_id": None, "finding_id": i,
             "number": number, "what": status, "date": runtime.clock.local(due),
             "counted": closed is not None and closed <= due, "status": status}
            for i, number, status, due, closed, u in rows]


def _review_rows(session: Session, runtime: Runtime, ep: EvalPeriod) -> list[dict]:
    rows = []
    for year, quarter in ep.quarters:
        rows += session.execute(
            select(ReviewItem.id, ReviewItem.case_id, ReviewItem.number, ReviewItem.score,
                   ReviewItem.scored_at, ReviewItem.unit_id, ReviewItem.kind)
            .join(ReviewRound, ReviewRound.id == ReviewItem.round_id)
            .where(ReviewRound.year == year, ReviewRound.quarter == quarter,
                   ReviewItem.score.is_not(None))
            .order_by(ReviewItem.round_id, ReviewItem.position)).all()
    return [{"unit_id": u, "kind": "review_item", "id": i, "case_id": case_id,
             "number": number, "what": kind, "date": runtime.clock.local(at),
             "counted": True, "status": "", "score": score}
            for i, case_id, number, score, at, u, kind in rows]


def indicator_rows(session: Session, runtime: Runtime, ep: EvalPeriod, key: str) -> list[dict]:
    settings = runtime.settings
    if key == "petitions_on_time":
        return _deadline_rows(session, runtime, settings.get(
            "evaluation", "petition_deadlines", default=("acceptance_notice",)), ep.p)
    if key == "clues_on_time":
        return _deadline_rows(session, runtime, settings.get(
            "evaluation", "clue_deadlines", default=("disposal_proposal",)), ep.p)
    if key in ("cases_filed", "cases_closed"):
        return _case_rows(session, runtime, ep.p, closed=key == "cases_closed")
    if key == "satisfaction":
        return _visit_rows(session, runtime, ep.p)
    if key == "rectifications_on_time":
        return _finding_rows(session, runtime, ep.p)
    if key == "review_score":
        return _review_rows(session, runtime, ep)
    raise NotFound("no indicator %(key)s", reason="indicator_unknown", params={"key": key})


# ---------------------------------------------------------------------------------------------
# Results


def manual_scores(session: Session, units: list[UnitInfo], key: str) -> dict[int, ManualScore]:
    """The manual scores of these units (zones or village committees) for period `key`."""
    rows = session.scalars(select(ManualScore).where(
        ManualScore.unit_id.in_([u.id for u in units]), ManualScore.period == key))
    return {r.unit_id: r for r in rows}


def record_manual(session: Session, runtime: Runtime, *, user: User, unit: UnitInfo, key: str,
                  score: float, comment: str) -> tuple[ManualScore, float | None]:
    """Store `unit`'s manual score for period `key` (a new row or the one there); return it and
    the score it replaced. The caller checks who may score and audits."""
    if not 0 <= score <= 100:
        raise Invalid("a score is between 0 and 100", reason="score_range",
                      fields={"score": [notes.note("score_range")]})
    row = manual_scores(session, [unit], key).get(unit.id)
    now = runtime.clock.now()
    before = row.score if row else None
    if row is None:
        row = ManualScore(unit_id=unit.id, period=key, score=score, comment=comment,
                          scored_by_id=user.id, scored_at=now)
        session.add(row)
    else:
        row.score, row.comment, row.scored_by_id, row.scored_at = score, comment, user.id, now
    session.flush()
    return row, before


def evaluate(session: Session, runtime: Runtime, *, user: User, period_key: str) -> dict:
    """Every zone below the caller's unit: indicators, score, grade and rank."""
    tree, scope = scope_of(session, user)
    ep = eval_period(runtime, period_key)
    zones = zones_of(tree, scope)
    w = weights(runtime)
    figures: dict[int, dict[str, dict]] = {z.id: {} for z in zones}
    for key in INDICATORS:
        if key == "manual":
            continue
        rows = indicator_rows(session, runtime, ep, key)
        for z in zones:
            mine = [r for r in rows if tree.contains(z, r["unit_id"])]
            if key == "review_score":
                total = sum(r["score"] for r in mine)
                value = round(total / len(mine) / 100, 4) if mine else None
                figures[z.id][key] = {"rows": len(mine), "counted": total, "value": value,
                                      "shown": round(total / len(mine), 1) if mine else None}
            else:
                counted = sum(1 for r in mine if r["counted"])
                f = figures[z.id][key] = {"rows": len(mine), "counted": counted,
                                          "value": None, "shown": counted}
                if key not in ("cases_filed", "cases_closed"):  # a rate: percent shown
                    f["value"] = round(counted / len(mine), 4) if mine else None
                    f["shown"] = round(100 * counted / len(mine), 1) if mine else None
    for key in ("cases_filed", "cases_closed"):
        top = max((figures[z.id][key]["counted"] for z in zones), default=0)
        for z in zones:
            f = figures[z.id][key]
            f["value"] = round(f["counted"] / top, 4) if top else None
    manual = manual_scores(session, zones, ep.key)
    for z in zones:
        figures[z.id]["manual"] = manual_figure(manual.get(z.id))
    out = []
    for z in zones:
        f = figures[z.id]
        score = weighted_score(f, w, LABELS)
        g = grade(runtime, score)
        out.append({"unit": z.code, "name": z.name, "score": score, "grade": g,
                    "grade_label": GRADES[g], "indicators": f, "rank": None, "last": False})
    ranked = sorted(out, key=lambda r: -(r["score"] or 0))
    for r in out:
        r["rank"] = 1 + sum(1 for o in out if (o["score"] or 0) > (r["score"] or 0))
    if ranked and len(ranked) > 1:
        worst = max(r["rank"] for r in out)
        for r in out:
            r["last"] = r["rank"] == worst
    return {"period": ep.key, "from": ep.p.first, "to": ep.p.last, "unit": scope.code,
            "unit_name": scope.name, "weights": w,
            "grades": dict(zip(("excellent", "good"), thresholds(runtime), strict=True)),
            "zones": sorted(out, key=lambda r: (r["rank"], r["unit"]))}


def rows(session: Session, runtime: Runtime, *, user: User, period_key: str, zone: str,
         indicator: str) -> dict:
    """The rows a zone's figure counts (each with its case), for the link from the figure."""
    tree, scope = scope_of(session, user)
    z = _zone(tree, scope, zone)
    ep = eval_period(runtime, period_key)
    if indicator == "manual":
        m = manual_scores(session, [z], ep.key).get(z.id)
        items = [] if m is None else [{"kind": "manual_score", "id": m.id, "case_id": None,
                                       "number": "", "what": m.comment,
                                       "date": runtime.clock.local(m.scored_at),
                                       "counted": True, "status": "", "score": m.score}]
    else:
        items = [r for r in indicator_rows(session, runtime, ep, indicator)
                 if tree.contains(z, r["unit_id"])]
    for r in items:
        unit = tree.by_id.get(r.pop("unit_id", None))
        r["unit_name"] = unit.name if unit else ""
    return {"period": ep.key, "zone": z.code, "zone_name": z.name, "indicator": indicator,
            "label": LABELS.get(indicator, indicator), "rows": items}


def set_manual(session: Session, runtime: Runtime, *, user: User, period_key: str, zone: str,
               score: float, comment: str) -> ManualScore:
    """A supervisor above the zone (never of the zone itself) records its manual score."""
    tree, scope = scope_of(session, user)
    z = _zone(tree, scope, zone)
    ep = eval_period(runtime, period_key)
    row, before = record_manual(session, runtime, user=user, unit=z, key=ep.key, score=score,
                                comment=comment)
    audit.record(session, at=row.scored_at, actor=user.username,
                 action="evaluation_score_recorded",
                 detail={"zone": z.code, "period": ep.key, "score": score, "before": before})
    return row
