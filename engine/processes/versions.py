"""Versions of a process: list, source XML, and the difference between two of them."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.org.models import User
from engine.processes import changes
from engine.processes import service as processes
from engine.processes.models import BpmnSource, ProcessDefinition, ProcessInstance


def list_versions(session: Session, key: str) -> list[dict]:
    """Every version of `key`, newest first, with how many instances run on each."""
    rows = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                .order_by(ProcessDefinition.version.desc())))
    if not rows:
        processes.get_definition(session, key)  # raises NotFound
    running = dict(session.execute(
        select(ProcessInstance.definition_id, func.count(ProcessInstance.id))
        .where(ProcessInstance.process_key == key,
               ProcessInstance.status.in_(("running", "error")))
        .group_by(ProcessInstance.definition_id)).all())
    # Who deployed: the user's display name (a command-line deploy records `cli` or
    # `cli:<login>`, no user of cluedesk: None).
    names = dict(session.execute(select(User.username, User.display_name).where(
        User.username.in_({d.deployed_by for d in rows}))).all())
    return [{"key": d.key, "name": d.name, "version": d.version, "checksum": d.checksum,
             "deployed_at": d.deployed_at, "deployed_by": d.deployed_by,
             "deployed_by_name": names.get(d.deployed_by) or None, "comment": d.comment,
             "running_instances": running.get(d.id, 0)} for d in rows]


def source(session: Session, key: str, version: int) -> tuple[str, str]:
    """(file name, BPMN XML) of one version."""
    definition = processes.get_definition(session, key, version)
    row = session.get(BpmnSource, definition.source_checksum)
    return row.file_name, row.xml


def diff(session: Session, key: str, old: int, new: int | None = None,
         draft: bytes | None = None) -> dict:
    """Elements added, removed and changed, with each changed attribute's old and new value,
    from version `old` to version `new` or to a draft file not deployed (`to_version` None)."""
    _, old_xml = source(session, key, old)
    new_xml = draft if new is None else source(session, key, new)[1].encode("utf-8")
    return {"key": key, "from_version": old, "to_version": new,
            **changes.compare(old_xml.encode("utf-8"), new_xml)}


def running_instances(session: Session, key: str, version: int | None = None) -> list[dict]:
    """Instances of `key` that can still move (running or in error)."""
    stmt = select(ProcessInstance).where(ProcessInstance.process_key == key,
                                         ProcessInstance.status.in_(("running", "error")))
    if version is not None:
        stmt = stmt.where(ProcessInstance.version == version)
    return [{"id": i.id, "version": i.version, "status": i.status, "case_id": i.case_id,
             "created_at": i.created_at}
            for i in session.scalars(stmt.order_by(ProcessInstance.created_at).limit(500))]
