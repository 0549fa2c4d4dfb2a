"""The `cluedesk` command line (API.md)."""
from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path

import click

from engine.clock import parse_instant
from engine.config import ROOT, ConfigError
from engine.errors import DomainError
from engine.runtime import Runtime
from engine.workflow.adapter import BpmnInvalid


def _runtime() -> Runtime:
    try:
        return Runtime.from_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _audit_head_problem(rt: Runtime) -> str | None:
    """Events chained now under the configured key would break a trail signed with another one
    (an earlier release's development key): say so before anything writes."""
    from engine.audit import chain
    key, _ = chain.audit_key(rt.settings)
    try:
        current = rt.read(lambda uow: chain.head_signed_with(uow.session, key))
    except Exception:  # no audit trail yet (a new database): nothing is signed
        return None
    if current:
        return None
    return ("the audit trail's last event is signed with another key than audit.key: run "
            "`cluedesk audit rotate-key` first (README, Security)")


def runtime_to_serve() -> Runtime:
    """The runtime of a long-running process (`serve`, `scheduler`): refuses default secrets and
    an audit trail whose head is signed with another key than the configured one."""
    from engine.config import secret_problems
    rt = _runtime()
    problems = secret_problems(rt.settings) or list(filter(None, [_audit_head_problem(rt)]))
    if problems:
        rt.dispose()
        raise click.ClickException("refusing to start: " + "; ".join(problems))
    return rt


def ready_to_serve(rt: Runtime) -> None:
    """What a web process does before its first request (`serve`, each gunicorn worker): the
    repeat check's segmenter and alias table loaded, then everything made so far set aside from
    the garbage collector (`gc.freeze`). The app, its caches and the libraries live as long as
    the process; each full collection walked them all again, a pause of ~100 ms on whichever
    request was running (an inbox page at 1,000,000 cases: p95 71-76 -> 56-67 ms; max 164-171
    -> 57-68 ms; bench/RESULTS.md, issue 28)."""
    import gc
    from engine.petitions import service as petitions
    petitions.warm_up(rt)
    gc.collect()
    gc.freeze()


def _bpmn_files(paths: tuple[str, ...]) -> list[Path]:
    if not paths:
        paths = (str(ROOT / "bpmn"),)
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(x for x in p.iterdir() if x.suffix in (".bpmn", ".xml")))
        elif p.exists():
            files.append(p)
        else:
            raise click.ClickException(f"no such file: {p}")
    return files


def _report_invalid(exc: BpmnInvalid) -> None:
    for p in exc.problems:
        where = ":".join(str(x) for x in (p.file_name, p.line) if x)
        element = f" [{p.element_id}]" if p.element_id else ""
        click.echo(f"error: {where}{element} {p.message}", err=True)


@click.group()
def main():
    """cluedesk: petitions, clues and cases on BPMN."""
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("cluedesk").setLevel(logging.INFO)


@main.command("init-db")
def init_db():
    """Create or upgrade the schema (idempotent)."""
    from engine.schema import upgrade
    from engine.deadlines import service as deadlines
    rt = _runtime()
    problem = _audit_head_problem(rt)
    if problem:
        raise click.ClickException(problem)
    upgrade(url=rt.settings.database.url)
    deadlines.sync_config(rt)
    from engine.zones import service as zones
    withdrawn = zones.withdraw_pending(rt)
    if withdrawn:
        click.echo(f"township work withdrawn from {withdrawn} zone-accepted case process(es)")
    from engine.reports import rollup
    if rollup.ensure(rt):
        click.echo("statistics rollup built")
    # The script policy may have grown stricter: say which deployed scripts it would now refuse
    # (they keep running; such a script puts its instance in error when it runs).
    from engine.processes import service as processes
    refused = rt.read(lambda uow: processes.policy_report(uow.session, rt))
    for key, version, problem in refused:
        where = f" (line {problem.line})" if problem.line else ""
        click.echo(f"script policy: {key} v{version}: {problem.element_id or '-'}{where}: "
                   f"{problem.message}")
    if refused:
        click.echo(f"script policy: {len(refused)} expression(s) in deployed versions would be "
                   "refused now; deploy corrected versions")
    click.echo(f"database ready: {rt.engine.url.render_as_string(hide_password=True)}")


