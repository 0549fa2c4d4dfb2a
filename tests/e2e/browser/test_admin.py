"""Administration in a real browser: create a user with two roles, deactivate another user and
transfer their task, load the 2027 calendar (preview, then apply) and see an open deadline move."""
from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from engine.calendar.models import CalendarYear
from engine.deadlines.models import Deadline
from engine.inbox import service as inbox
from engine.inbox.models import Task
from engine.org import service as org
from engine.petitions import service as petitions
from engine.recusal.models import Relation
from tests.conftest import FROZEN
from tests.e2e.browser.conftest import login, one_request, shot

ROOT = Path(__file__).resolve().parents[3]
CALENDAR_2027 = ROOT / "tests" / "fixtures" / "calendar-2027.yaml"
DEC_28 = datetime.fromisoformat("2026-12-28T10:00:00+08:00")  # a Monday
PETITION = {"channel": "letter",
            "received_at": datetime.fromisoformat("2026-12-28T09:00:00+08:00"),
            "reporter": {"name": "王五", "phone": "13800000000"},
            "accused": [{"name": "赵六", "post": "村会计", "unit": "西村村委会",
                         "level": "village"}],
            "township": "town-a", "village": "西村", "category": "collective_assets",
            "content": "西村村会计赵六挪用集体资金。"}


def _held_petition_task(rt, holder: str) -> tuple[str, int]:
    """A petition received on 28 December whose first task `holder` has claimed; returns the
    task id and the petition's open acceptance-notice deadline (15 working days: into 2027)."""
    def work(uow):
        clerk = org.get_user(uow.session, "clerk")
        org.create_user(uow.session, username=holder, roles=["intake_clerk"],
                        unit_code="petition-office", password="demo", demo_password=True, now=rt.clock.now(),
                        display_name="待停用登记员")
        petition = petitions.register(uow, runtime=rt, user=clerk, fields=PETITION)
        return petition.case_id
    case_id = rt.transact(work)

    def claim(uow):
        task = uow.session.scalar(select(Task).where(Task.case_id == case_id,
                                                     Task.status == "open"))
        inbox.claim(uow, runtime=rt, task_id=task.id,
                    user=org.get_user(uow.session, holder))
        deadline = uow.session.scalar(select(Deadline.id).where(
            Deadline.case_id == case_id, Deadline.key == "acceptance_notice",
            Deadline.status == "open"))
        return task.id, deadline
    return rt.transact(claim)


def _due(rt, deadline_id: int) -> datetime:
    return rt.read(lambda uow: uow.session.get(Deadline, deadline_id).due_at)


