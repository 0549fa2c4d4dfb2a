"""The mixed load of `bench/mixed.py`: an agency's day, as Locust users (run by `bench.mixed`,
which seeds the data and passes it in the file named by CLUEDESK_MIXED_DATA).

Only Locust and the standard library here: Locust may live in another environment than cluedesk.

- caseworkers (6 in 9): log in, open the inbox with filters, poll their tasks through the API,
  have the open inbox page poll for changes (/poll, as the browser does every 30 s), open task
  and case pages, complete tasks of real running instances, search;
- intake clerks (2 in 9): check a petition for repeats, then register it;
- supervisors (1 in 9): log in, open the overdue list and the inbox (which polls), reassign a
  task to another caseworker of the unit, open the dashboard now and then.

Every user thinks 2-10 s between actions. Each request's start, kind and time is also written to
the file named by CLUEDESK_MIXED_TIMES (when set), so that `bench.mixed` can tell the figures after
the ramp, once every user has logged in, from the whole run's."""
from __future__ import annotations

import itertools
import json
import os
import random
import re
from collections import deque

from locust import HttpUser, between, events, task

DATA = json.loads(open(os.environ["CLUEDESK_MIXED_DATA"], encoding="utf-8").read())
PASSWORD = DATA["password"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Per caseworker, the ready tasks of the real running instances they started: (id, version);
# a completion puts the next one back. Locust users with the same name share the queue.
READY = {name: deque(tuple(t) for t in mine["ready"])
         for name, mine in DATA["caseworkers"].items()}
_caseworkers = itertools.cycle(sorted(DATA["caseworkers"]))
_supervisors = itertools.cycle(sorted(DATA["supervisors"]))
_clerks = itertools.cycle(DATA["clerks"])
_serial = itertools.count(1)
_times = (open(os.environ["CLUEDESK_MIXED_TIMES"], "w", encoding="utf-8")
          if os.environ.get("CLUEDESK_MIXED_TIMES") else None)


@events.request.add_listener
def _record(request_type, name, response_time, start_time=None, exception=None, **_kw) -> None:
    if _times is not None:
        _times.write(f"{start_time:.3f}\t{name}\t{response_time:.1f}\t{int(bool(exception))}\n")


@events.quitting.add_listener
def _close(**_kw) -> None:
    if _times is not None:
        _times.close()


class Agency(HttpUser):
    abstract = True
    wait_time = between(2, 10)
    username = ""

    def api_headers(self) -> dict:
        return {"Authorization": f"Bearer {DATA['tokens'][self.username]}"}

    def login(self) -> None:
        page = self.client.get("/login", name="login page")
        found = CSRF.search(page.text)
        with self.client.post("/login", name="log in", allow_redirects=False, catch_response=True,
                              data={"username": self.username, "password": PASSWORD,
                                    "csrf_token": found.group(1) if found else ""}) as resp:
            if resp.status_code not in (302, 303):
                resp.failure(f"login answered {resp.status_code}")

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"{path} answered {r.status_code}")


class Caseworker(Agency):
    weight = 6

    def on_start(self) -> None:
        self.username = next(_caseworkers)
        self.mine = DATA["caseworkers"][self.username]
        self.login()

    @task(4)
    def inbox(self) -> None:
        self.page(random.choice(["/inbox?due=red", "/inbox?due=yellow&category=other",
                                 "/inbox?tab=unit", "/inbox?sort=due"]), "inbox page (filters)")

    @task(4)
    def poll(self) -> None:
        self.client.get("/api/v1/tasks?scope=mine&status=open&per_page=20",
                        headers=self.api_headers(), name="poll tasks (API)")

    @task(3)
    def task_page(self) -> None:
        ready = READY[self.username]
        if ready:
            self.page(f"/tasks/{ready[random.randrange(len(ready))][0]}", "task page")

    @task(2)
    def case_page(self) -> None:
        self.page(f"/cases/{random.choice(self.mine['cases'])}", "case page")

    @task(3)
    def complete(self) -> None:
        ready = READY[self.username]
        if not ready:
            return
        task_id, version = ready.popleft()
        with self.client.post(f"/api/v1/tasks/{task_id}/complete", name="complete task (API)",
                              json={"data": {}, "version": version},
                              headers=self.api_headers(),
                              catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"complete answered {resp.status_code}: {resp.text[:200]}")
                return
            ready.extend((t["id"], t["version"]) for t in resp.json()["next_tasks"])

    @task(4)
    def poll_page(self) -> None:
        # An open inbox page asks /poll every 30 s (web/static/poll.js): about one action in five.
        self.page(random.choice(["/poll?tab=mine", "/poll?tab=unit", "/poll"]),
                  "poll page (browser)")

    @task(1)
    def search(self) -> None:
        self.page(random.choice(["/inbox?q=东村", "/inbox?q=低保", "/inbox?q=BENCH"]),
                  "search (inbox q)")


class Clerk(Agency):
    weight = 2

    def on_start(self) -> None:
        self.username = next(_clerks)

    @task
    def register(self) -> None:
        n = next(_serial)
        body = {"channel": "letter", "received_at": "2026-03-02T09:00:00+08:00",
                "reporter": {"anonymous": True},
                "accused": [{"name": random.choice(["李四", "王五", "赵六", "钱七"]),
                             "post": "村委会主任", "unit": "东村村委会", "level": "village"}],
                "township": random.choice(["town-a", "town-b"]), "village": "东村",
                "category": "welfare_funds",
                "content": f"东村村委会主任虚报低保户名单第{n}户，套取低保资金{n}元。"}
        with self.client.post("/api/v1/petitions/repeat-check", json=body, name="repeat check",
                              headers=self.api_headers(), catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"repeat check answered {resp.status_code}")
        with self.client.post("/api/v1/petitions", json=body, name="register petition (API)",
                              headers=self.api_headers(), catch_response=True) as resp:
            if resp.status_code != 201:
                resp.failure(f"register answered {resp.status_code}: {resp.text[:200]}")


class Supervisor(Agency):
    weight = 1

    def on_start(self) -> None:
        self.username = next(_supervisors)
        self.mine = DATA["supervisors"][self.username]
        self.login()

    @task(3)
    def inbox(self) -> None:
        self.page(random.choice(["/inbox?due=red", "/inbox?tab=unit"]), "inbox page (filters)")

    @task(2)
    def poll_page(self) -> None:
        self.page(random.choice(["/poll?tab=unit", "/poll?due=red"]), "poll page (browser)")

    @task(2)
    def overdue(self) -> None:
        self.page("/overdue", "overdue page")

    @task(2)
    def reassign(self) -> None:
        with self.client.post(f"/api/v1/tasks/{random.choice(self.mine['tasks'])}/reassign",
                              json={"assignee": random.choice(self.mine["assignees"]),
                                    "reason": "工作调整"},
                              headers=self.api_headers(), name="reassign task (API)",
                              catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"reassign answered {resp.status_code}: {resp.text[:200]}")

    @task(1)
    def dashboard(self) -> None:
        self.page("/dashboard", "dashboard page")
