"""Daily supervision: inspections (检查) and their findings, rectification of each finding with
closing (销号) after verification, patrol double feedback (双反馈), the interference register
(干预插手留痕), and the rectification figures of the dashboard.

Processes: `inspection` (plan -> carry out -> record findings -> approve) and, for every finding
of an approved inspection, `rectification` (measures -> progress reports -> township supervision
for patrol findings -> verification; refusal sends it back). Each finding has a deadline row
(key `rectification`) with the time limit the inspector set; it follows the rectification's open
task (task property `deadline_met: later`) and is met only by 销号.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from engine.access import supervision as access
from engine.audit import service as audit
from engine.cases import service as cases
from engine.clues.models import Clue
from engine.deadlines import service as deadlines
from engine.deadlines.models import Deadline
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.org.models import Unit, User, UserRole
from engine.org.tree import Tree
from engine.petitions.models import CATEGORIES
from engine.runtime import Runtime
from engine.supervision.models import (ENTRY_KINDS, INSPECTION_KINDS, INTERFERENCE_MATTERS,
                                       Evidence, Finding, Inspection, InterferenceEntry,
                                       RectificationEntry)
from engine.uow import UnitOfWork
from engine.attachments import service as attachments
from engine.clues import service as clues
from engine.processes import service as processes

INSPECTION_PROCESS = "inspection"
RECTIFICATION_PROCESS = "rectification"
DEADLINE_KEY = "rectification"
CROSS_CHECK_INSPECTORS = 2


def _setting(runtime: Runtime, key: str) -> int:
    return int(runtime.settings.get("supervision", key))


def _text(value, field: str, *, required: bool = True, limit: int | None = None) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid("%(field)s is required", reason="field_required", params={"field": field},
                      fields={field: [notes.note("required")]})
    return text[:limit] if limit else text


def _unit(session: Session, code: str | None, field: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code, Unit.active.is_(True))) \
        if isinstance(code, str) and code else None
    if unit is None:
        raise Invalid("unknown unit %(code)s", reason="unit_unknown", params={"code": code or ""},
                      fields={field: [notes.note("unknown_unit")]})
    return unit


def _ancestor(session: Session, unit: Unit, kind: str) -> Unit | None:
    current = unit
    while current is not None:
        if current.kind == kind:
            return current
        current = session.get(Unit, current.parent_id) if current.parent_id else None
    return None


def _township(session: Session, unit: Unit) -> Unit | None:
    return _ancestor(session, unit, "township")


def _year(runtime: Runtime) -> int:
    return runtime.clock.local(runtime.clock.now()).year


# ---------------------------------------------------------------------------------------------
# Planning and staffing


def cross_check_candidates(session: Session, *, targets: list[Unit]) -> list[User]:
    """Inspectors a cross-check may draw: from the other townships of the targets' zone, never
    from a target's own township (回避)."""
    zones = {z.id for z in (_ancestor(session, t, "zone") for t in targets) if z is not None}
    if len(zones) != 1:
        raise Invalid("a cross-check inspects townships of one collaboration zone",
                      reason="cross_check_one_zone", fields={"targets": [notes.note("one_zone")]})
    zone = session.get(Unit, zones.pop())
    own = {t.id for t in (_township(session, u) for u in targets) if t is not None}
    towns = [u.id for u in session.scalars(select(Unit).where(
        Unit.kind == "township", Unit.parent_id == zone.id, Unit.active.is_(True)))
        if u.id not in own]
    if not towns:
        return []
    return list(session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "inspector", User.active.is_(True), User.unit_id.in_(towns))
        .order_by(User.username)))


def _check_inspectors(session: Session, *, kind: str, targets: list[Unit],
                      usernames: list[str]) -> list[User]:
    users = []
    target_towns = {t.id for t in (_township(session, u) for u in targets) if t is not None}
    target_paths = [t.path for t in targets]
    allowed = {u.id for u in cross_check_candidates(session, targets=targets)} \
        if kind == "cross" else None
    for name in usernames:
        user = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
        if user is None or not {"inspector", "supervisor"} & user.roles:
            raise Invalid("%(name)s is not an inspector", reason="inspector_unknown",
                          params={"name": name}, fields={"inspectors": [notes.note("name", name=name)]})
        unit = session.get(Unit, user.unit_id)
        town = _township(session, unit)
        if any(unit.path.startswith(p) for p in target_paths) or \
                (town is not None and town.id in target_towns):
            raise Invalid("%(name)s works in an inspected township and must step aside (回避)",
                          reason="inspector_recused", params={"name": name},
                          fields={"inspectors": [notes.note("name", name=name)]})
        if allowed is not None and user.id not in allowed:
            raise Invalid("a cross-check draws inspectors from the other townships of the zone; "
                          "%(name)s is not one of them", reason="cross_check_inspector",
                          params={"name": name}, fields={"inspectors": [notes.note("name", name=name)]})
        users.append(user)
    return users


