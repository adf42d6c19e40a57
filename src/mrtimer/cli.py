"""The ``mrtimer`` command line, over the same core and outbox as the tray.

Exit codes: 0 ok; 1 refused or failed (409, 404, 400, nothing running); 2 usage or
configuration; 3 authentication (no key, key refused, no keyring); 4 API unreachable
(the action is queued and sent by the next ``mrtimer`` command or the tray).
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, NoReturn, TypeVar

import click

from mrtimer import __version__
from mrtimer.api import (
    ApiClient,
    ApiError,
    AuthError,
    HttpStatusError,
    InsecureUrlError,
    Timer,
    TransportError,
)
from mrtimer.core import (
    ENV_VAR,
    SETTING_HELP,
    Action,
    App,
    SecretsUnavailable,
    SettingsError,
    SyncOutcome,
    TrackerState,
)

__all__ = ["cli", "main"]

EXIT_REFUSED, EXIT_USAGE, EXIT_AUTH, EXIT_OFFLINE = 1, 2, 3, 4

F = TypeVar("F", bound=Callable[..., Any])


class CliError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def fail(code: int, message: str) -> NoReturn:
    raise CliError(code, message)


def fmt_hm(seconds: float) -> str:
    total = int(max(0, seconds)) // 60
    return f"{total // 60}:{total % 60:02d}"


def fmt_hms(seconds: float) -> str:
    total = int(max(0, seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def local_hm(dt: datetime) -> str:
    return dt.astimezone().strftime("%H:%M")


def one_line(text: object) -> str:
    return " ".join(str(text).split())[:300]


def _app() -> App:
    obj = click.get_current_context().find_root().obj
    if isinstance(obj, App):
        return obj
    base_url = click.get_current_context().find_root().params.get("base_url")
    try:
        app = App.load(base_url)
    except InsecureUrlError as exc:
        fail(EXIT_USAGE, str(exc))
    except SettingsError as exc:
        fail(EXIT_USAGE, f"settings: {exc}")
    click.get_current_context().find_root().obj = app
    return app



def _require_key(app: App) -> None:
    try:
        key = app.keys.get() if not app.sandbox else "sandbox"
    except SecretsUnavailable as exc:
        fail(EXIT_AUTH, str(exc))
    if not key:
        fail(EXIT_AUTH, f"no API key for {app.origin}: run 'mrtimer login' or set {ENV_VAR}")


def _report_outcome_problems(outcome: SyncOutcome, mine: Action | None = None) -> None:
    for action, message in outcome.failed:
        if mine is None or action.id != mine.id:
            click.echo(f"mrtimer: queued action failed: {action.summary()}: {message} "
                       f"(see 'mrtimer queue')", err=True)
    if isinstance(outcome.error, AuthError):
        fail(EXIT_AUTH, f"the API key was refused ({outcome.error.message}): run 'mrtimer login'")


def _sync_first(app: App) -> SyncOutcome:
    _require_key(app)
    outcome = app.tracker.sync(force=True, lock_timeout=30)
    _report_outcome_problems(outcome)
    return outcome


def _perform(
    app: App, make: Callable[[], Action | None], pre: SyncOutcome
) -> tuple[Action, Timer | None, SyncOutcome]:
    action = make()
    if action is None:
        fail(EXIT_REFUSED, "nothing is running")
    if pre.error is not None or pre.busy:
        _queued_exit(pre)
    outcome = app.tracker.sync(force=True, lock_timeout=30, refresh=False)
    for done, timer in outcome.sent:
        if done.id == action.id:
            _report_outcome_problems(outcome, action)
            return action, timer, outcome
    for failed, message in outcome.failed:
        if failed.id == action.id:
            app.tracker.dismiss(action.id)  # the user sees it now: not kept as failed
            fail(EXIT_REFUSED, f"{action.summary()} refused: {message}")
    _report_outcome_problems(outcome, action)
    _queued_exit(outcome)


def _queued_exit(outcome: SyncOutcome) -> NoReturn:
    if outcome.busy:
        why = "another mrtimer is sending"
    else:
        why = f"API unreachable ({one_line(outcome.error)})"
    fail(EXIT_OFFLINE, f"{why}; queued: it will be sent by the next mrtimer command or the tray")


def _handle(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CliError:
            raise
        except SecretsUnavailable as exc:
            raise CliError(EXIT_AUTH, str(exc)) from None
        except (SettingsError, InsecureUrlError) as exc:
            raise CliError(EXIT_USAGE, str(exc)) from None
        except AuthError as exc:
            raise CliError(EXIT_AUTH, f"the API key was refused ({exc.message}): "
                           "run 'mrtimer login'") from None
        except TransportError as exc:
            raise CliError(EXIT_OFFLINE, f"API unreachable: {one_line(exc)}") from None
        except HttpStatusError as exc:
            code = EXIT_OFFLINE if exc.status >= 500 or exc.status == 429 else EXIT_REFUSED
            raise CliError(code, one_line(exc)) from None
        except ApiError as exc:
            raise CliError(EXIT_OFFLINE, one_line(exc)) from None

    return wrapper  # type: ignore[return-value]


def _late_notes(app: App) -> None:
    for note in app.tracker.state.notices:
        click.echo(f"note: {note}", err=True)
    if app.tracker.state.notices:
        app.tracker.clear_notices()


# -- the group -------------------------------------------------------------------------


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), "report"])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "report" and "report" not in self.commands:
            self.add_command(_report_command())
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Group, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--base-url", envvar="MRTIMER_BASE_URL", metavar="URL",
              help="API base URL (default from settings; env MRTIMER_BASE_URL).")
@click.version_option(__version__, "--version", prog_name="mrtimer",
                      message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, base_url: str | None) -> None:
    """Meet and Rock Timer: track your working time from the system tray or the shell.

    Without a command, starts the tray app.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(tray)