def _command_line_actor() -> str:
    """`cli:<login name>` of whoever runs the command (`cli` when the system cannot say)."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        return "cli"
    return f"cli:{login}"[:64]


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--actor", default=None,
              help="recorded as the deployer (default: cli:<your login name>)")
@click.option("--comment", default="")
def deploy(paths, actor, comment):
    """Validate and deploy BPMN files (default: everything in bpmn/)."""
    from engine.processes import service as processes
    rt = _runtime()
    actor = actor or _command_line_actor()
    files = [(f.name, f.read_bytes()) for f in _bpmn_files(paths)]
    if not files:
        click.echo("nothing to deploy")
        return
    try:
        results = rt.transact(lambda uow: processes.deploy(uow, runtime=rt, files=files,
                                                           actor=actor, comment=comment))
    except BpmnInvalid as exc:
        _report_invalid(exc)
        sys.exit(1)
    for r in results:
        state = "deployed" if r.created else "unchanged"
        click.echo(f"{state}: {r.key} v{r.version}")
        for w in r.warnings:
            click.echo(f"  warning: [{w['element_id']}] {w['message']}")


@main.command()
@click.argument("paths", nargs=-1)
def lint(paths):
    """Validate BPMN files; non-zero exit on errors, and on domain warnings for files in bpmn/."""
    from engine.processes import lint as domain_lint
    from engine.workflow import parser as bpmn
    from engine.workflow.adapter import compile_spec
    rt = _runtime()
    paths_found = _bpmn_files(paths)
    files = [(f.name, f.read_bytes()) for f in paths_found]
    ours = {f.name for f in paths_found if f.resolve().parent == (ROOT / "bpmn").resolve()}
    failed = False
    for name, data in files:
        try:
            root = bpmn.parse_xml(data, name)
            sources = domain_lint.bundle(name, files)
            for pid in bpmn.process_ids(root):
                compiled = compile_spec(pid, sources)
                for w in domain_lint.warnings(rt.settings, pid, compiled, sources):
                    failed = failed or name in ours
                    where = ":".join(str(x) for x in (w.file_name or name, w.line) if x)
                    click.echo(f"warning: {where} [{w.element_id}] {w.message}", err=True)
        except BpmnInvalid as exc:
            _report_invalid(exc)
            failed = True
    click.echo("lint failed" if failed else f"{len(files)} file(s) ok")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--no-samples", is_flag=True, help="only the organisation and users")
def demo(no_samples):
    """Load the demo organisation and sample petitions in every state (idempotent)."""
    from engine.demo import load_organisation, load_samples
    rt = _runtime()
    created = load_organisation(rt)
    click.echo(f"demo organisation ready ({created} users created)")
    if not no_samples:
        try:
            samples = load_samples(rt)
        except Exception as exc:  # e.g. processes not deployed yet: say so, keep the org
            raise click.ClickException(f"sample petitions not loaded: {exc}; run "
                                       "`cluedesk deploy` first") from None
        click.echo(f"sample petitions: {samples} created" if samples else
                   "sample petitions already present")


@main.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
def serve(host, port):
    """Web inbox + API on waitress, with the in-process timer worker."""
    from waitress import serve as waitress_serve

    from engine.timers.worker import build_scheduler
    from web import create_app
    rt = runtime_to_serve()
    app = create_app(runtime=rt)
    ready_to_serve(rt)
    host = host or rt.settings.server.host
    port = port or int(rt.settings.server.port)
    from engine.deadlines import service as deadlines
    deadlines.sync_config(rt)
    scheduler = build_scheduler(rt)
    scheduler.start()
    click.echo(f"cluedesk serving on http://{host}:{port}/")
    try:
        waitress_serve(app, host=host, port=port, threads=int(rt.settings.server.threads),
                       ident="cluedesk", channel_timeout=120)
    finally:
        scheduler.shutdown(wait=False)


@main.command()
def scheduler():
    """Timer worker only (run several against one PostgreSQL database)."""
    from engine.timers.worker import build_scheduler
    from engine.deadlines import service as deadlines
    rt = runtime_to_serve()
    deadlines.sync_config(rt)
    click.echo("timer worker started")
    try:
        build_scheduler(rt, blocking=True).start()
    except (KeyboardInterrupt, SystemExit):
        pass


@main.command("disclosure-export")
@click.option("--path", type=click.Path(file_okay=False), default=None,
              help="write here instead of village.export_path")
def disclosure_export(path):
    """Export the public disclosure site now (what the background job does)."""
    from pathlib import Path as _Path

    from engine.village import disclosure as village_disclosure
    runtime = _runtime()
    count = village_disclosure.write_site(runtime, actor="system",
                                          target=_Path(path) if path else None)
    click.echo(f"exported {count} files")


@main.command("init-secrets")
@click.option("--demo", is_flag=True, help="also mark this installation a demo (server.demo)")
def init_secrets(demo):
    """Write a random session secret and audit key into the local settings file
    (instance/local.yaml) unless it exists; `make run` does this on first start."""
    import secrets

    import yaml

    from engine.config import local_config_path
    path = local_config_path()
    if path is None:
        raise click.ClickException("CLUEDESK_LOCAL_CONFIG is empty: no local settings file")
    if path.exists():
        click.echo(f"local settings kept: {path}")
        return
    data = {"server": {"secret_key": secrets.token_urlsafe(48)},
            "audit": {"key": secrets.token_urlsafe(48)}}
    if demo:
        data["server"]["demo"] = True
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ("# Generated by `cluedesk init-secrets`: this installation's secrets. Keep this file\n"
            "# private and out of backups of the database; losing the audit key means the trail\n"
            "# can no longer be verified.\n" + yaml.safe_dump(data, sort_keys=False))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    click.echo(f"random secrets written to {path}")


@main.group()
def users():
    """Manage users."""


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--unit", required=True)
@click.option("--password-stdin", is_flag=True)
def users_add(name, roles, unit, password_stdin):
    """Create a user."""
    from engine.org import service as org
    rt = _runtime()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        rt.transact(lambda uow: org.create_user(uow.session, username=name, roles=list(roles),
                                                unit_code=unit, password=password,
                                                now=rt.clock.now(), actor="cli"))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"user {name} created")


@main.group()
def tokens():
    """Manage API tokens."""


@tokens.command("issue")
@click.argument("name")
def tokens_issue(name):
    """Print a new API token for the user (the last word printed)."""
    from engine.org import service as org
    rt = _runtime()
    try:
        token = rt.transact(lambda uow: org.issue_token(uow.session, username=name,
                                                        now=rt.clock.now()))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"token for {name}: {token}")


@main.group()
def timers():
    """Timers and deadlines."""


@timers.command("run-due")
@click.option("--now", "now_text", default=None, help="ISO 8601 instant (default: the app clock)")
def timers_run_due(now_text):
    """Fire every timer and deadline due at `now` once; print how many fired."""
    from engine.timers import service
    rt = _runtime()
    try:
        now = parse_instant(now_text, rt.clock.tz) if now_text else rt.clock.now()
    except ValueError:
        raise click.ClickException(f"not an ISO 8601 instant: {now_text}") from None
    fired = service.run_due(rt, now)
    click.echo(f"fired {fired}")


@main.group("calendar")
def calendar_group():
    """Working-day calendars."""


@calendar_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", default="cli")
def calendar_load(file, actor):
    """Load a year's holidays and swapped working days; recompute open deadlines."""
    from engine.deadlines import service as deadlines
    rt = _runtime()
    path = Path(file)
    try:
        result = rt.transact(lambda uow: deadlines.load_calendar(
            uow.session, rt, text=path.read_text(encoding="utf-8"), file_name=path.name,
            actor=actor))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"calendar {result['year']} loaded: {result['days']} days; "
               f"{len(result['moved'])} open deadlines moved")


