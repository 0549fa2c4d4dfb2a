"""Failed process instances: the list a supervisor or the instance's starter works from (with
the element, the error and a retry), and an administrator's counts without case data."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import failed as failed_access
from engine.audit.models import AuditEvent
from engine.cases.models import Case
from engine.org.models import User
from engine.processes import store
from engine.processes.models import ProcessDefinition, ProcessInstance
from engine.runtime import Runtime

# More failed instances than this at once is an outage, not a work list.
LIMIT = 500


def _element_name(session: Session, runtime: Runtime, definition_id: int,
                  element_id: str | None) -> str:
    """The failed element's drawn name ("" when it has none: the page says so in words)."""
    if not element_id:
        return ""
    return store.compiled_for(session, runtime, definition_id).element_name(element_id) or ""


def failed_for(session: Session, runtime: Runtime, *, user: User) -> list[dict]:
    """Failed instances the user may see, newest failure first."""
    rows = session.execute(
        select(ProcessInstance, ProcessDefinition.name, Case.number, Case.display_number)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Case, Case.id == ProcessInstance.case_id)
        .where(ProcessInstance.status == "error")
        .order_by(ProcessInstance.updated_at.desc(), ProcessInstance.id).limit(LIMIT)).all()
    seen = [(i, name, number, shown) for i, name, number, shown in rows
            if failed_access.may_see_failed(session, user, i)]
    # The coded problem of each failure (reason, params), from its latest instance_failed event.
    coded: dict[str, dict] = {}
    if seen:
        for instance_id, detail in session.execute(
                select(AuditEvent.instance_id, AuditEvent.detail)
                .where(AuditEvent.action == "instance_failed",
                       AuditEvent.instance_id.in_([i.id for i, *_ in seen]))
                .order_by(AuditEvent.id)):
            coded[instance_id] = detail or {}
    out = []
    for instance, process_name, case_number, case_shown in seen:
        detail = coded.get(instance.id, {})
        out.append({"instance_id": instance.id, "process_key": instance.process_key,
                    "process_name": process_name or instance.process_key,
                    "version": instance.version, "case_id": instance.case_id,
                    "case_number": case_number, "case_display_number": case_shown,
                    "element_id": instance.error_element_id,
                    "element_name": _element_name(session, runtime, instance.definition_id,
                                                  instance.error_element_id),
                    "message": instance.error_message or "",
                    "reason": detail.get("reason"), "params": detail.get("params") or {},
                    "failed_at": runtime.clock.local(instance.updated_at)})
    return out


def failed_counts(session: Session, runtime: Runtime) -> list[dict]:
    """Per process and element: how many instances are in error (no case data), each named as
    drawn in the version that failed."""
    rows = session.execute(
        select(ProcessInstance.process_key, ProcessInstance.definition_id, ProcessDefinition.name,
               ProcessInstance.error_element_id, func.count(ProcessInstance.id))
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.status == "error")
        .group_by(ProcessInstance.process_key, ProcessInstance.definition_id,
                  ProcessDefinition.name, ProcessInstance.error_element_id)).all()
    merged: dict[tuple[str, str | None], dict] = {}
    for key, definition_id, name, element, count in rows:
        row = merged.setdefault((key, element), {
            "process_key": key, "process_name": name or key, "element_id": element,
            "element_name": _element_name(session, runtime, definition_id, element),
            "count": 0})
        row["count"] += count
    return sorted(merged.values(), key=lambda r: (-r["count"], r["process_key"]))