@cli.command()
@click.option("--sandbox", "use_sandbox", is_flag=True,
              help="Track against a local sandbox API started in-process.")
@click.option("--replace", is_flag=True, hidden=True)
def tray(use_sandbox: bool, replace: bool) -> None:
    """Run the system-tray app (what a bare `mrtimer` does)."""
    from mrtimer.tray.main import run_tray  # UI imported only here

    root = click.get_current_context().find_root()
    code = run_tray(base_url=root.params.get("base_url"), sandbox=use_sandbox)
    sys.exit(code)


@cli.command(name="_dialog", hidden=True)
@click.argument("kind")
def dialog_cmd(kind: str) -> None:
    """Internal: run one tray dialog (the frozen app's child process)."""
    from mrtimer.tray.dialogs import main as dialog_main

    sys.exit(dialog_main(kind))


@cli.command()
@_handle
def login() -> None:
    """Store the API key in the OS keyring after checking it with the API.

    The key is read from standard input when it is not a terminal, else from a
    hidden prompt. It is never accepted as an argument (it would show in `ps`).
    """
    app = _app()
    if app.keys.from_env:
        click.echo(f"note: {ENV_VAR} is set and overrides the keyring while it is set", err=True)
    if sys.stdin is not None and sys.stdin.isatty():
        key = getpass.getpass("Meet and Rock API key: ")
    else:
        key = sys.stdin.readline() if sys.stdin is not None else ""
    key = key.strip()
    if not key:
        fail(EXIT_USAGE, "no API key given")
    if any(c.isspace() for c in key) or not key.isprintable():
        fail(EXIT_USAGE, "the API key must be one word of printable characters")
    probe = ApiClient(app.base_url, lambda: key, connect_timeout=app.settings.connect_timeout,
                      read_timeout=app.settings.read_timeout, transport=app.transport)
    try:
        probe.list_week(None)
    except AuthError as exc:
        fail(EXIT_AUTH, f"the API refused this key ({exc.message}); nothing stored")
    except TransportError as exc:
        fail(EXIT_OFFLINE, f"cannot check the key, API unreachable ({one_line(exc)}); "
                           "nothing stored")
    except ApiError as exc:
        fail(EXIT_OFFLINE, f"cannot check the key ({one_line(exc)}); nothing stored")
    finally:
        probe.close()
    app.keys.set(key)
    app.tracker.key_changed()
    click.echo(f"Signed in to {app.origin}; the key is in the OS keyring.")


@cli.command()
@_handle
def logout() -> None:
    """Remove the API key from the OS keyring (queued actions are kept)."""
    app = _app()
    found = app.keys.delete()
    click.echo("Signed out." if found else "No key was stored.")
    if app.keys.from_env:
        click.echo(f"note: {ENV_VAR} is still set in this environment", err=True)