def test_users_transfer_and_a_calendar_that_moves_a_deadline(live, new_page, tmp_path):
    rt = live.runtime
    suffix = uuid.uuid4().hex[:6]
    holder, newcomer = f"leaving-{suffix}", f"new-{suffix}"
    rt.clock.set(DEC_28)
    try:
        task_id, deadline_id = _held_petition_task(rt, holder)
        before = _due(rt, deadline_id)
        calendar = CALENDAR_2027
        if rt.read(lambda uow: uow.session.get(CalendarYear, 2027)) is not None:
            # Another test of this shared server loaded 2027 already: the same file would move
            # nothing, so this copy also makes the deadline's current due day a holiday.
            calendar = tmp_path / "calendar-2027.yaml"
            calendar.write_text(CALENDAR_2027.read_text(encoding="utf-8").replace(
                "holidays:\n", f"holidays:\n  - {{date: {rt.clock.local(before).date()}, "
                f"name: 测试}}\n", 1), encoding="utf-8")

        page = new_page(live.url)
        login(page, "admin")
        page.click("nav.mainnav >> text=系统管理")
        page.click("[data-testid=admin-tabs] >> text=用户")

        # A user with two roles.
        form = page.get_by_test_id("user-create")
        form.locator("input[name=username]").fill(newcomer)
        form.locator("input[name=display_name]").fill("新登记员")
        form.locator("select[name=unit]").select_option("petition-office")
        form.locator("input[name=password]").fill("Secret-one-2026")
        form.locator("input[value=intake_clerk]").check()
        form.locator("input[value=caseworker]").check()
        with one_request(page):
            form.locator("button[type=submit]").click()
        row = page.locator(f"tr[data-user='{newcomer}']")
        assert "信访登记员" in row.inner_text() and "承办人" in row.inner_text()
        assert rt.read(lambda uow: org.get_user(uow.session, newcomer).roles) == \
            {"intake_clerk", "caseworker"}

        # Deactivate the holder: the dialog lists the held task with who may take it.
        with one_request(page):
            page.locator(f"tr[data-user='{holder}'] [data-testid=deactivate]").click()
        dialog = page.get_by_test_id("admin-dialog")
        dialog.wait_for(state="visible")
        held = dialog.locator(f"tr[data-task='{task_id}']")
        offered = held.locator("select option").all_inner_texts()
        assert any("(clerk)" in o for o in offered) and any(newcomer in o for o in offered)
        assert not any(holder in o for o in offered)
        held.locator("select").select_option("clerk")
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "admin-users")
        with one_request(page):
            dialog.locator("button[type=submit]").click()
        dialog.wait_for(state="hidden")
        assert "已停用" in page.locator(f"tr[data-user='{holder}']").inner_text()
        assert rt.read(lambda uow: (uow.session.get(Task, task_id).assignee_id,
                                    org.get_user(uow.session, holder).active)) == \
            (rt.read(lambda uow: org.get_user(uow.session, "clerk").id), False)

        # Calendar: preview first (nothing changes), then apply.
        page.click("[data-testid=admin-tabs] >> text=工作日历")
        page.get_by_test_id("calendar-upload").locator("input[type=file]").set_input_files(
            str(calendar))
        with one_request(page):
            page.get_by_test_id("calendar-upload").locator("button[type=submit]").click()
        preview = page.get_by_test_id("calendar-preview")
        assert "将调整" in preview.get_by_test_id("moved-count").inner_text()
        moved = preview.locator(f"tr[data-deadline='{deadline_id}']")
        cells = moved.locator("td").all_inner_texts()
        assert cells[1] == rt.clock.local(before).strftime("%Y-%m-%d %H:%M")
        assert cells[3].startswith("+")
        assert _due(rt, deadline_id) == before  # a preview changes nothing
        shot(page, "admin-calendar")
        with one_request(page):
            page.get_by_test_id("calendar-apply").locator("button[type=submit]").click()
        applied = page.get_by_test_id("calendar-applied")
        assert "已调整" in applied.get_by_test_id("moved-count").inner_text()
        after = _due(rt, deadline_id)
        assert after > before
        row = applied.locator(f"tr[data-deadline='{deadline_id}']").locator("td").all_inner_texts()
        assert row[2] == rt.clock.local(after).strftime("%Y-%m-%d %H:%M")
        if calendar == CALENDAR_2027:  # weekends only → New Year's Day off: one day later
            assert rt.clock.local(after).isoformat() == "2027-01-19T23:59:59+08:00"
        assert page.locator("[data-testid=calendar-years] tr[data-year='2027']").count() == 1
    finally:
        rt.clock.set(FROZEN)


def test_a_recusal_is_lifted_only_with_a_reason(live_sqlite, new_page):
    from engine.access import recusal
    rt = live_sqlite.runtime
    # A person's name, unique on the shared server and Chinese (the pages are walked for codes).
    person = "钱" + "".join("甲乙丙丁戊己庚辛壬癸"[int(c, 16) % 10] for c in uuid.uuid4().hex[:6])
    relation_id = rt.transact(lambda uow: recusal.declare(
        uow.session, rt, actor=org.get_user(uow.session, "admin"),
        user=org.get_user(uow.session, "a-worker"), person_name=person, person_kind="accused",
        relation="同学", reason="本人申报").id)
    page = new_page(live_sqlite.url)
    login(page, "admin")
    page.goto("/admin/relations")
    row = page.locator(f"tr[data-relation='{relation_id}']")
    ending = row.get_by_test_id("relation-end")
    # The browser itself asks for the reason: an empty form is not sent.
    sent = len(page.watched.requests)
    ending.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert len(page.watched.requests) == sent
    assert ending.locator("input[name=reason]").evaluate("e => !e.validity.valid")
    assert rt.read(lambda uow: uow.session.get(Relation, relation_id).status) == "active"
    ending.locator("input[name=reason]").fill("已毕业多年，无往来")
    with one_request(page):
        ending.locator("button[type=submit]").click()
    row = page.locator(f"tr[data-relation='{relation_id}']")
    assert row.get_attribute("class") == "retired"
    assert row.get_by_test_id("end-reason").inner_text() == "终止原因：已毕业多年，无往来"
    assert rt.read(lambda uow: uow.session.get(Relation, relation_id).end_reason) == \
        "已毕业多年，无往来"
