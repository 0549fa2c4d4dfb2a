"""Domain actions of the clarification and false-accusation processes (named by their tasks'
`action` property).

Process data these processes read (the caller's data, e.g. preliminary_verification's call
activity, or the start data of a standalone case): `cadre_name`, `handling_unit` (lanes),
`finding` (the verification finding, when there is one), `clarification_origin` (optional).
What they add: clarification_id, clarification_origin, clarification_joint,
clarification_approved, clarification_withdrawn, clarification_status; referral_id,
accusation_kind, referral_approved, referral_status.
"""
from __future__ import annotations

from engine.clarifications import service
from engine.clues.models import Clue
from engine.processes.actions import ActionContext, action
from engine.visits import service as visits


def _case_id(ctx: ActionContext) -> int | None:
    return ctx.case.id if ctx.case is not None else None


@action("clarification.draft")
def draft(ctx: ActionContext) -> dict:
    """Draft the clarification (scope, people, joint departments) or withdraw it."""
    data, pdata = ctx.data, ctx.process_data
    now = ctx.runtime.clock.now()
    origin = data.get("clarification_origin") or pdata.get("clarification_origin") or "finding"
    finding = data.get("origin_finding") or pdata.get("finding")
    cadre_name = (data.get("cadre_name") or pdata.get("cadre_name") or "").strip()
    if not cadre_name and pdata.get("clue_id"):  # the accused of the clue being verified
        clue = ctx.session.get(Clue, pdata["clue_id"])
        cadre_name = clue.accused_name if clue is not None else ""
    if data.get("clarification_withdrawn"):
        service.withdraw(ctx.session, case_id=_case_id(ctx), cadre_name=cadre_name,
                         reason=data.get("clarification_plan") or "", actor=ctx.user.username,
                         now=now)
        return {"clarification_withdrawn": True, "clarification_joint": False,
                "clarification_approved": False, "clarification_status": "withdrawn",
                "clarification_origin": origin, "clarification_id": None}
    scope = [s for s in service.SCOPES if data.get(f"scope_{s}")]
    people = int(data.get("clarified_people") or 1)
    joint = bool(data.get("joint_departments"))
    row = service.draft(ctx.session, case_id=_case_id(ctx), cadre_name=cadre_name, origin=origin,
                        finding=finding, scope=scope, people=people, joint=joint,
                        plan=data.get("clarification_plan") or "", actor=ctx.user.username,
                        now=now, clue_id=pdata.get("clue_id"))
    return {"clarification_withdrawn": False, "clarification_joint": joint,
            "clarification_approved": False, "clarification_status": "drafted",
            "clarification_origin": origin, "cadre_name": cadre_name,
            "clarification_scope": ["written", *scope], "clarification_id": row.id if row else None}


@action("clarification.approve", preview=lambda runtime, data, process_data: {
    "clarification_approved": bool(data.get("clarification_approved")),
    "clarification_status": "approved" if data.get("clarification_approved") else "refused"})
def approve(ctx: ActionContext) -> dict:
    """The supervisor approves or refuses the drafted clarification."""
    approved = bool(ctx.data.get("clarification_approved"))
    row = service.get_clarification(ctx.session, ctx.process_data.get("clarification_id"))
    service.decide(ctx.session, row=row, approved=approved, user=ctx.user,
                   comment=ctx.data.get("clarification_comment") or "",
                   now=ctx.runtime.clock.now())
    return {"clarification_approved": approved,
            "clarification_status": "approved" if approved else "refused"}


@action("clarification.carry_out")
def carry_out(ctx: ActionContext) -> dict:
    """Every approved step was done (in writing and the optional scopes)."""
    row = service.get_clarification(ctx.session, ctx.process_data.get("clarification_id"))
    done = {s: bool(ctx.data.get(f"done_{s}")) for s in ("written", *service.SCOPES)}
    service.carry_out(ctx.session, row=row, done=done,
                      note=ctx.data.get("carried_out_note") or "",
                      departments=ctx.data.get("cooperating_departments") or "",
                      actor=ctx.user.username, now=ctx.runtime.clock.now())
    return {"clarification_status": "done"}


@action("clarification.visit_cadre")
def visit_cadre(ctx: ActionContext) -> dict:
    """The return visit to the cleared cadre (a ReturnVisit of kind `cadre`)."""
    visit = visits.record_visit(
        ctx.session, case_id=_case_id(ctx), kind="cadre", petition_id=None,
        satisfaction=ctx.data.get("cadre_satisfaction"),
        notes=ctx.data.get("cadre_visit_notes") or "", user=ctx.user,
        now=ctx.runtime.clock.now(),
        detail={"clarification_id": ctx.process_data.get("clarification_id")})
    return {"cadre_visit_id": visit.id if visit else None}


@action("accusation.assess", preview=lambda runtime, data, process_data: {
    "accusation_kind": data.get("accusation_kind"), "referral_approved": False,
    "referral_status": "proposed"})
def assess(ctx: ActionContext) -> dict:
    """Mistaken (错告: education only) or malicious (诬告: city approval, then referral)."""
    kind = ctx.data.get("accusation_kind")
    row = service.assess(ctx.session, case_id=_case_id(ctx), kind=kind,
                         note=ctx.data.get("accusation_note") or "",
                         aggravating=ctx.data.get("aggravating") or "",
                         actor=ctx.user.username, now=ctx.runtime.clock.now(),
                         clue_id=ctx.process_data.get("clue_id"))
    return {"accusation_kind": kind, "referral_id": row.id if row else None,
            "referral_approved": False, "referral_status": "proposed"}


@action("accusation.educate")
def educate(ctx: ActionContext) -> dict:
    """Record the education of a mistaken accuser."""
    row = service.get_referral(ctx.session, ctx.process_data.get("referral_id"))
    service.educate(ctx.session, row=row, method=ctx.data.get("education_method") or "",
                    note=ctx.data.get("education_note") or "", actor=ctx.user.username,
                    now=ctx.runtime.clock.now())
    return {"referral_status": "educated"}


@action("accusation.approve", preview=lambda runtime, data, process_data: {
    "referral_approved": bool(data.get("referral_approved")),
    "referral_status": "approved" if data.get("referral_approved") else "refused"})
def approve_malicious(ctx: ActionContext) -> dict:
    """City-level approval (the lane offers it to city supervisors only)."""
    approved = bool(ctx.data.get("referral_approved"))
    row = service.get_referral(ctx.session, ctx.process_data.get("referral_id"))
    service.approve_malicious(ctx.session, row=row, approved=approved, user=ctx.user,
                              comment=ctx.data.get("referral_comment") or "",
                              aggravating=ctx.data.get("aggravating_confirmed"),
                              now=ctx.runtime.clock.now())
    return {"referral_approved": approved,
            "referral_status": "approved" if approved else "refused"}


@action("accusation.refer")
def refer(ctx: ActionContext) -> dict:
    """Refer the approved malicious accusation (heavier when it disrupted elections etc.)."""
    row = service.get_referral(ctx.session, ctx.process_data.get("referral_id"))
    service.refer(ctx.session, row=row, referred_to=ctx.data.get("referred_to") or "",
                  heavier_handling=ctx.data.get("heavier_handling") or "",
                  actor=ctx.user.username, now=ctx.runtime.clock.now())
    return {"referral_status": "referred"}
