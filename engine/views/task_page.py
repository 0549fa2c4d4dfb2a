"""What the task page shows: the task with its case's facts, its form, what the user may do
with it, the case's petition (reporter masked), attachments and timeline."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.attachments import service as attachments
from engine.audit import service as audit
from engine.cases.models import Case
from engine.deadlines import service as deadlines
from engine.errors import Invalid
from engine import notes
from engine.access import authority
from engine.views import case_record, labels, timeline
from engine.views import inbox_page as filters
from engine.views import repeat_task
from engine.inbox import service as inbox
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.petitions import service as petitions
from engine.processes import store
from engine.processes.models import ProcessInstance
from engine.runtime import Runtime
from engine.workflow import forms
from engine.documents import convert
from engine.documents import service as documents
from engine.documents.catalog import BY_KEY, step_documents


def task_view(session: Session, runtime: Runtime, *, user: User, task_id: str,
              record_view: bool = False) -> dict:
    """The task page for a user who may see the task (NotFound / Forbidden otherwise);
    `record_view` notes in the audit trail that the user read the case's details."""
    task = inbox.get_task(session, user=user, task_id=task_id)
    instance = session.get(ProcessInstance, task.instance_id)
    form = store.compiled_for(session, runtime, instance.definition_id).form(task.element_id)
    row = filters.rows_of(session, runtime, [task])[0]
    case = session.get(Case, task.case_id) if task.case_id else None
    petition, may_reveal = None, False
    if row.get("petition_id"):
        found = petitions.get(session, row["petition_id"])
        petition = petitions.describe(session, found, runtime)
        may_reveal = not found.anonymous and petitions.may_reveal(session, user, found)
    if case is not None and record_view:
        audit.record_view(session, at=runtime.clock.now(), actor=user.username,
                          case_id=case.id, via="task")
    listed = [attachments.describe(a) for a in
              attachments.list_for(session, user=user, case_id=case.id)] if case else []
    is_open = task.status == "open"
    works = is_open and authority.may_work(user, task, session)
    supervises = is_open and authority.may_supervise(session, user, task)
    extendable = bool(task.deadline_key and task.due_at and (works or supervises) and
                      task.deadline_key in deadlines.config(runtime) and
                      deadlines.key_config(runtime, task.deadline_key).get("extendable"))
    return {
        "task": row, "form": form, "petition": petition, "may_reveal": may_reveal,
        "case": {"id": case.id, "number": case.number, "display_number": case.display_number,
                 "status": case.status,
                 "supervised": case.supervised_at is not None} if case else None,
        "may_claim": works and task.assignee_id is None,
        "may_unclaim": is_open and task.assignee_id is not None and (
            task.assignee_id == user.id or supervises),
        "may_complete": works, "extendable": extendable,
        "attachments": listed,
        "form_choices": form_choices(session, form=form, task=task, attachments=listed),
        "timeline": timeline.timeline_part(session, case_id=case.id) if case else None,
        "record": case_record.for_task(session, runtime, task=task,
                                       approval=is_approval(task, form)),
        "repeats": repeat_task.candidates(session, runtime, user=user, task=task,
                                          petition_id=row.get("petition_id")),
        **_documents(session, runtime, user=user, task=task, form=form, case=case),
    }


def _documents(session: Session, runtime: Runtime, *, user: User, task: Task, form, case) -> dict:
    """The task's document (its `document` property), the case's generated documents, whether
    PDF can be made here, and whether the step is an approval (its 呈批表 prints)."""
    specs = [BY_KEY[key] for key in step_documents((task.properties or {}).get("document"))
             if key in BY_KEY] if case else []
    return {
        "document": {"key": specs[0].key, "title": specs[0].title} if specs else None,
        "step_documents": [{"key": s.key, "title": s.title} for s in specs],
        "documents": [documents.describe(d) for d in
                      documents.for_case(session, user=user, case_id=case.id)] if case else [],
        "may_generate": bool(case and documents.WRITERS & user.roles),
        "pdf_available": convert.available(runtime.settings),
        "is_approval": is_approval(task, form),
        "decision": decision(task, form),
    }


# What saying no does at an approval step (its `decision_no` property): the proposal goes back
# to whoever drafted it (the default), or the request is refused and the process ends.
REFUSALS = ("send_back", "refuse")


def form_choices(session: Session, *, form: dict | None, task: Task | None,
                 attachments: list[dict]) -> dict[str, list[tuple]]:
    """What the pickers of a form's domain fields list (API.md "Forms"), each only if the form
    has one: (code, name) of the active units, (login, name) of the users who could work the
    task (nobody without a task: the designer's preview of a form), (id, file name) of the
    case's attachments."""
    kinds = {prop.get("x-type") for _path, prop, _parent, _name in forms.leaves(form)}
    found: dict[str, list[tuple]] = {}
    if "unit" in kinds:
        found["unit"] = labels.active_units(session)
    if "person" in kinds:
        found["person"] = [(u.username, u.display_name or u.username)
                           for u in authority.eligible_users(session, task)] if task else []
    if "file" in kinds:
        found["file"] = [(str(a["id"]), a["file_name"]) for a in attachments]
    return found


def decision(task: Task, form) -> dict | None:
    """The step's approve / refuse decision, read from its form: the boolean field its
    `decision` property names, else a required boolean field `approved` or `…_approved`.
    `{"field", "label", "no"}` (`no`: send_back or refuse, from `decision_no`), or None when the
    form decides nothing of the kind."""
    props = (task.properties or {}) if task is not None else {}
    fields = (form or {}).get("properties") or {}
    required = set((form or {}).get("required") or [])
    named = props.get("decision")
    if named:
        field = named if (fields.get(named) or {}).get("type") == "boolean" else None
    else:
        field = next((name for name, prop in fields.items() if prop.get("type") == "boolean"
                      and name in required and (name == "approved" or
                                                name.endswith("_approved"))), None)
    if field is None:
        return None
    no = props.get("decision_no")
    return {"field": field, "label": fields[field].get("title") or "",
            "no": no if no in REFUSALS else "send_back"}


def is_approval(task: Task, form) -> bool:
    """An approval step: its form holds an approve / refuse decision (`decision`)."""
    return decision(task, form) is not None


def next_steps(session: Session, *, user: User, tasks: list[Task]) -> list[dict]:
    """After a completion: the new tasks, with whether this user may open them and where the
    others went."""
    units = dict(session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_({t.candidate_unit_id for t in tasks if t.candidate_unit_id}))).all()) \
        if tasks else {}
    holders = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({t.assignee_id for t in tasks if t.assignee_id}))).all()) if tasks else {}
    return [{"id": t.id, "name": t.name, "visible": authority.may_see(session, user, t),
             "unit": units.get(t.candidate_unit_id), "role": t.candidate_role,
             "holder": holders.get(t.assignee_id)} for t in tasks]


def reveal_for_task(session: Session, runtime: Runtime, *, user: User, task_id: str,
                    reason: str) -> dict:
    """Reveal the reporter of the task's case (`petitions.reveal`: allowed roles, audited)."""
    task = inbox.get_task(session, user=user, task_id=task_id)
    row = filters.case_facts(session, runtime, [task.case_id]).get(task.case_id) \
        if task.case_id else None
    if row is None:
        raise Invalid("this task's case has no petition", reason="task_case_no_petition",
                      fields={"reason": [notes.note("no_petition")]})
    return petitions.reveal(session, runtime, user=user, petition_id=row["petition_id"],
                            reason=reason)
