"""Plain words on the pages (issue 20): a unit field of a task form is a picker of real units by
name, and what the clerk picks is the unit's code the process needs; numbers are display
numbers."""
from __future__ import annotations

import re

from tests.e2e.test_pages_inbox import Browser, flow, settings_overrides, text  # noqa: F401
from tests.e2e.test_petitions import petition


def test_the_classification_picks_the_first_handling_unit_by_name(app, flow):  # noqa: F811
    created = flow.as_("clerk").post("/petitions", json=petition()).json
    case_id = created["case_id"]

    def clerk_task(element):
        (task,) = [t for t in flow.as_("clerk").get("/tasks", query={"per_page": 500})
                   .json["items"] if t["case_id"] == case_id and t["element_id"] == element]
        return task
    assert flow.as_("clerk").complete(clerk_task("repeat_check"),
                                      {"is_repeat": False}).status == 200
    classify = clerk_task("classify")
    clerk = Browser(app, "clerk")
    page = text(clerk.get(f"/tasks/{classify['id']}"))
    picker = re.search(r'<select id="f-first_handling_unit".*?</select>', page, re.S).group(0)
    assert '<option value="town-a" >甲镇纪委</option>' in picker.replace("  ", " ") \
        or re.search(r'value="town-a"[^>]*>甲镇纪委<', picker)
    assert "单位代码" not in page
    assert created["display_number"] in page and created["number"] not in page
    assert classify["case_display_number"] in page

    done = clerk.post(f"/tasks/{classify['id']}/complete", {
        "version": classify["version"], "in_scope": "true", "concerns_official": "true",
        "category": "welfare_funds", "first_handling_unit": "town-a"})
    assert done.status_code == 200 and "X-Cluedesk-Status" not in done.headers, text(done)
    case = flow.as_("chief").get(f"/cases/{case_id}").json
    assert case["display_number"] == classify["case_display_number"]
    assert case["data"]["first_handling_unit"] == "town-a"