def plan(uow: UnitOfWork, *, runtime: Runtime, user: User, fields: dict) -> Inspection:
    """Plan an inspection of the inspecting user's unit and start its process."""
    session = uow.session
    if not access.may_plan(user):
        raise Forbidden("only an inspector or a supervisor plans inspections",
                        reason="inspection_plan_forbidden")
    kind = fields.get("kind")
    if kind not in INSPECTION_KINDS:
        raise Invalid("unknown inspection kind", reason="inspection_kind_unknown",
                      fields={"kind": [notes.note("one_of", options=", ".join(INSPECTION_KINDS))]})
    codes = list(dict.fromkeys(fields.get("targets") or []))
    if not codes:
        raise Invalid("name at least one unit to inspect", reason="inspection_no_target",
                      fields={"targets": [notes.note("required")]})
    targets = [_unit(session, c, "targets") for c in codes]
    names = list(dict.fromkeys(fields.get("inspectors") or []))
    if not names and kind == "cross":
        names = [u.username for u in cross_check_candidates(session, targets=targets)
                 ][:CROSS_CHECK_INSPECTORS]
    if not names:
        raise Invalid("name the inspectors", reason="inspection_no_inspector",
                      fields={"inspectors": [notes.note("required")]})
    inspectors = _check_inspectors(session, kind=kind, targets=targets, usernames=names)
    now = runtime.clock.now()
    unit = session.get(Unit, user.unit_id)
    row = Inspection(
        **cases.numbers(session, runtime, unit=unit, year=_year(runtime), kind="inspection"),
        unit_id=unit.id, kind=kind, title=_text(fields.get("title"), "title", limit=200),
        content=_text(fields.get("content"), "content", required=False),
        targets=codes, inspectors=[u.username for u in inspectors],
        planned_on=fields.get("planned_on"), status="planned", report="",
        created_by_id=user.id, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="inspection_planned",
                 detail={"inspection_id": row.id, "number": row.number, "kind": kind,
                         "targets": codes, "inspectors": row.inspectors})
    instance, _ = processes.start_instance(
        uow, runtime=runtime, key=INSPECTION_PROCESS, user=user,
        data={"inspection_id": row.id, "inspecting_unit": unit.code,
              "lead_inspector": row.inspectors[0], "inspection_kind": kind})
    row.instance_id = instance.id
    return row


def get_inspection(session: Session, inspection_id) -> Inspection:
    row = session.get(Inspection, inspection_id) if isinstance(inspection_id, int) else None
    if row is None:
        raise NotFound("inspection %(id)s not found", reason="inspection_not_found",
                       params={"id": inspection_id})
    return row


def inspection_for(session: Session, user: User, inspection_id: int) -> Inspection:
    row = get_inspection(session, inspection_id)
    if not access.may_see_inspection(session, user, row):
        raise Forbidden("you may not see this inspection", reason="inspection_hidden")
    return row


def carried_out(session: Session, runtime: Runtime, *, inspection: Inspection, user: User,
                report: str, on: str | None) -> None:
    inspection.report = _text(report, "inspection_report")
    inspection.carried_out_on = date.fromisoformat(on) if on else \
        runtime.clock.local(runtime.clock.now()).date()
    inspection.status = "carried_out"
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="inspection_carried_out", instance_id=inspection.instance_id,
                 detail={"inspection_id": inspection.id, "on": inspection.carried_out_on.isoformat()})


# ---------------------------------------------------------------------------------------------
# Findings


