"""Gathering posts: `collect`, `schedule`, `import` and the run log `runs`.

Each command is a thin layer over `knowvember.ingest`. On a terminal it draws progress bars
and a countdown during rate-limit waits (on stderr); otherwise (cron, pipes) it is quiet and
writes one summary line per source. `--format json` prints the run records on stdout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import sys
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from knowvember.cli.common import TableOrJson, emit_json, err_console, handled, state
from knowvember.errors import REPORTED

if TYPE_CHECKING:
    from knowvember import ingest
    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.ingest import Hooks, Progress
    from knowvember.locks import HeldLock
    from knowvember.runs import RunRecord

log = logging.getLogger(__name__)

class SourceChoice(StrEnum):
    all = "all"
    x = "x"
    twitter = "twitter"
    mastodon = "mastodon"
    bluesky = "bluesky"


class ImportFormat(StrEnum):
    twarc2 = "twarc2"
    tags = "tags"
    csv = "csv"
    mastodon = "mastodon"
    bluesky = "bluesky"


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)
    app.command("schedule")(schedule)
    app.command("import")(import_)
    app.command("runs")(runs)


# -- display --------------------------------------------------------------------------------


def _interactive(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


class _Display:
    """Progress bars and wait countdowns on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._wait_task: Any = None

    def __enter__(self) -> _Display:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                DownloadColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                console=err_console(), transient=False)
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def progress(self, progress: Progress) -> None:
        if self._progress is None:
            return
        info = f"{progress.fetched:,} read, {progress.new:,} new"
        if progress.requests:
            info += f", {progress.requests:,} request{'' if progress.requests == 1 else 's'}"
        task = self._tasks.get(progress.source)
        total = progress.total_bytes or None
        if task is None:
            task = self._progress.add_task(progress.source, total=total, info=info)
            self._tasks[progress.source] = task
        completed = progress.done_bytes if total else None
        if progress.finished and total:
            completed = total
        self._progress.update(task, completed=completed, info=info)

    def wait(self, seconds: float, reason: str) -> None:
        """A countdown line while a rate limit or backoff wait runs."""
        if self._progress is None:
            return
        if seconds <= 0:
            if self._wait_task is not None:
                self._progress.remove_task(self._wait_task)
                self._wait_task = None
            return
        minutes, secs = divmod(int(seconds + 0.999), 60)
        text = f"waiting {minutes}:{secs:02d} - {reason}"
        if self._wait_task is None:
            self._wait_task = self._progress.add_task(text, total=None, info="")
        else:
            self._progress.update(self._wait_task, description=text)


# The signals that ask for a clean stop. SIGHUP is a terminal closing (an SSH session
# dropped, the window `schedule` ran in shut): by default it ended the process at once,
# mid-page, leaving the run "running" and nothing in the log to say why collection stopped.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
HANGUP_HINT = ("the terminal it ran in closed; run `knowvember schedule` in tmux or as a "
               "service (README: Collecting on a schedule) to keep it going")


@contextlib.contextmanager
def _stop_signals(hooks: Hooks) -> Iterator[None]:
    """First Ctrl-C, SIGTERM (a service stop, `kill PID`) or SIGHUP (the terminal closed):
    stop cleanly between pages, recording the run as interrupted. Second: stop now (the
    batch being written is rolled back)."""
    stop = hooks.stop_flag()

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        if signum == signal.SIGHUP:
            from knowvember.cli.common import detach_hung_up_terminal

            detach_hung_up_terminal()
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        stop.set(name)
        with contextlib.suppress(OSError):  # a terminal gone: the stop still happens
            if signum == signal.SIGINT:
                err_console().print("Stopping after the current page (Ctrl-C again to stop "
                                    "now)...")
            else:
                err_console().print(f"{name}: stopping after the current page (another "
                                    f"{name} stops now)...")

    previous: dict[int, Any] = {}
    try:
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread (embedded use): no handler
        pass
    try:
        yield
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)


def _hooks(display: _Display, lock_wait: float = 10.0) -> Hooks:
    from knowvember.ingest import Hooks

    return Hooks(progress=display.progress, on_wait=display.wait, lock_wait=lock_wait)


LOCK_WAIT_HELP = ("Seconds to wait for a run of the same source that is still going, before "
                  "giving up with 'already running' (exit code 75).")


