"""Public disclosure (村务公开, 通报曝光): items written by a disclosure editor go through approval
(bpmn/disclosure_approval.bpmn); approved items are exported as a static site (HTML pages, an Atom
feed and a JSON Feed per township and per village) into `village.export_path` by a background job,
for the agency's public website to pick up (cluedesk stays on the intranet). The preview renders
the very files the export writes.

Never reporter data: an item whose text holds any reporter's name, ID number, phone or address is
refused when written or revised, and an export that would still hold one fails. An accused person
is named only where the decision says 点名通报 (`name_publicly`); otherwise as "王某", and the text
itself must not name them. Withdrawing an item removes it from the next export. Audited.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import village as access
from engine.audit import service as audit
from engine.cases import service as cases
from engine.config import ROOT
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.jobs import service as jobs
from engine.org.models import Unit, User
from engine.petitions.models import Petition
from engine.processes import service as processes
from engine.runtime import Runtime
from engine.uow import UnitOfWork
from engine.village import site
from engine.village import service as village
from engine.village.models import DISCLOSURE_KINDS, DisclosureItem, VillageMatter, VillageMeeting

PROCESS = "disclosure_approval"
JOB_KIND = "disclosure_export"


def _text(value, field: str, *, limit: int | None = None, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid("%(field)s is required", reason="field_required", params={"field": field},
                      fields={field: [notes.note("required")]})
    return text[:limit] if limit else text


def reporter_values(session: Session) -> set[str]:
    """Every reporter's name, ID number, phone and address on record."""
    rows = session.execute(select(Petition.reporter_name, Petition.reporter_id_number,
                                  Petition.reporter_phone, Petition.reporter_address)).all()
    return {v.strip() for row in rows for v in row if isinstance(v, str) and len(v.strip()) >= 2}


def _check_text(session: Session, *, title: str, body: str, accused_name: str,
                name_publicly: bool) -> None:
    text = f"{title}\n{body}"
    if any(value in text for value in reporter_values(session)):
        raise Invalid("the text holds a reporter's personal data", reason="disclosure_reporter_data",
                      fields={"body": [notes.note("reporter_data")]})
    if accused_name and not name_publicly and accused_name in text:
        raise Invalid("the text names the accused, but the decision does not say 点名通报",
                      reason="disclosure_names_accused", fields={"body": [notes.note("accused_named")]})


def _matter_body(session: Session, matter: VillageMatter) -> str:
    """A decision's or result's text from its records (meetings, publications, implementation)."""
    lines = [f"{village.KIND_LABELS[matter.kind]}：{matter.title}"]
    if matter.summary:
        lines.append(matter.summary)
    for m in session.scalars(select(VillageMeeting).where(VillageMeeting.matter_id == matter.id,
                                                          VillageMeeting.passed.is_(True))
                             .order_by(VillageMeeting.id)):
        lines.append(f"{m.held_on.isoformat()} {m.body}：应到{m.members}人，实到{m.present}人，"
                     f"赞成{m.votes_for}票，反对{m.votes_against}票，弃权{m.votes_abstain}票。"
                     + (f"决议：{m.resolution}" if m.resolution else ""))
    facts = matter.facts or {}
    if facts.get("implement", {}).get("implementation"):
        lines.append(f"实施情况：{facts['implement']['implementation']}")
    return "\n".join(lines)


def _statistics_body(session: Session, unit: Unit) -> str:
    rows = session.execute(
        select(VillageMatter.kind, VillageMatter.status, func.count(VillageMatter.id))
        .join(Unit, Unit.id == VillageMatter.unit_id).where(Unit.path.startswith(unit.path))
        .group_by(VillageMatter.kind, VillageMatter.status)).all()
    counts: dict[str, dict[str, int]] = {}
    for kind, status, n in rows:
        counts.setdefault(kind, {})[status] = n
    lines = [f"{unit.name}村级小微权力事项办理情况："]
    for kind, label in village.KIND_LABELS.items():
        done, running = counts.get(kind, {}).get("finished", 0), counts.get(kind, {}).get(
            "running", 0)
        lines.append(f"{label}：办结{done}件，在办{running}件。")
    return "\n".join(lines)