def record_finding(session: Session, runtime: Runtime, *, user: User, inspection_id: int,
                   fields: dict) -> Finding:
    """One problem found: unit, description, evidence, suggestion, responsible person, limit."""
    inspection = get_inspection(session, inspection_id)
    if not access.may_record_findings(session, user, inspection):
        raise Forbidden("only the inspectors of this inspection record its findings",
                        reason="finding_record_forbidden")
    if inspection.status not in ("planned", "carried_out"):
        raise Conflict("the findings of this inspection were handed in already",
                       reason="findings_closed")
    unit = _unit(session, fields.get("unit"), "unit")
    target_paths = [_unit(session, c, "targets").path for c in inspection.targets]
    if not any(unit.path.startswith(p) for p in target_paths):
        raise Invalid("the unit was not inspected", reason="finding_unit_not_target",
                      fields={"unit": [notes.note("not_inspected")]})
    category = fields.get("category") or "other"
    if category not in CATEGORIES:
        raise Invalid("unknown category", reason="category_unknown",
                      fields={"category": notes.choices(CATEGORIES)})
    limit = fields.get("time_limit_days") or _default_days(runtime)
    if not isinstance(limit, int) or not 1 <= limit <= 366:
        raise Invalid("the time limit is 1 to 366 days", reason="time_limit_range",
                      fields={"time_limit_days": [notes.note("days_range")]})
    supervising = None
    if inspection.kind == "patrol" or fields.get("supervising_unit"):
        # 双反馈: a village's finding also goes to its township committee, which supervises.
        supervising = _unit(session, fields["supervising_unit"], "supervising_unit") \
            if fields.get("supervising_unit") else _township(session, unit)
        if supervising is None or supervising.id == unit.id:
            raise Invalid("a patrol finding about a village names the township that supervises "
                          "its rectification", reason="patrol_needs_township",
                          fields={"supervising_unit": [notes.note("required")]})
    now = runtime.clock.now()
    owner = session.get(Unit, inspection.unit_id)
    finding = Finding(
        **cases.numbers(session, runtime, unit=owner, year=_year(runtime), kind="finding"),
        inspection_id=inspection.id, unit_id=unit.id,
        supervising_unit_id=supervising.id if supervising else None, category=category,
        description=_text(fields.get("description"), "description"),
        evidence=_text(fields.get("evidence"), "evidence", required=False),
        suggestion=_text(fields.get("suggestion"), "suggestion", required=False),
        responsible_person=_text(fields.get("responsible_person"), "responsible_person",
                                 limit=100),
        time_limit_days=limit,
        person_name=_text(fields.get("person_name"), "person_name", required=False, limit=100),
        person_post=_text(fields.get("person_post"), "person_post", required=False, limit=100),
        status="recorded", measures="", progress="", recurring=False, created_at=now,
        updated_at=now)
    session.add(finding)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="finding_recorded",
                 instance_id=inspection.instance_id,
                 detail={"finding_id": finding.id, "number": finding.number, "unit": unit.code,
                         "category": category, "time_limit_days": limit})
    _flag_recurring(session, runtime, finding=finding, actor=user.username)
    return finding


def _default_days(runtime: Runtime) -> int:
    cfg = deadlines.config(runtime).get(DEADLINE_KEY) or {}
    return int(cfg.get("amount", 30))


def _flag_recurring(session: Session, runtime: Runtime, *, finding: Finding, actor: str) -> None:
    """一案双查: at least N findings of one category at one unit within M months."""
    least = _setting(runtime, "recurrence_findings")
    months = _setting(runtime, "recurrence_months")
    since = finding.created_at - timedelta(days=round(months * 30.44))
    same = list(session.scalars(select(Finding).where(
        Finding.unit_id == finding.unit_id, Finding.category == finding.category,
        Finding.created_at >= since)))
    if len(same) < least:
        return
    for row in same:
        if not row.recurring:
            row.recurring = True
    audit.record(session, at=finding.created_at, actor=actor, action="finding_recurring",
                 detail={"unit_id": finding.unit_id, "category": finding.category,
                         "findings": sorted(r.number for r in same), "months": months})


class _Findings(NamedTuple):
    """Findings of one inspection with the same responsible and supervising units: whether the
    user sees them is one question (access.may_see_finding reads nothing else of a finding)."""
    inspection_id: int
    unit_id: int
    supervising_unit_id: int | None


def findings_of(session: Session, inspection_id: int) -> list[Finding]:
    return list(session.scalars(select(Finding).where(Finding.inspection_id == inspection_id)
                                .order_by(Finding.id)))


def get_finding(session: Session, finding_id) -> Finding:
    row = session.get(Finding, finding_id) if isinstance(finding_id, int) else None
    if row is None:
        raise NotFound("finding %(id)s not found", reason="finding_not_found",
                       params={"id": finding_id})
    return row


def finding_for(session: Session, user: User, finding_id: int) -> Finding:
    row = get_finding(session, finding_id)
    if not access.may_see_finding(session, user, row):
        raise Forbidden("you may not see this finding", reason="finding_hidden")
    return row


def findings_submitted(session: Session, runtime: Runtime, *, inspection: Inspection,
                       user: User, no_problems: bool) -> int:
    count = len(findings_of(session, inspection.id))
    if not count and not no_problems:
        raise Invalid("record the problems found (or state that none were found)",
                      reason="findings_missing", fields={"no_problems": [notes.note("or_record_findings")]})
    if count and no_problems:
        raise Invalid("findings were recorded: untick 'no problems found'",
                      reason="findings_contradict", fields={"no_problems": [notes.note("findings_exist")]})
    inspection.status = "findings_recorded"
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="inspection_findings_submitted", instance_id=inspection.instance_id,
                 detail={"inspection_id": inspection.id, "findings": count})
    return count


def approve(uow: UnitOfWork, *, runtime: Runtime, inspection: Inspection, user: User,
            approved: bool, comment: str) -> None:
    """The supervisor approves (each finding goes to its unit for rectification) or sends the
    findings back to the inspectors."""
    session = uow.session
    now = runtime.clock.now()
    if not approved:
        inspection.status = "carried_out"
        audit.record(session, at=now, actor=user.username, action="inspection_sent_back",
                     instance_id=inspection.instance_id,
                     detail={"inspection_id": inspection.id, "comment": comment})
        return
    inspection.status, inspection.approved_by_id, inspection.approved_at = "approved", user.id, now
    audit.record(session, at=now, actor=user.username, action="inspection_approved",
                 instance_id=inspection.instance_id,
                 detail={"inspection_id": inspection.id, "comment": comment})
    for finding in findings_of(session, inspection.id):
        send_for_rectification(uow, runtime=runtime, inspection=inspection, finding=finding,
                               user=user)


