"""gunicorn's settings for cluedesk (README "Production"): `gunicorn -c gunicorn.conf.py`.

Command-line flags override these (`-b 0.0.0.0:8000`, `-w 4`, `--threads 1`), as does
GUNICORN_CMD_ARGS. The database and secrets come from cluedesk's own configuration
(config.yaml, instance/local.yaml, CLUEDESK_* variables), as for `cluedesk serve`."""
import os

from engine.config import load_settings

_server = load_settings().server

wsgi_app = "web.wsgi:create()"
# server.host/server.port of the configuration, as `cluedesk serve` uses them.
bind = [f"{_server.host}:{_server.port}"]
# One process per core: a step is mostly Python work, which one interpreter does on one core.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
# gthread: each worker keeps client connections open (HTTP/1.1 keep-alive, API.md) and serves
# them with a few threads; two let a long ledger export run beside the short requests.
worker_class = "gthread"
threads = 2
# Idle keep-alive connections stay open this long (longer than the proxy's idle timeout, so the
# proxy never reuses a connection gunicorn is closing); at most worker_connections per worker.
keepalive = 75
worker_connections = 1000
# A worker that stops answering the master's heartbeat this long is killed and replaced; on a
# graceful stop or restart (SIGTERM, SIGHUP) requests in flight get graceful_timeout to finish.
timeout = 120
graceful_timeout = 30
# Never in the master: each worker imports the app after the fork, so SIGHUP loads new code
# and no database connection or script worker is shared between processes.
preload_app = False
errorlog = "-"
loglevel = "info"
accesslog = None
proc_name = "cluedesk"
