"""Quality review pages (办信办案质量评查): the rounds, drawing a quarter's sample, scoring an
item beside its case record, the results per unit and the quarter's notice; and the zones'
evaluation with the rows behind every figure."""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.errors import Invalid
from engine import notes
from engine.evaluation import committees
from engine.evaluation import service as evaluation
from engine.org.models import User
from engine.quality import service as quality
from engine.org.tree import Tree
from engine.reports.service import responsible_units
from web.auth import runtime
from web.ui import N_, bp, page, toast
from web.ui.cases import DEADLINE_KEYS
from web.ui.dashboard import VISITS
from web.ui.supervision import FINDING_STATUS

KINDS = {"petition": N_("Petition"), "clue": N_("Clue"), "case": N_("Case")}
GRADES = {"excellent": N_("Excellent"), "good": N_("Good"), "fair": N_("Fair")}
INDICATORS = {"petitions_on_time": N_("Petitions handled on time"),
              "clues_on_time": N_("Clues disposed of on time"),
              "cases_filed": N_("Cases filed"), "cases_closed": N_("Cases closed"),
              "satisfaction": N_("Return-visit satisfaction"),
              "rectifications_on_time": N_("Rectifications closed on time"),
              "review_score": N_("Quality review score"), "manual": N_("Manual score")}
RATES = {"petitions_on_time", "clues_on_time", "satisfaction", "rectifications_on_time"}
# What a row's `what` code says on screen (deadline keys, visit answers, finding statuses, item
# kinds); a manual score's `what` is its comment, shown as written.
WHAT = {**DEADLINE_KEYS, **VISITS, **FINDING_STATUS, **KINDS}
ROWS = {"deadline": N_("Deadline"), "case": N_("Case"), "return_visit": N_("Return visit"),
        "review_item": N_("Review item"), "manual_score": N_("Manual score"),
        "finding": N_("Rectification")}


@bp.get("/quality")
@page(roles={"supervisor", "caseworker"})
def quality_rounds():
    """The rounds the user may see; the draw form for supervisors of the reviewing unit."""
    rt = runtime()
    user = g.user
    today = rt.clock.local(rt.clock.now()).date()

    def read(uow):
        s = uow.session
        tree = Tree.of(s)
        rounds = [quality.describe_round(s, rt, r) for r in quality.rounds_for(s, user)]
        owners = [u for u in responsible_units(tree, tree.by_id[user.unit_id])
                  if quality.may_run(tree, user, u)]
        candidates = []
        if owners:
            users = s.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
            candidates = [(u.username, u.display_name or u.username, tree.by_id[u.unit_id].name)
                          for u in users if quality.REVIEWER_ROLES & u.roles
                          and tree.contains(owners[0], u.unit_id)]
        return rounds, owners, candidates
    rounds, owners, candidates = rt.read(read)
    return render_template("quality/rounds.html", rounds=rounds, owners=owners,
                           candidates=candidates, today=today,
                           share=quality.default_share(rt))


@bp.post("/quality")
@page(roles={"supervisor"})
def draw_round():
    rt = runtime()
    form = request.form
    try:
        year, quarter = int(form.get("year", "")), int(form.get("quarter", ""))
        share = float(form.get("share_percent", "")) / 100
    except ValueError:
        raise Invalid("not a number", reason="number_invalid", fields={"share_percent": [notes.note("a_number")]}) from None
    rnd_id = rt.transact(lambda uow: quality.create_round(
        uow.session, rt, user=g.user, unit_code=form.get("unit") or None, year=year,
        quarter=quarter, reviewers=form.getlist("reviewers"), share=share,
        seed=form.get("seed") or None).id)
    return redirect(url_for("ui.quality_round", round_id=rnd_id))


def _round_context(rt, round_id: int) -> dict:
    user = g.user

    def read(uow):
        s = uow.session
        rnd = quality.get_round(s, user, round_id)
        tree = Tree.of(s)
        d = quality.describe_round(s, rt, rnd)
        return {"r": d, "may_run": quality.may_run(tree, user, tree.by_id[rnd.unit_id]),
                "scorable": {i.id for i in quality.items_of(s, rnd)
                             if user.username in rnd.reviewers and rnd.status == "drawn"
                             and not quality.from_reviewed_unit(tree, user, i.unit_id)}}
    return rt.read(read)


@bp.get("/quality/<int:round_id>")
@page(roles={"supervisor", "caseworker"})
def quality_round(round_id):
    """A round: seed, results per unit, every item with its score and the case link."""
    rt = runtime()
    return render_template("quality/round.html", kinds=KINDS, **_round_context(rt, round_id))


@bp.post("/quality/items/<int:item_id>/score")
@page(roles={"supervisor", "caseworker"})
def score_item(item_id):
    """Score one item (answers with the item's row)."""
    rt = runtime()
    keys = [k for k in request.form.getlist("check_keys")]
    checks = {k: request.form.get(f"check_{k}") == "1" for k in keys}

    def work(uow):
        item = quality.score(uow.session, rt, user=g.user, item_id=item_id, checks=checks,
                             comment=request.form.get("comment", ""))
        return item.round_id
    round_id = rt.transact(work)
    ctx = _round_context(rt, round_id)
    item = next(i for i in ctx["r"]["items"] if i["id"] == item_id)
    return toast(render_template("quality/_item.html", item=item, kinds=KINDS, **ctx),
                 _("Scored."))