def create(uow: UnitOfWork, *, runtime: Runtime, user: User, fields: dict) -> DisclosureItem:
    """Write an item (of the editor's unit or a unit below) and send it for approval."""
    session = uow.session
    code = fields.get("unit")
    unit = session.scalar(select(Unit).where(Unit.code == code, Unit.active.is_(True))) \
        if isinstance(code, str) and code else session.get(Unit, user.unit_id)
    if unit is None:
        raise Invalid("unknown unit %(code)s", reason="unit_unknown", params={"code": code or ""},
                      fields={"unit": [notes.note("unknown_unit")]})
    if not access.may_edit_disclosure(session, user, unit.id):
        raise Forbidden("only a disclosure editor of the unit or above writes its items",
                        reason="disclosure_forbidden")
    kind = fields.get("kind")
    if kind not in DISCLOSURE_KINDS:
        raise Invalid("unknown kind of disclosure", reason="disclosure_kind_unknown",
                      fields={"kind": notes.choices(DISCLOSURE_KINDS)})
    matter = None
    if fields.get("matter_id") is not None:
        matter = village.get_matter(session, fields["matter_id"])
        if matter.unit_id != unit.id:
            raise Invalid("the matter belongs to another village", reason="disclosure_matter_unit",
                          fields={"matter_id": [notes.note("another_village")]})
    body = fields.get("body") or ""
    if not body.strip() and matter is not None:
        body = _matter_body(session, matter)
    elif not body.strip() and kind == "statistics":
        body = _statistics_body(session, unit)
    title = _text(fields.get("title"), "title", limit=200)
    body = _text(body, "body")
    accused = _text(fields.get("accused_name"), "accused_name", limit=100, required=False)
    named = bool(fields.get("name_publicly"))
    _check_text(session, title=title, body=body, accused_name=accused, name_publicly=named)
    now = runtime.clock.now()
    year = runtime.clock.local(now).year
    creator_unit = session.get(Unit, user.unit_id)
    item = DisclosureItem(
        number=f"{unit.code}-{year}-D{cases.next_value(session, f'disclosure:{unit.code}:{year}'):06d}",
        unit_id=unit.id, kind=kind, title=title, body=body,
        matter_id=matter.id if matter else None, accused_name=accused, name_publicly=named,
        status="pending", created_by_id=user.id, created_at=now, withdrawn_reason="")
    session.add(item)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="disclosure_created",
                 detail={"disclosure_id": item.id, "number": item.number, "kind": kind,
                         "unit": unit.code, "name_publicly": named})
    instance, _ = processes.start_instance(
        uow, runtime=runtime, key=PROCESS, user=user,
        data={"disclosure_id": item.id, "editor_unit": creator_unit.code})
    item.instance_id = instance.id
    return item


def get(session: Session, item_id) -> DisclosureItem:
    item = session.get(DisclosureItem, item_id) if isinstance(item_id, int) else None
    if item is None:
        raise NotFound("disclosure item %(id)s not found", reason="disclosure_not_found",
                       params={"id": item_id})
    return item


def item_for(session: Session, user: User, item_id: int) -> DisclosureItem:
    item = get(session, item_id)
    if not access.may_see_disclosure(session, user, item):
        raise NotFound("disclosure item %(id)s not found", reason="disclosure_not_found",
                       params={"id": item_id})
    return item


def visible(session: Session, user: User, *, limit: int = 500) -> list[DisclosureItem]:
    return list(session.scalars(select(DisclosureItem)
                                .where(access.disclosures_clause(session, user))
                                .order_by(DisclosureItem.created_at.desc(),
                                          DisclosureItem.id.desc()).limit(limit)))


