"""Register petitions, protect reporters, find and confirm repeats."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.audit import service as audit
from engine.cases import service as cases
from engine.cases.models import Case
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.supervision import villages
from engine.petitions import masking
from engine.petitions.models import CATEGORIES, CHANNELS, LEVELS, AccusedPerson, Petition
from engine.runtime import Runtime
from engine.uow import UnitOfWork
from engine.deadlines import service as deadlines
from engine.notifications import service as notifications
from engine.petitions.repeats import RepeatFinder
from engine.petitions.repeats import features_of, write_keys
from engine.petitions.similarity import PetitionFeatures
from engine.processes import service as processes

INTAKE_PROCESS = "petition_intake"


def _unit_code(session: Session, unit_id: int | None) -> str | None:
    return session.scalar(select(Unit.code).where(Unit.id == unit_id)) if unit_id else None


def _validate(session: Session, fields: dict, now: datetime, *, registering: bool = False) -> dict:
    errors: dict[str, list[notes.Note]] = {}
    if fields.get("channel") not in CHANNELS:
        errors["channel"] = [notes.note("one_of", options=", ".join(CHANNELS))]
    reporter = fields.get("reporter") or {"anonymous": True}
    if not reporter.get("anonymous") and not (reporter.get("name") or "").strip():
        errors["reporter.name"] = [notes.note("required_unless_anonymous")]
    category = fields.get("category") or "other"
    if category not in CATEGORIES:
        errors["category"] = [notes.note("one_of", options=", ".join(CATEGORIES))]
    # Intake records what is reported and about whom: content, and an accused person or the
    # stated reason why none can be named (an unnamed official, a matter with no one named).
    if registering and not (fields.get("content") or "").strip():
        errors["content"] = [notes.note("required")]
    if registering and not fields.get("accused") and \
            not (fields.get("no_accused_reason") or "").strip():
        errors["no_accused_reason"] = [notes.note("accused_or_reason")]
    for i, person in enumerate(fields.get("accused") or []):
        if not (person.get("name") or "").strip():
            errors[f"accused.{i}.name"] = [notes.note("required")]
        if person.get("level", "other") not in LEVELS:
            errors[f"accused.{i}.level"] = [notes.note("one_of", options=", ".join(LEVELS))]
    township_id = None
    if fields.get("township"):
        unit = session.scalar(select(Unit).where(Unit.code == fields["township"]))
        if unit is None or unit.kind != "township":
            errors["township"] = [notes.note("not_township_code")]
        else:
            township_id = unit.id
    received = fields.get("received_at") or now
    if received > now:
        errors["received_at"] = [notes.note("not_future")]
    if errors:
        raise Invalid("the petition has invalid fields", reason="petition_fields_invalid",
                      fields=errors)
    return {"reporter": reporter, "category": category, "township_id": township_id,
            "received_at": received}


def register(uow: UnitOfWork, *, runtime: Runtime, user: User, fields: dict) -> Petition:
    """Register a petition from any channel: number it, open its case, start its deadlines."""
    roles = user.roles
    if not {"intake_clerk", "supervisor"} & roles:
        raise Forbidden("only intake clerks and supervisors register petitions",
                        reason="petition_register_forbidden")
    session = uow.session
    now = runtime.clock.now()
    clean = _validate(session, fields, now, registering=True)
    reporter = clean["reporter"]
    anonymous = bool(reporter.get("anonymous"))
    unit = session.get(Unit, user.unit_id)
    year = runtime.clock.local(clean["received_at"]).year
    petition = Petition(
        **cases.numbers(session, runtime, unit=unit, year=year, kind="petition"),
        channel=fields["channel"], received_at=clean["received_at"], registered_at=now,
        registered_by_id=user.id, unit_id=unit.id, anonymous=anonymous,
        reporter_name=None if anonymous else reporter.get("name"),
        reporter_id_number=None if anonymous else reporter.get("id_number"),
        reporter_phone=None if anonymous else reporter.get("phone"),
        reporter_address=None if anonymous else reporter.get("address"),
        township_id=clean["township_id"], village=fields.get("village") or "",
        category=clean["category"], content=fields.get("content") or "", status="registered",
        no_accused_reason=None if fields.get("accused") else fields["no_accused_reason"].strip(),
        updated_at=now,
        accused=[AccusedPerson(name=p["name"].strip(), post=p.get("post") or "",
                               unit=p.get("unit") or "", level=p.get("level") or "other")
                 for p in fields.get("accused") or []])
    session.add(petition)
    session.flush()
    villages.link_one(session, petition)
    write_keys(session, petition)
    case = cases.open_case(
        uow, runtime=runtime, process_key=INTAKE_PROCESS, user=user,
        data={"petition_id": petition.id, "petition_number": petition.number,
              "registering_unit": unit.code, "real_name": not anonymous,
              "channel": petition.channel, "category": petition.category,
              "township": fields.get("township") or "", "skip_repeat_check": False},
        deadlines_started=[
            {"key": "acceptance_notice", "started_at": petition.received_at,
             "applicable": not anonymous},
            {"key": "forward_elsewhere", "started_at": petition.received_at}],
        before_start=lambda case: setattr(petition, "case_id", case.id))
    audit.record(session, at=now, actor=user.username, action="petition_registered",
                 case_id=case.id, detail={"petition": petition.number, "channel": petition.channel,
                                          "anonymous": anonymous})
    return petition


def get(session: Session, petition_id: int) -> Petition:
    petition = session.get(Petition, petition_id)
    if petition is None:
        raise NotFound("petition %(id)s not found", reason="petition_not_found",
                       params={"id": petition_id})
    return petition


def may_see(session: Session, user: User, petition: Petition) -> bool:
    """A petition is visible to whoever may see its case."""
    if petition.case_id is None:
        return petition.unit_id == user.unit_id and "intake_clerk" in user.roles
    return case_access.may_see_case(session, user, session.get(Case, petition.case_id))


def for_user(session: Session, user: User, petition_id: int) -> Petition:
    petition = get(session, petition_id)
    if not may_see(session, user, petition):
        raise Forbidden("you may not see this petition", reason="petition_not_visible")
    return petition


def describe(session: Session, petition: Petition, runtime: Runtime) -> dict:
    """The petition as the API shows it: reporter fields always masked."""
    return {
        "id": petition.id, "number": petition.number,
        "display_number": petition.display_number, "case_id": petition.case_id,
        "status": petition.status, "channel": petition.channel,
        "received_at": runtime.clock.local(petition.received_at),
        "reporter": masking.reporter(petition.anonymous, reporter_fields(petition)),
        "accused": [{"name": a.name, "post": a.post, "unit": a.unit, "level": a.level}
                    for a in petition.accused],
        "township": _unit_code(session, petition.township_id), "village": petition.village,
        "category": petition.category,
        "content": "" if petition.sealed else petition.content, "sealed": petition.sealed,
        "no_accused_reason": None if petition.sealed else petition.no_accused_reason,
        "repeat_of": petition.repeat_of_id, "first_time": petition.repeat_of_id is None,
        "forwarded_to": petition.forwarded_to}


def reporter_fields(petition: Petition) -> dict:
    """The unmasked reporter: only for an audited reveal or a document addressed to them."""
    return {"name": petition.reporter_name, "id_number": petition.reporter_id_number,
            "phone": petition.reporter_phone, "address": petition.reporter_address}


def may_reveal(session: Session, user: User, petition: Petition) -> bool:
    """API.md "Authority": who may see the reporter's identity (always with a reason)."""
    roles = user.roles
    if "intake_clerk" in roles and petition.registered_by_id == user.id:
        return True
    if "caseworker" in roles and petition.case_id is not None:
        holds = session.scalar(select(Task.id).where(
            Task.case_id == petition.case_id, Task.status == "open",
            Task.assignee_id == user.id).limit(1))
        if holds is not None:
            return True
    if "supervisor" in roles:
        path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id))
        subtree = select(Unit.id).where(Unit.path.startswith(path))
        units = {petition.unit_id, petition.township_id}
        if petition.case_id:
            units |= set(session.scalars(select(Task.candidate_unit_id).where(
                Task.case_id == petition.case_id)))
        units.discard(None)
        if units and session.scalar(subtree.where(Unit.id.in_(units)).limit(1)) is not None:
            return True
    return False


