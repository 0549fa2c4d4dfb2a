from flask import jsonify
from sqlalchemy import text

from engine.deadlines import service as deadlines
from engine.timers import service as timers
from web import schemas
from web.api import bp
from web.auth import runtime
from web.openapi import build, doc


@bp.get("/health")
@doc(responses={200: schemas.Health, 503: schemas.Health}, auth=False)
def health():
    """Liveness: database, timer workers and calendar."""
    rt = runtime()
    body = {"status": "ok", "database": "ok", "scheduler": "stopped", "calendar": {}}
    try:
        def probe(uow):
            uow.session.execute(text("SELECT 1"))
            return (timers.scheduler_running(uow.session, rt),
                    deadlines.calendar_status(uow.session, rt))
        running, body["calendar"] = rt.read(probe)
        body["scheduler"] = "running" if running else "stopped"
    except Exception as exc:  # the health check reports, it does not fail
        body.update(status="degraded", database=f"error: {exc.__class__.__name__}")
        return jsonify(body), 503
    return jsonify(body)


@bp.get("/openapi.json")
@doc(auth=False, responses={200: None})
def openapi():
    """This API's OpenAPI 3 document."""
    from flask import current_app
    return jsonify(build(current_app))