def decided(session: Session, runtime: Runtime, *, item: DisclosureItem, user: User,
            approved: bool, opinion: str) -> None:
    """The approval step: approved items go into the next export; others go back to the editor."""
    now = runtime.clock.now()
    if approved:
        item.status, item.approved_by_id, item.approved_at = "approved", user.id, now
    elif not opinion.strip():
        raise Invalid("%(field)s is required", reason="field_required",
                      params={"field": "approval_opinion"},
                      fields={"approval_opinion": [notes.note("required")]})
    audit.record(session, at=now, actor=user.username,
                 action="disclosure_approved" if approved else "disclosure_sent_back",
                 instance_id=item.instance_id,
                 detail={"disclosure_id": item.id, "opinion": opinion})


def revised(session: Session, runtime: Runtime, *, item: DisclosureItem, user: User, title: str,
            body: str) -> None:
    title, body = _text(title, "title", limit=200), _text(body, "body")
    _check_text(session, title=title, body=body, accused_name=item.accused_name,
                name_publicly=item.name_publicly)
    item.title, item.body = title, body
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="disclosure_revised", instance_id=item.instance_id,
                 detail={"disclosure_id": item.id})


def withdraw(session: Session, runtime: Runtime, *, user: User, item_id: int,
             reason: str) -> DisclosureItem:
    """Withdraw an approved item: the next export no longer holds it."""
    item = item_for(session, user, item_id)
    if not access.may_withdraw(session, user, item):
        raise Forbidden("only a disclosure editor or a supervisor of the unit withdraws items",
                        reason="disclosure_forbidden")
    if item.status != "approved":
        raise Conflict("only a published item can be withdrawn", reason="disclosure_not_published")
    item.status, item.withdrawn_at = "withdrawn", runtime.clock.now()
    item.withdrawn_reason = _text(reason, "reason", limit=2000)
    audit.record(session, at=item.withdrawn_at, actor=user.username,
                 action="disclosure_withdrawn",
                 detail={"disclosure_id": item.id, "reason": item.withdrawn_reason})
    return item


def describe(session: Session, runtime: Runtime, item: DisclosureItem) -> dict:
    return describe_all(session, runtime, [item])[0]


def describe_all(session: Session, runtime: Runtime, items: list[DisclosureItem]) -> list[dict]:
    """Items as the API shows them; who wrote and approved them read once for all."""
    ids = {i for item in items for i in (item.created_by_id, item.approved_by_id) if i}
    names = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_(ids))).all()) if ids else {}
    out = []
    for item in items:
        unit = session.get(Unit, item.unit_id)
        out.append({
            "id": item.id, "number": item.number,
            "display_number": cases.display_of(runtime, item.number, unit_name=unit.name,
                                               kind="disclosure"),
            "unit": unit.code, "unit_name": unit.name,
            "kind": item.kind, "title": item.title, "body": item.body,
            "matter_id": item.matter_id, "accused_name": item.accused_name,
            "name_publicly": item.name_publicly, "published_name": site.accused_shown(item),
            "status": item.status, "instance_id": item.instance_id,
            "created_by": names.get(item.created_by_id, ""), "created_at": item.created_at,
            "approved_by": names.get(item.approved_by_id) if item.approved_by_id else None,
            "approved_at": item.approved_at, "withdrawn_at": item.withdrawn_at,
            "withdrawn_reason": item.withdrawn_reason})
    return out


# ---------------------------------------------------------------------------------------------
# The site: preview and export


def render(session: Session, runtime: Runtime) -> dict[str, bytes]:
    """Every file of the public site, as the export writes it (path → bytes)."""
    items = list(session.scalars(select(DisclosureItem).where(DisclosureItem.status == "approved")
                                 .order_by(DisclosureItem.approved_at.desc(),
                                           DisclosureItem.id.desc())))
    units = {u.id: u for u in session.scalars(select(Unit))}
    files = site.build(items, units, settings=dict(runtime.settings.get("village")),
                       local=runtime.clock.local)
    secrets = reporter_values(session)
    leaked = sorted(path for path, data in files.items()
                    if any(s in data.decode("utf-8") for s in secrets))
    if leaked:
        raise Conflict("the site would show a reporter's personal data (%(files)s)",
                       reason="disclosure_export_leak", params={"files": ", ".join(leaked[:5])})
    return files


