"""The OpenAPI document describes every endpoint, with its schemas, and is valid OpenAPI 3."""
from openapi_spec_validator import validate

API_MD_ENDPOINTS = [
    ("get", "/health"), ("get", "/tasks"), ("get", "/tasks/{task_id}"),
    ("post", "/tasks/{task_id}/claim"), ("post", "/tasks/{task_id}/unclaim"),
    ("post", "/tasks/{task_id}/complete"), ("post", "/tasks/{task_id}/reassign"),
    ("get", "/cases/{case_id}"), ("get", "/cases/{case_id}/history"),
    ("get", "/process-definitions"), ("post", "/process-definitions"),
    ("post", "/process-instances"), ("get", "/process-instances/{instance_id}"),
    ("post", "/process-instances/{instance_id}/messages"),
    ("post", "/process-instances/{instance_id}/retry"),
]


def test_openapi_is_valid_and_lists_every_route(api, app):
    resp = api.get("/openapi.json")
    assert resp.status == 200
    doc = resp.json
    validate(doc)
    listed = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    for method, path in API_MD_ENDPOINTS:
        assert (method, path) in listed, (method, path)
    # Every route the app serves under /api/v1 is in the document (nothing escapes it).
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = rule.rule[len("/api/v1"):].replace("<int:", "<").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (method.lower(), path) in listed, (method, path)


def test_operations_carry_summaries_and_schemas(api):
    doc = api.get("/openapi.json").json
    complete = doc["paths"]["/tasks/{task_id}/complete"]["post"]
    assert complete["summary"].startswith("Complete a task")
    body = complete["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/CompleteIn")
    ok = complete["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/CompleteOut")
    assert complete["responses"]["409"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/Error")
    task = doc["components"]["schemas"]["TaskOut"]["properties"]
    for field in ("id", "name", "element_id", "lane", "process_key", "case_id", "case_number",
                  "assignee", "candidate_unit", "candidate_role", "created_at", "due_at",
                  "warning", "status", "version"):
        assert field in task
    tasks_params = {p["name"] for p in doc["paths"]["/tasks"]["get"]["parameters"]}
    assert {"scope", "status", "due", "process", "unit", "q", "page", "per_page"} <= tasks_params
    assert all(op.get("summary") for ops in doc["paths"].values() for op in ops.values())
