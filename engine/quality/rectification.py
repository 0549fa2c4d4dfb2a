"""A failed quality review item opens a rectification for its township through daily
supervision's rectification (engine/supervision): when the round's notice is issued, the round
becomes a random check (随机抽查) of the reviewing unit with one finding per failed item; each
finding runs the `rectification` process (measures -> progress -> verification -> 销号) with its
deadline row, the reviewer who scored the item verifying it.

Opened at the notice rather than at scoring: until the notice a reviewer may score an item again,
and a rectification once started is not withdrawn.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.cases import service as cases
from engine.deadlines import service as deadlines
from engine.org.models import Unit, User
from engine.quality.models import ReviewItem, ReviewRound
from engine.runtime import Runtime
from engine.supervision import service as supervision
from engine.supervision.models import Finding, Inspection
from engine.uow import UnitOfWork

KIND_LABELS = {"petition": "信访件", "clue": "问题线索", "case": "案件"}
NEEDED = "needs_rectification"
OPENED = "opened"


def time_limit_days(runtime: Runtime) -> int:
    cfg = deadlines.config(runtime).get(supervision.DEADLINE_KEY) or {}
    return int(cfg.get("amount", 30))


def _inspection(session: Session, runtime: Runtime, *, rnd: ReviewRound, user: User,
                failed: list[ReviewItem], towns: dict[int, Unit]) -> Inspection:
    owner = session.get(Unit, rnd.unit_id)
    now = runtime.clock.now()
    names = dict(session.execute(select(User.id, User.username)).all())
    inspectors = list(dict.fromkeys(names[i.reviewer_id] for i in failed if i.reviewer_id))
    row = Inspection(
        **cases.numbers(session, runtime, unit=owner, year=runtime.clock.local(now).year,
                        kind="inspection"),
        unit_id=owner.id, kind="random",
        title=f"{rnd.year}年第{rnd.quarter}季度办信办案质量评查",
        content="办信办案质量评查（每季抽查已办结的信访件、问题线索和案件）",
        targets=list(dict.fromkeys(towns[i.unit_id].code for i in failed)),
        inspectors=inspectors or list(rnd.reviewers or []), planned_on=None,
        status="approved", report=f"评查不合格 {len(failed)} 件，交被评查单位整改",
        carried_out_on=runtime.clock.local(now).date(), approved_by_id=user.id,
        approved_at=now, created_by_id=user.id, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="inspection_planned",
                 detail={"inspection_id": row.id, "number": row.number, "kind": row.kind,
                         "targets": row.targets, "inspectors": row.inspectors,
                         "quality_review": rnd.id})
    return row


def open_for_round(uow: UnitOfWork, runtime: Runtime, *, rnd: ReviewRound,
                   user: User) -> list[Finding]:
    """Every failed item of the round still needing one gets its rectification (a finding of
    the round's check, sent to its township); returns the findings opened."""
    session = uow.session
    failed = list(session.scalars(select(ReviewItem).where(
        ReviewItem.round_id == rnd.id, ReviewItem.rectification == NEEDED)
        .order_by(ReviewItem.position)))
    if not failed:
        return []
    towns = {u.id: u for u in session.scalars(select(Unit).where(
        Unit.id.in_({i.unit_id for i in failed})))}
    inspection = _inspection(session, runtime, rnd=rnd, user=user, failed=failed, towns=towns)
    owner = session.get(Unit, rnd.unit_id)
    labels = {c["key"]: c["label"] for c in rnd.checklist}
    reviewers = dict(session.execute(select(User.id, User.username)).all())
    now = runtime.clock.now()
    opened = []
    for item in failed:
        town = towns[item.unit_id]
        missed = [labels.get(k, k) for k, ok in (item.checks or {}).items() if not ok]
        finding = Finding(
            **cases.numbers(session, runtime, unit=owner, year=runtime.clock.local(now).year,
                            kind="finding"),
            inspection_id=inspection.id, unit_id=town.id, supervising_unit_id=None,
            category="other",
            description=(f"办信办案质量评查不合格：{KIND_LABELS.get(item.kind, item.kind)}"
                         f"{item.number}（{item.score}分）。{item.comment}").strip(),
            evidence="不符合：" + "、".join(missed) if missed else "",
            suggestion="对照评查意见逐项整改，补正案卷材料，举一反三。",
            responsible_person=f"{town.name}主要负责人"[:100],
            time_limit_days=time_limit_days(runtime), person_name="", person_post="",
            status="recorded", measures="", progress="", recurring=False, created_at=now,
            updated_at=now)
        session.add(finding)
        session.flush()
        audit.record(session, at=now, actor=user.username, action="finding_recorded",
                     detail={"finding_id": finding.id, "number": finding.number,
                             "unit": town.code, "category": finding.category,
                             "time_limit_days": finding.time_limit_days,
                             "quality_item": item.id})
        supervision.send_for_rectification(uow, runtime=runtime, inspection=inspection,
                                           finding=finding, user=user,
                                           verifier=reviewers.get(item.reviewer_id))
        item.rectification, item.rectification_ref = OPENED, finding.number
        audit.record(session, at=now, actor=user.username,
                     action="quality_rectification_opened", case_id=item.case_id,
                     detail={"round": rnd.id, "item": item.number, "unit": town.code,
                             "finding": finding.number, "finding_id": finding.id})
        opened.append(finding)
    return opened


def finding_ids(session: Session, numbers: list[str]) -> dict[str, int]:
    """Finding ids by number (an item's `rectification_ref`), for the link to the finding."""
    numbers = [n for n in numbers if n]
    if not numbers:
        return {}
    return dict(session.execute(select(Finding.number, Finding.id).where(
        Finding.number.in_(numbers))).all())