def reveal(session: Session, runtime: Runtime, *, user: User, petition_id: int,
           reason: str) -> dict:
    """The unmasked reporter, for those allowed, audited with who, when and why."""
    petition = get(session, petition_id)
    if not (reason or "").strip():
        raise Invalid("a reason is required", reason="reason_required", fields={"reason": [notes.note("required")]})
    if not may_reveal(session, user, petition):
        raise Forbidden("you may not see this reporter's identity", reason="reveal_not_allowed")
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="reporter_revealed", case_id=petition.case_id,
                 detail={"petition": petition.number, "reason": reason.strip()})
    if petition.anonymous:
        return {"anonymous": True}
    return {"anonymous": False, **reporter_fields(petition)}


def confirm_repeat(session: Session, runtime: Runtime, *, user: User, petition: Petition,
                   original: Petition) -> None:
    """Link a repeat to its original: its case ends `merged`, no second clue, counted as repeat."""
    if original.id == petition.id:
        raise Invalid("a petition cannot repeat itself", reason="petition_repeat_self",
                      fields={"petition_id": [notes.note("same_petition")]})
    while original.repeat_of_id is not None:  # always link to the first submission
        original = session.get(Petition, original.repeat_of_id)
    if original.id == petition.id:
        raise Invalid("that would make a cycle of repeats", reason="petition_repeat_cycle",
                      fields={"petition_id": [notes.note("cycle")]})
    now = runtime.clock.now()
    petition.repeat_of_id, petition.status, petition.updated_at = original.id, "merged", now
    case = session.get(Case, petition.case_id) if petition.case_id else None
    if case is not None:
        case.status = "merged"
        deadlines.settle(session, runtime, case_id=case.id, key="acceptance_notice",
                         status="not_applicable", actor=user.username, reason="repeat petition")
        deadlines.settle(session, runtime, case_id=case.id, key="forward_elsewhere",
                         status="cancelled", actor=user.username, reason="repeat petition")
    audit.record(session, at=now, actor=user.username, action="repeat_confirmed",
                 case_id=petition.case_id,
                 detail={"petition": petition.number, "original": original.number,
                         "original_case_id": original.case_id})
    if original.case_id:
        audit.record(session, at=now, actor=user.username, action="repeat_linked",
                     case_id=original.case_id,
                     detail={"petition": petition.number, "repeat_case_id": petition.case_id})
        # 首办责任制: the repeat goes back to the unit that first handled the matter.
        original_case = session.get(Case, original.case_id)
        unit_id = original_case.first_handling_unit_id or original_case.handling_unit_id
        if unit_id is not None:
            notifications.notify(
                session, user_ids=notifications.supervisors_of(session, unit_id),
                kind="repeat_received", now=now, case_id=original.case_id,
                message=f"{original_case.display_number or original_case.number}：收到重复件 "
                        f"{petition.display_number or petition.number}，请首办单位继续办理")


