"""Village matters on BPMN: 四议两公开 (bpmn/village_four_two.bpmn) and the micro-power list
(bpmn/village_<kind>.bpmn). Each matter is a row; every meeting and step of its process is a row;
the village affairs supervision committee checks before implementation.

Steps are domain actions (engine/village/actions.py): a meeting records its attendance and votes
and passes or fails by the configured quorum and majority (a failed one is recorded and held
again); a step refuses when a step it needs was not done (`village_step_skipped`, e.g. a
designer's diagram without the check) or when its data break a rule (`village_rule_broken`),
unless a supervisor above the village overrode that rule with a reason - the override opens a
clue in the supervisor's clue ledger at once.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import village as access
from engine.audit import service as audit
from engine.cases import service as cases
from engine.clues.models import Clue
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.processes import service as processes
from engine.runtime import Runtime
from engine.uow import UnitOfWork
from engine.village import rules
from engine.village.models import (MATTER_KINDS, DisclosureItem, VillageMatter, VillageMeeting,
                                   VillageOverride, VillageStep)

PROCESS_PREFIX = "village_"
# The last step of each process: the matter is finished when it is done.
FINAL_STEPS = {"disclose_result", "sign_contract", "accept_project", "report_township",
               "register_seal", "pay_expense"}
# Outcomes that count a step as done for the steps after it.
DONE = ("done", "passed", "agreed")
RULE_LABELS = {
    "disclosure_too_short": "公示期不足", "too_few_bidders": "竞价（比选）单位不足",
    "price_over_budget": "中标价超出预算", "rent_below_reserve": "租金低于底价",
    "decision_required": "未经四议两公开决定", "four_eyes": "申请人自行审批",
    "receipts_missing": "无报销凭证", "homestead_too_large": "宅基地面积超标",
}
KIND_LABELS = {"four_two": "四议两公开", "asset_lease": "集体资产租赁",
               "project_award": "小型工程项目", "subsidy": "补贴（低保）推荐",
               "seal": "印章使用", "expense": "财务报销", "homestead": "宅基地申请"}


def _settings(runtime: Runtime) -> dict:
    return dict(runtime.settings.get("village"))


def _text(value, field: str, *, limit: int | None = None, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid("%(field)s is required", reason="field_required", params={"field": field},
                      fields={field: [notes.note("required")]})
    return text[:limit] if limit else text


def _number(session: Session, runtime: Runtime, unit: Unit, letter: str) -> str:
    year = runtime.clock.local(runtime.clock.now()).year
    value = cases.next_value(session, f"village-{letter}:{unit.code}:{year}")
    return f"{unit.code}-{year}-{letter}{value:06d}"


def start(uow: UnitOfWork, *, runtime: Runtime, user: User, fields: dict) -> VillageMatter:
    """Start a village matter in the officer's own village and its process."""
    session = uow.session
    kind = fields.get("kind")
    if kind not in MATTER_KINDS:
        raise Invalid("unknown kind of village matter", reason="village_kind_unknown",
                      fields={"kind": notes.choices(MATTER_KINDS)})
    unit = session.get(Unit, user.unit_id)
    if not access.may_start(user, unit):
        raise Forbidden("only the village's officers start its matters",
                        reason="village_start_forbidden")
    now = runtime.clock.now()
    row = VillageMatter(number=_number(session, runtime, unit, "V"), unit_id=unit.id, kind=kind,
                        title=_text(fields.get("title"), "title", limit=200),
                        summary=_text(fields.get("summary"), "summary", required=False),
                        facts={}, status="running", created_by_id=user.id, created_at=now,
                        updated_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="village_matter_started",
                 detail={"matter_id": row.id, "number": row.number, "kind": kind,
                         "village": unit.code})
    instance, _ = processes.start_instance(
        uow, runtime=runtime, key=PROCESS_PREFIX + kind, user=user,
        data={"matter_id": row.id, "village_unit": unit.code, "matter_kind": kind})
    row.instance_id = instance.id
    return row


