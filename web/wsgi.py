"""The WSGI entry of the production server: gunicorn imports `web.wsgi:create()` in each of its
worker processes (`gunicorn -c gunicorn.conf.py`, README "Production").

Each worker builds its own runtime (database pool, caches, script pool) after the fork, with the
same refusals as `cluedesk serve` (default secrets, an audit trail signed with another key). The
timer worker is not here: run `cluedesk scheduler` beside gunicorn."""
from __future__ import annotations

import click
from flask import Flask
from gunicorn.errors import AppImportError

from engine.cli import ready_to_serve, runtime_to_serve
from web import create_app


def create() -> Flask:
    """The app over a runtime that passed `serve`'s checks; a refusal stops gunicorn with its
    message (not a worker traceback)."""
    try:
        runtime = runtime_to_serve()
    except click.ClickException as exc:
        raise AppImportError(exc.format_message()) from None
    app = create_app(runtime=runtime)
    ready_to_serve(runtime)  # before the worker accepts its first request
    return app