def undo_repeat(uow: UnitOfWork, *, runtime: Runtime, user: User, petition_id: int) -> Petition:
    """Undo a wrong repeat link: the petition counts as first-time again and its case reopens
    at classification (a new intake instance that skips the repeat check)."""
    session = uow.session
    petition = for_user(session, user, petition_id)
    if not {"intake_clerk", "supervisor"} & user.roles:
        raise Forbidden("only intake clerks and supervisors link or unlink repeats",
                        reason="petition_repeat_forbidden")
    if petition.repeat_of_id is None:
        raise Invalid("this petition is not linked as a repeat", reason="petition_not_repeat",
                      fields={"petition_id": [notes.note("none")]})
    now = runtime.clock.now()
    original = session.get(Petition, petition.repeat_of_id)
    petition.repeat_of_id, petition.status, petition.updated_at = None, "registered", now
    case = session.get(Case, petition.case_id)
    case.status, case.closed_at = "open", None
    data = {"petition_id": petition.id, "petition_number": petition.number,
            "registering_unit": _unit_code(session, petition.unit_id),
            "real_name": not petition.anonymous, "channel": petition.channel,
            "category": petition.category, "skip_repeat_check": True,
            "township": _unit_code(session, petition.township_id) or ""}
    instance, _ = processes.start_instance(uow, runtime=runtime, key=INTAKE_PROCESS, data=data,
                                           user=user, case_id=case.id)
    case.instance_id = instance.id
    audit.record(session, at=now, actor=user.username, action="repeat_undone", case_id=case.id,
                 detail={"petition": petition.number, "original": original.number})
    return petition