def send_for_rectification(uow: UnitOfWork, *, runtime: Runtime, inspection: Inspection,
                           finding: Finding, user: User,
                           verifier: str | None = None) -> None:
    """Start a finding's rectification process (its unit rectifies, the verifier - by default
    the lead inspector - checks and closes it, 销号) with its deadline row."""
    session = uow.session
    now = runtime.clock.now()
    owner = session.get(Unit, inspection.unit_id)
    unit = session.get(Unit, finding.unit_id)
    supervising = session.get(Unit, finding.supervising_unit_id) \
        if finding.supervising_unit_id else None
    instance, _ = processes.start_instance(
        uow, runtime=runtime, key=RECTIFICATION_PROCESS, user=user,
        data={"finding_id": finding.id, "finding_number": finding.number,
              "responsible_unit": unit.code,
              "supervising_unit": supervising.code if supervising else "",
              "patrol": supervising is not None, "inspecting_unit": owner.code,
              "lead_inspector": verifier or inspection.inspectors[0]})
    finding.instance_id, finding.status, finding.updated_at = instance.id, "measures", now
    row = session.scalar(select(Deadline).where(Deadline.instance_id == instance.id,
                                                Deadline.key == DEADLINE_KEY))
    if row is not None:
        deadlines.set_limit(session, runtime, row, amount=finding.time_limit_days,
                            unit="days", started_at=finding.created_at,
                            actor=user.username, reason=f"整改时限 {finding.number}")
        finding.due_at = row.due_at
    audit.record(session, at=now, actor=user.username, action="finding_sent_for_rectification",
                 instance_id=instance.id,
                 detail={"finding_id": finding.id, "unit": unit.code,
                         "supervising_unit": supervising.code if supervising else None})


# ---------------------------------------------------------------------------------------------
# Rectification


def _entry(session: Session, runtime: Runtime, finding: Finding, user: User, kind: str,
           text: str) -> RectificationEntry:
    assert kind in ENTRY_KINDS
    now = runtime.clock.now()
    entry = RectificationEntry(finding_id=finding.id, kind=kind, text=text, user_id=user.id,
                               at=now)
    session.add(entry)
    finding.updated_at = now
    audit.record(session, at=now, actor=user.username, action=f"rectification_{kind}",
                 instance_id=finding.instance_id,
                 detail={"finding_id": finding.id, "number": finding.number, "text": text})
    return entry


def state_measures(session: Session, runtime: Runtime, *, finding: Finding, user: User,
                   measures: str) -> None:
    finding.measures = _text(measures, "measures")
    finding.status = "rectifying"
    _entry(session, runtime, finding, user, "measures", finding.measures)


def report_progress(session: Session, runtime: Runtime, *, finding: Finding, user: User,
                    progress: str, done: bool) -> None:
    finding.progress = _text(progress, "progress")
    if done:
        finding.status = "verifying"
    _entry(session, runtime, finding, user, "progress",
           ("[整改完成] " if done else "") + finding.progress)


def supervise(session: Session, runtime: Runtime, *, finding: Finding, user: User,
              agreed: bool, comment: str) -> None:
    """The township committee checks the village's report (patrol double feedback)."""
    if not agreed:
        finding.status = "rectifying"
        if not (comment or "").strip():
            raise Invalid("say what is still missing", reason="supervision_reason_required",
                          fields={"supervision_comment": [notes.note("required")]})
    _entry(session, runtime, finding, user, "supervision",
           ("同意报送验收：" if agreed else "督促继续整改：") + (comment or "").strip())


def verify(session: Session, runtime: Runtime, *, finding: Finding, user: User, verified: bool,
           comment: str) -> None:
    """The inspecting unit checks the rectification: verified -> closed (销号); refused -> back."""
    now = runtime.clock.now()
    if finding.status != "verifying":
        raise Conflict("only a rectification reported done can be verified",
                       reason="rectification_not_reported")
    if not verified:
        if not (comment or "").strip():
            raise Invalid("say why the rectification is not accepted",
                          reason="verification_reason_required",
                          fields={"verification_comment": [notes.note("required")]})
        finding.status = "rectifying"
        _entry(session, runtime, finding, user, "refused", comment.strip())
        return
    finding.status, finding.closed_at, finding.closed_by_id = "closed", now, user.id
    _entry(session, runtime, finding, user, "verified", (comment or "").strip())
    deadlines.meet(session, runtime, instance_id=finding.instance_id, key=DEADLINE_KEY,
                   actor=user.username)
    audit.record(session, at=now, actor=user.username, action="finding_closed",
                 instance_id=finding.instance_id,
                 detail={"finding_id": finding.id, "number": finding.number})