@bp.post("/quality/<int:round_id>/notice")
@page(roles={"supervisor"})
def notify_round(round_id):
    """Issue the quarter's notice (answers with the round's header)."""
    rt = runtime()
    rt.transact(lambda uow: quality.notify(uow, rt, user=g.user, round_id=round_id))
    ctx = _round_context(rt, round_id)
    # The items too (out of band): failed ones now show their opened rectification.
    items = "".join(render_template("quality/_item.html", item=i, kinds=KINDS, oob=True, **ctx)
                    for i in ctx["r"]["items"])
    return toast(render_template("quality/_header.html", **ctx) + items,
                 _("The notice has been issued."))


# ---------------------------------------------------------------------------------------------
# Evaluation of zones


def _period_key(rt) -> str:
    key = request.args.get("period") or request.form.get("period")
    if key:
        return key
    today = rt.clock.local(rt.clock.now()).date()
    return f"{today.year}-H{1 if today.month <= 6 else 2}"


@bp.get("/evaluation")
@page(roles={"supervisor"})
def evaluation_page():
    """The zones below the user's unit for a half-year or year: figures, score, grade, rank."""
    rt = runtime()
    key = _period_key(rt)
    result = rt.read(lambda uow: evaluation.evaluate(uow.session, rt, user=g.user,
                                                     period_key=key))
    today = rt.clock.local(rt.clock.now()).date()
    periods = [f"{y}{h}" for y in range(today.year, today.year - 3, -1)
               for h in ("-H2", "-H1", "")]
    return render_template("quality/evaluation.html", result=result, key=key, periods=periods,
                           indicators=INDICATORS, rates=RATES, grades=GRADES)


@bp.post("/evaluation/manual")
@page(roles={"supervisor"})
def evaluation_manual():
    rt = runtime()
    key = _period_key(rt)
    try:
        score = float(request.form.get("score", ""))
    except ValueError:
        raise Invalid("not a number", reason="number_invalid", fields={"score": [notes.note("a_number")]}) from None
    rt.transact(lambda uow: evaluation.set_manual(
        uow.session, rt, user=g.user, period_key=key, zone=request.form.get("zone", ""),
        score=score, comment=request.form.get("comment", "")))
    return redirect(url_for("ui.evaluation_page", period=key))


@bp.get("/evaluation/rows")
@page(roles={"supervisor"})
def evaluation_rows():
    """The rows one zone's figure counts, each linked to its case."""
    rt = runtime()
    result = rt.read(lambda uow: evaluation.rows(
        uow.session, rt, user=g.user, period_key=_period_key(rt),
        zone=request.args.get("zone", ""), indicator=request.args.get("indicator", "")))
    return render_template("quality/rows.html", result=result, indicators=INDICATORS,
                           row_kinds=ROWS, kinds=KINDS, what_labels=WHAT,
                           title=result["zone_name"],
                           back=url_for("ui.evaluation_page", period=result["period"]))


# ---------------------------------------------------------------------------------------------
# Village supervision committees: quarterly scores by their township

COMMITTEE_INDICATORS = {
    "petitions_on_time": N_("Villagers' petitions handled on time"),
    "rectifications_on_time": N_("Rectifications closed on time"),
    "satisfaction": N_("Return-visit satisfaction"), "manual": N_("Township's score")}


def _quarter_key(rt) -> str:
    key = request.args.get("period") or request.form.get("period")
    if key:
        return key
    today = rt.clock.local(rt.clock.now()).date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


@bp.get("/evaluation/committees")
@page(roles={"supervisor"})
def committee_page():
    """The village supervision committees below the user's unit for a quarter, by township."""
    rt = runtime()
    key = _quarter_key(rt)
    result = rt.read(lambda uow: committees.evaluate(uow.session, rt, user=g.user,
                                                     period_key=key))
    today = rt.clock.local(rt.clock.now()).date()
    this = (today.year, (today.month - 1) // 3 + 1)
    periods = [f"{y}-Q{q}" for y in range(today.year, today.year - 3, -1)
               for q in (4, 3, 2, 1) if (y, q) <= this]
    scorable = [c for c in result["committees"] if c["may_score"]]
    return render_template("quality/committees.html", result=result, key=key, periods=periods,
                           indicators=COMMITTEE_INDICATORS, grades=GRADES, scorable=scorable)


@bp.post("/evaluation/committees/manual")
@page(roles={"supervisor"})
def committee_manual():
    rt = runtime()
    key = _quarter_key(rt)
    try:
        score = float(request.form.get("score", ""))
    except ValueError:
        raise Invalid("the score is not a number", reason="score_not_a_number",
                      fields={"score": [notes.note("a_number")]}) from None
    rt.transact(lambda uow: committees.set_manual(
        uow.session, rt, user=g.user, period_key=key,
        committee=request.form.get("committee", ""), score=score,
        comment=request.form.get("comment", "")))
    return redirect(url_for("ui.committee_page", period=key))


@bp.get("/evaluation/committees/rows")
@page(roles={"supervisor"})
def committee_rows():
    """The rows one committee's figure counts, each linked to its case or finding."""
    rt = runtime()
    result = rt.read(lambda uow: committees.rows(
        uow.session, rt, user=g.user, period_key=_quarter_key(rt),
        committee=request.args.get("committee", ""),
        indicator=request.args.get("indicator", "")))
    return render_template("quality/rows.html", result=result, indicators=COMMITTEE_INDICATORS,
                           row_kinds=ROWS, kinds=KINDS, what_labels=WHAT,
                           title=result["committee_name"],
                           back=url_for("ui.committee_page", period=result["period"]))
