"""The repeat check's alias table (posts, everyday post words, kinship terms, paraphrases): read by the repeat index,
edited by administrators (audited)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.admin.service import require_admin
from engine.audit import service as audit
from engine.errors import Conflict, Invalid, NotFound
from engine import notes
from engine.petitions.models import RepeatAlias
from engine.petitions.similarity import normalize
from engine.runtime import Runtime
from engine.org.models import User

# post: a post's spelling, read whole; everyday: a word for a post found anywhere in the
# post or name field ("管账" in "村里管账的": 村会计); kinship, phrase: words of the matter.
KINDS = ("post", "everyday", "kinship", "phrase")


def rows(session: Session) -> tuple[tuple[str, str, str], ...]:
    """(kind, alias, canonical) of every alias, in a stable order."""
    return tuple(tuple(r) for r in session.execute(select(RepeatAlias.kind, RepeatAlias.alias,
                                        RepeatAlias.canonical).order_by(RepeatAlias.alias)))


def list_aliases(session: Session, *, actor: User) -> list[RepeatAlias]:
    require_admin(actor)
    return list(session.scalars(select(RepeatAlias).order_by(RepeatAlias.kind,
                                                             RepeatAlias.canonical,
                                                             RepeatAlias.alias)))


def add_alias(session: Session, runtime: Runtime, *, actor: User, kind: str, alias: str,
              canonical: str) -> RepeatAlias:
    """Read `alias` as `canonical` from now on (the index rebuilds on its next check)."""
    require_admin(actor)
    alias, canonical = (alias or "").strip(), (canonical or "").strip()
    if kind not in KINDS:
        raise Invalid("unknown alias kind %(kind)s", reason="alias_kind_unknown",
                      params={"kind": kind}, fields={"kind": [notes.note("options", options=", ".join(KINDS))]})
    if not normalize(alias) or not normalize(canonical):
        raise Invalid("alias and canonical word are required", reason="alias_empty",
                      fields={"alias" if not normalize(alias) else "canonical": [notes.note("required")]})
    if session.scalar(select(RepeatAlias.id).where(RepeatAlias.alias == alias)) is not None:
        raise Conflict("the alias %(alias)s exists already", reason="alias_exists",
                       params={"alias": alias})
    row = RepeatAlias(kind=kind, alias=alias, canonical=canonical)
    session.add(row)
    session.flush()
    audit.record(session, at=runtime.clock.now(), actor=actor.username,
                 action="repeat_alias_added",
                 detail={"kind": kind, "alias": alias, "canonical": canonical})
    return row


def delete_alias(session: Session, runtime: Runtime, *, actor: User,
                 alias_id: int) -> RepeatAlias:
    require_admin(actor)
    row = session.get(RepeatAlias, alias_id)
    if row is None:
        raise NotFound("no alias %(id)s", reason="alias_not_found", params={"id": alias_id})
    audit.record(session, at=runtime.clock.now(), actor=actor.username,
                 action="repeat_alias_deleted",
                 detail={"kind": row.kind, "alias": row.alias, "canonical": row.canonical})
    session.delete(row)
    session.flush()
    return row