def get_matter(session: Session, matter_id) -> VillageMatter:
    row = session.get(VillageMatter, matter_id) if isinstance(matter_id, int) else None
    if row is None:
        raise NotFound("village matter %(id)s not found", reason="village_matter_not_found",
                       params={"id": matter_id})
    return row


def matter_for(session: Session, user: User, matter_id: int) -> VillageMatter:
    row = get_matter(session, matter_id)
    if not access.may_see_matter(session, user, row):
        raise NotFound("village matter %(id)s not found", reason="village_matter_not_found",
                       params={"id": matter_id})
    return row


def visible_matters(session: Session, user: User, *, limit: int = 200) -> list[VillageMatter]:
    return list(session.scalars(select(VillageMatter)
                                .where(access.matters_clause(session, user))
                                .order_by(VillageMatter.created_at.desc(), VillageMatter.id.desc())
                                .limit(limit)))


def matter_choices(session: Session, runtime: Runtime, user: User) -> list[tuple[int, str]]:
    """The matters the user may see as (id, "display number title") for a picker."""
    matters = visible_matters(session, user)
    names = dict(session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_({m.unit_id for m in matters}))).all()) if matters else {}
    return [(m.id, f"{display_number(runtime, m, names.get(m.unit_id) or '')} {m.title}")
            for m in matters]

# ---------------------------------------------------------------------------------------------
# Steps (called by the domain actions)


def _steps(session: Session, matter: VillageMatter) -> list[VillageStep]:
    return list(session.scalars(select(VillageStep).where(VillageStep.matter_id == matter.id)
                                .order_by(VillageStep.id)))


def _require(session: Session, matter: VillageMatter, step: str) -> None:
    """Refuse a step whose prerequisite steps were not done (the latest check must agree)."""
    latest: dict[str, str] = {}
    for row in _steps(session, matter):
        latest[row.step] = row.outcome
    for needed in rules.REQUIRES.get(step, ()):
        if latest.get(needed) not in DONE:
            raise Conflict("step %(step)s needs step %(missing)s done first",
                           reason="village_step_skipped",
                           params={"step": step, "missing": needed})


def _decision_ok(session: Session, matter: VillageMatter, number) -> bool | None:
    """The number names a 四议两公开 decision of the same village whose resolution passed."""
    if not isinstance(number, str) or not number.strip():
        return None
    decision = session.scalar(select(VillageMatter).where(
        VillageMatter.number == number.strip(), VillageMatter.unit_id == matter.unit_id,
        VillageMatter.kind == "four_two"))
    if decision is None:
        return False
    return session.scalar(select(VillageMeeting.id).where(
        VillageMeeting.matter_id == decision.id, VillageMeeting.step == "resolve",
        VillageMeeting.passed.is_(True)).limit(1)) is not None


def _applicant(session: Session, matter: VillageMatter) -> str | None:
    first = session.scalar(select(VillageStep).where(VillageStep.matter_id == matter.id)
                           .order_by(VillageStep.id).limit(1))
    user_id = first.user_id if first is not None else matter.created_by_id
    return session.scalar(select(User.username).where(User.id == user_id))


def _keep_rules(session: Session, runtime: Runtime, *, matter: VillageMatter, user: User,
                step: str, data: dict) -> list[str]:
    """Refuse broken rules that no supervisor overrode; return the overridden ones (used up)."""
    found = rules.broken(step, data, settings=_settings(runtime),
                         applicant=_applicant(session, matter), user=user.username,
                         decision_ok=_decision_ok(session, matter, data.get("decision_number")))
    used = []
    for rule in found:
        override = session.scalar(select(VillageOverride).where(
            VillageOverride.matter_id == matter.id, VillageOverride.rule == rule,
            VillageOverride.used_at.is_(None)).order_by(VillageOverride.id).limit(1))
        if override is None:
            raise Invalid("rule broken: %(rule_name)s; a supervisor above the village may "
                          "override it with a reason", reason="village_rule_broken",
                          params={"rule": rule, "rule_name": RULE_LABELS[rule]},
                          fields={"rule": [notes.note("rule", rule=rule)]})
        override.used_at = runtime.clock.now()
        used.append(rule)
    return used