def _running_json(state: TrackerState, now: datetime) -> dict[str, Any] | None:
    r = state.running
    if r is None:
        return None
    return {
        "id": r.id,
        "description": r.description,
        "task_id": r.task_id,
        "project_id": r.project_id,
        "task_title": r.task_title,
        "start": r.start.isoformat(),
        "elapsed_seconds": int(r.elapsed(now)),
        "pending": r.pending,
    }


def _action_json(a: Action) -> dict[str, Any]:
    return {
        "id": a.id,
        "action": a.kind,
        "summary": a.summary(),
        "queued_at": datetime.fromtimestamp(a.created_at, UTC).isoformat(),
        "attempts": a.attempts,
        "error": a.last_error,
    }


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_handle
def status(as_json: bool) -> None:
    """Show the running timer, today's and this week's totals, waiting actions."""
    app = _app()
    outcome = _sync_first(app)
    tracker = app.tracker
    state = tracker.state
    now = tracker.server_now()
    today, week = state.today_seconds(now, app.tz), state.week_seconds(now, app.tz)
    if as_json:
        click.echo(json.dumps({
            "running": _running_json(state, now),
            "today_seconds": int(today),
            "week_seconds": int(week),
            "pending_actions": [_action_json(a) for a in state.pending],
            "failed_actions": [_action_json(a) for a in state.failed],
            "online": outcome.error is None and not outcome.busy,
            "last_sync": state.last_sync.isoformat() if state.last_sync else None,
            "notices": list(state.notices),
        }, indent=2))
        tracker.clear_notices()
        return
    if outcome.error is not None:
        since = f" since {local_hm(state.last_sync)}" if state.last_sync else ""
        click.echo(f"Offline ({one_line(outcome.error)}): showing what was known{since}.")
    r = state.running
    if r is None:
        click.echo("Not tracking.")
    else:
        waiting = " (waiting to sync)" if r.pending else ""
        click.echo(f"Tracking: {r.label} · {fmt_hms(r.elapsed(now))} "
                   f"(since {local_hm(r.start)}){waiting}")
    click.echo(f"Today {fmt_hm(today)} · This week {fmt_hm(week)}")
    if state.pending:
        click.echo(f"{len(state.pending)} change(s) waiting to be sent")
    for a in state.failed:
        click.echo(f"Failed: {a.summary()}: {a.last_error} (mrtimer queue --discard {a.id})")
    _late_notes(app)


@cli.command()
@click.argument("description", required=False)
@click.option("--task", "task_id", metavar="ID", help="Task id to track.")
@click.option("--resume", "resume_id", metavar="TIMER_ID",
              help="Resume this timer (parent_id): the new time joins its children.")
@click.option("--switch", is_flag=True, help="Stop the running timer first.")
@_handle
def start(description: str | None, task_id: str | None, resume_id: str | None,
          switch: bool) -> None:
    """Start a timer (free-form, for a task, or resuming an earlier timer)."""
    app = _app()
    pre = _sync_first(app)
    running = app.tracker.state.running
    if running is not None and not switch:
        ident = f", id {running.id}" if running.id else ", waiting to sync"
        fail(EXIT_REFUSED, f"a timer is running: {running.label} since "
                           f"{local_hm(running.start)}{ident}; use --switch to stop it first")
    action, timer, _ = _perform(app, lambda: app.tracker.start(
        task_id, description, resume_id, switch=switch), pre)
    label = (timer.task_title or timer.description) if timer else None
    when = f" at {local_hm(timer.start)}" if timer else ""
    click.echo(f"Started {label or action.summary().removeprefix('start ')}{when}.")
    _late_notes(app)


@cli.command()
@_handle
def stop() -> None:
    """Stop the running timer."""
    app = _app()
    pre = _sync_first(app)
    running = app.tracker.state.running
    _action, timer, _ = _perform(app, app.tracker.stop, pre)
    if timer is not None and timer.end is not None:
        click.echo(f"Stopped {timer.task_title or timer.description or timer.id} after "
                   f"{fmt_hms(timer.own_seconds(timer.end))}.")
    else:
        click.echo(f"Stopped{' ' + running.label if running else ''}.")
    _late_notes(app)


