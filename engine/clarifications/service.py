"""Clearing falsely accused cadres (澄清正名) and handling false accusations (诬告陷害查处).

Rules (DEADLINES.md, "Related rules"): an allegation "not proven but not ruled out" (finding
`unverifiable`) is not a false accusation and gets no clarification; clarification is always in
writing, optionally also at a meeting, by notice, by publication or in person; a finding that an
accusation was malicious (诬告) rather than mistaken (错告) needs approval at city level or above,
and a mistaken reporter is only educated.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.clarifications.models import AccusationReferral, Clarification
from engine.errors import Invalid, NotFound
from engine import notes
from engine.org.models import User

ORIGINS = ("finding", "application")
# Beyond the written clarification, which is always done.
SCOPES = ("meeting", "notice", "publication", "in_person")
KINDS = ("mistaken", "malicious")
AGGRAVATING = ("election", "inspection", "cadre_selection")


def check_origin(*, origin: str, finding: str | None) -> None:
    """Refuse a clarification the rules do not allow (422)."""
    if origin not in ORIGINS:
        raise Invalid("a clarification starts from an untrue finding or the cadre's application",
                      reason="clarification_origin_unknown",
                      fields={"clarification_origin": [notes.note("one_of", options=", ".join(ORIGINS))]})
    if finding == "unverifiable":
        raise Invalid("an allegation that is not proven but not ruled out gets no clarification",
                      reason="clarification_unverifiable",
                      fields={"origin_finding": [notes.note("unverifiable")]})
    if origin == "finding" and finding != "untrue":
        raise Invalid("a clarification from a finding needs the finding `untrue`",
                      reason="clarification_finding_not_untrue",
                      fields={"origin_finding": [notes.note("must_be_untrue")]})


def draft(session: Session, *, case_id: int | None, cadre_name: str, origin: str,
          finding: str | None, scope: list[str], people: int, joint: bool, plan: str,
          actor: str, now: datetime, clue_id: int | None = None) -> Clarification | None:
    """Record a drafted clarification (always in writing; optional extra scopes)."""
    check_origin(origin=origin, finding=finding)
    cadre_name = (cadre_name or "").strip()
    if not cadre_name:
        raise Invalid("name the cadre to be cleared", reason="clarification_cadre_required",
                      fields={"cadre_name": [notes.note("required")]})
    unknown = [s for s in scope if s not in SCOPES and s != "written"]
    if unknown:
        raise Invalid("unknown clarification scope %(scope)r", reason="clarification_scope_unknown",
                      params={"scope": unknown[0]}, fields={"scope": [notes.note("unknown")]})
    if people < 1:
        raise Invalid("at least one person is clarified", reason="clarification_people_required",
                      fields={"clarified_people": [notes.note("at_least_1")]})
    full_scope = ["written", *[s for s in SCOPES if s in scope]]
    detail = {"cadre_name": cadre_name, "origin": origin, "finding": finding,
              "scope": full_scope, "people": people, "joint": joint, "clue_id": clue_id}
    if case_id is None:  # a designer's test run without a case: nothing to record
        return None
    row = Clarification(case_id=case_id, cadre_name=cadre_name, origin=origin, scope=full_scope,
                        people=people, status="drafted", created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor, action="clarification_drafted", case_id=case_id,
                 detail={"clarification_id": row.id, **detail, "plan": plan})
    return row


def withdraw(session: Session, *, case_id: int | None, cadre_name: str, reason: str, actor: str,
             now: datetime) -> None:
    """The caseworker decides no clarification is due; audited."""
    if case_id is not None:
        audit.record(session, at=now, actor=actor, action="clarification_withdrawn",
                     case_id=case_id, detail={"cadre_name": cadre_name, "reason": reason})


def get_clarification(session: Session, clarification_id: int | None) -> Clarification | None:
    """The clarification row, or None for a test run without a case."""
    if clarification_id is None:
        return None
    row = session.get(Clarification, clarification_id)
    if row is None:
        raise NotFound("clarification %(id)s not found", reason="clarification_not_found",
                       params={"id": clarification_id})
    return row


def decide(session: Session, *, row: Clarification | None, approved: bool, user: User,
           comment: str, now: datetime) -> None:
    """The supervisor approves (carried out next) or refuses (it ends)."""
    if row is None:
        return
    row.status = "approved" if approved else "refused"
    row.approved_by_id, row.approved_at = user.id, now
    audit.record(session, at=now, actor=user.username,
                 action="clarification_approved" if approved else "clarification_refused",
                 case_id=row.case_id,
                 detail={"clarification_id": row.id, "cadre_name": row.cadre_name,
                         "comment": comment})


def carry_out(session: Session, *, row: Clarification | None, done: dict[str, bool], note: str,
              departments: str, actor: str, now: datetime) -> None:
    """Every step of the approved scope was done: the cadre counts as clarified from now."""
    if row is None:
        return
    missing = [s for s in row.scope if not done.get(s)]
    if missing:
        raise Invalid("every step of the approved clarification must be done",
                      reason="clarification_steps_missing",
                      fields={f"done_{s}": [notes.note("required_by_scope")] for s in missing})
    row.status, row.carried_out_at = "done", now
    audit.record(session, at=now, actor=actor, action="clarification_carried_out",
                 case_id=row.case_id,
                 detail={"clarification_id": row.id, "cadre_name": row.cadre_name,
                         "scope": row.scope, "people": row.people, "note": note,
                         "departments": departments})


def for_case(session: Session, case_id: int) -> list[Clarification]:
    """The case's clarifications, oldest first."""
    return list(session.scalars(select(Clarification).where(Clarification.case_id == case_id)
                                .order_by(Clarification.created_at, Clarification.id)))


