"""BPMN that nobody here wrote (tests/bpmn/public, see its README.md and SOURCES.csv), each file
deployed through HTTP and driven as an outside client would, and run through stock SpiffWorkflow
in the same test. Every file stock SpiffWorkflow completes completes through the API; every
refusal names the file, element and line in words; nothing answers 5xx. The outcome of each file
is pinned in `outcomes.json` (`CLUEDESK_RECORD_CORPUS=1` rewrites it after a deliberate change).

One app and one database per backend for the whole module: deploying and starting 200 files is
what is tested, not the isolation of each (process keys repeat across files: a repeated key
deploys as a new version and the file's own version is started)."""
from __future__ import annotations

import csv
import json
import os
import re
from datetime import timedelta

import pytest
from lxml import etree

from engine.clock import Clock
from engine.config import load_settings
from engine.runtime import Runtime
from engine.timers import service as timers
from tests import stock
from tests.api_client import ApiClient
from tests.conftest import DEMO_USERS, FIXTURES, FROZEN, backends

PUBLIC = FIXTURES / "public"
ROWS = list(csv.DictReader((PUBLIC / "SOURCES.csv").open(encoding="utf-8")))
OUTCOMES_FILE = PUBLIC / "outcomes.json"
OUTCOMES = json.loads(OUTCOMES_FILE.read_text()) if OUTCOMES_FILE.exists() else {}
RECORD = os.environ.get("CLUEDESK_RECORD_CORPUS") == "1"
BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
# Problems about the file as a whole name the file and a line, not an element.
FILE_LEVEL = {"xml_syntax", "xml_doctype", "file_too_large", "no_process", "schema"}
# What a designer must never read: object reprs, addresses, tracebacks, Python type names.
# (A script's own Python error, "TypeError: unsupported operand…", is the designer's to read.)
INTERNALS = re.compile(r"0x[0-9a-f]{6,}|<\w+ object|<Element |Traceback|NotImplementedError|"
                       r"element \? ")
LATER = [FROZEN + timedelta(days=d) for d in (1, 40, 400, 4000)]  # timers fire in steps
# Data a file needs to run to its end, by file (`start`), and answers by element id; the same
# data goes to stock SpiffWorkflow. Files not listed start with no data and every task is
# completed with none.
DRIVE: dict[str, dict] = {
    # Its form has required fields (`is_anonymous`, `name`): a designer's answers, not none.
    "spiff-bpmn-random_fact.bpmn": {"answers": {"Task_User_Select_Type": {
        "type": "cat", "is_anonymous": False, "name": "Ann Lee", "should_send_greeting": "yes"}}},
}


def test_the_public_corpus_is_in_the_repository():
    files = sorted(p.name for p in PUBLIC.iterdir() if re.search(r"\.bpmn(20\.xml)?$", p.name))
    assert len(files) >= 50, f"the public corpus is missing from {PUBLIC}"
    assert files == sorted(row["file"] for row in ROWS), "SOURCES.csv lists every file"
    assert all(row["licence"] in {"Apache-2.0", "CC-BY-3.0", "LGPL-3.0", "MIT"}
               and re.fullmatch(r"[0-9a-f]{40}", row["commit"]) for row in ROWS)


@pytest.fixture(scope="module", params=backends())
def corpus(request, scratch):
    url = scratch.create(request.param)
    rt = Runtime(load_settings({"database": {"url": url}, "engine": {"workflow_cache_size": 0}}),
                 clock=Clock(FROZEN))
    from engine.org import service as org
    from web import create_app
    tokens = rt.transact(lambda uow: {u: org.issue_token(uow.session, username=u, now=FROZEN)
                                      for u in DEMO_USERS})
    app = create_app(runtime=rt)
    yield ApiClient(app.test_client(), tokens).as_("designer"), rt
    rt.dispose()


def executable(data: bytes) -> list[str]:
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError:
        return []
    return [p.get("id") for p in root.xpath("./bpmn:process", namespaces=BPMN)
            if (p.get("isExecutable") or "true").strip().lower() != "false"]


def stock_outcome(name: str, data: bytes, pid: str) -> str:
    drive = DRIVE.get(name, {})
    answers = drive.get("answers", {})
    try:
        done, _path = stock.run([(name, data)], pid, lambda element, _step: answers.get(element, {}),
                                data=drive.get("start"))
    except Exception:
        return "fails"
    return "completed" if done else "waits"


def drive_api(designer, rt, name: str, key: str) -> dict:
    drive = DRIVE.get(name, {})
    answers = drive.get("answers", {})
    resp = designer.start(key, drive.get("start"))
    assert resp.status < 500, (name, key, resp.text)
    if resp.status != 201:
        return {"status": f"start refused {resp.status}", "error": resp.json}
    inst_id = resp.json["id"]
    timer_steps = iter(LATER)
    for _ in range(200):
        got = designer.get(f"/process-instances/{inst_id}")
        assert got.status == 200, (name, got.text)
        inst = got.json
        if inst["status"] != "running":
            return inst
        if inst["ready_tasks"]:
            task = inst["ready_tasks"][0]
            done = designer.complete(task, answers.get(task["element_id"], {}))
            assert done.status < 500, (name, task["element_id"], done.text)
            continue
        when = next(timer_steps, None)
        if when is None:
            return inst
        timers.run_due(rt, when)
    return inst