def _plain(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()
            if not k.startswith("_")}


def _record(session: Session, runtime: Runtime, *, matter: VillageMatter, user: User, task,
            outcome: str, data: dict, overridden: list[str] | None = None) -> VillageStep:
    now = runtime.clock.now()
    facts = _plain(data)
    row = VillageStep(matter_id=matter.id, step=task.element_id, name=task.name or "",
                      outcome=outcome, facts={**facts, **({"overridden": overridden}
                                                          if overridden else {})},
                      user_id=user.id, at=now)
    session.add(row)
    matter.facts = {**(matter.facts or {}), task.element_id: facts}
    matter.updated_at = now
    if task.element_id in FINAL_STEPS:
        matter.status, matter.finished_at = "finished", now
    audit.record(session, at=now, actor=user.username, action="village_step_done",
                 instance_id=matter.instance_id,
                 detail={"matter_id": matter.id, "step": task.element_id, "outcome": outcome,
                         "overridden": overridden or []})
    return row


def _int(data: dict, field: str) -> int:
    value = data.get(field)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid("%(field)s is required", reason="field_required", params={"field": field},
                      fields={field: [notes.note("whole_number")]}) from None


def record_meeting(session: Session, runtime: Runtime, *, matter: VillageMatter, user: User,
                   task, data: dict) -> bool:
    """Record a meeting (attendance, votes, resolution); True when quorate and carried. A failed
    meeting is recorded too, and the process holds it again."""
    _require(session, matter, task.element_id)
    numbers = {f: _int(data, f) for f in ("members", "present", "votes_for", "votes_against",
                                          "votes_abstain")}
    errors = rules.meeting_errors(**numbers)
    if errors:
        raise Invalid("the meeting record does not add up", reason="village_meeting_invalid",
                      fields=errors)
    held = data.get("held_on")
    held_on = date.fromisoformat(str(held)) if held else \
        runtime.clock.local(runtime.clock.now()).date()
    settings = _settings(runtime)
    quorum = rules.quorate(members=numbers["members"], present=numbers["present"],
                           quorum=settings["quorum"])
    passed = quorum and rules.carried(present=numbers["present"], votes_for=numbers["votes_for"],
                                      majority=settings["majority"])
    session.add(VillageMeeting(matter_id=matter.id, step=task.element_id, body=task.name or "",
                               held_on=held_on, **numbers, quorum_met=quorum, passed=passed,
                               resolution=_text(data.get("resolution"), "resolution",
                                                required=False),
                               recorded_by_id=user.id, created_at=runtime.clock.now()))
    _record(session, runtime, matter=matter, user=user, task=task,
            outcome="passed" if passed else "failed",
            data={**data, "quorum_met": quorum, "passed": passed})
    return passed


def record_step(session: Session, runtime: Runtime, *, matter: VillageMatter, user: User, task,
                data: dict) -> None:
    """A step of the matter: its prerequisites done, its rules kept (or overridden)."""
    _require(session, matter, task.element_id)
    used = _keep_rules(session, runtime, matter=matter, user=user, step=task.element_id,
                       data=data)
    _record(session, runtime, matter=matter, user=user, task=task, outcome="done", data=data,
            overridden=used)


def record_check(session: Session, runtime: Runtime, *, matter: VillageMatter, user: User, task,
                 data: dict) -> bool:
    """The supervision committee's check (监委会审核): agreed, or objected with an opinion (the
    process sends the matter back)."""
    _require(session, matter, task.element_id)
    agreed = bool(data.get("check_agreed"))
    if not agreed:
        _text(data.get("check_opinion"), "check_opinion")
    _record(session, runtime, matter=matter, user=user, task=task,
            outcome="agreed" if agreed else "objected", data=data)
    return agreed