@main.command("bench-seed")
@click.option("--tasks", "count", type=int, required=True, help="how many open tasks to add")
@click.option("--with-accused", "people", is_flag=True,
              help="each petition names an accused cadre (varied) and has its repeat-check keys")
def bench_seed_cmd(count, people):
    """Add COUNT open tasks with cases, petitions and deadlines (bulk SQL; for benchmarks)."""
    from engine.bench_seed import seed
    rt = _runtime()
    try:
        seed(rt, count, people=people,
             progress=lambda done: click.echo(f"seeded {done:,}/{count:,}", err=True))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        rt.dispose()
    click.echo(f"seeded {count} open tasks")


# --- consistency and backups -----------------------------------------------------------------


@main.command("check")
def check_cmd():
    """Verify workflows agree with inbox, timer, deadline, case and audit rows; exit 1 on any."""
    from engine.check import run_check
    rt = _runtime()
    try:
        result = run_check(runtime=rt)
    finally:
        rt.dispose()
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in result.problems:
        click.echo(f"problem: {problem}")
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo(f"ok: {result.instances} instances, {result.audit_events} audit events, "
               f"{result.tasks} tasks checked")


@main.group("audit")
def audit_group():
    """The tamper-evident audit trail."""


@audit_group.command("verify")
def audit_verify():
    """Recompute the audit chain and compare it with the anchors; exit 1 naming the first break."""
    from engine.audit import chain
    rt = _runtime()
    try:
        result = chain.verify(rt)
    finally:
        rt.dispose()
    warning = chain.key_warning(rt.settings)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    for problem in result.problems:
        click.echo(f"problem: {problem}")
    if result.problems:
        sys.exit(1)
    seq, event_id, digest = result.head
    click.echo(f"ok: {result.events} audit events chained, head seq {seq} (event {event_id}, "
               f"{digest[:16]}…), {result.anchors} anchor(s) match")


