"""Repeat handling people can use (issue 20 point 3), on both databases: the candidates of a
petition come with the accused, place, date, an excerpt and why they match (API), and the 查重确认
task page lists them with 是重复件 / 不是重复件 buttons, each completing the task in one request."""
from __future__ import annotations

import re

import pytest

from tests.api_client import deploy_processes
from tests.e2e.test_pages_inbox import Browser, text
from tests.e2e.test_petitions import petition, register, task_of


@pytest.fixture
def intake(api):
    deploy_processes(api)
    return api


def test_candidates_say_who_where_when_what_and_why_they_match(intake):
    first = register(intake)
    second = register(intake, channel="phone", content="李四 虚报低保，套取低保资金！")
    (found,) = [c for c in intake.as_("clerk").get(
        f"/petitions/{second['id']}/repeat-candidates").json if c["petition_id"] == first["id"]]
    assert found["number"] == first["number"] and found["case_id"] == first["case_id"]
    assert found["accused"] == [{"name": "李四", "post": "村委会主任", "unit": "东村村委会"}]
    assert (found["township"], found["township_name"], found["village"]) == \
        ("town-a", "甲镇纪委", "东村")
    assert found["received_at"].startswith("2026-03-02T09:00:00")
    assert found["excerpt"] == petition()["content"]
    assert {"same_accused", "same_township", "same_village", "same_category",
            "similar_content"} <= set(found["reasons"])
    # The check before saving gives the same facts.
    fields = petition(content="李四虚报低保户名单套取低保资金")
    checked = intake.as_("clerk").post("/petitions/repeat-check", json=fields).json
    assert checked and checked[0]["accused"][0]["name"] == "李四" and checked[0]["reasons"]
    # Another cadre on another matter: no candidate at all.
    other = register(intake, accused=[{"name": "赵六", "post": "会计", "unit": "西村村委会",
                                       "level": "village"}], village="西村",
                     content="西村会计赵六赌博，经常出入赌场。")
    assert [c["petition_id"] for c in intake.as_("clerk").get(
        f"/petitions/{other['id']}/repeat-candidates").json] == []


def _buttons(page: str) -> tuple[str, str]:
    section = page[page.index('id="repeat-candidates"'):]
    return section, section[:section.index("</section>")]


def test_the_repeat_check_task_lists_candidates_with_is_and_is_not_repeat_buttons(intake, app):
    first = register(intake)
    second = register(intake, channel="phone", content="李四 虚报低保，套取低保资金！")
    task = task_of(intake, second["case_id"], "repeat_check")
    clerk = Browser(app, "clerk")
    page = text(clerk.get(f"/tasks/{task['id']}"))
    _, section = _buttons(page)
    assert "疑似重复件" in section and first["number"] in section
    assert "李四（村委会主任，东村村委会）" in section and "甲镇纪委 · 东村" in section
    assert "被反映人相同" in section and "2026-03-02" in section
    assert section.count('data-testid="is-repeat"') >= 1 and 'data-testid="not-repeat"' in section
    vals = re.search(r"hx-vals='(\{[^']*\})'[^>]*data-testid=\"is-repeat\"", section).group(1)
    assert first["number"] in vals

    done = clerk.post(f"/tasks/{task['id']}/repeat",
                      data={"version": str(task["version"]), "original_number": first["number"]})
    assert done.status_code == 200 and 'data-testid="done"' in text(done)
    assert 'id="repeat-candidates" hx-swap-oob="true"' in text(done)
    case = intake.as_("chief").get(f"/cases/{second['case_id']}").json
    assert case["status"] == "merged"
    assert intake.as_("clerk").get(f"/petitions/{second['id']}").json["repeat_of"] == first["id"]

    # 不是重复件 on another petition: it goes on to classification.
    third = register(intake, channel="visit", content="李四虚报低保户名单，套取低保资金。")
    task = task_of(intake, third["case_id"], "repeat_check")
    done = clerk.post(f"/tasks/{task['id']}/not-repeat", data={"version": str(task["version"])})
    assert done.status_code == 200 and "分类研判" in text(done)
    assert task_of(intake, third["case_id"], "classify")
    # The task is done: the buttons answer with a message and change nothing.
    again = clerk.post(f"/tasks/{task['id']}/not-repeat", data={"version": str(task["version"])})
    assert again.status_code in (200, 409)