# ---------------------------------------------------------------------------------------------
# Overrides


def _township(session: Session, unit: Unit) -> Unit | None:
    current = unit
    while current is not None and current.kind != "township":
        current = session.get(Unit, current.parent_id) if current.parent_id else None
    return current


def override(uow: UnitOfWork, *, runtime: Runtime, user: User, matter_id: int, rule: str,
             reason: str) -> VillageOverride:
    """A supervisor above the village lets one broken rule of the matter pass once, with a
    reason; the override becomes a clue in the supervisor's unit's clue ledger."""
    session = uow.session
    matter = matter_for(session, user, matter_id)
    if not access.may_override(session, user, matter):
        raise Forbidden("only a supervisor above the village overrides its rules",
                        reason="village_override_forbidden")
    if rule not in rules.RULES:
        raise Invalid("unknown rule", reason="village_rule_unknown",
                      fields={"rule": notes.choices(rules.RULES)})
    reason = _text(reason, "reason", limit=2000)
    if matter.status != "running":
        raise Conflict("the matter is finished", reason="village_matter_finished")
    now = runtime.clock.now()
    row = VillageOverride(matter_id=matter.id, rule=rule, reason=reason, user_id=user.id, at=now)
    session.add(row)
    session.flush()
    row.clue_id = _override_clue(uow, runtime, user=user, matter=matter, rule=rule,
                                 reason=reason).id
    audit.record(session, at=now, actor=user.username, action="village_rule_overridden",
                 instance_id=matter.instance_id,
                 detail={"matter_id": matter.id, "rule": rule, "reason": reason,
                         "clue_id": row.clue_id})
    return row


def _override_clue(uow: UnitOfWork, runtime: Runtime, *, user: User, matter: VillageMatter,
                   rule: str, reason: str) -> Clue:
    """Open the clue (its case and its disposition process) in the overriding user's unit."""
    session = uow.session
    now = runtime.clock.now()
    handling = session.get(Unit, user.unit_id)
    village = session.get(Unit, matter.unit_id)
    officer = session.get(User, matter.created_by_id)
    made: dict = {}
    data = {"handling_unit": handling.code}

    def link(case):
        case.handling_unit_id = case.first_handling_unit_id = handling.id
        clue = Clue(**cases.numbers(session, runtime, unit=handling,
                                    year=runtime.clock.local(now).year, kind="clue"),
                    case_id=case.id, source="supervision", status="pending", unit_id=handling.id,
                    accused_name=officer.display_name or officer.username, accused_post="村干部",
                    accused_unit=village.name, accused_level="village",
                    summary=(f"{matter.number}（{KIND_LABELS[matter.kind]}：{matter.title}）"
                             f"越过规则“{RULE_LABELS[rule]}”，理由：{reason}")[:500],
                    disposition_reason="", closed_reason="", key_verification=False,
                    created_at=now, updated_at=now)
        session.add(clue)
        session.flush()
        made["clue"] = clue
        data["clue_id"] = clue.id  # the disposition process works on this clue
        audit.record(session, at=now, actor=user.username, action="clue_created",
                     case_id=case.id, detail={"clue_id": clue.id, "number": clue.number,
                                              "source": "village_override",
                                              "unit": handling.code})
    cases.open_case(uow, runtime=runtime, process_key="clue_disposition", user=user, data=data,
                    before_start=link)
    return made["clue"]


# ---------------------------------------------------------------------------------------------
# Reading


