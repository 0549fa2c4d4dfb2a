"""Domain actions of the `inspection` and `rectification` processes (task property `action`).

Process data they read: inspection: `inspection_id`; rectification: `finding_id`.
What they add: inspection_approved, finding_count; rectification_done, supervision_agreed,
rectification_verified.
"""
from __future__ import annotations

from engine.processes.actions import ActionContext, action
from engine.supervision import service


def _inspection(ctx: ActionContext):
    return service.get_inspection(ctx.session, ctx.process_data.get("inspection_id"))


def _finding(ctx: ActionContext):
    return service.get_finding(ctx.session, ctx.process_data.get("finding_id"))


@action("inspection.carry_out")
def carry_out(ctx: ActionContext) -> dict:
    """The inspectors record how the inspection went (检查工作情况)."""
    service.carried_out(ctx.session, ctx.runtime, inspection=_inspection(ctx), user=ctx.user,
                        report=ctx.data.get("inspection_report") or "",
                        on=ctx.data.get("carried_out_on"))
    return {}


@action("inspection.submit_findings")
def submit_findings(ctx: ActionContext) -> dict:
    """The findings recorded on the inspection (each its own row) are handed in for approval."""
    count = service.findings_submitted(ctx.session, ctx.runtime, inspection=_inspection(ctx),
                                       user=ctx.user, no_problems=bool(ctx.data.get("no_problems")))
    return {"finding_count": count}


@action("inspection.approve", preview=lambda runtime, data, process_data: {
    "inspection_approved": bool(data.get("inspection_approved"))})
def approve(ctx: ActionContext) -> dict:
    """Approved: every finding goes to its unit for rectification; otherwise back."""
    approved = bool(ctx.data.get("inspection_approved"))
    service.approve(ctx.uow, runtime=ctx.runtime, inspection=_inspection(ctx), user=ctx.user,
                    approved=approved, comment=ctx.data.get("approval_comment") or "")
    return {"inspection_approved": approved}


@action("rectification.measures")
def measures(ctx: ActionContext) -> dict:
    service.state_measures(ctx.session, ctx.runtime, finding=_finding(ctx), user=ctx.user,
                           measures=ctx.data.get("measures") or "")
    return {}


@action("rectification.report")
def report(ctx: ActionContext) -> dict:
    done = bool(ctx.data.get("rectification_done"))
    service.report_progress(ctx.session, ctx.runtime, finding=_finding(ctx), user=ctx.user,
                            progress=ctx.data.get("progress") or "", done=done)
    return {"rectification_done": done}


@action("rectification.supervise")
def supervise(ctx: ActionContext) -> dict:
    agreed = bool(ctx.data.get("supervision_agreed"))
    service.supervise(ctx.session, ctx.runtime, finding=_finding(ctx), user=ctx.user,
                      agreed=agreed, comment=ctx.data.get("supervision_comment") or "")
    return {"supervision_agreed": agreed}


@action("rectification.verify")
def verify(ctx: ActionContext) -> dict:
    verified = bool(ctx.data.get("rectification_verified"))
    service.verify(ctx.session, ctx.runtime, finding=_finding(ctx), user=ctx.user,
                   verified=verified, comment=ctx.data.get("verification_comment") or "")
    return {"rectification_verified": verified}