@audit_group.command("rotate-key")
@click.option("--old-key-env", default=None, metavar="NAME",
              help="environment variable holding the key the trail was signed with so far "
                   "(default: the public development key)")
@click.option("--actor", default="cli")
def audit_rotate_key(old_key_env, actor):
    """Switch the trail to the configured key (audit.key): the change is recorded in the trail
    itself, signed with the new key, so earlier events keep verifying. Idempotent."""
    from engine.audit import chain
    rt = _runtime()
    if old_key_env:
        old = os.environ.get(old_key_env, "")
        if not old:
            raise click.ClickException(f"environment variable {old_key_env} is empty")
        old_key = old.encode()
    else:
        old_key = chain.DEV_KEY.encode()
    try:
        try:
            outcome = chain.rotate_key(rt, old_key=old_key, actor=actor)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        except Exception as exc:  # no audit table yet: init-db makes it under the new key
            if "audit_events" not in str(exc):
                raise
            outcome = "empty"
    finally:
        rt.dispose()
    if outcome == "empty":
        click.echo("no audit trail yet: it will be signed with the configured key")
    elif outcome == "current":
        click.echo("the audit trail is already signed with the configured key")
    else:
        click.echo("audit key rotated: the trail continues under the configured key")


@audit_group.command("anchor")
def audit_anchor():
    """Append the chain head to the anchor file (`audit.anchor_path`)."""
    from engine.audit import chain
    rt = _runtime()
    try:
        item = chain.anchor(rt)
    finally:
        rt.dispose()
    if item is None:
        click.echo("the audit trail is empty: nothing to anchor")
        return
    click.echo(f"anchored seq {item['seq']} (event {item['id']}) in {chain.anchor_path(rt.settings)}")


@main.group("reports")
def reports_group():
    """The statistics rollup (`report_counts`)."""


