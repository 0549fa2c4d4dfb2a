"""Domain actions of the village processes (task property `action`).

Process data they read: `matter_id`. What they add: meeting_passed (a meeting), check_agreed
(the supervision committee's check).
"""
from __future__ import annotations

from engine.processes.actions import ActionContext, action
from engine.village import disclosure, service


def _matter(ctx: ActionContext):
    return service.get_matter(ctx.session, ctx.process_data.get("matter_id"))


@action("village.meeting")
def meeting(ctx: ActionContext) -> dict:
    """A meeting's record (date, attendance, votes, resolution): passed or held again."""
    passed = service.record_meeting(ctx.session, ctx.runtime, matter=_matter(ctx), user=ctx.user,
                                    task=ctx.task, data=ctx.data)
    return {"meeting_passed": passed}


@action("village.step")
def step(ctx: ActionContext) -> dict:
    """A step of a village matter: what must come before it done, its rules kept."""
    service.record_step(ctx.session, ctx.runtime, matter=_matter(ctx), user=ctx.user,
                        task=ctx.task, data=ctx.data)
    return {}


@action("village.check")
def check(ctx: ActionContext) -> dict:
    """The village affairs supervision committee's check before implementation."""
    agreed = service.record_check(ctx.session, ctx.runtime, matter=_matter(ctx), user=ctx.user,
                                  task=ctx.task, data=ctx.data)
    return {"check_agreed": agreed}


def _item(ctx: ActionContext):
    return disclosure.get(ctx.session, ctx.process_data.get("disclosure_id"))


@action("disclosure.approve")
def approve_disclosure(ctx: ActionContext) -> dict:
    """Approve a disclosure item for the public site, or send it back with an opinion."""
    approved = bool(ctx.data.get("disclosure_approved"))
    disclosure.decided(ctx.session, ctx.runtime, item=_item(ctx), user=ctx.user,
                       approved=approved, opinion=ctx.data.get("approval_opinion") or "")
    return {"disclosure_approved": approved}


@action("disclosure.revise")
def revise_disclosure(ctx: ActionContext) -> dict:
    """The editor revises an item that was sent back."""
    disclosure.revised(ctx.session, ctx.runtime, item=_item(ctx), user=ctx.user,
                       title=ctx.data.get("title") or "", body=ctx.data.get("body") or "")
    return {}