def add_evidence(session: Session, runtime: Runtime, *, user: User, finding_id: int,
                 file_name: str, content_type: str, data: bytes) -> Evidence:
    finding = finding_for(session, user, finding_id)
    if not access.may_upload_evidence(session, user, finding):
        raise Forbidden("the responsible unit uploads its rectification evidence",
                        reason="evidence_forbidden")
    if finding.status == "closed":
        raise Conflict("the finding is closed", reason="finding_closed")
    key, sha = attachments.checked_store(runtime, content_type=content_type, data=data)
    now = runtime.clock.now()
    row = Evidence(finding_id=finding.id, file_name=(file_name or "file").rsplit("/", 1)[-1][:255],
                   content_type=content_type, size=len(data), sha256=sha, storage_key=key,
                   uploaded_by_id=user.id, uploaded_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="rectification_evidence_uploaded",
                 instance_id=finding.instance_id,
                 detail={"finding_id": finding.id, "evidence_id": row.id, "size": row.size})
    return row


def evidence_file(session: Session, runtime: Runtime, *, user: User,
                  evidence_id: int) -> tuple[Evidence, bytes]:
    row = session.get(Evidence, evidence_id)
    if row is None:
        raise NotFound("evidence %(id)s not found", reason="evidence_not_found",
                       params={"id": evidence_id})
    finding_for(session, user, row.finding_id)
    return row, (attachments.storage_dir(runtime) / row.storage_key).read_bytes()


def describe_finding(session: Session, runtime: Runtime, finding: Finding) -> dict:
    return describe_findings(session, runtime, [finding])[0]


def describe_findings(session: Session, runtime: Runtime, findings: list[Finding]) -> list[dict]:
    """Findings as the API shows them; their entries and evidence read in one statement each."""
    if not findings:
        return []
    units, now, ids = Tree.of(session).by_id, runtime.clock.now(), [f.id for f in findings]
    entries, files = defaultdict(list), defaultdict(list)
    for e, by, name in session.execute(
            select(RectificationEntry, User.username, User.display_name)
            .join(User, User.id == RectificationEntry.user_id)
            .where(RectificationEntry.finding_id.in_(ids)).order_by(RectificationEntry.id)):
        entries[e.finding_id].append({"kind": e.kind, "text": e.text, "by": by,
                                      "by_name": name or by, "at": e.at})
    for f in session.scalars(select(Evidence).where(Evidence.finding_id.in_(ids))
                             .order_by(Evidence.id)):
        files[f.finding_id].append({"id": f.id, "file_name": f.file_name, "size": f.size,
                                    "uploaded_at": f.uploaded_at})
    def code(unit_id):
        return units[unit_id].code if unit_id in units else None

    def name(unit_id):
        return units[unit_id].name if unit_id in units else None
    return [{
        "id": finding.id, "number": finding.number, "display_number": finding.display_number,
        "inspection_id": finding.inspection_id,
        "unit": code(finding.unit_id), "unit_name": name(finding.unit_id),
        "supervising_unit": code(finding.supervising_unit_id),
        "supervising_unit_name": name(finding.supervising_unit_id),
        "category": finding.category, "description": finding.description,
        "evidence": finding.evidence, "suggestion": finding.suggestion,
        "responsible_person": finding.responsible_person,
        "time_limit_days": finding.time_limit_days, "due_at": finding.due_at,
        "person_name": finding.person_name, "person_post": finding.person_post,
        "clue_id": finding.clue_id, "status": finding.status, "measures": finding.measures,
        "progress": finding.progress, "recurring": finding.recurring,
        "overdue": finding.due_at is not None and (finding.closed_at or now) > finding.due_at,
        "instance_id": finding.instance_id, "closed_at": finding.closed_at,
        "created_at": finding.created_at,
        "entries": entries[finding.id], "files": files[finding.id]} for finding in findings]


def describe_inspection(session: Session, runtime: Runtime, inspection: Inspection, *,
                        user: User | None = None) -> dict:
    return describe_inspections(session, runtime, [inspection], user=user)[0]