def _processes(data: bytes) -> tuple[set[str], set[str]]:
    """The process ids a file defines and the ones its call activities name."""
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError:
        return set(), set()
    return (set(root.xpath("//bpmn:process/@id", namespaces=BPMN)),
            set(root.xpath("//bpmn:callActivity/@calledElement", namespaces=BPMN)))


def earlier_targets(name: str) -> list[str]:
    """Files earlier in the corpus that deploy and define a process `name` calls (and, first,
    theirs), in corpus order."""
    order = [row["file"] for row in ROWS]
    defined, calls = _processes((PUBLIC / name).read_bytes())
    found: list[str] = []
    for other in order[:order.index(name)]:
        if OUTCOMES.get(other, {}).get("deploy") != "deployed":
            continue
        if (calls - defined) & _processes((PUBLIC / other).read_bytes())[0]:
            found += [t for t in earlier_targets(other) if t not in found] + [other]
    return list(dict.fromkeys(found))


def check_problem(name: str, problem: dict) -> None:
    assert problem["message"] and not INTERNALS.search(problem["message"]), (name, problem)
    assert problem["reason"], (name, problem)
    assert problem["line"] is not None and problem["file_name"], (name, problem)
    if problem["reason"] not in FILE_LEVEL:
        assert problem["element_id"], (name, problem)


@pytest.mark.parametrize("name", [row["file"] for row in ROWS])
def test_public_file_runs_like_stock_spiffworkflow_or_is_refused_clearly(corpus, name):
    designer, rt = corpus
    data = (PUBLIC / name).read_bytes()
    # A file whose call activity calls another file's process finds it deployed when that file
    # comes earlier in the corpus (as when the outcomes were recorded), whichever order or
    # worker the files run in.
    for target in earlier_targets(name):
        assert designer.deploy((PUBLIC / target).read_bytes(), target).status in (200, 201)
    resp = designer.deploy(data, name)
    assert resp.status < 500, (name, resp.text)
    outcome: dict = {}
    if resp.status == 422:
        details = resp.json["error"]["details"]
        assert details
        for problem in details:
            check_problem(name, problem)
        outcome["deploy"] = "refused: " + ", ".join(sorted({p["reason"] for p in details}))
        for pid in executable(data):
            assert stock_outcome(name, data, pid) != "completed", (
                f"{name}: stock SpiffWorkflow completes {pid}, cluedesk refuses it", details)
    else:
        assert resp.status in (200, 201), (name, resp.text)
        outcome["deploy"] = "deployed"
        for warning in [w for result in resp.json for w in result["warnings"]]:
            check_problem(name, warning)
        outcome["processes"] = {}
        for key in sorted({result["key"] for result in resp.json}):
            inst = drive_api(designer, rt, name, key)
            status = inst["status"]
            if status == "error":
                assert inst["error"]["element_id"] and inst["error"]["element_id"] in \
                    inst["error"]["message"], (name, inst["error"])
                assert not INTERNALS.search(inst["error"]["message"]), (name, inst["error"])
            reference = stock_outcome(name, data, key)
            if reference == "completed":
                assert status == "completed", (name, key, inst.get("error"), inst["ready_tasks"])
            outcome["processes"][key] = {"cluedesk": status, "stock": reference}
    if RECORD:
        OUTCOMES[name] = outcome
        OUTCOMES_FILE.write_text(json.dumps(OUTCOMES, indent=1, sort_keys=True,
                                            ensure_ascii=False) + "\n")
    else:
        assert outcome == OUTCOMES.get(name), name


def test_a_file_deploys_the_processes_that_can_run_and_names_the_one_that_cannot(corpus):
    """Parallel-Many-Threads-At-Same-Point-Nested holds a runnable process and one whose call
    activities name no process: the first deploys (and completes, as in stock SpiffWorkflow);
    the second is a warning naming it, its line and its problems, and starting it is refused
    with a coded 404, not a 500."""
    designer, rt = corpus
    name = "spiff-bpmn-Test-Workflows_Parallel-Many-Threads-At-Same-Point-Nested.bpmn20.xml"
    data = (PUBLIC / name).read_bytes()
    # Validating says beforehand what deploying does: no error, the same warning.
    checked = designer.post("/process-definitions/validate", data=data,
                            headers={"Content-Type": "application/xml", "X-File-Name": name})
    assert checked.status == 200 and checked.json["errors"] == [], checked.json
    assert [w["reason"] for w in checked.json["warnings"]].count("process_not_deployed") == 1
    resp = designer.deploy(data, name)
    assert resp.status in (200, 201), resp.text
    deployed = {r["key"] for r in resp.json}
    skipped = [pid for pid in executable(data) if pid not in deployed]
    assert deployed and skipped
    warnings = [w for r in resp.json for w in r["warnings"]]
    (note,) = [w for w in warnings if w["reason"] == "process_not_deployed"]
    assert note["element_id"] == skipped[0] and note["line"] and skipped[0] in note["message"]
    empty = [w for w in warnings if w["reason"] == "call_target_empty"]
    assert empty and all(w["line"] and w["element_id"] for w in empty)
    started = designer.start(skipped[0], None)
    assert started.status == 404 and started.json["error"]["code"] == "not_found"
    assert drive_api(designer, rt, name, sorted(deployed)[0])["status"] == "completed"