def link_repeat(uow: UnitOfWork, *, runtime: Runtime, user: User, petition_id: int,
                original_id: int) -> Petition:
    """Confirm by API that a registered petition repeats another (outside the intake task)."""
    session = uow.session
    if not {"intake_clerk", "supervisor"} & user.roles:
        raise Forbidden("only intake clerks and supervisors link or unlink repeats",
                        reason="petition_repeat_forbidden")
    petition = for_user(session, user, petition_id)
    if petition.repeat_of_id is not None:
        raise Invalid("already linked as a repeat", reason="petition_already_repeat",
                      fields={"petition_id": [notes.note("already_linked")]})
    original = get(session, original_id)
    confirm_repeat(session, runtime, user=user, petition=petition, original=original)
    case = session.get(Case, petition.case_id) if petition.case_id else None
    if case is not None and case.instance_id:  # nothing more to do for a merged case
        processes.cancel_instance(uow, runtime=runtime, instance_id=case.instance_id,
                                  actor=user.username, reason="merged as a repeat")
    return petition


def _finder(runtime: Runtime):
    finder = getattr(runtime, "repeat_finder", None)
    if finder is None:
        finder = runtime.repeat_finder = RepeatFinder(int(runtime.settings.get(
            "petitions", "repeat_window_days")))
    return finder


def warm_up(runtime: Runtime) -> None:
    """Load what the repeat check needs besides the database (the word segmenter, the alias
    table) when a web process starts, so its first check does not wait for them."""
    runtime.read(lambda uow: _finder(runtime).warm_up(uow.session))


def repeat_check(session: Session, runtime: Runtime, *, user: User, fields: dict) -> list[dict]:
    """Likely repeats of petition fields that are not saved (the intake form, before saving)."""
    if not {"intake_clerk", "supervisor"} & user.roles:
        raise Forbidden("only intake clerks and supervisors check for repeats",
                        reason="petition_repeat_check_forbidden")
    query = PetitionFeatures(petition_id=-1, accused=fields.get("accused") or [],
                             township=fields.get("township") or "",
                             village=fields.get("village") or "",
                             category=fields.get("category") or "",
                             content=fields.get("content") or "",
                             received_at=fields.get("received_at") or runtime.clock.now())
    finder = _finder(runtime)
    return finder.explain(session, runtime, query,
                          finder.search(session, query, runtime.clock.now()))


def repeat_candidates(session: Session, runtime: Runtime, *, user: User,
                      petition_id: int) -> list[dict]:
    """Likely repeats of a registered petition (never itself)."""
    petition = for_user(session, user, petition_id)
    query = features_of(petition, _unit_code(session, petition.township_id))
    finder = _finder(runtime)
    return finder.explain(session, runtime, query, [
        hit for hit in finder.search(session, query, runtime.clock.now())
        if hit["petition_id"] != petition.id])


EDITABLE = ("channel", "received_at", "township", "village", "category", "content", "accused",
            "reporter")


def _may_correct(session: Session, user: User, petition: Petition) -> bool:
    roles = user.roles
    if "intake_clerk" in roles and petition.unit_id == user.unit_id:
        return True
    return "supervisor" in roles and may_see(session, user, petition)