def describe_inspections(session: Session, runtime: Runtime, inspections: list[Inspection], *,
                         user: User | None = None) -> list[dict]:
    """Inspections as the API shows them, with their findings (those `user` may see): a few
    statements however many there are."""
    if not inspections:
        return []
    tree = Tree.of(session)
    of = defaultdict(list)
    for f in session.scalars(select(Finding).where(
            Finding.inspection_id.in_([i.id for i in inspections])).order_by(Finding.id)):
        of[f.inspection_id].append(f)
    shown = {i.id: [f for f in of[i.id] if user is None
                    or access.may_see_finding(session, user, f, i)] for i in inspections}
    described = iter(describe_findings(session, runtime, [f for i in inspections
                                                          for f in shown[i.id]]))
    names = {i for inspection in inspections for i in inspection.inspectors or []}
    inspector_names = dict(session.execute(select(User.username, User.display_name).where(
        User.username.in_(names))).all()) if names else {}
    return [{"id": inspection.id, "number": inspection.number,
             "display_number": inspection.display_number,
             "unit": tree.by_id[inspection.unit_id].code,
             "unit_name": tree.by_id[inspection.unit_id].name,
             "target_names": [tree.by_code[c].name if c in tree.by_code else c
                              for c in inspection.targets or []],
             "inspector_names": [inspector_names.get(n) or n for n in inspection.inspectors or []],
             "kind": inspection.kind, "title": inspection.title,
             "content": inspection.content, "targets": list(inspection.targets or []),
             "inspectors": list(inspection.inspectors or []), "planned_on": inspection.planned_on,
             "status": inspection.status, "report": inspection.report,
             "carried_out_on": inspection.carried_out_on, "instance_id": inspection.instance_id,
             "approved_at": inspection.approved_at, "created_at": inspection.created_at,
             "findings": [next(described) for _ in shown[inspection.id]]}
            for inspection in inspections]


def visible_inspections(session: Session, user: User, *, limit: int = 200) -> list[Inspection]:
    """Inspections the user may see (and those with findings about the user's unit)."""
    rows = list(session.scalars(select(Inspection).order_by(Inspection.id.desc())
                                .limit(limit * 5)))
    seen = {row.id for row in rows if access.may_see_inspection(session, user, row)}
    # The rest by their findings: one read of what decides who sees them, for all of them.
    groups = defaultdict(list)
    hidden = [row.id for row in rows if row.id not in seen]
    if hidden:
        for group in session.execute(select(Finding.inspection_id, Finding.unit_id,
                                            Finding.supervising_unit_id).distinct()
                                     .where(Finding.inspection_id.in_(hidden))):
            groups[group.inspection_id].append(_Findings(*group))
    return [row for row in rows if row.id in seen or any(
        access.may_see_finding(session, user, group, row) for group in groups[row.id])][:limit]


# ---------------------------------------------------------------------------------------------
# Clues from findings and interference entries


def _open_clue(uow: UnitOfWork, runtime: Runtime, *, user: User, handling: Unit, source: str,
               name: str, post: str, unit_name: str, summary: str) -> Clue:
    session = uow.session
    now = runtime.clock.now()
    made: dict = {}
    data = {"handling_unit": handling.code}

    def link(case):
        case.handling_unit_id = case.first_handling_unit_id = handling.id
        clue = Clue(
            **cases.numbers(session, runtime, unit=handling, year=_year(runtime), kind="clue"),
            case_id=case.id, source=source, status="pending", unit_id=handling.id,
            accused_name=name, accused_post=post, accused_unit=unit_name,
            accused_level="other", summary=summary[:500], disposition_reason="",
            closed_reason="", key_verification=False, created_at=now, updated_at=now)
        session.add(clue)
        session.flush()
        made["clue"] = clue
        data["clue_id"] = clue.id  # the process works on this clue
        audit.record(session, at=now, actor=user.username, action="clue_created",
                     case_id=case.id, detail={"clue_id": clue.id, "number": clue.number,
                                              "source": source, "unit": handling.code})
    cases.open_case(uow, runtime=runtime, process_key="clue_disposition", user=user, data=data,
                    before_start=link)
    return made["clue"]


def finding_to_clue(uow: UnitOfWork, *, runtime: Runtime, user: User, finding_id: int) -> Clue:
    """A finding about a person becomes a clue in the inspecting unit's clue ledger (one step)."""
    session = uow.session
    finding = finding_for(session, user, finding_id)
    inspection = session.get(Inspection, finding.inspection_id)
    if not (access.may_record_findings(session, user, inspection)
            and access.may_make_clue(session, user, inspection.unit_id)):
        raise Forbidden("the inspectors or supervisors of the inspection hand a finding over as "
                        "a clue", reason="finding_clue_forbidden")
    if finding.clue_id is not None:
        raise Conflict("this finding is a clue already", reason="finding_clue_exists")
    if not finding.person_name:
        raise Invalid("only a finding about a person can become a clue",
                      reason="finding_clue_no_person", fields={"person_name": [notes.note("required")]})
    handling = session.get(Unit, inspection.unit_id)
    clue = _open_clue(uow, runtime, user=user, handling=handling, source="inspection",
                      name=finding.person_name, post=finding.person_post,
                      unit_name=session.get(Unit, finding.unit_id).name,
                      summary=f"{finding.number}：{finding.description}")
    finding.clue_id = clue.id
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="finding_made_clue",
                 detail={"finding_id": finding.id, "clue_id": clue.id, "clue": clue.number})
    return clue


# ---------------------------------------------------------------------------------------------
# Interference register (干预插手留痕)

INTERFERENCE_FIELDS = ("cadre_name", "cadre_unit", "cadre_post", "occurred_on", "form",
                       "matter_kind", "matter", "handling")


