"""Who may see and do what in daily supervision (API.md "Authority", rows inspector,
rectification officer, interference registrar).

- Inspections: planned by an inspector or a supervisor of the inspecting unit; seen by the
  inspecting unit and the units above it (supervisors), by the inspectors named on it, and -
  once approved - by the inspected units (their findings only).
- Findings: whoever sees the inspection; the responsible unit's rectification officers and
  supervisors; the supervising township (patrol double feedback); supervisors above any of them.
- Interference register: a department's registrars record and correct its entries; its
  supervisors and every supervisor or caseworker of a commission above it read and search them.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import db
from engine.org.models import Unit, User
from engine.org.tree import Tree
from engine.supervision.models import Finding, Inspection


def _path(session: Session, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    if session.info.get(db.READ_ONLY):  # a page checks many rows: the unit tree, read once
        unit = Tree.of(session).by_id.get(unit_id)
        return unit.path if unit else None
    return session.scalar(select(Unit.path).where(Unit.id == unit_id))


def _above_or_own(session: Session, user: User, unit_id: int | None) -> bool:
    """The unit is the user's own or below it."""
    unit_path, own = _path(session, unit_id), _path(session, user.unit_id)
    return unit_path is not None and own is not None and unit_path.startswith(own)


def _supervises(session: Session, user: User, unit_id: int | None) -> bool:
    return "supervisor" in user.roles and _above_or_own(session, user, unit_id)


def may_plan(user: User) -> bool:
    return bool({"inspector", "supervisor"} & user.roles)


def may_see_inspection(session: Session, user: User, inspection: Inspection) -> bool:
    if user.username in (inspection.inspectors or []):
        return True
    if inspection.unit_id == user.unit_id and {"inspector", "supervisor"} & user.roles:
        return True
    return _supervises(session, user, inspection.unit_id)


def may_see_finding(session: Session, user: User, finding: Finding,
                    inspection: Inspection | None = None) -> bool:
    """Reads of the finding only its inspection, responsible and supervising units (the
    figures ask once for all findings that share them)."""
    inspection = inspection or session.get(Inspection, finding.inspection_id)
    if may_see_inspection(session, user, inspection):
        return True
    if inspection.status != "approved":
        return False
    for unit_id in (finding.unit_id, finding.supervising_unit_id):
        if unit_id is None:
            continue
        if unit_id == user.unit_id and {"rectification_officer", "supervisor",
                                        "caseworker"} & user.roles:
            return True
        if _supervises(session, user, unit_id):
            return True
    return False


def may_record_findings(session: Session, user: User, inspection: Inspection) -> bool:
    """The inspectors named on the inspection (or a supervisor of the inspecting unit)."""
    return user.username in (inspection.inspectors or []) or \
        _supervises(session, user, inspection.unit_id)


def may_upload_evidence(session: Session, user: User, finding: Finding) -> bool:
    """The responsible unit's rectification officers and supervisors."""
    return finding.unit_id == user.unit_id and \
        bool({"rectification_officer", "supervisor"} & user.roles)


def may_make_clue(session: Session, user: User, unit_id: int | None) -> bool:
    """Turning something into a clue: caseworkers and supervisors of a commission or township
    (the clue goes into their clue ledger), and inspectors for their own findings."""
    return bool({"caseworker", "supervisor", "inspector"} & user.roles)


def may_register_interference(user: User) -> bool:
    return "interference_registrar" in user.roles


def may_see_interference_of(session: Session, user: User, unit_id: int) -> bool:
    if unit_id == user.unit_id and {"interference_registrar", "supervisor"} & user.roles:
        return True
    if not {"supervisor", "caseworker"} & user.roles:
        return False
    kind = session.scalar(select(Unit.kind).where(Unit.id == user.unit_id))
    if "supervisor" in user.roles and _above_or_own(session, user, unit_id):
        return True
    # A commission's caseworkers (and offices under it) read the departments' registers.
    return kind in ("commission", "office") and "caseworker" in user.roles and \
        _under(session, unit_id, _commission_of(session, user.unit_id))


def _commission_of(session: Session, unit_id: int) -> int | None:
    unit = session.get(Unit, unit_id)
    while unit is not None and unit.kind != "commission":
        unit = session.get(Unit, unit.parent_id) if unit.parent_id else None
    return unit.id if unit is not None else None


def _under(session: Session, unit_id: int, top_id: int | None) -> bool:
    top, path = _path(session, top_id), _path(session, unit_id)
    return top is not None and path is not None and path.startswith(top)


def visible_units(session: Session, user: User) -> list[int]:
    """Unit ids whose interference registers the user may read."""
    units = session.scalars(select(Unit.id).where(Unit.kind == "department"))
    return [u for u in units if may_see_interference_of(session, user, u)]