def assess(session: Session, *, case_id: int | None, kind: str, note: str, aggravating: str,
           actor: str, now: datetime, clue_id: int | None = None) -> AccusationReferral | None:
    """Record whether a false accusation was mistaken (错告) or malicious (诬告)."""
    if kind not in KINDS:
        raise Invalid("mistaken or malicious", reason="accusation_kind_unknown", fields={"accusation_kind": [notes.note("unknown")]})
    aggravating = "" if aggravating in ("", "none", None) else aggravating
    if aggravating and aggravating not in AGGRAVATING:
        raise Invalid("unknown aggravating circumstance", reason="accusation_aggravating_unknown",
                      fields={"aggravating": [notes.note("unknown")]})
    if kind == "mistaken":
        aggravating = ""  # heavier handling applies only to malicious accusations
    if case_id is None:
        return None
    row = AccusationReferral(case_id=case_id, kind=kind, aggravating=aggravating, note=note,
                             status="proposed", created_at=now)
    session.add(row)
    session.flush()
    # The accuser's identity is never put in the audit trail.
    audit.record(session, at=now, actor=actor, action="accusation_assessed", case_id=case_id,
                 detail={"referral_id": row.id, "kind": kind, "aggravating": aggravating,
                         "clue_id": clue_id})
    return row


def get_referral(session: Session, referral_id: int | None) -> AccusationReferral | None:
    """The referral row, or None for a test run without a case."""
    if referral_id is None:
        return None
    row = session.get(AccusationReferral, referral_id)
    if row is None:
        raise NotFound("accusation referral %(id)s not found", reason="accusation_not_found",
                       params={"id": referral_id})
    return row


def educate(session: Session, *, row: AccusationReferral | None, method: str, note: str,
            actor: str, now: datetime) -> None:
    """A mistaken accuser is educated; nothing more is done."""
    if row is None:
        return
    if row.kind != "mistaken":
        raise Invalid("only a mistaken accusation ends with education",
                      reason="accusation_not_mistaken",
                      fields={"education_method": [notes.note("not_mistaken")]})
    row.status, row.decided_at = "educated", now
    if note:
        row.note = f"{row.note}\n{note}".strip()
    audit.record(session, at=now, actor=actor, action="accuser_educated", case_id=row.case_id,
                 detail={"referral_id": row.id, "method": method})


def approve_malicious(session: Session, *, row: AccusationReferral | None, approved: bool,
                      user: User, comment: str, aggravating: str | None, now: datetime) -> None:
    """The city-level approval of a malicious finding (or its refusal, which ends it)."""
    if row is None:
        return
    if row.kind != "malicious":
        raise Invalid("only a malicious accusation needs this approval",
                      reason="accusation_not_malicious",
                      fields={"referral_approved": [notes.note("not_malicious")]})
    if aggravating not in (None, ""):
        value = "" if aggravating == "none" else aggravating
        if value and value not in AGGRAVATING:
            raise Invalid("unknown aggravating circumstance",
                          reason="accusation_aggravating_unknown",
                          fields={"aggravating_confirmed": [notes.note("unknown")]})
        row.aggravating = value
    row.approved_by_id, row.approved_at = user.id, now
    if not approved:
        row.status, row.decided_at = "refused", now
    audit.record(session, at=now, actor=user.username,
                 action="malicious_accusation_approved" if approved
                 else "malicious_accusation_refused", case_id=row.case_id,
                 detail={"referral_id": row.id, "aggravating": row.aggravating,
                         "comment": comment})


def refer(session: Session, *, row: AccusationReferral | None, referred_to: str,
          heavier_handling: str, actor: str, now: datetime) -> None:
    """Refer the approved malicious accusation for investigation of the accuser."""
    if row is None:
        return
    if row.kind != "malicious" or row.approved_at is None or row.status != "proposed":
        raise Invalid("only an approved malicious accusation is referred",
                      reason="accusation_not_approved",
                      fields={"referred_to": [notes.note("not_approved")]})
    if not (referred_to or "").strip():
        raise Invalid("name where it is referred", reason="accusation_referred_to_required",
                      fields={"referred_to": [notes.note("required")]})
    if row.aggravating and not (heavier_handling or "").strip():
        raise Invalid("an aggravated malicious accusation is handled more heavily: say how",
                      reason="accusation_heavier_handling_required",
                      fields={"heavier_handling": [notes.note("required_when_aggravating")]})
    row.status, row.decided_at = "referred", now
    extra = f"移送: {referred_to.strip()}"
    if heavier_handling:
        extra += f"; 从重: {heavier_handling.strip()}"
    row.note = f"{row.note}\n{extra}".strip()
    audit.record(session, at=now, actor=actor, action="malicious_accusation_referred",
                 case_id=row.case_id,
                 detail={"referral_id": row.id, "referred_to": referred_to.strip(),
                         "aggravating": row.aggravating, "heavier": bool(row.aggravating)})


def referrals_for_case(session: Session, case_id: int) -> list[AccusationReferral]:
    """The case's false-accusation records, oldest first."""
    return list(session.scalars(select(AccusationReferral)
                                .where(AccusationReferral.case_id == case_id)
                                .order_by(AccusationReferral.created_at, AccusationReferral.id)))
