"""The case record: what each earlier step of a case decided, in the users' words, with who and
when — form answers under their labels, chosen options by their names, reasons, opinions,
attached files — and the supervisors' 督办 reasons, 批示 and reassignment reasons.

Built from the audit trail (each completed task keeps the data it was completed with) and the
forms of the deployed definitions; served alike to the task page, the case page and the API.
The reporter is masked as everywhere: any of a petition's reporter fields written into a step's
text is replaced by its masked form, and fields about the reporter are masked whole."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.attachments import service as attachments
from engine.attachments.models import Attachment
from engine.audit import service as audit
from engine.cases.models import Case
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.petitions import masking
from engine.petitions import service as petitions
from engine.petitions.models import Petition
from engine.processes import store
from engine.processes.models import ProcessInstance
from engine.runtime import Runtime

# Audit events the record lists besides completed steps.
STEP = "task_completed"
SUPERVISED, INSTRUCTED, REASSIGNED, FILED = ("case_supervised", "case_instructed",
                                             "task_reassigned", "attachment_uploaded")
KINDS = {STEP: "step", SUPERVISED: "supervised", INSTRUCTED: "instruction",
         REASSIGNED: "reassigned", FILED: "file"}
# Instructions the holder of a task must see: what supervisors said about the case.
INSTRUCTION_KINDS = ("supervised", "instruction")
# A form field about the reporter is shown masked whole.
REPORTER_FIELDS = {"reporter_name": masking.name, "reporter_phone": masking.phone,
                   "reporter_id_number": masking.id_number, "reporter_address": masking.address}


def for_case(session: Session, runtime: Runtime, *, user: User, case_id: int) -> dict:
    """The record of a case the user may see (NotFound / Forbidden otherwise)."""
    case = case_access.case_for_user(session, user, case_id)
    return build(session, runtime, case_id=case.id, number=case.number)


def for_task(session: Session, runtime: Runtime, *, task: Task, approval: bool) -> dict | None:
    """The record of a task's case (None without a case), with what concerns this task on top:
    the decision being approved (an approval step) or the opinion it was sent back with, the
    supervisors' instructions and why the task was given to its holder."""
    if task.case_id is None:
        return None
    number = session.scalar(select(Case.number).where(Case.id == task.case_id))
    record = build(session, runtime, case_id=task.case_id, number=number)
    steps = [e for e in record["entries"] if e["kind"] == "step"]
    # Only this process's own steps: another process's last step is not what is decided here.
    earlier = [e for e in steps if e["instance_id"] == task.instance_id]
    last = earlier[-1] if earlier else None
    focus = None
    if last is not None and approval:
        focus = {"kind": "approval", "entry": last}
    elif last is not None and last["approved"] is False:
        focus = {"kind": "returned", "entry": last}
    record["focus"] = focus
    record["instructions"] = [e for e in record["entries"] if e["kind"] in INSTRUCTION_KINDS or (
        e["kind"] == "reassigned" and e["task_id"] == task.id)]
    return record