@cli.command()
@_handle
def toggle() -> None:
    """Stop the running timer, else resume the most recent task."""
    app = _app()
    pre = _sync_first(app)
    tracker = app.tracker
    if tracker.state.running is None and not tracker.state.recent:
        fail(EXIT_REFUSED, "nothing is running and there is no recent task to resume")
    was_running = tracker.state.running is not None
    _action, timer, _ = _perform(app, tracker.toggle, pre)
    label = (timer.task_title or timer.description or timer.id) if timer else "timer"
    click.echo(f"{'Stopped' if was_running else 'Resumed'} {label}.")
    _late_notes(app)


@cli.command()
@click.argument("timer_id")
@_handle
def delete(timer_id: str) -> None:
    """Delete a timer (and the time resumed into it)."""
    if not timer_id.strip():
        fail(EXIT_USAGE, "a timer id is required")
    app = _app()
    pre = _sync_first(app)
    action, _, outcome = _perform(app, lambda: app.tracker.delete(timer_id), pre)
    if any(a.id == action.id for a in outcome.gone):
        fail(EXIT_REFUSED, f"timer {timer_id} not found (nothing deleted)")
    click.echo(f"Deleted timer {timer_id}.")


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(EXIT_USAGE, f"bad date {text!r}: YYYY-MM-DD expected")


@cli.command(name="list")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Any day of the week to list.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_handle
def list_cmd(day: str | None, as_json: bool) -> None:
    """List the timers of a week (this week by default), with children and durations."""
    parsed = _parse_day(day)
    app = _app()
    _sync_first(app)
    timers = app.api().list_week(parsed)
    now = app.tracker.server_now()
    if as_json:
        click.echo(json.dumps([_timer_json(t, now) for t in timers], indent=2))
        return
    if not timers:
        click.echo("No timers this week." if parsed is None else "No timers that week.")
        return
    for t in timers:
        _echo_timer(t, now, "")
        for c in t.children:
            _echo_timer(c, now, "  ↳ ")


def _timer_json(t: Timer, now: datetime) -> dict[str, Any]:
    return {
        "id": t.id,
        "description": t.description,
        "task_id": t.task_id,
        "task_title": t.task_title,
        "project_id": t.project_id,
        "start": t.start.isoformat(),
        "end": t.end.isoformat() if t.end else None,
        "seconds": int(t.own_seconds(now)),
        "total_seconds": int(sum(x.own_seconds(now) for x in t.walk())),
        "running": t.running,
        "children": [_timer_json(c, now) for c in t.children],
    }


def _echo_timer(t: Timer, now: datetime, prefix: str) -> None:
    local = t.start.astimezone()
    end = local_hm(t.end) if t.end else "running"
    click.echo(f"{prefix}{local:%a %d %b} {local:%H:%M}-{end:<7} {fmt_hms(t.own_seconds(now)):>9}"
               f"  {t.label}  [{t.id}]")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_handle
def recent(as_json: bool) -> None:
    """Recent tasks of this and last week, most recent first."""
    app = _app()
    _sync_first(app)
    items = app.tracker.state.recent
    if as_json:
        click.echo(json.dumps([{
            "task_id": r.task_id, "description": r.description, "title": r.title,
            "project_id": r.project_id, "last_timer_id": r.last_timer_id,
            "last_start": r.last_start.isoformat(),
        } for r in items], indent=2))
        return
    if not items:
        click.echo("No recent tasks.")
    for r in items:
        click.echo(f"{r.label}  (last {r.last_start.astimezone():%a %H:%M}; "
                   f"resume: mrtimer start --resume {r.last_timer_id})")


