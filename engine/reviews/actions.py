"""Domain actions of the reviews processes (named by their tasks' `action` property)."""
from __future__ import annotations

from engine.processes.actions import ActionContext, action
from engine.reviews import service


@action("review.convene")
def convene(ctx: ActionContext) -> dict:
    """The chair convenes: the review row with its member units (optionally adjusted here)."""
    members = ctx.data.get("review_members") or ctx.process_data.get("members")
    review = service.convene(ctx.session, ctx.runtime, user=ctx.user, case=ctx.case,
                             instance_id=ctx.instance.id,
                             subject=ctx.process_data.get("review_subject") or "",
                             members=members, chair_unit=ctx.process_data.get("chair_unit"),
                             agenda=ctx.data.get("review_agenda") or "")
    # `opinions` collects each member's `opinion` (the multi-instance output): start it empty.
    return {"joint_review_id": review.id, "members": list(review.members), "opinions": []}


@action("review.opinion")
def opinion(ctx: ActionContext) -> dict:
    """A member unit states agree / disagree / supplement (a reason unless it agrees)."""
    review = service.find_open(ctx.session, instance_id=ctx.instance.id,
                               review_id=ctx.process_data.get("joint_review_id"))
    unit_id = ctx.task.candidate_unit_id or ctx.user.unit_id
    row = service.record_opinion(ctx.session, ctx.runtime, user=ctx.user, review=review,
                                 unit_id=unit_id, position=ctx.data.get("position"),
                                 reason=ctx.data.get("reason") or "")
    code = ctx.runtime.names.unit_codes(ctx.session, [unit_id]).get(unit_id)
    return {"opinion": {"unit": code, "position": row.position, "reason": row.reason,
                        "by": ctx.user.username}}


@action("review.decide", preview=lambda runtime, data, process_data: {
    "review_decision": data.get("review_decision")})
def decide(ctx: ActionContext) -> dict:
    """The chair records the decision; it leaves the process as `review_decision`."""
    review = service.find_open(ctx.session, instance_id=ctx.instance.id,
                               review_id=ctx.process_data.get("joint_review_id"))
    service.decide(ctx.session, ctx.runtime, user=ctx.user, review=review,
                   decision=ctx.data.get("review_decision"), note=ctx.data.get("review_note"))
    return {"review_decision": review.decision, "joint_review_id": review.id}