def preview(session: Session, runtime: Runtime, *, user: User) -> list[dict]:
    """The files the next export writes (path, size, sha256): exactly what will be published."""
    if not access.may_export(user):
        raise Forbidden("only disclosure editors and supervisors preview and export the site",
                        reason="disclosure_export_forbidden")
    files = render(session, runtime)
    units = {u.id: (u.code, u.name) for u in session.scalars(select(Unit))}
    places = dict(units.values())
    items = {i.number: i for i in session.scalars(select(DisclosureItem).where(
        DisclosureItem.status == "approved"))}
    out = []
    for path, data in sorted(files.items()):
        parts = path.split("/")
        item = items.get(parts[-1].removesuffix(".html")) if parts[0] == "items" else None
        what = "item" if parts[0] == "items" else "home" if len(parts) == 1 else \
            {"feed.atom": "feed", "feed.json": "data"}.get(parts[-1], "page")
        out.append({
            "path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            # What the file is, for people: the home page, a unit's page, feed or data feed
            # (`place`: the unit's name), or an item's page (its display number and title).
            "what": what, "place": places.get(parts[-2], parts[-2]) if len(parts) > 1 and
            what != "item" else "",
            "title": item.title if item else "",
            "display_number": cases.display_of(runtime, item.number,
                                               unit_name=units[item.unit_id][1],
                                               kind="disclosure") if item else ""})
    return out


def preview_file(session: Session, runtime: Runtime, *, user: User, path: str) -> bytes:
    if not access.may_export(user):
        raise Forbidden("only disclosure editors and supervisors preview and export the site",
                        reason="disclosure_export_forbidden")
    files = render(session, runtime)
    if path not in files:
        raise NotFound("no file %(path)s in the site", reason="disclosure_file_not_found",
                       params={"path": path})
    return files[path]


def export_dir(runtime: Runtime) -> Path:
    path = Path(runtime.settings.get("village", "export_path"))
    return path if path.is_absolute() else ROOT / path


def submit_export(session: Session, runtime: Runtime, *, user: User):
    """Queue the export job (one at a time per user)."""
    if not access.may_export(user):
        raise Forbidden("only disclosure editors and supervisors preview and export the site",
                        reason="disclosure_export_forbidden")
    job = jobs.submit(session, runtime, kind=JOB_KIND, owner=user, params={}, at_most=1)
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="disclosure_export_requested", detail={"job_id": job.id})
    return job


def write_site(runtime: Runtime, *, actor: str, target: Path | None = None,
               progress=None, job_id: str | None = None) -> int:
    """Render, write into a fresh folder, swap it in whole (withdrawn items are gone); audited.
    Returns how many files were written."""
    files = runtime.read(lambda uow: render(uow.session, runtime))
    target = target or export_dir(runtime)
    fresh, old = target.with_name(target.name + ".new"), target.with_name(target.name + ".old")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True, exist_ok=True)
    for done, (path, data) in enumerate(sorted(files.items()), 1):
        out = fresh / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        if progress is not None:
            progress(done, len(files))
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    digest = hashlib.sha256(repr(sorted((p, hashlib.sha256(d).hexdigest())
                                        for p, d in files.items())).encode()).hexdigest()
    runtime.transact(lambda uow: audit.record(
        uow.session, at=runtime.clock.now(), actor=actor, action="disclosure_exported",
        detail={"job_id": job_id, "files": len(files), "sha256": digest, "path": str(target)}))
    return len(files)


def _export(runtime: Runtime, ctx: jobs.Context) -> dict:
    """The export job of a user."""
    owner = runtime.read(lambda uow: uow.session.get(User, ctx.owner_id).username)
    count = write_site(runtime, actor=owner, progress=ctx.progress, job_id=ctx.job_id)
    return {"files": count, "path": str(export_dir(runtime))}


jobs.register(JOB_KIND, _export)