def _cost(record: RunRecord) -> str:
    return f"${record.estimated_cost:,.2f}" if record.estimated_cost else "-"


def summary_line(record: RunRecord) -> str:
    """One line per run, for cron mail and logs."""
    if record.details.get("dry_run"):
        if record.status == "failed":
            return f"{record.source}: dry run failed: {record.error}"
        if "estimated_posts" in record.details:
            return (f"{record.source}: dry run: about {record.details['estimated_posts']:,} "
                    f"posts to read; this run would read {record.details['would_read']:,} "
                    f"(~${record.estimated_cost:,.2f}), {record.requests} count request(s)")
        return f"{record.source}: dry run: nothing to estimate (free API)"
    name = record.source
    if record.details.get("file"):
        name = f"{record.source} {record.details['file']}"
    text = (f"{name}: {record.status}, {record.fetched:,} read, {record.new:,} new, "
            f"{record.updated:,} updated, {record.off_campaign:,} skipped off-campaign")
    if left_out := record.skipped - record.off_campaign:
        # (counted as off-campaign, they read after a `forget` as if the file held another
        # campaign's posts)
        text += f", {left_out:,} of opted-out or forgotten accounts left out"
    if not record.source.startswith("import:"):
        text += f", {record.requests:,} request{'' if record.requests == 1 else 's'}"
    if record.source == "x":
        # (not "est. -": beside the " - " before an error it read as a dash too many)
        text += f", {record.posts_read:,} posts billed, est. ${record.estimated_cost or 0:,.2f}"
    if record.error or record.details.get("warnings"):
        text += f" - {_error_or_notes(record)}"
    return text


def _error_or_notes(record: RunRecord) -> str:
    """The run's error, or else what it noted (an empty page, a reply left unlinked)."""
    if record.error:
        return record.error
    notes = [str(note) for note in record.details.get("warnings", [])]
    if not notes:
        return ""
    more = f" (and {len(notes) - 3} more)" if len(notes) > 3 else ""
    return "note: " + "; ".join(notes[:3]) + more


def _show_runs(records: list[RunRecord], format: TableOrJson, *, title: str) -> None:
    if format is TableOrJson.json:
        emit_json([r.to_json() for r in records])
        return
    if not sys.stdout.isatty():
        for record in records:
            typer.echo(summary_line(record))
        return
    from rich.table import Table

    from knowvember.cli.common import out_console

    imports = all(r.source.startswith("import:") for r in records)
    columns = ["source", "status", "read", "new", "updated", "skipped"]
    if not imports:
        columns += ["requests", "est. cost"]
    table = Table(title=title, title_justify="left")
    for column in [*columns, "error"]:
        table.add_column(column, justify="left" if column in ("source", "status", "error")
                         else "right")
    for r in records:
        colour = {"ok": "green", "partial": "yellow", "failed": "red"}.get(r.status, "")
        source = r.source
        if r.details.get("file"):
            source = f"{r.source.removeprefix('import:')} {Path(str(r.details['file'])).name}"
        cells = [source, f"[{colour}]{r.status}[/]" if colour else r.status, f"{r.fetched:,}",
                 f"{r.new:,}", f"{r.updated:,}", f"{r.skipped:,}"]
        if not imports:
            cells += [f"{r.requests:,}", _cost(r)]
        table.add_row(*cells, _error_or_notes(r))
    out_console().print(table)


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# -- commands -------------------------------------------------------------------------------