def describe(session: Session, runtime: Runtime, matter: VillageMatter) -> dict:
    unit = session.get(Unit, matter.unit_id)
    town = _township(session, unit)
    names = dict(session.execute(select(User.id, User.display_name)).all())
    meetings = session.scalars(select(VillageMeeting).where(VillageMeeting.matter_id == matter.id)
                               .order_by(VillageMeeting.id))
    overrides = session.scalars(select(VillageOverride).where(
        VillageOverride.matter_id == matter.id).order_by(VillageOverride.id))
    clue_numbers = dict(session.execute(select(Clue.id, Clue.number).where(
        Clue.id.in_(select(VillageOverride.clue_id).where(
            VillageOverride.matter_id == matter.id)))).all())
    tasks = session.scalars(select(Task).where(Task.instance_id == matter.instance_id,
                                               Task.status == "open")) \
        if matter.instance_id else []
    return {
        "id": matter.id, "number": matter.number,
        "display_number": display_number(runtime, matter, unit.name), "kind": matter.kind,
        "kind_name": KIND_LABELS[matter.kind], "village": unit.code, "village_name": unit.name,
        "township": town.code if town else None, "title": matter.title,
        "summary": matter.summary, "status": matter.status, "instance_id": matter.instance_id,
        "created_at": matter.created_at, "finished_at": matter.finished_at,
        "meetings": [{"step": m.step, "body": m.body, "held_on": m.held_on,
                      "members": m.members, "present": m.present, "votes_for": m.votes_for,
                      "votes_against": m.votes_against, "votes_abstain": m.votes_abstain,
                      "quorum_met": m.quorum_met, "passed": m.passed,
                      "resolution": m.resolution} for m in meetings],
        "steps": [{"step": s.step, "name": s.name, "outcome": s.outcome, "facts": s.facts,
                   "by": names.get(s.user_id, ""), "at": s.at} for s in _steps(session, matter)],
        "overrides": [{"id": o.id, "rule": o.rule, "rule_name": RULE_LABELS.get(o.rule, o.rule),
                       "reason": o.reason, "by": names.get(o.user_id, ""), "at": o.at,
                       "clue_id": o.clue_id, "clue_number": clue_numbers.get(o.clue_id),
                       "used": o.used_at is not None} for o in overrides],
        "open_tasks": [{"id": t.id, "element_id": t.element_id, "name": t.name}
                       for t in tasks],
    }


def select_units_below(session: Session, unit_id: int):
    """A query of the active townships and villages at or below a unit (for the editors' form)."""
    path = session.scalar(select(Unit.path).where(Unit.id == unit_id)) or "/-"
    return select(Unit).where(Unit.active.is_(True), Unit.path.startswith(path),
                              Unit.kind.in_(("township", "village"))).order_by(Unit.path)


def display_number(runtime: Runtime, matter: VillageMatter, village_name: str) -> str:
    """The matter's number as people read it (东村〔2026〕村务3号)."""
    return cases.display_of(runtime, matter.number, unit_name=village_name,
                            kind="village_matter")


def inbox_facts(session: Session, runtime: Runtime,
                instance_ids: list[str]) -> dict[str, dict]:
    """Per village matter or disclosure instance: what its inbox row shows in place of a case
    (the matter's or item's number, the village or unit, the title)."""
    ids = [i for i in instance_ids if i]
    if not ids:
        return {}
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    out = {}
    for m in session.scalars(select(VillageMatter).where(VillageMatter.instance_id.in_(ids))):
        out[m.instance_id] = {"case_number": m.number, "township_name": names.get(m.unit_id),
                              "case_display_number": display_number(
                                  runtime, m, names.get(m.unit_id) or ""),
                              "accused": [m.title]}
    for d in session.scalars(select(DisclosureItem).where(
            DisclosureItem.instance_id.in_(ids))):
        out[d.instance_id] = {"case_number": d.number, "township_name": names.get(d.unit_id),
                              "case_display_number": cases.display_of(
                                  runtime, d.number, unit_name=names.get(d.unit_id) or "",
                                  kind="disclosure"),
                              "accused": [d.title]}
    return out