@reports_group.command("verify")
def reports_verify():
    """Recount every figure from the live tables and compare with the rollup; exit 1 on any
    difference (a full recount: about a minute per 1,000,000 petitions)."""
    from engine.reports import rollup
    rt = _runtime()
    try:
        differences = rollup.verify(rt)
    finally:
        rt.dispose()
    if differences is None:
        click.echo(f"problem: the rollup is not built for {rt.clock.tz.key}; run "
                   "`cluedesk reports rebuild`")
        sys.exit(1)
    for (unit, day, figure, key), (stored, recount) in sorted(
            differences.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2], kv[0][3]))[:20]:
        click.echo(f"problem: unit {unit} {day} {figure}{' ' + key if key else ''}: "
                   f"rollup {stored}, recount {recount}")
    if differences:
        click.echo(f"{len(differences)} figure(s) differ; `cluedesk reports rebuild` recounts "
                   "them", err=True)
        sys.exit(1)
    click.echo("ok: the rollup matches a full recount")


@reports_group.command("rebuild")
def reports_rebuild():
    """Recount the rollup from the live tables, after writes that bypassed cluedesk (bulk SQL,
    a restore of some tables). Writers wait while it runs."""
    from engine.reports import rollup
    rt = _runtime()
    try:
        rows = rt.transact(lambda uow: rollup.rebuild(uow.session, rt.clock.tz.key,
                                                      now=rt.clock.now()))
    finally:
        rt.dispose()
    click.echo(f"rebuilt: {rows} rollup rows")


PG_DUMP_HINT = ("PostgreSQL: back up with `pg_dump --format=custom --file=FILE {url}` and "
                "restore into an empty database with `pg_restore --no-owner --dbname={url} FILE`, "
                "then run `cluedesk check` (README, \"Backups and consistency\")")


def _pg_hint(rt: Runtime) -> str:
    url = rt.engine.url.set(drivername="postgresql").render_as_string(hide_password=True)
    return PG_DUMP_HINT.format(url=url)


def _sqlite_path(rt: Runtime) -> Path | None:
    """The database file of a SQLite runtime; None on other databases."""
    if not rt.sqlite:
        return None
    database = rt.engine.url.database
    if not database or database == ":memory:":
        raise click.ClickException("the configured SQLite database is in memory: nothing to copy")
    return Path(database)


def _sqlite_copy(src: Path, dst: Path) -> int:
    """Copy one SQLite database into another with the online backup API; return its pages."""
    import sqlite3
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(str(dst), timeout=30)
    try:
        source.backup(target)
        return target.execute("PRAGMA page_count").fetchone()[0]
    finally:
        target.close()
        source.close()


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
def backup(file):
    """Copy the SQLite database to FILE (safe while the server runs); PostgreSQL: see pg_dump."""
    rt = _runtime()
    try:
        path = _sqlite_path(rt)
        hint = None if path else _pg_hint(rt)
    finally:
        rt.dispose()
    if path is None:
        click.echo(f"cluedesk backup copies SQLite databases only. {hint}", err=True)
        sys.exit(2)
    if not path.exists():
        raise click.ClickException(f"no database file at {path}")
    target = Path(file)
    if target.resolve() == path.resolve():
        raise click.ClickException("the backup file is the database itself")
    if target.exists():
        target.unlink()  # a backup is a fresh copy, never merged into an older file
    target.parent.mkdir(parents=True, exist_ok=True)
    pages = _sqlite_copy(path, target)
    click.echo(f"backed up {path} to {target} ({pages} pages)")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="confirm: the configured database is overwritten")
def restore(file, yes):
    """Overwrite the configured SQLite database with the backup FILE (stop the server first)."""
    import sqlite3
    rt = _runtime()
    try:
        path = _sqlite_path(rt)
        hint = None if path else _pg_hint(rt)
    finally:
        rt.dispose()
    if path is None:
        click.echo(f"cluedesk restore handles SQLite databases only. {hint}", err=True)
        sys.exit(2)
    source = Path(file)
    if source.resolve() == path.resolve():
        raise click.ClickException("the backup file is the database itself")
    try:
        con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{source} is not a SQLite database: {exc}") from None
    if ok != "ok":
        raise click.ClickException(f"{source} is damaged: {ok}")
    if not yes:
        click.echo(f"this overwrites {path} with {source}; stop the server and run again with "
                   "--yes", err=True)
        sys.exit(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    pages = _sqlite_copy(source, path)
    click.echo(f"restored {source} into {path} ({pages} pages); run `cluedesk check`")


if __name__ == "__main__":
    main()