@handled
def collect(
    ctx: typer.Context,
    source: SourceChoice = typer.Option(
        SourceChoice.all, "--source", "-s",
        help="Which source to collect; 'all' means every source enabled in campaign.toml."),
    dry_run: bool = typer.Option(
        False, "--dry-run",
        help="Estimate what X would read and cost (counts endpoint), reading no posts."),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
    lock_wait: float = typer.Option(10.0, "--lock-wait", min=0, help=LOCK_WAIT_HELP),
    refresh_counts: bool = typer.Option(
        False, "--refresh-counts",
        help="X only: read every stored X post of the campaign again (100 a request, billed "
        "per post read, within the budgets; resumable) so it takes its likes and reposts now. "
        "Run once after the campaign, before the report."),
) -> None:
    """Collect new campaign posts from X, Mastodon and Bluesky (one recorded run per source).

    Exits 0 only when every source succeeded, so cron mails failures.

    Example: knowvember collect --source x --dry-run
    """
    from knowvember import ingest

    app_state = state(ctx)
    settings = app_state.settings()
    if refresh_counts and source.value not in ("x", "twitter", "all"):
        from knowvember.errors import InputError

        raise InputError(
            "--refresh-counts reads X posts again (Mastodon and Bluesky runs refresh the "
            "counts of recent posts as they collect): use it with --source x")
    db = app_state.db()
    sources = ["x"] if refresh_counts else ingest.select_sources(settings, source.value)
    if dry_run:
        records = ingest.estimate(db, settings, sources,
                                  ingest.Hooks(refresh_counts=refresh_counts))
        _show_runs(records, format, title="Dry run (nothing was read)")
        if any(r.status == "failed" for r in records):
            raise typer.Exit(1)
        return
    with _Display(_interactive(app_state.quiet)) as display:
        hooks = _hooks(display, lock_wait)
        hooks.refresh_counts = refresh_counts
        with _stop_signals(hooks):
            outcome = ingest.collect(db, settings, sources, hooks)
    for message in outcome.messages:
        err_console().print(f"[yellow]{_esc(message)}[/]")
    _show_runs(outcome.runs, format, title="Collection")
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


@handled
def schedule(
    ctx: typer.Context,
    every: str | None = typer.Option(
        None, "--every", help="Interval between collections, e.g. 30m, 2h (default: "
        "[schedule] every, 30m)."),
    source: SourceChoice = typer.Option(SourceChoice.all, "--source", "-s",
                                        help="Which source to collect."),
) -> None:
    """Collect at an interval from the campaign start until [schedule] grace_days after its end.

    A foreground loop for a server or tmux; Ctrl-C or SIGTERM stops cleanly between pages.

    Example: knowvember schedule --every 30m
    """
    from knowvember import ingest
    from knowvember.config import parse_duration

    app_state = state(ctx)
    settings = app_state.settings()
    try:
        seconds = parse_duration(every or settings.schedule.every)
    except ValueError as exc:
        from knowvember.errors import InputError

        raise InputError(f"--every: {exc}") from None
    sources = ingest.select_sources(settings, source.value)
    db = app_state.db()
    plan = (f"{', '.join(sources)} every {(every or settings.schedule.every).strip()} until "
            f"{settings.schedule.grace_days} days after {settings.campaign.end}")
    with _one_schedule(db, sources) as locks:
        err_console().print(f"Collecting {plan} (Ctrl-C to stop).")
        # The schedule's own news goes to a `[logging] file` too (said once on the
        # terminal): a month-long loop is read back from its log, which held each run but
        # not when the loop started, stopped, or skipped a collection on a database error.
        log.info("schedule: collecting %s", plan, extra=REPORTED)
        with _Display(_interactive(app_state.quiet)) as display:
            hooks = _hooks(display)
            with _stop_signals(hooks):
                cycles = _keep_scheduling(db, settings, sources, seconds, hooks, locks)
    stop = hooks.stop_flag()
    if stop.is_set():
        why = f"{stop.reason}: {HANGUP_HINT}" if stop.reason == "SIGHUP" else stop.reason
        err_console().print(f"Stopped after {cycles} collection(s) ({why}).")
        log.info("schedule: stopped after %d collection(s) (%s)", cycles, why,
                 extra=REPORTED)
        if stop.reason in ("SIGTERM", "SIGHUP"):
            from knowvember.cli.common import terminated

            raise terminated(signal.Signals[stop.reason])
        from knowvember.errors import EXIT_INTERRUPTED

        raise typer.Exit(EXIT_INTERRUPTED)
    err_console().print(f"Done: {cycles} collection(s); the campaign's collection period is "
                        "over.")
    log.info("schedule: done after %d collection(s); the collection period is over", cycles,
             extra=REPORTED)


@contextlib.contextmanager
def _one_schedule(db: Database, sources: Sequence[str]) -> Iterator[list[HeldLock]]:
    """Hold a `schedule:SOURCE` lock for each source while the loop runs, so a second
    `schedule` of the same source on this database (a forgotten tmux window, the service
    and a terminal, a laptop and the server on PostgreSQL) is refused at once (exit 75),
    naming the process; both collected every interval, each run asking again what the
    other had just read, and waiting for, or skipped on, the other's run lock."""
    from knowvember.locks import run_lock

    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(run_lock(db, f"schedule:{source}", wait=0))
               for source in sources]


