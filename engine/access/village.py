"""Who may see and do what in village power (API.md "Authority", rows village officer, village
supervisor, disclosure editor).

- Village matters: the village's officers (村两委) start and work them; its supervision committee
  members (村务监督委员会) check them; both see their own village's matters only - never a
  petition or a case (they hold none of the roles that open those). Supervisors and caseworkers
  of the units above the village (its township, zone, county) read them, and so do disclosure
  editors of the village or above (to publish decisions and results); a supervisor above
  overrides a broken rule with a reason.
- Disclosure items: the disclosure editors of the unit or a unit above write them and see them;
  supervisors of those units approve them (the approval task) and read them; the village's
  officers and supervision committee read their village's items.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from engine.org.models import Unit, User
from engine.village.models import DisclosureItem, VillageMatter

VILLAGE_ROLES = {"village_officer", "village_supervisor"}


def _path(session: Session, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    return session.scalar(select(Unit.path).where(Unit.id == unit_id))


def _at_or_above(session: Session, user: User, unit_id: int) -> bool:
    """The user's unit is the unit or a unit above it."""
    own, path = _path(session, user.unit_id), _path(session, unit_id)
    return own is not None and path is not None and path.startswith(own)


def _above(session: Session, user: User, unit_id: int) -> bool:
    return user.unit_id != unit_id and _at_or_above(session, user, unit_id)


def may_start(user: User, unit: Unit) -> bool:
    """A village's officers start its matters."""
    return "village_officer" in user.roles and unit.kind == "village" and \
        user.unit_id == unit.id


def may_see_matter(session: Session, user: User, matter: VillageMatter) -> bool:
    if user.unit_id == matter.unit_id and VILLAGE_ROLES & user.roles:
        return True
    if "disclosure_editor" in user.roles and _at_or_above(session, user, matter.unit_id):
        return True  # to publish its decision and result
    return bool({"supervisor", "caseworker"} & user.roles) and \
        _above(session, user, matter.unit_id)


def matters_clause(session: Session, user: User) -> ColumnElement[bool]:
    """SQL condition for the matters the user may see."""
    parts = []
    if VILLAGE_ROLES & user.roles:
        parts.append(VillageMatter.unit_id == user.unit_id)
    if {"supervisor", "caseworker"} & user.roles:
        own = _path(session, user.unit_id) or "/-"
        parts.append(VillageMatter.unit_id.in_(select(Unit.id).where(
            Unit.path.startswith(own), Unit.id != user.unit_id)))
    if "disclosure_editor" in user.roles:
        own = _path(session, user.unit_id) or "/-"
        parts.append(VillageMatter.unit_id.in_(select(Unit.id).where(Unit.path.startswith(own))))
    return or_(*parts) if parts else VillageMatter.id.is_(None)


def may_override(session: Session, user: User, matter: VillageMatter) -> bool:
    """A supervisor of a unit above the village (its township and up)."""
    return "supervisor" in user.roles and _above(session, user, matter.unit_id)


def may_edit_disclosure(session: Session, user: User, unit_id: int) -> bool:
    """A disclosure editor of the unit or a unit above it."""
    return "disclosure_editor" in user.roles and _at_or_above(session, user, unit_id)


def may_see_disclosure(session: Session, user: User, item: DisclosureItem) -> bool:
    if may_edit_disclosure(session, user, item.unit_id):
        return True
    if "supervisor" in user.roles and _at_or_above(session, user, item.unit_id):
        return True
    return user.unit_id == item.unit_id and bool(VILLAGE_ROLES & user.roles)


def may_withdraw(session: Session, user: User, item: DisclosureItem) -> bool:
    return may_edit_disclosure(session, user, item.unit_id) or (
        "supervisor" in user.roles and _at_or_above(session, user, item.unit_id))


def may_export(user: User) -> bool:
    """Exporting the public site: disclosure editors and supervisors (it holds approved items
    only, the same for everyone)."""
    return bool({"disclosure_editor", "supervisor"} & user.roles)


def disclosures_clause(session: Session, user: User) -> ColumnElement[bool]:
    parts = []
    if {"disclosure_editor", "supervisor"} & user.roles:
        own = _path(session, user.unit_id) or "/-"
        parts.append(DisclosureItem.unit_id.in_(select(Unit.id).where(Unit.path.startswith(own))))
    if VILLAGE_ROLES & user.roles:
        parts.append(DisclosureItem.unit_id == user.unit_id)
    return or_(*parts) if parts else DisclosureItem.id.is_(None)
