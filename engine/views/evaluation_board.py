"""The dashboard's evaluation view: this half-year's zones (score, grade, rank) and this quarter's
village supervision committees (grades counted, the lowest listed), for a supervisor above them.
Each links to its page, where every figure links to the rows it counts."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.evaluation import committees
from engine.evaluation import service as evaluation
from engine.org.models import User
from engine.runtime import Runtime

LOWEST = 5


def evaluation_view(session: Session, runtime: Runtime, *, user: User) -> dict:
    """`zones` (None when the user evaluates no zone) and `committees` (None when none is below
    the user's unit)."""
    today = runtime.clock.local(runtime.clock.now()).date()
    half = f"{today.year}-H{1 if today.month <= 6 else 2}"
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    out: dict = {"zones": None, "committees": None}
    if "supervisor" not in user.roles:
        return out
    try:
        result = evaluation.evaluate(session, runtime, user=user, period_key=half)
        out["zones"] = {"period": half, "zones": [
            {k: z[k] for k in ("unit", "name", "score", "grade", "rank", "last")}
            for z in result["zones"]]}
    except Forbidden:
        pass
    try:
        result = committees.evaluate(session, runtime, user=user, period_key=quarter)
        rows = result["committees"]
        grades = {g: sum(1 for c in rows if c["score"] is not None and c["grade"] == g)
                  for g in evaluation.GRADES}
        scored = sorted((c for c in rows if c["score"] is not None),
                        key=lambda c: (c["score"], c["unit"]))
        out["committees"] = {
            "period": quarter, "count": len(rows), "grades": grades,
            "unscored": sum(1 for c in rows if c["score"] is None),
            "lowest": [{k: c[k] for k in ("unit", "name", "township_name", "score", "grade")}
                       for c in scored[:LOWEST]]}
    except Forbidden:
        pass
    return out