def _interference_values(fields: dict, *, current: InterferenceEntry | None = None) -> dict:
    merged = {k: getattr(current, k) for k in INTERFERENCE_FIELDS} if current else {}
    merged.update({k: v for k, v in fields.items() if k in INTERFERENCE_FIELDS})
    if merged.get("matter_kind") not in INTERFERENCE_MATTERS:
        raise Invalid("unknown kind of matter", reason="interference_matter_unknown",
                      fields={"matter_kind": notes.choices(INTERFERENCE_MATTERS)})
    occurred = merged.get("occurred_on")
    if isinstance(occurred, str):
        try:
            occurred = date.fromisoformat(occurred)
        except ValueError:
            occurred = None
    if not isinstance(occurred, date):
        raise Invalid("give the date of the intervention", reason="interference_date",
                      fields={"occurred_on": [notes.note("a_date")]})
    return {"cadre_name": _text(merged.get("cadre_name"), "cadre_name", limit=100),
            "cadre_unit": _text(merged.get("cadre_unit"), "cadre_unit", required=False,
                                limit=200),
            "cadre_post": _text(merged.get("cadre_post"), "cadre_post", required=False,
                                limit=100),
            "occurred_on": occurred,
            "form": _text(merged.get("form"), "form", limit=200),
            "matter_kind": merged["matter_kind"],
            "matter": _text(merged.get("matter"), "matter"),
            "handling": _text(merged.get("handling"), "handling", required=False)}


def record_interference(session: Session, runtime: Runtime, *, user: User,
                        fields: dict) -> InterferenceEntry:
    if not access.may_register_interference(user):
        raise Forbidden("a department's registrar records its interference register",
                        reason="interference_forbidden")
    values = _interference_values(fields)
    unit = session.get(Unit, user.unit_id)
    now = runtime.clock.now()
    row = InterferenceEntry(
        **cases.numbers(session, runtime, unit=unit, year=_year(runtime), kind="interference"),
        unit_id=unit.id, recorded_by_id=user.id, created_at=now, updated_at=now, corrections=0,
        **values)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="interference_recorded",
                 detail={"entry_id": row.id, "number": row.number,
                         **{k: _plain(v) for k, v in values.items()}})
    return row


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def interference_for(session: Session, user: User, entry_id: int) -> InterferenceEntry:
    row = session.get(InterferenceEntry, entry_id)
    if row is None:
        raise NotFound("entry %(id)s not found", reason="interference_not_found",
                       params={"id": entry_id})
    if not access.may_see_interference_of(session, user, row.unit_id):
        raise Forbidden("you may not see this register", reason="interference_hidden")
    return row


def correct_interference(session: Session, runtime: Runtime, *, user: User, entry_id: int,
                         fields: dict, reason: str) -> InterferenceEntry:
    """Entries are never deleted, only corrected: old and new values go to the audit trail."""
    row = interference_for(session, user, entry_id)
    if not (access.may_register_interference(user) and row.unit_id == user.unit_id):
        raise Forbidden("the department's registrar corrects its entries",
                        reason="interference_forbidden")
    reason = _text(reason, "reason")
    values = _interference_values(fields, current=row)
    changes = {k: {"from": _plain(getattr(row, k)), "to": _plain(v)}
               for k, v in values.items() if getattr(row, k) != v}
    if not changes:
        raise Invalid("nothing changed", reason="interference_unchanged",
                      fields={"_schema": [notes.note("no_change")]})
    now = runtime.clock.now()
    for k, v in values.items():
        setattr(row, k, v)
    row.corrections += 1
    row.updated_at = now
    audit.record(session, at=now, actor=user.username, action="interference_corrected",
                 detail={"entry_id": row.id, "number": row.number, "changes": changes,
                         "reason": reason})
    return row


def search_interference(session: Session, user: User, *, q: str | None = None,
                        unit: str | None = None, matter_kind: str | None = None,
                        start: date | None = None, end: date | None = None,
                        limit: int = 200) -> list[InterferenceEntry]:
    units = access.visible_units(session, user)
    if "interference_registrar" in user.roles and user.unit_id not in units:
        units.append(user.unit_id)
    if not units:
        return []
    stmt = select(InterferenceEntry).where(InterferenceEntry.unit_id.in_(units))
    if unit:
        stmt = stmt.where(InterferenceEntry.unit_id == _unit(session, unit, "unit").id)
    if matter_kind:
        stmt = stmt.where(InterferenceEntry.matter_kind == matter_kind)
    if start:
        stmt = stmt.where(InterferenceEntry.occurred_on >= start)
    if end:
        stmt = stmt.where(InterferenceEntry.occurred_on <= end)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(InterferenceEntry.cadre_name.like(like),
                              InterferenceEntry.cadre_unit.like(like),
                              InterferenceEntry.matter.like(like),
                              InterferenceEntry.number.like(like)))
    return list(session.scalars(stmt.order_by(InterferenceEntry.occurred_on.desc(),
                                              InterferenceEntry.id.desc()).limit(limit)))


