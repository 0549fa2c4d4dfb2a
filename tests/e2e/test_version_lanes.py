"""Lanes kept with the process version (issue 22, point 3; API.md "Authority"): a lane's `role`
and unit rule drawn on it in the file are stored with the version at deploy and assign its
tasks, whatever config.yaml says; a lane the file does not map falls back to config.yaml, as
does a file deployed without lane properties (e.g. from the command line)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.processes.models import ProcessDefinition
from tests.e2e.test_pages_inbox import Browser

HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="p22lane" isExecutable="true">
    <bpmn:laneSet id="ls">
"""
TAIL = b"""    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="t1" name="Drawn step"/>
    <bpmn:userTask id="t2" name="Configured step"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="t2"/>
    <bpmn:sequenceFlow id="f3" sourceRef="t2" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""


def lane(lane_id: str, name: str, step: str, **rule: str) -> bytes:
    props = "".join(f'<camunda:property name="{k}" value="{v}"/>' for k, v in rule.items())
    ext = (f"<bpmn:extensionElements><camunda:properties>{props}</camunda:properties>"
           f"</bpmn:extensionElements>") if rule else ""
    return (f'      <bpmn:lane id="{lane_id}" name="{name}">{ext}'
            f'<bpmn:flowNodeRef>{step}</bpmn:flowNodeRef></bpmn:lane>\n').encode()


DRAWN = HEAD + lane("l1", "Drawn", "t1", role="caseworker", unit="town-b") + \
    lane("l2", "Configured", "t2") + TAIL
PLAIN = HEAD + lane("l1", "Drawn", "t1") + lane("l2", "Configured", "t2") + TAIL
CONFIG = {"lanes": {"p22lane": {"Drawn": {"role": "supervisor", "unit": "town-a"},
                                "Configured": {"role": "caseworker", "unit": "town-a"}}}}


def deploy(api, xml: bytes) -> list[dict]:
    resp = api.as_("designer").deploy(xml, "p22lane.bpmn")
    assert resp.status == 201, resp.json
    return resp.json[0]["warnings"]


def first_task(api) -> dict:
    resp = api.as_("designer").start("p22lane")
    assert resp.status == 201, resp.json
    (task,) = api.as_("designer").get(f"/process-instances/{resp.json['id']}").json["ready_tasks"]
    return task


def offered(task: dict) -> tuple:
    return task["candidate_role"], task["candidate_unit"]


def stored(runtime) -> dict | None:
    return runtime.read(lambda uow: uow.session.scalar(
        select(ProcessDefinition.lanes).where(ProcessDefinition.key == "p22lane")))


@pytest.mark.parametrize("settings_overrides", [CONFIG])
def test_a_lane_drawn_in_the_file_assigns_whatever_config_says_and_is_kept(api, runtime):
    assert deploy(api, DRAWN) == []
    assert stored(runtime) == {"p22lane": {"Drawn": {"role": "caseworker", "unit": "town-b"}}}
    task = first_task(api)
    # The file's lane wins over config.yaml's supervisor of town-a.
    assert offered(task) == ("caseworker", "town-b")
    done = api.as_("b-worker").complete(task)
    assert done.status == 200, done.json
    # The lane drawn without properties follows config.yaml.
    (task,) = done.json["next_tasks"]
    assert offered(task) == ("caseworker", "town-a")
    # The administration page shows the version's own mapping and where each lane's comes from.
    page = {p["key"]: p for p in api.as_("admin").get("/admin/lanes").json}["p22lane"]
    rows = {row["lane"]: row for row in page["lanes"]}
    assert (rows["Drawn"]["role"], rows["Drawn"]["unit"], rows["Drawn"]["source"]) == \
        ("caseworker", "town-b", "version")
    assert (rows["Configured"]["unit"], rows["Configured"]["source"]) == ("town-a", "config")


@pytest.mark.parametrize("settings_overrides", [CONFIG])
def test_the_administration_page_says_where_each_lanes_mapping_is_kept(api, app):
    assert deploy(api, DRAWN) == []
    html = Browser(app, "admin").get("/admin/lanes").get_data(as_text=True)
    block = html[html.index('data-testid="lanes-p22lane-1"'):]
    block = block[:block.index("</details>")]
    rows = {name: row for row in block.split("<tr")[2:]
            for name in ("Drawn", "Configured") if f"<td>{name}</td>" in row}
    assert "随本版本保存" in rows["Drawn"] and "town-b" not in rows["Drawn"]  # by its name
    assert "配置文件" in rows["Configured"]


@pytest.mark.parametrize("settings_overrides", [CONFIG])
def test_a_file_without_lane_properties_falls_back_to_config(api, runtime):
    assert deploy(api, PLAIN) == []
    assert stored(runtime) is None
    assert offered(first_task(api)) == ("supervisor", "town-a")


def test_a_lane_rule_that_is_no_rule_is_a_warning_and_ignored(api):
    bad = HEAD + lane("l1", "Drawn", "t1", unit="town-b", unit_from="case.handling_unit") + \
        lane("l2", "Configured", "t2", role="caseworker", unit="town-a") + TAIL
    warnings = deploy(api, bad)
    (found,) = [w for w in warnings if w["reason"] == "lane_rule_invalid"]
    assert (found["element_id"], found["params"]["lane"]) == ("l1", "Drawn")
    # The task in the lane is now unmapped (the lane's process has a mapping), hence offered to
    # its starter.
    assert {w["reason"] for w in warnings} == {"lane_rule_invalid", "lane_unmapped"}
    task = first_task(api)
    assert offered(task) == (None, None)
