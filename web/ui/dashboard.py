"""The statistics dashboard: a unit and a period, the summary figures as charts, the flags of
periodic obligations, and the ledgers built in the background with their progress."""
from __future__ import annotations

from datetime import date

from flask import g, render_template, request
from flask_babel import gettext

from engine.errors import Invalid
from engine import notes
from engine.quality import service as quality
from engine.reports import ledgers
from engine.reports import service as reports
from engine.supervision import service as supervision
from engine.views.evaluation_board import evaluation_view
from web.auth import runtime
from web.ui import N_, bp, page
from web.ui.terms import Terms

ROLES = {"supervisor", "caseworker", "intake_clerk", "administrator"}
PERIODS = {"month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year"),
           "custom": N_("Custom dates")}
LEDGERS = {"petition-register": N_("Petition register"), "clue-ledger": N_("Clue ledger"),
           "monthly-report": N_("Monthly report"), "inspection-ledger": N_("Inspection ledger"),
           "rectification-ledger": N_("Rectification ledger"),
           "supervision-monthly": N_("Supervision monthly report"),
           "interference-report": N_("Interference quarterly report")}
# Labels of the keys the charts show (the figures' own names are in the template).
CHANNELS = Terms("channel")
CATEGORIES = Terms("category")
DISPOSITIONS = Terms("disposition")
FINDINGS = Terms("finding")
GRADES = {"excellent": N_("Excellent"), "good": N_("Good"), "fair": N_("Fair")}
VISITS = Terms("satisfaction")


def _date(name: str) -> date | None:
    value = request.args.get(name) or None
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("not a date", reason="date_invalid", fields={name: [notes.note("date_format")]}) from None


@bp.get("/dashboard")
@page(roles=ROLES)
def dashboard():
    """The statistics of a unit (default: the user's) for a period (default: this month)."""
    rt = runtime()
    user = g.user
    kind = request.args.get("period") or "month"
    if kind not in PERIODS:
        kind = "month"
    custom = kind == "custom"
    p = reports.resolve_period(rt, first=_date("from") if custom else None,
                               last=_date("to") if custom else None,
                               kind=None if custom else kind, on=_date("date"))
    unit = request.args.get("unit") or None

    def read(uow):
        units = reports.visible_units(uow.session, user=user)
        result = reports.report(uow.session, rt, user=user, unit_code=unit, p=p)
        flags = reports.flags(uow.session, rt, user=user, on=None,
                              unit_code=result["units"][0]["unit"])
        notices = quality.results_of_rounds(uow.session, [
            t["round"] for t in flags["quality_review_notice"]["items"] if t["notified"]])
        return units, result, flags, supervision.rectification_figures(uow.session, rt,
                                                                       user=user), \
            evaluation_view(uow.session, rt, user=user), notices
    units, result, flags, rectification, evaluation, notices = rt.read(read)
    return render_template(
        "dashboard/index.html", units=units, result=result, flags=flags, p=p, kind=kind,
        selected=result["units"][0]["unit"], periods=PERIODS,
        ledger_kinds=ledgers.available(user), ledger_labels=LEDGERS,
        on=_date("date") or p.first, charts=_charts(result["units"]),
        rectification=rectification, evaluation=evaluation, grades=GRADES, notices=notices)


def _pairs(counts: dict, labels: dict) -> list[dict]:
    return [{"name": gettext(labels.get(k, k)), "value": n} for k, n in counts.items()]


def _charts(entries: list[dict]) -> dict:
    """What dashboard.js draws: the unit's breakdowns, and its units side by side."""
    s, below = entries[0], entries[1:] or entries[:1]
    figures = (("petitions", N_("Petitions")), ("clues", N_("Clues")),
               ("cases_filed", N_("Cases filed")), ("cases_closed", N_("Cases closed")))
    return {
        "units": {"names": [e["unit_name"] for e in below],
                  "series": [{"name": gettext(label), "data": [e[key] for e in below]}
                             for key, label in figures]},
        "channel": _pairs(s["petitions_by_channel"], CHANNELS),
        "category": _pairs(s["petitions_by_category"], CATEGORIES),
        "disposition": _pairs(s["clues_by_disposition"], DISPOSITIONS),
        "finding": _pairs(s["verifications_by_finding"], FINDINGS),
        "visit": _pairs(s["return_visits"], VISITS),
    }
