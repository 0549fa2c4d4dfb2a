"""Villages: petitions name their village in free text; migration 0015 linked those whose name
matches a village unit of their township. The rest are listed for an administrator, and linking
runs again after village units are added."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.org.models import Unit, User
from engine.petitions.models import Petition


def _names(name: str) -> set[str]:
    name = (name or "").strip()
    return {name, name + "村", name.removesuffix("村")} - {""}


def link_one(session: Session, petition: Petition) -> None:
    """Link (or unlink) one petition's village after it was registered or corrected."""
    petition.village_unit_id = None
    if not petition.village or petition.township_id is None:
        return
    town = session.scalar(select(Unit.path).where(Unit.id == petition.township_id)) or "/"
    petition.village_unit_id = session.scalar(
        select(Unit.id).where(Unit.kind == "village", Unit.active.is_(True),
                              Unit.path.startswith(town),
                              Unit.name.in_(_names(petition.village))).order_by(Unit.id).limit(1))


def link(session: Session) -> int:
    """Link unlinked petitions whose village names a village unit below their township."""
    villages = list(session.scalars(select(Unit).where(Unit.kind == "village",
                                                       Unit.active.is_(True))))
    paths = dict(session.execute(select(Unit.id, Unit.path)).all())
    linked = 0
    for petition in session.scalars(select(Petition).where(
            Petition.village_unit_id.is_(None), Petition.village != "",
            Petition.township_id.is_not(None))):
        town = paths.get(petition.township_id, "")
        for village in villages:
            if village.path.startswith(town) and village.name in _names(petition.village):
                petition.village_unit_id = village.id
                linked += 1
                break
    return linked


def unlinked(session: Session, *, user: User) -> list[dict]:
    """(township, village text, petitions) of petitions whose village names no unit."""
    if "administrator" not in user.roles:
        raise Forbidden("an administrator links villages", reason="villages_forbidden")
    rows = session.execute(
        select(Unit.code, Unit.name, Petition.village, func.count(Petition.id))
        .select_from(Petition).outerjoin(Unit, Unit.id == Petition.township_id)
        .where(Petition.village_unit_id.is_(None), Petition.village != "")
        .group_by(Unit.code, Unit.name, Petition.village)
        .order_by(Unit.code, Petition.village)).all()
    return [{"township": code, "township_name": name, "village": village, "petitions": n}
            for code, name, village, n in rows]