def _report_cycle(outcome: ingest.CollectOutcome) -> None:
    for message in outcome.messages:
        err_console().print(f"[yellow]{_esc(message)}[/]")
    for record in outcome.runs:
        typer.echo(summary_line(record))


def _keep_scheduling(db: Database, settings: Settings, sources: Sequence[str], every: float,
                     hooks: Hooks, locks: Sequence[HeldLock] = ()) -> int:
    """Run `ingest.schedule` until the collection period is over or a stop is asked for, and
    return the number of collections.

    `schedule` runs for a month unattended, so one collection's database error (SQLite busy
    for longer than its timeout while a long import writes, PostgreSQL restarted or out of
    reach for a moment) must not end it: cron would simply run again at the next slot. The
    error is printed with the time, and the loop starts again an interval later. An error
    before the first collection (a wrong URL or password) still stops at once, from
    `app_state.db()` before this loop starts.

    After each collection, and before trying again after an error, the `schedule:SOURCE`
    locks are made sure of (`HeldLock.keep`): on PostgreSQL a restart ends the session
    holding them, and a second `schedule` would otherwise be let in for the rest of the
    month.
    """
    from knowvember import ingest
    from knowvember.errors import DatabaseError

    cycles = 0

    def counted(outcome: ingest.CollectOutcome) -> None:
        nonlocal cycles
        cycles += 1
        _report_cycle(outcome)
        for lock in locks:
            lock.keep()

    stop = hooks.stop_flag()
    while True:
        try:
            ingest.schedule(db, settings, sources, every, hooks, on_cycle=counted)
            return cycles
        except DatabaseError as exc:
            retry_at = hooks.now() + dt.timedelta(seconds=every)
            err_console().print(
                f"[red]{hooks.now():%Y-%m-%d %H:%M} UTC: this collection stopped on a "
                f"database error: {_esc(str(exc))}[/]\nTrying again at "
                f"{retry_at:%Y-%m-%d %H:%M} UTC (Ctrl-C to stop).")
            log.error("schedule: this collection stopped on a database error: %s; trying again "
                      "at %s", exc, f"{retry_at:%Y-%m-%d %H:%M} UTC", extra=REPORTED)
            _wait_until(retry_at, hooks)
            if stop.is_set():
                return cycles
            try:
                for lock in locks:
                    lock.keep()
            except DatabaseError:
                continue  # the server is still out of reach: the next attempt says so


def _wait_until(moment: dt.datetime, hooks: Hooks) -> None:
    """Sleep in short steps until `moment`, waking at once when a stop is asked for."""
    stop = hooks.stop_flag()
    while not stop.is_set():
        left = (moment - hooks.now()).total_seconds()
        if left <= 0:
            return
        hooks.sleep(min(left, 1.0))


@handled
def import_(
    ctx: typer.Context,
    fmt: ImportFormat = typer.Argument(..., metavar="FORMAT",
                                       help="twarc2, tags, csv, mastodon or bluesky."),
    files: list[Path] = typer.Argument(..., help="Files to import (.gz works too).",
                                       exists=False),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
    lock_wait: float = typer.Option(10.0, "--lock-wait", min=0, help=LOCK_WAIT_HELP),
) -> None:
    """Import archived posts: twarc2 JSONL, TAGS CSV, generic CSV, Mastodon or Bluesky JSON.

    Streams any size of file; a bad line is reported with file:line and skipped (exit code
    4); importing the same file again adds nothing.

    Example: knowvember import twarc2 knowvember2019.jsonl
    """
    from knowvember import ingest

    app_state = state(ctx)
    settings = app_state.settings()
    ingest.check_files(files)  # before the database is opened (or made) for a typo
    db = app_state.db()
    with _Display(_interactive(app_state.quiet)) as display:
        hooks = _hooks(display, lock_wait)
        with _stop_signals(hooks):
            outcome = ingest.import_files(db, settings, fmt.value, files, hooks)
    for problem in outcome.line_errors:
        err_console().print(f"[yellow]Skipped[/] {_esc(problem)}")
    if outcome.error_count > len(outcome.line_errors):
        # Counted per record: one page line of a twarc2 file can hold many unreadable tweets.
        err_console().print(f"... {outcome.error_count - len(outcome.line_errors):,} more "
                            "unreadable line(s) or record(s) skipped; `knowvember runs --format "
                            f"json` lists the first {ingest.MAX_LINE_ERRORS_KEPT} per file.")
    _show_runs(outcome.runs, format, title="Import")
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


