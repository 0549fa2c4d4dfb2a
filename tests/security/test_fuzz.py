"""Fuzzing: schemathesis generates requests for every operation of `/api/v1/openapi.json` from
its schemas (valid bodies, and deliberately invalid ones), sends them through the Flask app as a
process designer and as a supervisor: no answer may be a 5xx, and every answer whose status the
document describes must match its schema.

The database is SQLite in the rolled-back `runtime` of tests/conftest.py, with the processes
deployed and the demo's sample cases (a case waiting at every step of every process); half of
the requests put ids of real rows into the path (cases, tasks, petitions, instances, users,
units, …), so generated bodies reach real forms and real state; destructive operations are
rolled back with everything else. Examples are bounded per operation (`CLUEDESK_FUZZ_EXAMPLES`
raises the bound for a longer local run).
"""
from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.generation import GenerationMode

from sqlalchemy import text

from tests.api_client import deploy_processes

EXAMPLES = int(os.environ.get("CLUEDESK_FUZZ_EXAMPLES", 8))  # per operation and mode
# Besides what the schemas generate, every operation that takes a JSON body gets these: nested
# past the parser's recursion limit, deep inside a `data` object, and larger than a body may be.
HOSTILE_BODIES = {
    "3000 deep": "[" * 3000 + "]" * 3000,
    "deep data": '{"data": ' + '{"a": ' * 500 + "1" + "}" * 500 + ', "payload": {}}',
    "deep list": '{"data": {"x": ' + "[" * 5000 + "]" * 5000 + "}}",
    "huge": '{"content": "' + "x" * (2 * 1024 * 1024) + '"}',
    "wide": "{" + ",".join(f'"k{i}": [{i}]' for i in range(20_000)) + "}",
}
USERS = ["designer", "chief"]
# Path parameter -> the query that lists real values for it.
REAL = {"case_id": "SELECT id FROM cases", "task_id": "SELECT id FROM tasks",
        "petition_id": "SELECT id FROM petitions", "clue_id": "SELECT id FROM clues",
        "deadline_id": "SELECT id FROM deadlines", "instance_id": "SELECT id FROM process_instances",
        "review_id": "SELECT id FROM joint_reviews", "relation_id": "SELECT id FROM relations",
        "attachment_id": "SELECT id FROM attachments", "key": "SELECT key FROM process_definitions",
        "version": "SELECT version FROM process_definitions", "code": "SELECT code FROM units",
        "username": "SELECT username FROM users",
        "template_key": "SELECT DISTINCT key FROM document_templates"}


@pytest.fixture
def settings_overrides(tmp_path):
    # Documents and dossiers without LibreOffice here (the .docx and ZIP are still made);
    # tests/e2e/test_dossier.py converts.
    return {"documents": {"soffice": "/nonexistent/soffice"},
            "storage": {"path": str(tmp_path / "files")}}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_request_from_the_schema_gets_a_server_error_or_an_undocumented_body(app, api, runtime, tokens, backend):
    from engine.demo import load_samples
    deploy_processes(api)
    load_samples(runtime)
    real = runtime.read(lambda uow: {p: sorted({r[0] for r in uow.session.execute(text(q))})
                                     for p, q in REAL.items()})
    real["kind"] = ["petition-register", "clue-ledger", "monthly-report"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}  # the first failing request of each operation
    hostile_statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))

        @settings(max_examples=EXAMPLES * 2, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=cases, user=st.sampled_from(USERS), pick=st.none() | st.integers(0, 10**6))
        def send(case, user, pick):
            for name in (case.path_parameters or {}) if pick is not None else ():
                if real.get(name):
                    case.path_parameters[name] = real[name][pick % len(real[name])]
            response = case.call(headers={"Authorization": f"Bearer {tokens[user]}"})
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except BaseException as exc:  # noqa: B036 (schemathesis raises a FailureGroup)
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.setdefault(operation.label, (  # noqa: B023 (run in this iteration)
                    f"{operation.label} as {user}: {response.status_code}\n  "  # noqa: B023
                    f"{case.as_curl_command(headers={'Authorization': '…'})}"))
        send()
        if operation.body:
            client = app.test_client()
            path = re.sub(r"{(\w+)}", lambda m: str((real.get(m.group(1)) or ["1"])[0]),
                          operation.full_path)
            for name, body in HOSTILE_BODIES.items():
                response = client.open(path, method=operation.method.upper(), data=body,
                                       content_type="application/json",
                                       headers={"Authorization": f"Bearer {tokens['chief']}"})
                hostile_statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.setdefault(operation.label, f"{operation.label} with the {name} "
                                                         f"body: {response.status_code}")
    assert failures == {}, "\n".join(failures.values())
    # Every operation with a body got them, and the bounds answered (413 huge, 422 deep).
    assert len(hostile_statuses) >= 30 * len(HOSTILE_BODIES)
    assert {413, 422} <= set(hostile_statuses)


def test_what_the_fuzzer_found_is_refused_not_a_500(api):
    """Ids past 64 bits (in the path or a query) and dates near year 1 used to reach the
    database driver or the period arithmetic and fail with 500."""
    deploy_processes(api)
    chief, designer = api.as_("chief"), api.as_("designer")
    assert chief.get(f"/cases/{2**70}").status == 404
    assert chief.post(f"/cases/{2**70}/cancel", json={"reason": "x"}).status == 404
    diff = designer.get("/process-definitions/clue_disposition/diff",
                        query={"from": 2**70, "to": 1})
    assert diff.status == 422 and diff.json["error"]["fields"] == {"from": ["out of range"]}
    early = chief.post("/reports/submissions", json={"kind": "quarterly_feedback",
                                                     "date": "0001-01-07"})
    assert early.status == 422 and "date" in early.json["error"]["fields"]
