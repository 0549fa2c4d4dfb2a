"""Concurrent writes to one process instance, on committed databases (SQLite and PostgreSQL).

API.md: "two completions of the same task give exactly one 200 and one 409", and "parallel tasks
of one instance never conflict with each other". Every request goes through a real app built by
`web.create_app` on a committed scratch database; racing requests are released together by a
barrier, one thread and one Flask test client each.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.api_client import ApiClient
from tests.conftest import FIXTURES
from tests.integration.support import dispose_app, issue_tokens, make_app, race, sql_scalar

pytestmark = pytest.mark.timeout(120)


@dataclass
class Env:
    url: str
    app: object
    token: str
    api: ApiClient  # as `designer`


@pytest.fixture(scope="module")
def envs(scratch):
    """Per backend, built once for this module: a committed scratch database with the demo
    organisation, an app on it, a designer token, and the two fixture processes deployed."""
    made: dict[str, Env] = {}

    def get(backend: str) -> Env:
        if backend not in made:
            url = scratch.create(backend)
            app = make_app(url)
            tokens = issue_tokens(url, ["designer"])
            api = ApiClient(app.test_client(), tokens, "designer")
            for name in ("it_sequence.bpmn", "it_parallel.bpmn"):
                resp = api.deploy((FIXTURES / name).read_bytes(), name)
                assert resp.status == 201, resp.json
            made[backend] = Env(url, app, tokens["designer"], api)
        return made[backend]
    yield get
    for env in made.values():
        dispose_app(env.app)


@pytest.fixture
def env(backend, envs) -> Env:
    return envs(backend)


def get_instance(env: Env, instance_id: str) -> dict:
    resp = env.api.get(f"/process-instances/{instance_id}")
    assert resp.status == 200, resp.json
    return resp.json


def start(env: Env, key: str) -> dict:
    resp = env.api.start(key)
    assert resp.status == 201, resp.json
    return resp.json


def complete_call(task: dict, data: dict | None = None) -> tuple[str, str, dict]:
    return ("POST", f"/tasks/{task['id']}/complete",
            {"data": data or {}, "version": task["version"]})


def count_audit(env: Env, action: str, *, task_id: str | None = None,
                instance_id: str | None = None) -> int:
    sql = "SELECT COUNT(*) FROM audit_events WHERE action = :action"
    params = {"action": action}
    if task_id is not None:
        sql += " AND task_id = :task_id"
        params["task_id"] = task_id
    if instance_id is not None:
        sql += " AND instance_id = :instance_id"
        params["instance_id"] = instance_id
    return sql_scalar(env.app, sql, **params)


def test_same_task_completed_twice_at_once_gives_one_200_and_one_409(env):
    inst = start(env, "it_sequence")
    [first] = inst["ready_tasks"]
    assert first["element_id"] == "first"

    results = race(env.app, [complete_call(first, {"who": "a"}), complete_call(first, {"who": "b"})],
                   env.token)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409], results
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] == "conflict", loser
    assert winner["task"]["id"] == first["id"]
    assert winner["task"]["status"] == "completed"
    assert [t["element_id"] for t in winner["next_tasks"]] == ["second"]

    # The process advanced exactly once: one next task, and the winner's data only.
    after = get_instance(env, inst["id"])
    assert after["status"] == "running"
    assert [t["element_id"] for t in after["ready_tasks"]] == ["second"]
    assert after["ready_tasks"][0]["id"] == winner["next_tasks"][0]["id"]
    assert after["data"]["who"] in ("a", "b")

    # The audit trail (read straight from the database) has one completion and one new task.
    assert count_audit(env, "task_completed", task_id=first["id"]) == 1
    assert count_audit(env, "task_completed", instance_id=inst["id"]) == 1
    assert count_audit(env, "task_created", instance_id=inst["id"]) == 2  # first, second
    assert sql_scalar(env.app, "SELECT COUNT(*) FROM tasks WHERE instance_id = :i",
                      i=inst["id"]) == 2
    assert sql_scalar(env.app, "SELECT status FROM tasks WHERE id = :t", t=first["id"]) == \
        "completed"

    # The instance keeps working after the race.
    second = after["ready_tasks"][0]
    assert env.api.complete(second).status == 200
    assert get_instance(env, inst["id"])["status"] == "completed"


def _race_parallel_branches(env: Env) -> None:
    inst = start(env, "it_parallel")
    tasks = {t["element_id"]: t for t in inst["ready_tasks"]}
    assert sorted(tasks) == ["left", "right"], inst["ready_tasks"]

    results = race(env.app, [complete_call(tasks["left"], {"left_said": "yes"}),
                             complete_call(tasks["right"], {"right_said": "no"})], env.token)

    assert [status for status, _ in results] == [200, 200], results
    # Whoever ran second reached the join: exactly one of them got the task after it.
    next_ids = [t["element_id"] for _, body in results for t in body["next_tasks"]]
    assert next_ids == ["after"], results

    joined = get_instance(env, inst["id"])
    assert joined["status"] == "running"
    assert [t["element_id"] for t in joined["ready_tasks"]] == ["after"]
    # Neither completion lost the other's data (no lost update of the serialized workflow).
    assert joined["data"].get("left_said") == "yes", joined["data"]
    assert joined["data"].get("right_said") == "no", joined["data"]
    assert count_audit(env, "task_completed", instance_id=inst["id"]) == 2

    resp = env.api.complete(joined["ready_tasks"][0])
    assert resp.status == 200, resp.json
    assert resp.json["next_tasks"] == []
    done = get_instance(env, inst["id"])
    assert done["status"] == "completed"
    assert done["ready_tasks"] == []
    assert count_audit(env, "instance_completed", instance_id=inst["id"]) == 1


def test_parallel_tasks_of_one_instance_completed_at_once_both_succeed(env):
    _race_parallel_branches(env)


def test_parallel_completion_race_repeated(env):
    for _ in range(10):
        _race_parallel_branches(env)


def test_stale_version_gives_409(env):
    inst = start(env, "it_sequence")
    [first] = inst["ready_tasks"]
    stale_version = first["version"]

    # Claiming bumps the version (API.md "Versions").
    claimed = env.api.post(f"/tasks/{first['id']}/claim", json={"version": stale_version})
    assert claimed.status == 200, claimed.json
    assert claimed.json["version"] > stale_version

    stale = env.api.post(f"/tasks/{first['id']}/complete",
                         json={"data": {}, "version": stale_version})
    assert stale.status == 409, stale.json
    assert stale.json["error"]["code"] == "conflict"
    assert count_audit(env, "task_completed", task_id=first["id"]) == 0
    assert [t["element_id"] for t in get_instance(env, inst["id"])["ready_tasks"]] == ["first"]

    fresh = env.api.get(f"/tasks/{first['id']}")
    assert fresh.status == 200
    ok = env.api.post(f"/tasks/{first['id']}/complete",
                      json={"data": {}, "version": fresh.json["version"]})
    assert ok.status == 200, ok.json

    # A completed task's version is stale too: completing again with it is a conflict.
    again = env.api.post(f"/tasks/{first['id']}/complete",
                         json={"data": {}, "version": fresh.json["version"]})
    assert again.status == 409, again.json
    assert count_audit(env, "task_completed", task_id=first["id"]) == 1


def test_claim_races_complete_on_same_task(env):
    """A claim and a completion of one task at the same moment: the completion either wins (the
    claim then gets 409) or loses on the bumped version (409); never both 200, never a 500."""
    inst = start(env, "it_sequence")
    [first] = inst["ready_tasks"]
    results = race(env.app, [("POST", f"/tasks/{first['id']}/claim",
                              {"version": first["version"]}),
                             complete_call(first)], env.token)
    statuses = [status for status, _ in results]
    assert sorted(statuses) == [200, 409], results
    after = get_instance(env, inst["id"])
    if statuses[1] == 200:  # completion won
        assert [t["element_id"] for t in after["ready_tasks"]] == ["second"]
        assert count_audit(env, "task_completed", task_id=first["id"]) == 1
    else:  # claim won
        assert [t["element_id"] for t in after["ready_tasks"]] == ["first"]
        assert after["ready_tasks"][0]["assignee"] == "designer"
        assert count_audit(env, "task_completed", task_id=first["id"]) == 0
