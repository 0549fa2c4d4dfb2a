"""The rectification figures (dashboard, supervision page, GET /supervision/figures) are counted
by the database per group of findings and checked once per group: for every demo user they equal
a recount of each finding under the access rule itself, over findings that vary in everything the
rule and the figures read. The inspections' list (the supervision page, GET /inspections) reads
as many statements however many findings its inspections hold (both databases)."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import event, insert, select

from engine.access import supervision as access
from engine.org.models import Unit, User
from engine.supervision import service as supervision
from engine.supervision.models import Finding, Inspection

INSPECTION_STATUSES = ("planned", "carried_out", "findings_recorded", "approved")


def _seed(runtime, rng: random.Random, *, inspections: int = 12, findings: int = 90) -> None:
    now = runtime.clock.now()

    def write(uow):
        session = uow.session
        units = session.execute(select(Unit.id, Unit.kind)).all()
        towns = [u for u, kind in units if kind == "township"]
        others = [u for u, kind in units if kind != "township"]
        names = list(session.scalars(select(User.username).order_by(User.username)))
        creator = session.scalar(select(User.id).order_by(User.id).limit(1))
        ids = list(session.scalars(insert(Inspection).returning(Inspection.id), [{
            "number": f"FIG-JC-{rng.random()}", "unit_id": rng.choice(towns + others), "kind": "routine",
            "title": "检查", "content": "", "targets": [], "report": "",
            "inspectors": rng.sample(names, rng.choice([0, 0, 1, 2])),
            "status": rng.choice(INSPECTION_STATUSES), "created_by_id": creator,
            "created_at": now} for i in range(inspections)]))
        session.execute(insert(Finding), [{
            "number": f"FIG-WT-{rng.random()}", "inspection_id": rng.choice(ids),
            "unit_id": rng.choice(towns + others),
            "supervising_unit_id": rng.choice(towns + [None]), "category": "other",
            "description": "问题", "responsible_person": "负责人", "time_limit_days": 30,
            "due_at": None if rng.random() < 0.15 else now + timedelta(days=rng.randint(-40, 40)),
            "closed_at": None if rng.random() < 0.5 else now - timedelta(days=rng.randint(0, 80)),
            "status": "rectifying", "created_at": now, "updated_at": now}
            for _ in range(findings)])
        uow.commit()
    runtime.transact(write)


def _recount(session, runtime, user) -> list[dict]:
    """Each finding on its own, under access.may_see_finding (the rule, one place)."""
    now = runtime.clock.now()
    out: dict[int, dict] = {}
    for finding in session.scalars(select(Finding)):
        if not access.may_see_finding(session, user, finding):
            continue
        unit = session.get(Unit, finding.unit_id)
        item = out.setdefault(unit.id, {"unit": unit.code, "unit_name": unit.name, "found": 0,
                                        "closed": 0, "on_time": 0, "overdue": 0})
        item["found"] += 1
        if finding.closed_at is not None:
            item["closed"] += 1
            late = finding.due_at is not None and finding.closed_at > finding.due_at
            item["overdue" if late else "on_time"] += 1
        elif finding.due_at is not None and finding.due_at < now:
            item["overdue"] += 1
    return sorted(out.values(), key=lambda r: r["unit"])


def test_the_figures_equal_a_recount_of_each_finding_under_the_access_rule(runtime):
    _seed(runtime, random.Random(28))
    usernames = runtime.read(lambda uow: list(uow.session.scalars(
        select(User.username).order_by(User.username))))

    def user(session, name):
        return session.scalar(select(User).where(User.username == name))
    seen = 0
    for name in usernames:
        # The figures as a page reads them (read-only: unit paths read once) ...
        figures = runtime.read(lambda uow, name=name: supervision.rectification_figures(
            uow.session, runtime, user=user(uow.session, name)))
        # ... and the recount in a unit of work that writes (each path read on its own).
        expected = runtime.transact(lambda uow, name=name: _recount(uow.session, runtime,
                                                         user(uow.session, name)))
        assert figures == expected, name
        seen += sum(row["found"] for row in figures)
    # The data reaches every branch: some users see findings, not all see all of them.
    assert 0 < seen < 90 * len(usernames)


def test_the_inspections_list_reads_no_more_for_more_findings(runtime):
    rng = random.Random(7)
    _seed(runtime, rng, inspections=8, findings=20)

    def statements(name):
        sent = []

        def page(uow):
            session = uow.session
            user = session.scalar(select(User).where(User.username == name))

            def listener(*_):
                sent.append(1)
            event.listen(runtime.connection, "before_cursor_execute", listener)
            try:
                rows = [supervision.describe_inspection(session, runtime, row, user=user)
                        for row in supervision.visible_inspections(session, user)]
            finally:
                event.remove(runtime.connection, "before_cursor_execute", listener)
            return sum(len(r["findings"]) for r in rows), len(sent)
        return runtime.read(page)

    before = {name: statements(name) for name in ("chief", "a-worker", "east-head")}

    def more_findings(uow):  # ten times as many, each a copy of one there (the same who sees)
        existing = list(uow.session.scalars(select(Finding)))
        uow.session.execute(insert(Finding), [{
            "number": f"{f.number}-{copy}", "inspection_id": f.inspection_id,
            "unit_id": f.unit_id, "supervising_unit_id": f.supervising_unit_id,
            "description": "问题", "responsible_person": "负责人", "time_limit_days": 30,
            "status": "rectifying", "created_at": f.created_at, "updated_at": f.created_at}
            for f in existing for copy in range(9)])
        uow.commit()
    runtime.transact(more_findings)
    after = {name: statements(name) for name in before}
    assert after["chief"][0] == 10 * before["chief"][0] > 0, (before, after)
    for name in before:
        assert after[name][1] == before[name][1], (name, before, after)
