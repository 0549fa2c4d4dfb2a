"""Names people read for the codes pages hold: unit codes to unit names, usernames to display
names (both can change, so they are read per request, not cached per process)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.org.models import Unit, User


def unit_names(session: Session) -> dict[str, str]:
    """Every unit's code → its name (a deployment has hundreds of units at most)."""
    return dict(session.execute(select(Unit.code, Unit.name)).all())


def display_names(session: Session, usernames) -> dict[str, str]:
    """username → display name (the username when it has none) for the given usernames."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    return {u: d or u for u, d in session.execute(
        select(User.username, User.display_name).where(User.username.in_(wanted)))}


def active_units(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every active unit, in the tree's order, for a unit picker."""
    return [(c, n) for c, n in session.execute(
        select(Unit.code, Unit.name).where(Unit.active.is_(True)).order_by(Unit.path, Unit.id))]