@cli.command()
@click.option("--retry", "retry_id", type=int, metavar="ID", help="Send a failed action again.")
@click.option("--discard", "discard_id", type=int, metavar="ID",
              help="Forget a waiting or failed action.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_handle
def queue(retry_id: int | None, discard_id: int | None, as_json: bool) -> None:
    """Show actions waiting to be sent and actions the server refused."""
    app = _app()
    tracker = app.tracker
    if retry_id is not None:
        if not tracker.retry_failed(retry_id):
            fail(EXIT_REFUSED, f"no failed action {retry_id}")
        click.echo(f"Action {retry_id} will be sent again.")
    if discard_id is not None:
        if not tracker.dismiss(discard_id):
            fail(EXIT_REFUSED, f"no waiting or failed action {discard_id}")
        click.echo(f"Action {discard_id} discarded.")
    state = tracker.state
    if as_json:
        click.echo(json.dumps({"pending": [_action_json(a) for a in state.pending],
                               "failed": [_action_json(a) for a in state.failed]}, indent=2))
        return
    if retry_id is None and discard_id is None:
        if not state.pending and not state.failed:
            click.echo("Nothing waiting.")
        for a in state.pending:
            err = f" (last error: {a.last_error})" if a.last_error else ""
            click.echo(f"{a.id:>5}  waiting  {a.summary()}{err}")
        for a in state.failed:
            click.echo(f"{a.id:>5}  failed   {a.summary()}: {a.last_error}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", metavar="PATH", help="SQLite file (default: in the data folder; "
              "':memory:' keeps nothing).")
@click.option("--key", metavar="KEY", envvar="MRTIMER_SANDBOX_KEY",
              help="Accept only this API key (env MRTIMER_SANDBOX_KEY); default: any "
                   "non-empty key, each its own user.")
@click.option("--seed-demo", is_flag=True, help="Add demo tasks and last week's timers.")
@click.option("--latency", type=click.FloatRange(0, 60), default=0.0,
              help="Seconds added to every response (for trying slow networks).")
def sandbox(host: str, port: int, db: str | None, key: str | None, seed_demo: bool,
            latency: float) -> None:
    """Run the local sandbox API (SQLite, loopback by default)."""
    from mrtimer.core import Paths
    from mrtimer.sandbox import SandboxServer

    paths = Paths.default()
    if db is None:
        paths.ensure()
        db = str(paths.sandbox_db)
    try:
        server = SandboxServer(host, port, db, key=key)
    except OSError as exc:
        fail(EXIT_USAGE, f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    server.faults.latency = latency
    if seed_demo:
        server.seed_demo(key or "demo")
    click.echo(f"Sandbox API at {server.base_url} (Ctrl+C stops it)")
    click.echo(f"Try: MRTIMER_BASE_URL={server.base_url} {ENV_VAR}=demo mrtimer status")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.store.close()


@cli.group()
def config() -> None:
    """Show or change settings (stored in settings.toml)."""


@config.command("show")
def config_show() -> None:
    """Print every setting with its value."""
    app = _app()
    for key, value in app.settings.to_mapping().items():
        click.echo(f"{key} = {json.dumps(value)}    # {SETTING_HELP.get(key, '')}")


@config.command("set")
@click.argument("key")
@click.argument("value")
@_handle
def config_set(key: str, value: str) -> None:
    """Change one setting, e.g. `mrtimer config set poll_interval 120`."""
    app = _app()
    new = app.settings.with_value(key, value)
    new.save(app.paths.settings_file)
    click.echo(f"{key} = {json.dumps(new.to_mapping()[key])}")


@config.command("path")
def config_path() -> None:
    """Print where settings, data, cache and logs live."""
    app = _app()
    p = app.paths
    click.echo(f"settings: {p.settings_file}\ndata:     {p.data_dir}\ncache:    {p.cache_dir}\n"
               f"logs:     {p.log_dir}")


def _report_command() -> click.Command:
    """`mrtimer report`, imported only when it is used (the tray doesn't pay for it)."""
    from mrtimer.report.cli import report_command

    inner = report_command.callback
    assert inner is not None

    @functools.wraps(inner)
    @_handle
    def callback(*args: Any, **kwargs: Any) -> Any:
        app = _app()
        _sync_first(app)  # waiting actions first, as every command does
        click.get_current_context().obj = app
        return inner(*args, **kwargs)

    report_command.callback = callback
    return report_command


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure becomes one line on stderr and an exit code."""
    try:
        cli.main(args=argv, prog_name="mrtimer", standalone_mode=False)
    except CliError as exc:
        click.echo(f"mrtimer: {exc}", err=True)
        sys.exit(exc.code)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message(), err=True)
        sys.exit(EXIT_USAGE)
    except click.UsageError as exc:
        click.echo(f"mrtimer: {one_line(exc.format_message())} (see --help)", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        click.echo(f"mrtimer: {one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("mrtimer: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(0)


if __name__ == "__main__":
    main()
