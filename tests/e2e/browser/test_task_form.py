"""A task form's conditional fields in the browser (issue 23): a field with a `show_when` appears
while the field it names holds one of its values (web/static/forms.js), also in the form the
server sends back with its field errors."""
from __future__ import annotations

from pathlib import Path

from tests.e2e.browser.conftest import login, one_request

FIXTURE = Path(__file__).resolve().parents[2] / "bpmn" / "form_all_types.bpmn"


def test_conditional_fields_follow_the_answers_they_depend_on(live_sqlite, new_page):
    from engine.org import service as org
    from engine.processes import service as processes
    rt = live_sqlite.runtime

    def start(uow):
        designer = org.get_user(uow.session, "designer")
        processes.deploy(uow, runtime=rt, files=[(FIXTURE.name, FIXTURE.read_bytes())],
                         actor="designer", comment="browser test")
        started, _ = processes.start_instance(uow, runtime=rt, key="form_all_types",
                                              user=designer)
        return started.id
    instance_id = rt.transact(start)
    task_id = rt.read(lambda uow: processes.open_tasks(uow.session, instance_id)[0].id)
    page = new_page(live_sqlite.url)
    login(page, "designer")
    page.goto(f"/tasks/{task_id}")
    reason = page.locator(".field[data-field=urgent_reason]")
    other = page.locator(".field[data-field=other_area]")
    assert reason.is_hidden() and other.is_hidden()
    assert page.get_by_test_id("help-title").inner_text().startswith("两个大写字母")
    urgent = page.locator(".field[data-field=urgent]")
    urgent.get_by_label("是").check()
    assert reason.is_visible()
    urgent.get_by_label("否").check()
    assert reason.is_hidden()
    areas = page.locator(".field[data-field=areas]")
    areas.get_by_label("其他").check()
    assert other.is_visible()
    areas.get_by_label("其他").uncheck()
    assert other.is_hidden()
    # Sent with errors: the form comes back as typed, its conditional fields shown as before.
    urgent.get_by_label("是").check()
    page.locator("#f-title").fill("JW-01")
    with one_request(page):
        page.get_by_test_id("complete").click()
    assert page.get_by_test_id("error-title").inner_text() == "格式不符合要求。"
    assert page.get_by_test_id("error-urgent_reason").inner_text() == "必填。"
    assert page.locator(".field[data-field=urgent_reason]").is_visible()
    assert page.locator(".field[data-field=other_area]").is_hidden()
    assert page.locator("#f-title").input_value() == "JW-01"


def test_buttons_take_no_click_until_the_page_script_has_bound_them(live_sqlite, new_page):
    """A click in the instant before htmx binds a button would be lost (nothing sent, no word):
    until app.js marks the page ready, the page's htmx buttons do not take clicks."""
    from engine.org import service as org
    from engine.processes import service as processes
    rt = live_sqlite.runtime

    def start(uow):
        designer = org.get_user(uow.session, "designer")
        processes.deploy(uow, runtime=rt, files=[(FIXTURE.name, FIXTURE.read_bytes())],
                         actor="designer", comment="browser test")
        return processes.start_instance(uow, runtime=rt, key="form_all_types",
                                        user=designer)[0].id
    instance_id = rt.transact(start)
    task_id = rt.read(lambda uow: processes.open_tasks(uow.session, instance_id)[0].id)
    page = new_page(live_sqlite.url)
    login(page, "designer")
    buttons = "form[hx-post] button, button[hx-post], button[hx-get]"

    def pointer_events():
        return page.eval_on_selector_all(
            buttons, "els => els.map(e => getComputedStyle(e).pointerEvents)")
    # app.js held back (an empty script in its place): the page never becomes ready.
    page.route("**/static/app.js*", lambda route: route.fulfill(
        status=200, content_type="application/javascript", body="// held back"))
    page.goto(f"/tasks/{task_id}")
    held = pointer_events()
    assert held and set(held) == {"none"}
    assert page.evaluate("document.documentElement.dataset.ready") is None
    page.unroute("**/static/app.js*")
    page.goto(f"/tasks/{task_id}")
    page.wait_for_selector("html[data-ready]", state="attached")
    assert set(pointer_events()) == {"auto"}
