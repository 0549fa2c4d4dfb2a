"""The basics of the HTTP contract: auth, the error envelope, OpenAPI."""
from tests.conftest import CONFORMANCE


def test_health_needs_no_auth_and_reports_the_database(api):
    resp = api.get("/health")
    assert resp.status == 200
    assert resp.json["status"] == "ok"
    assert resp.json["database"] == "ok"
    assert resp.json["scheduler"] == "stopped"


def test_requests_without_a_token_get_401_in_the_envelope(api):
    resp = api.get("/tasks")
    assert resp.status == 401
    assert resp.json["error"]["code"] == "unauthorized"


def test_a_bad_token_is_refused(api):
    resp = api.get("/tasks", headers={"Authorization": "Bearer nope"})
    assert resp.status == 401


def test_deploy_and_start_lanes(api):
    designer = api.as_("designer")
    resp = designer.deploy((CONFORMANCE / "lanes.bpmn").read_bytes(), "lanes.bpmn")
    assert resp.status == 201, resp.json
    assert resp.json[0]["key"] == "lanes" and resp.json[0]["version"] == 1
    again = designer.deploy((CONFORMANCE / "lanes.bpmn").read_bytes(), "lanes.bpmn")
    assert again.status == 200 and again.json[0]["version"] == 1 and not again.json[0]["created"]
    started = designer.start("lanes")
    assert started.status == 201, started.json
    (task,) = started.json["ready_tasks"]
    assert task["element_id"] == "Activity_A1" and task["lane"] == "A"


def test_the_login_page_points_to_the_api(app):
    assert app.test_client().get("/").headers["Location"].startswith("/login")
    resp = app.test_client().get("/login")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "/api/v1/openapi.json" in page and "信访举报" in page


def test_responses_carry_security_headers(app, api):
    for resp in (app.test_client().get("/login"), app.test_client().get("/api/v1/health")):
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert app.test_client().get("/api/v1/health").headers["Cache-Control"] == "no-store"
