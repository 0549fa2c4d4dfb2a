"""The unit tree: every unit, read once per read-only unit of work (there are tens, not
thousands), for reports, statistics, evaluations and the pages that check many rows' units."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import db, notes
from engine.errors import NotFound
from engine.org.models import Unit


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    active: bool

    @property
    def ancestry(self) -> list[int]:
        """This unit's id and every id above it."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Tree:
    """Every unit, read once per report (there are tens, not thousands)."""

    @classmethod
    def of(cls, session: Session) -> Tree:
        """The tree, read once per read-only unit of work (the dashboard's parts ask for it
        five times)."""
        return db.once_per_read(session, ("unit_tree",), lambda: cls(session))

    def __init__(self, session: Session):
        rows = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id,
                                      Unit.path, Unit.active)).all()
        self.by_id = {r.id: UnitInfo(*r) for r in rows}
        self.by_code = {u.code: u for u in self.by_id.values()}

    def get(self, code: str) -> UnitInfo:
        unit = self.by_code.get(code)
        if unit is None:
            raise NotFound("unit %(unit)r not found", reason="unit_not_found", params={"unit": code},
                           fields={"unit": [notes.note("unknown_unit")]})
        return unit

    def children(self, unit: UnitInfo) -> list[UnitInfo]:
        return sorted((u for u in self.by_id.values() if u.parent_id == unit.id),
                      key=lambda u: u.id)

    def below(self, unit: UnitInfo, *, kind: str | None = None) -> list[UnitInfo]:
        """The unit and every unit under it (of one kind), in id order."""
        return sorted((u for u in self.by_id.values() if u.path.startswith(unit.path)
                       and (kind is None or u.kind == kind)), key=lambda u: u.id)

    def ancestry(self, unit_id: int | None) -> list[int]:
        unit = self.by_id.get(unit_id) if unit_id is not None else None
        return unit.ancestry if unit else []

    def contains(self, outer: UnitInfo, unit_id: int | None) -> bool:
        return outer.id in self.ancestry(unit_id)