@handled
def runs(
    ctx: typer.Context,
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
    gaps: bool = typer.Option(
        False, "--gaps", help="List stretches of the campaign no successful run covered."),
    source: str | None = typer.Option(None, "--source", "-s", help="Only this source."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many runs to show."),
) -> None:
    """Show the run log (newest first), or with --gaps where posts may be missing.

    Example: knowvember runs --gaps
    """
    from knowvember import ingest
    from knowvember.runs import list_runs

    if source:
        source = run_source(source)
        if gaps and source.startswith("import:"):
            from knowvember.errors import InputError

            # Gaps are per platform (imports fill them too); filtered by an import's name
            # the list was always empty and said "No gaps: ... covered the whole campaign".
            raise InputError(f"--gaps lists where each platform's posts may be missing, "
                             f"not each import's: use --source x, mastodon or bluesky, not "
                             f"{source}")
    app_state = state(ctx)
    settings = app_state.settings()
    db = app_state.db()
    if gaps:
        found = ingest.coverage_gaps(db, settings)
        if source:
            found = [g for g in found if g.source == source]
        if format is TableOrJson.json:
            emit_json([g.to_json() for g in found])
            return
        if not found:
            if not list_runs(db, source=source, limit=1):
                # No gap found because nothing was ever read, not because all was covered.
                err_console().print("Nothing is known about coverage yet: no collection or "
                                    "import has run. Try `knowvember collect` or "
                                    "`knowvember import`.")
                return
            err_console().print("No gaps: successful runs covered the whole campaign so far.")
            return
        for gap in found:
            data = gap.to_json()
            typer.echo(f"{gap.source}: {data['from']} to {data['to']} ({data['hours']} h) "
                       "not covered by a successful run")
        return
    records = list_runs(db, source=source, limit=limit)
    if format is TableOrJson.json:
        emit_json([r.to_json() for r in records])
        return
    if not records:
        of = f" of {source}" if source else ""
        err_console().print(f"No runs{of} yet: try `knowvember collect` or `knowvember "
                            "import`.")
        return
    if not sys.stdout.isatty():
        for r in records:
            typer.echo(f"#{r.id} {_when(r.started_at)} {summary_line(r)}")
        return
    from rich.table import Table

    from knowvember.cli.common import out_console

    table = Table(title="Runs (newest first)", title_justify="left")
    for column in ("id", "source", "status", "started", "finished", "read", "new", "updated",
                   "skipped", "requests", "est. cost", "error"):
        table.add_column(column)
    for r in records:
        table.add_row(
            str(r.id), r.source, r.status, _when(r.started_at), _when(r.finished_at),
            f"{r.fetched:,}", f"{r.new:,}", f"{r.updated:,}", f"{r.skipped:,}",
            f"{r.requests:,}", _cost(r), r.error or "")
    out_console().print(table)


def run_source(name: str) -> str:
    """The run log's name for a source as a user writes it: a platform by any of its names
    (`twitter` is `x`), and an import by its format as `import` takes it (`twarc2` is
    `import:twarc2`; `mastodon` and `bluesky` name the collections).

    A name the log cannot hold is refused: `runs --source twarc2` said "No runs yet" beside
    an import that had run, and a typo said the same, exiting 0.
    """
    from knowvember.errors import InputError
    from knowvember.records import normalise_platform

    text = name.strip().lower()
    with contextlib.suppress(ValueError):
        return normalise_platform(text)
    fmt = text.removeprefix("import:")
    if fmt in {f.value for f in ImportFormat}:
        return f"import:{fmt}"
    raise InputError(f"--source {name!r} is not a source: use x, mastodon, bluesky, or an "
                     "import as " + ", ".join(f"import:{f.value}" for f in ImportFormat))


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"
