"""Domain actions of the feedback/return-visit and first-handling transfer processes (named by
their tasks' `action` property).

feedback_visit reads `real_name` (gateway: anonymous items get no feedback), `handling_unit`,
`registering_unit` (lanes) and `petition_id` (optional); it adds feedback_round, visit_id,
satisfaction, review_decision, rehandle_count.
first_handling_transfer reads `handling_unit`, `to_unit`, `transfer_from` (set by
POST /cases/<id>/transfer) and adds transfer_approved, handling_unit (the new one once approved).
"""
from __future__ import annotations

from engine.processes.actions import ActionContext, action
from engine.visits import service


def _case_id(ctx: ActionContext) -> int | None:
    return ctx.case.id if ctx.case is not None else None


@action("feedback.give")
def give(ctx: ActionContext) -> dict:
    """The result was fed back to the real-name reporter."""
    round_ = int(ctx.process_data.get("feedback_round") or 0) + 1
    service.give_feedback(ctx.session, case_id=_case_id(ctx),
                          petition_id=ctx.process_data.get("petition_id"),
                          method=ctx.data.get("feedback_method") or "",
                          summary=ctx.data.get("feedback_summary") or "", round_=round_,
                          actor=ctx.user.username, now=ctx.runtime.clock.now())
    return {"feedback_round": round_}


@action("feedback.return_visit")
def return_visit(ctx: ActionContext) -> dict:
    """The reporter's satisfaction (a ReturnVisit of kind `reporter`)."""
    satisfaction = ctx.data.get("satisfaction")
    visit = service.record_visit(ctx.session, case_id=_case_id(ctx), kind="reporter",
                                 petition_id=ctx.process_data.get("petition_id"),
                                 satisfaction=satisfaction,
                                 notes=ctx.data.get("visit_notes") or "", user=ctx.user,
                                 now=ctx.runtime.clock.now(),
                                 detail={"round": ctx.process_data.get("feedback_round")})
    return {"satisfaction": satisfaction, "visit_id": visit.id if visit else None,
            "review_decision": ""}


@action("feedback.review")
def review(ctx: ActionContext) -> dict:
    """A supervisor reviews a dissatisfied visit: re-handle or uphold."""
    decision = ctx.data.get("review_decision")
    service.review(ctx.session, case_id=_case_id(ctx), visit_id=ctx.process_data.get("visit_id"),
                   decision=decision, reason=ctx.data.get("review_reason") or "",
                   rehandled=int(ctx.process_data.get("rehandle_count") or 0),
                   actor=ctx.user.username, now=ctx.runtime.clock.now())
    return {"review_decision": decision}


@action("feedback.rehandle")
def rehandle(ctx: ActionContext) -> dict:
    """The caseworker handled it again; feedback follows again."""
    count = int(ctx.process_data.get("rehandle_count") or 0) + 1
    service.rehandle(ctx.session, case_id=_case_id(ctx),
                     result=ctx.data.get("rehandle_result") or "", round_=count,
                     actor=ctx.user.username, now=ctx.runtime.clock.now())
    return {"rehandle_count": count}


@action("transfer.decide")
def decide(ctx: ActionContext) -> dict:
    """The handling unit's supervisor approves or refuses the transfer."""
    approved = bool(ctx.data.get("transfer_approved"))
    pdata = ctx.process_data
    from_unit = pdata.get("transfer_from") or pdata.get("handling_unit")
    to_unit = pdata.get("to_unit")
    service.decide_transfer(ctx.session, case=ctx.case, approved=approved, from_unit=from_unit,
                            to_unit=to_unit, user=ctx.user,
                            comment=ctx.data.get("transfer_comment") or "",
                            now=ctx.runtime.clock.now())
    result = {"transfer_approved": approved}
    if approved:
        result["handling_unit"] = to_unit  # the receiving unit's caseworkers take it over
    return result


@action("transfer.receive")
def receive(ctx: ActionContext) -> dict:
    """The receiving unit took the matter over."""
    service.receive_transfer(ctx.session, case_id=_case_id(ctx),
                             note=ctx.data.get("receipt_note") or "", actor=ctx.user.username,
                             now=ctx.runtime.clock.now())
    return {}
