"""Domain actions of the petition intake process (named by its tasks' `action` property)."""
from __future__ import annotations

from sqlalchemy import select

from engine.audit import service as audit
from engine.clues import service as clues
from engine.deadlines import service as deadlines
from engine.errors import Invalid
from engine import notes
from engine.org.models import Unit
from engine.petitions import service
from engine.petitions.models import Petition
from engine.processes.actions import ActionContext, action


def _petition(ctx: ActionContext) -> Petition:
    return service.get(ctx.session, ctx.process_data["petition_id"])


@action("petition.check_repeat")
def check_repeat(ctx: ActionContext) -> dict:
    """The clerk confirms a suggested repeat (by its number) or says it is a first submission."""
    petition = _petition(ctx)
    if not ctx.data.get("is_repeat"):
        audit.record(ctx.session, at=ctx.runtime.clock.now(), actor=ctx.user.username,
                     action="repeat_rejected", case_id=petition.case_id,
                     detail={"petition": petition.number})
        return {"merged": False}
    number = (ctx.data.get("original_number") or "").strip()
    original = ctx.session.scalar(select(Petition).where(Petition.number == number))
    if original is None:
        raise Invalid("no petition with that number", reason="petition_number_unknown",
                      fields={"original_number": [notes.note("unknown_petition_number")]})
    service.confirm_repeat(ctx.session, ctx.runtime, user=ctx.user, petition=petition,
                           original=original)
    return {"merged": True}


def _classified(runtime, data: dict, process_data: dict) -> dict:
    """What classifying routes on, from the form (the test-run's preview; no clue is opened)."""
    if not data.get("in_scope"):
        return {"in_scope": False, "category": data.get("category"), "clue_id": None}
    code = (data.get("first_handling_unit") or "").strip()
    return {"in_scope": True, "category": data.get("category"), "clue_id": None,
            "first_handling_unit": code, "handling_unit": code,
            "concerns_official": bool(data.get("concerns_official"))}


@action("petition.classify", preview=_classified)
def classify(ctx: ActionContext) -> dict:
    """In scope or not; category; the first-handling unit (初信初访首办) for accepted matters."""
    petition = _petition(ctx)
    now = ctx.runtime.clock.now()
    in_scope = bool(ctx.data.get("in_scope"))
    if ctx.data.get("category"):
        petition.category = ctx.data["category"]
    result = {"in_scope": in_scope, "category": petition.category, "clue_id": None}
    if in_scope:
        code = (ctx.data.get("first_handling_unit") or "").strip()
        unit = ctx.session.scalar(select(Unit).where(Unit.code == code, Unit.active.is_(True)))
        if unit is None:
            raise Invalid("choose the unit that handles this matter first",
                          reason="petition_handling_unit_required",
                          fields={"first_handling_unit": [notes.note("unknown_unit")]})
        petition.status = "accepted"
        if ctx.case is not None:
            ctx.case.first_handling_unit_id = ctx.case.handling_unit_id = unit.id
            deadlines.settle(ctx.session, ctx.runtime, case_id=ctx.case.id,
                             key="forward_elsewhere", status="cancelled",
                             actor=ctx.user.username, reason="within this agency's scope")
        concerns_official = bool(ctx.data.get("concerns_official"))
        result.update(first_handling_unit=unit.code, handling_unit=unit.code,
                      concerns_official=concerns_official)
        if concerns_official:
            # A matter about a party member or official enters the handling unit's clue ledger.
            clue = clues.create_from_petition(ctx.session, ctx.runtime, petition=petition,
                                              unit=unit, actor=ctx.user.username)
            result["clue_id"] = clue.id
    elif ctx.case is not None:
        deadlines.settle(ctx.session, ctx.runtime, case_id=ctx.case.id, key="acceptance_notice",
                         status="not_applicable", actor=ctx.user.username,
                         reason="not within this agency's scope: forwarded")
    petition.updated_at = now
    audit.record(ctx.session, at=now, actor=ctx.user.username, action="petition_classified",
                 case_id=petition.case_id,
                 detail={"petition": petition.number, "in_scope": in_scope,
                         "category": petition.category,
                         "first_handling_unit": result.get("first_handling_unit")})
    return result


@action("petition.forward")
def forward(ctx: ActionContext) -> dict:
    """Forward to the competent authority; a sealed forward keeps no content, only the fact."""
    petition = _petition(ctx)
    now = ctx.runtime.clock.now()
    to = (ctx.data.get("forwarded_to") or "").strip()
    if not to:
        raise Invalid("name the authority it is forwarded to", reason="petition_forward_to_required",
                      fields={"forwarded_to": [notes.note("required")]})
    sealed = bool(ctx.data.get("sealed"))
    petition.status, petition.forwarded_to, petition.forwarded_at = "forwarded", to, now
    if sealed:
        # Reports about a unit's own head or for a higher level: record that, to whom and when.
        petition.sealed, petition.content = True, ""
        for person in list(petition.accused):
            ctx.session.delete(person)
    petition.updated_at = now
    audit.record(ctx.session, at=now, actor=ctx.user.username, action="petition_forwarded",
                 case_id=petition.case_id,
                 detail={"petition": petition.number, "to": to, "sealed": sealed})
    return {"forwarded_to": to, "sealed": sealed}


@action("petition.notify_reporter")
def notify_reporter(ctx: ActionContext) -> dict:
    """Record that the real-name reporter was told (of acceptance, or of the forwarding)."""
    petition = _petition(ctx)
    audit.record(ctx.session, at=ctx.runtime.clock.now(), actor=ctx.user.username,
                 action="reporter_notified", case_id=petition.case_id,
                 detail={"petition": petition.number, "about": ctx.task.element_id,
                         "method": ctx.data.get("method")})
    return {}

