"""Domain actions of the zones processes (named by their tasks' `action` property)."""
from __future__ import annotations

from engine.processes.actions import ActionContext, action
from engine.zones import service


def _row(ctx: ActionContext):
    return service.of_process(ctx.session, process_data=ctx.process_data, case=ctx.case)


@action("zone.decide")
def decide(ctx: ActionContext) -> dict:
    """The zone head accepts the escalation or refuses it (the case stays with the township)."""
    row = service.decide(ctx.session, ctx.runtime, user=ctx.user, row=_row(ctx), case=ctx.case,
                         accept=bool(ctx.data.get("accept")),
                         reason=ctx.data.get("decision_reason") or "",
                         uow=ctx.uow, instance_id=ctx.instance.id)
    return {"zone_accepted": row.decision == "accepted"}


@action("zone.analyse")
def analyse(ctx: ActionContext) -> dict:
    """The functional office's analysis (研判)."""
    service.analyse(ctx.session, ctx.runtime, user=ctx.user, row=_row(ctx),
                    analysis=ctx.data.get("analysis") or "",
                    suggested=ctx.data.get("suggested_investigators") or "")
    return {}


@action("zone.assemble_team")
def assemble_team(ctx: ActionContext) -> dict:
    """The investigation team from the zone's other townships; becomes the list `team`."""
    team = service.assemble_team(ctx.session, ctx.runtime, user=ctx.user, row=_row(ctx),
                                 team=ctx.data.get("team"),
                                 leader=ctx.data.get("team_leader") or "")
    return {"team": team, "investigations": []}


@action("zone.investigate")
def investigate(ctx: ActionContext) -> dict:
    """One investigator's report (each member of the team has a task of their own)."""
    report = service.record_investigation(ctx.session, ctx.runtime, user=ctx.user,
                                          row=_row(ctx), findings=ctx.data.get("findings") or "")
    return {"investigation": report}


@action("zone.compile_dossier")
def compile_dossier(ctx: ActionContext) -> dict:
    """The dossier compiled at the zone (卷宗整理)."""
    service.compile_dossier(ctx.session, ctx.runtime, user=ctx.user, row=_row(ctx),
                            summary=ctx.data.get("dossier_summary") or "",
                            volumes=ctx.data.get("volumes"))
    return {}


@action("zone.archive")
def archive(ctx: ActionContext) -> dict:
    """Archived at the county (Case.archived_at)."""
    service.archive(ctx.session, ctx.runtime, user=ctx.user, row=_row(ctx), case=ctx.case,
                    archive_number=ctx.data.get("archive_number") or "")
    return {"archived": True}