def correct(session: Session, runtime: Runtime, *, user: User, petition_id: int,
            changes: dict) -> Petition:
    """Edit a registration; each changed field's old and new value is audited (reporter
    identity only as "changed", never its values)."""
    petition = for_user(session, user, petition_id)
    if not _may_correct(session, user, petition):
        raise Forbidden("only the registering unit's clerks or a supervisor may correct this",
                        reason="petition_correct_forbidden")
    if petition.sealed:
        raise Invalid("a sealed forward keeps no content to correct", reason="petition_sealed",
                      fields={"sealed": [notes.note("sealed")]})
    changes = dict(changes)
    why = (changes.pop("reason", None) or "").strip()
    if "accused" in changes and petition.accused and not changes["accused"] and not why:
        raise Invalid("say why nobody is accused any more", reason="correction_reason_required",
                      fields={"reason": [notes.note("required_no_accused")]})
    now = runtime.clock.now()
    merged = {"channel": petition.channel, "received_at": petition.received_at,
              "township": _unit_code(session, petition.township_id),
              "category": petition.category, "accused": [], **changes}
    clean = _validate(session, {**merged, "reporter": changes.get("reporter") or (
        {"anonymous": True} if petition.anonymous else {"name": petition.reporter_name})}, now)
    diff: dict[str, dict] = {}

    def change(field: str, old, new):
        if old != new:
            diff[field] = {"from": old, "to": new}

    if "channel" in changes:
        change("channel", petition.channel, changes["channel"])
        petition.channel = changes["channel"]
    if "received_at" in changes:
        change("received_at", runtime.clock.local(petition.received_at).isoformat(),
               runtime.clock.local(clean["received_at"]).isoformat())
        petition.received_at = clean["received_at"]
    if "township" in changes:
        change("township", _unit_code(session, petition.township_id), changes["township"])
        petition.township_id = clean["township_id"]
    for field in ("village", "category", "content"):
        if field in changes:
            change(field, getattr(petition, field), changes[field])
            setattr(petition, field, changes[field])
    if "village" in changes or "township" in changes:
        villages.link_one(session, petition)
    if "accused" in changes:
        old = [a.name for a in petition.accused]
        petition.accused = [AccusedPerson(name=p["name"].strip(), post=p.get("post") or "",
                                          unit=p.get("unit") or "",
                                          level=p.get("level") or "other")
                            for p in changes["accused"]]
        change("accused", old, [a.name for a in petition.accused])
    if "reporter" in changes:
        reporter = changes["reporter"]
        petition.anonymous = bool(reporter.get("anonymous"))
        for key in ("name", "id_number", "phone", "address"):
            setattr(petition, f"reporter_{key}", None if petition.anonymous else reporter.get(key))
        diff["reporter"] = {"changed": True}
    if not diff:
        return petition
    petition.updated_at = now
    write_keys(session, petition)
    audit.record(session, at=now, actor=user.username, action="petition_corrected",
                 case_id=petition.case_id, detail={"petition": petition.number, "changes": diff,
                                                   **({"reason": why} if why else {})})
    return petition


def withdraw(session: Session, runtime: Runtime, *, user: User, petition_id: int,
             reason: str) -> Petition:
    """Record that the reporter withdrew the petition (the matter may still be pursued)."""
    petition = for_user(session, user, petition_id)
    if not _may_correct(session, user, petition):
        raise Forbidden("only the registering unit's clerks or a supervisor may record this",
                        reason="petition_withdraw_forbidden")
    if not (reason or "").strip():
        raise Invalid("a reason is required", reason="reason_required", fields={"reason": [notes.note("required")]})
    if petition.withdrawn_at is not None:
        raise Invalid("already withdrawn", reason="petition_already_withdrawn", fields={"petition": [notes.note("withdrawn")]})
    now = runtime.clock.now()
    petition.withdrawn_at, petition.status, petition.updated_at = now, "withdrawn", now
    audit.record(session, at=now, actor=user.username, action="petition_withdrawn",
                 case_id=petition.case_id,
                 detail={"petition": petition.number, "reason": reason.strip()})
    return petition