def interference_to_clue(uow: UnitOfWork, *, runtime: Runtime, user: User, entry_id: int,
                         clue_id: int | None = None) -> Clue:
    """Link an entry to an existing clue, or turn it into a new clue of the user's unit."""
    session = uow.session
    row = interference_for(session, user, entry_id)
    if "interference_registrar" in user.roles and not {"caseworker", "supervisor"} & user.roles:
        raise Forbidden("the discipline commission makes clues of register entries",
                        reason="interference_clue_forbidden")
    if row.clue_id is not None:
        raise Conflict("this entry is linked to a clue already", reason="interference_clue_exists")
    if clue_id is not None:
        clue = clues.for_user(session, user=user, clue_id=clue_id)
    else:
        handling = session.get(Unit, user.unit_id)
        clue = _open_clue(uow, runtime, user=user, handling=handling, source="supervision",
                          name=row.cadre_name, post=row.cadre_post, unit_name=row.cadre_unit,
                          summary=f"{row.number} 干预插手：{row.matter}")
    row.clue_id = clue.id
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="interference_linked_to_clue",
                 detail={"entry_id": row.id, "clue_id": clue.id, "clue": clue.number,
                         "new": clue_id is None})
    return clue


def describe_interference(session: Session, row: InterferenceEntry) -> dict:
    unit = session.get(Unit, row.unit_id)
    return {"id": row.id, "number": row.number, "display_number": row.display_number,
            "unit": unit.code, "unit_name": unit.name,
            **{k: getattr(row, k) for k in INTERFERENCE_FIELDS}, "clue_id": row.clue_id,
            "corrections": row.corrections, "created_at": row.created_at,
            "updated_at": row.updated_at}


def interference_numbers(session: Session, *, unit_id: int, first: date, last: date) -> list[str]:
    return list(session.scalars(select(InterferenceEntry.number).where(
        InterferenceEntry.unit_id == unit_id, InterferenceEntry.occurred_on >= first,
        InterferenceEntry.occurred_on <= last).order_by(InterferenceEntry.id)))


# ---------------------------------------------------------------------------------------------
# Figures


def rectification_figures(session: Session, runtime: Runtime, *, user: User) -> list[dict]:
    """Per responsible unit the user may see: found, closed, closed on time, overdue (open past
    due, or closed late). Counted by the database per group of findings that share what decides
    who sees them; each group is checked once."""
    now = runtime.clock.now()
    closed = Finding.closed_at.is_not(None)
    late = and_(closed, Finding.due_at.is_not(None), Finding.closed_at > Finding.due_at)
    past_due = and_(Finding.closed_at.is_(None), Finding.due_at.is_not(None),
                    Finding.due_at < now)

    def count(condition):
        return func.sum(case((condition, 1), else_=0))
    groups = session.execute(select(
        Finding.inspection_id, Finding.unit_id, Finding.supervising_unit_id, func.count(),
        count(closed), count(and_(closed, ~late)), count(or_(late, past_due)))
        .group_by(Finding.inspection_id, Finding.unit_id, Finding.supervising_unit_id)).all()
    inspections = {i.id: i for i in session.scalars(select(Inspection).where(
        Inspection.id.in_(select(Finding.inspection_id).distinct())))}
    units = Tree.of(session).by_id
    out: dict[int, dict] = {}
    for inspection_id, unit_id, supervising_id, *figures in groups:
        findings = _Findings(inspection_id, unit_id, supervising_id)
        if not access.may_see_finding(session, user, findings, inspections[inspection_id]):
            continue
        item = out.setdefault(unit_id, {"unit": units[unit_id].code,
                                        "unit_name": units[unit_id].name,
                                        "found": 0, "closed": 0, "on_time": 0, "overdue": 0})
        for name, value in zip(("found", "closed", "on_time", "overdue"), figures, strict=True):
            item[name] += int(value or 0)
    return sorted(out.values(), key=lambda r: r["unit"])


def count_findings(session: Session) -> int:
    return session.scalar(select(func.count(Finding.id))) or 0


def inbox_facts(session: Session, instance_ids: list[str]) -> dict[str, dict]:
    """Per inspection or rectification instance: what its inbox row shows in place of a case
    (the finding's or inspection's number, the unit concerned, the category)."""
    ids = [i for i in instance_ids if i]
    if not ids:
        return {}
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    out = {}
    for f in session.scalars(select(Finding).where(Finding.instance_id.in_(ids))):
        out[f.instance_id] = {"case_number": f.number, "case_display_number": f.display_number,
                              "township_name": names.get(f.unit_id),
                              "category": f.category, "accused": [f.description[:30]]}
    for i in session.scalars(select(Inspection).where(Inspection.instance_id.in_(ids))):
        out[i.instance_id] = {"case_number": i.number, "case_display_number": i.display_number,
                              "township_name": names.get(i.unit_id),
                              "accused": [i.title]}
    return out