def build(session: Session, runtime: Runtime, *, case_id: int, number: str | None) -> dict:
    """The record of case `case_id`, oldest first (no access check: callers check)."""
    events = audit.history(session, case_id=case_id, actions=KINDS)
    names = _names(session, {e.actor for e in events} | {
        (e.detail or {}).get(k) for e in events if e.action == REASSIGNED for k in ("from", "to")})
    step_ids = {e.task_id for e in events if e.action == STEP and e.task_id}
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(step_ids)))} \
        if step_ids else {}
    definitions = dict(session.execute(select(ProcessInstance.id, ProcessInstance.definition_id)
                                       .where(ProcessInstance.id.in_(
                                           {t.instance_id for t in tasks.values()}))).all()) \
        if tasks else {}
    files = {a["id"]: a for a in (attachments.describe(row) for row in session.scalars(
        select(Attachment).where(Attachment.case_id == case_id)))}
    hide = _masker(session, case_id)
    local = runtime.clock.local
    entries = []
    for e in events:
        detail = e.detail or {}
        entry = {"kind": KINDS[e.action], "at": local(e.at),
                 "actor": names.get(e.actor) or e.actor, "system": e.actor == "system",
                 "task": e.task_name or "", "task_id": e.task_id, "instance_id": e.instance_id,
                 "answers": [], "approved": None, "text": "", "file": None,
                 "from": None, "to": None}
        if e.action == STEP:
            task = tasks.get(e.task_id)
            form = store.compiled_for(session, runtime, definitions[task.instance_id]).form(
                task.element_id) if task is not None and task.instance_id in definitions else None
            entry["answers"] = _answers(form, detail.get("data") or {}, hide)
            approved = (detail.get("data") or {}).get("approved")
            entry["approved"] = approved if isinstance(approved, bool) else None
        elif e.action == SUPERVISED:
            # A breached deadline puts a case on the list by itself: no written reason then.
            entry["text"] = "" if entry["system"] else hide(detail.get("reason") or "")
        elif e.action == INSTRUCTED:
            entry["text"] = hide(detail.get("text") or "")
        elif e.action == REASSIGNED:
            entry.update(text=hide(detail.get("reason") or ""),
                         to=names.get(detail.get("to")) or detail.get("to"),
                         **{"from": names.get(detail.get("from")) or detail.get("from")})
        elif e.action == FILED:
            found = files.get(detail.get("attachment_id"))
            if found is None:
                continue
            entry["file"] = {"id": found["id"], "file_name": found["file_name"],
                             "size": found["size"]}
        entries.append(entry)
    _unit_names(session, entries)
    return {"case_id": case_id, "case_number": number, "entries": entries}


def _unit_names(session: Session, entries: list[dict]) -> None:
    """A unit chosen in a form (a field named like `…unit`) by its name, not its code."""
    answers = [a for e in entries for a in e["answers"]
               if a["field"].endswith("unit") and isinstance(a["value"], str)]
    if not answers:
        return
    names = dict(session.execute(select(Unit.code, Unit.name).where(
        Unit.code.in_({a["value"] for a in answers}))).all())
    for a in answers:
        a["value"] = names.get(a["value"], a["value"])


def _answers(form: dict | None, data: dict, hide) -> list[dict]:
    """The answers to a form, in its order, under its labels, options by their names; fields
    the form does not ask (what an action added) are left out."""
    out = []
    for name, prop, value in _walk((form or {}).get("properties") or {}, data):
        if value is None or value == "" or value == [] or value == {}:
            continue
        labels = prop.get("x-labels") or {}
        if name.rsplit(".", 1)[-1] in REPORTER_FIELDS and isinstance(value, str):
            text = REPORTER_FIELDS[name.rsplit(".", 1)[-1]](value)
        elif isinstance(value, bool):
            text = value
        elif isinstance(value, list):
            text = "、".join(hide(str(labels.get(v, v))) for v in value)
        else:
            text = hide(str(labels.get(value, value))) if not isinstance(value, dict) else ""
        out.append({"field": name, "label": prop.get("title") or name, "value": text,
                    "long": isinstance(text, str) and len(text) > 40})
    return out


def _walk(properties: dict, data: dict, prefix: str = ""):
    for name, prop in properties.items():
        value = data.get(name) if isinstance(data, dict) else None
        if prop.get("type") == "object":
            yield from _walk(prop.get("properties") or {}, value or {}, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", prop, value


def _masker(session: Session, case_id: int):
    """A function that masks the case's reporters wherever a step's text names them."""
    pairs = []
    for petition in session.scalars(select(Petition).where(Petition.case_id == case_id)):
        if petition.anonymous and not petition.reporter_name:
            continue
        real = petitions.reporter_fields(petition)
        shown = masking.reporter(False, real)
        for key in ("id_number", "phone", "address", "name"):
            value = real.get(key)
            if value and len(value) >= 2:
                pairs.append((value, shown[key]))
    pairs.sort(key=lambda p: -len(p[0]))

    def hide(text: str) -> str:
        for value, masked in pairs:
            if value in text:
                text = text.replace(value, masked)
        return text
    return hide


def _names(session: Session, usernames: set) -> dict[str, str]:
    usernames = {u for u in usernames if u}
    if not usernames:
        return {}
    return {u: d or u for u, d in session.execute(select(User.username, User.display_name)
                                                  .where(User.username.in_(usernames)))}

