"""The pipeline between the collectors and the store: runs, locks, batches, the run log.

`collect()` runs each live source under its lock, feeds the collector's pages to one
`PostWriter` (campaign filter, technique tagging, opted-out accounts dropped when the config
says so), records the run from start to finish and attributes the accounts it changed.
`import_files()` does the same for archive files, streaming them in chunks. `coverage_gaps()`
reads the run log back for `runs --gaps`; `schedule()` repeats collection until the campaign
and its grace period are over.

Only the CLI imports this module's callers' heavy libraries; this module imports collectors
lazily so that importing it stays cheap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import gzip
import logging
import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowvember.db import Database
from knowvember.errors import (
    REPORTED,
    AlreadyRunningError,
    ConfigError,
    InputError,
    KnowvemberError,
    excerpt,
)
from knowvember.locks import run_lock
from knowvember.models import utcnow
from knowvember.runs import (
    SKIPPED_OPTED_OUT,
    RunRecord,
    add_reads,
    finish_run,
    list_runs,
    save_counts,
    start_run,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from collectors.base import Collector, Findings, Scrubber
    from collectors.retry import RetryPolicy, StopFlag, WaitHook
    from knowvember.config import Settings
    from knowvember.store import BatchResult, PostWriter

log = logging.getLogger(__name__)

SOURCES = ("x", "mastodon", "bluesky")
SKIPS_UNCHANGED = {"twarc2"}  # readers that ask the writer before mapping a page again
MAX_LINE_ERRORS_KEPT = 50  # in the run's details; all are counted
# How often a run's record is brought up to date as its batches commit (see `RunCounts`).
PROGRESS_EVERY_CHUNKS = 20
PROGRESS_EVERY_SECONDS = 5.0


@dataclass
class Progress:
    """How far a run has got, for a progress bar."""

    source: str
    fetched: int = 0
    new: int = 0
    requests: int = 0
    done_bytes: int = 0
    total_bytes: int = 0
    finished: bool = False


ProgressHook = Callable[[Progress], None]


@dataclass
class Hooks:
    """What a caller can inject: clock, sleeping, progress, waits, Ctrl-C and the lock wait."""

    now: Callable[[], dt.datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    progress: ProgressHook | None = None
    on_wait: WaitHook | None = None
    stop: StopFlag | None = None
    lock_wait: float = 10.0
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    # X: read the stored posts again for their counts now, instead of searching
    # (`collect --refresh-counts`)
    refresh_counts: bool = False

    def stop_flag(self) -> StopFlag:
        if self.stop is None:
            from collectors.retry import StopFlag

            self.stop = StopFlag()
        return self.stop

    def report(self, progress: Progress) -> None:
        if self.progress is not None:
            self.progress(progress)


def make_writer(db: Database, settings: Settings, source: str, *, archive: bool = False
                ) -> PostWriter:
    """A PostWriter for the campaign: hashtag filter, technique tagger, opt-outs dropped."""
    from knowvember.attribution import opted_out
    from knowvember.hashtags import CampaignTags
    from knowvember.retag import note_tagging
    from knowvember.store import PostWriter
    from knowvember.techniques import Taxonomy

    drop: set[tuple[str, str]] = set()
    if settings.leaderboard.exclude_from_collection:
        # The names reports leave out by: an opt-out written as a Mastodon profile address
        # names the actor too, which is the account when its handle is on another domain
        # (@lks@nhs.uk served by social.nhs.uk); read as a handle only, it was collected.
        drop = opted_out(settings)
    taxonomy = Taxonomy.load(settings)
    # Which rules made the stored tags, so reports can say when a retag is due.
    note_tagging(db, taxonomy)
    return PostWriter(db, CampaignTags(settings.campaign.all_tags), source=source,
                      tagger=remembered(taxonomy.tag), drop_accounts=drop, archive=archive)


def remembered(tag: Callable[[str], Iterable[str]], limit: int = 50_000
               ) -> Callable[[str], tuple[str, ...]]:
    """The tagger with a bounded memory: matching dozens of technique patterns is the
    dearest step per post, and a retweet ("RT @name: <original>") repeats its original, so
    it is tagged by the original's text (a username is not what the post is about)."""
    cache: dict[str, tuple[str, ...]] = {}

    def tagged(text: str) -> tuple[str, ...]:
        if text.startswith("RT @"):
            text = text.partition(": ")[2] or text
        found = cache.get(text)
        if found is None:
            if len(cache) >= limit:
                cache.clear()
            found = cache[text] = tuple(tag(text))
        return found

    return tagged


def _add(record: RunRecord, result: BatchResult) -> None:
    record.fetched += result.fetched
    record.new += result.new
    record.updated += result.updated
    record.skipped += result.skipped
    _add_left_out(record, result.left_out)


def _add_left_out(record: RunRecord, posts: int) -> None:
    """Count, in `skipped_opted_out`, the skipped posts of opted-out or forgotten accounts:
    "N skipped off-campaign" counted them too, and after a `forget` read as if the archive
    held posts of another campaign."""
    if posts:
        record.details[SKIPPED_OPTED_OUT] = record.details.get(SKIPPED_OPTED_OUT, 0) + posts


class RunCounts:
    """Keeps a run's record in the run log up to date as its batches commit.

    The counts were written only at the end, so a run killed with SIGKILL was recorded as
    having fetched nothing while its posts were stored. Every PROGRESS_EVERY_CHUNKS batches,
    or PROGRESS_EVERY_SECONDS seconds, the batch's transaction also writes the run's counts
    (one row update: nothing a million-post import notices), so they are never ahead of the
    stored posts and at most a few seconds behind them.
    """

    def __init__(self, record: RunRecord, clock: Callable[[], float]) -> None:
        self.record, self.clock = record, clock
        self.batches = 0
        self.saved_at = clock()

    def hook(self, unchanged: int = 0) -> Callable[[Connection, BatchResult], None] | None:
        """What the next batch's transaction should also write (None: not due yet).
        `unchanged` counts posts of the batch read but not offered (already stored)."""
        self.batches += 1
        if self.batches < PROGRESS_EVERY_CHUNKS and (
                self.clock() - self.saved_at < PROGRESS_EVERY_SECONDS):
            return None
        self.batches, self.saved_at = 0, self.clock()
        record = self.record

        def write(conn: Connection, result: BatchResult) -> None:
            save_counts(conn, record, fetched=result.fetched + unchanged, new=result.new,
                        updated=result.updated, skipped=result.skipped)

        return write


class Probe:
    """Asks the writer which posts of a page are already stored, but mostly stops asking
    while nothing is (a first import), and asks every page again after the first hit."""

    def __init__(self, ask: Callable[[Any], set[str]], patience: int = 5, every: int = 10
                 ) -> None:
        self.ask, self.patience, self.every = ask, patience, every
        self.misses = 0
        self.skip = 0

    def will_ask(self) -> bool:
        """Whether the next call asks (a reader then prepares the keys to ask about)."""
        return not self.skip

    def __call__(self, items: Any) -> set[str]:
        if self.skip:
            self.skip -= 1
            return set()
        found = self.ask(items)
        if found:
            self.misses = 0
        else:
            self.misses += 1
            if self.misses >= self.patience:
                self.skip = self.every - 1
        return found


class Deferred:
    """Posts left out for want of the post they refer to, offered again at the end.

    Search results and archives list newest first, so a reply often comes before the post it
    answers; once the run has stored everything else, those replies (and replies to them)
    are offered again. Bounded, so a huge file of off-campaign replies stays in memory limits.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.items: dict[tuple[str, str], tuple[Any, Any]] = {}

    def add(self, pending: Iterable[tuple[Any, Any]]) -> None:
        for post, account in pending:
            if len(self.items) >= self.limit:
                return
            self.items[(post.platform, post.platform_id)] = (post, account)

    def retry(self, writer: PostWriter, record: RunRecord, chunk: int = 5000) -> None:
        """Offer the deferred posts again until a pass stores none of them."""
        while self.items:
            entries = list(self.items.values())
            self.items = {}
            stored = 0
            for start in range(0, len(entries), chunk):
                part = entries[start:start + chunk]
                result = writer.write([p for p, _ in part], [a for _, a in part if a])
                offered = sum(not p.context_only for p, _ in part)
                record.skipped -= offered - result.skipped
                _add_left_out(record, result.left_out)
                record.new += result.new
                record.updated += result.updated
                stored += result.new + result.updated + result.unchanged
                self.add(result.pending)
            if not stored:
                return


def _never_attributed(db: Database) -> set[int]:
    """Accounts no attribution has looked at yet: those a killed run stored but could not
    attribute (it attributes at its end), picked up by the next run."""
    import sqlalchemy as sa

    from knowvember.models import Account

    table = Account.__table__
    with db.begin() as conn:
        return {r[0] for r in conn.execute(sa.select(table.c.id).where(
            table.c.attribution.is_(None), table.c.attribution_input.is_(None)))}


def _attribute(db: Database, settings: Settings, writer: PostWriter) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        ids = writer.changed_account_ids | _never_attributed(db)
        if not ids:
            return
        from knowvember.attribution import attribute_accounts

        attribute_accounts(db, settings, sorted(ids))
    except (KnowvemberError, SQLAlchemyError) as exc:
        # The posts are stored and the run recorded; attribution can run again later (a run
        # alongside may have been syncing the same organisations at the same moment).
        log.warning("attributing the new accounts failed (%s); `knowvember orgs unmatched` "
                    "lists them and the next run tries again",
                    str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)


# -- live collection ----------------------------------------------------------------------


def secrets_in(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """The values of every secret variable the config names (for scrubbing messages)."""
    s = settings.sources
    names = [s.x.bearer_token_env, s.bluesky.app_password_env,
             *s.mastodon.instance_token_env.values()]
    if s.mastodon.access_token_env:
        names.append(s.mastodon.access_token_env)
    return [env[n] for n in names if env.get(n)]


def _scrubber(settings: Settings, env: Mapping[str, str]) -> Scrubber:
    from collectors.base import Scrubber

    scrub = Scrubber(secrets_in(settings, env))
    _install_log_scrubber(scrub)
    return scrub


class _ScrubFilter(logging.Filter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = ()
        return True


def _install_log_scrubber(scrub: Scrubber) -> None:
    """Libraries that log request headers (tweepy at debug level) never log a token."""
    for name in ("tweepy.client", "tweepy", "urllib3.connectionpool", "httpx", "mastodon"):
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, _ScrubFilter)]:
            logger.removeFilter(old)
        logger.addFilter(_ScrubFilter(scrub))


def _policy(settings: Settings, source: str, hooks: Hooks) -> RetryPolicy:
    from collectors.retry import RetryPolicy

    config = getattr(settings.sources, source)
    return RetryPolicy(max_retries=config.max_retries, max_wait=config.max_wait_seconds,
                       sleep=hooks.sleep, clock=hooks.clock, on_wait=hooks.on_wait,
                       stop=hooks.stop_flag())


def monthly_reads(db: Database, now: dt.datetime, source: str = "x") -> int:
    """Posts read from `source` since the first of this month (UTC), from the run log."""
    import sqlalchemy as sa

    from knowvember.runs import runs_t

    first = now.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with db.begin() as conn:
        total = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(runs_t.c.posts_read), 0)).where(
                runs_t.c.source == source, runs_t.c.started_at >= first)
        ).scalar()
    return int(total or 0)


def _refresh_ids(db: Database, state: dict[str, str | None]) -> list[str]:
    """The campaign's stored X posts a refresh of counts still has to read, in id order:
    those after `refresh:after`, where a refresh stopped part-way (the budget, Ctrl-C)."""
    import sqlalchemy as sa

    from knowvember.models import Post

    with db.begin() as conn:
        ids = conn.execute(sa.select(Post.platform_id).where(
            Post.campaign_id == db.campaign_id, Post.platform == "x")).scalars().all()
    numbered = sorted(int(i) for i in ids if i.isdigit())
    after = state.get("refresh:after")
    if after and after.isdigit():
        numbered = [i for i in numbered if i > int(after)]
    return [str(i) for i in numbered]


def _seed_x_coverage(db: Database, state: dict[str, str | None]) -> None:
    """Where each X query's first pass began (`QUERY:from`), for a database whose first X
    runs predate that checkpoint: the earliest time an ok run of X covered.

    With it, a coordinator who collected on recent search and now switches to
    `endpoint = "all"` (as the run's warning advises) gets the early campaign read
    (`collectors.x`); without it, this year's databases would never be read back. Held in
    memory only: the back-fill saves `:from` when it is done."""
    bare = [key[:-len(":since_id")] for key, value in state.items()
            if key.endswith(":since_id") and value
            and f"{key[:-len(':since_id')]}:from" not in state]
    if not bare:
        return
    covered = [run.details["window"]["from"] for run in list_runs(db, source="x")
               if run.status == "ok" and isinstance(run.details.get("window"), dict)
               and isinstance(run.details["window"].get("from"), str)]
    if covered:
        earliest = min(covered, key=lambda value: dt.datetime.fromisoformat(value))
        for key in bare:
            state[f"{key}:from"] = earliest


def build_collector(db: Database, settings: Settings, source: str, hooks: Hooks,
                    scrub: Scrubber) -> Collector:
    """The collector for `source`, with its credentials from the environment."""
    from collectors.base import Budget, SourceError
    from knowvember.store import load_state

    env = hooks.env
    state = load_state(db, source)
    policy = _policy(settings, source, hooks)
    if source == "x":
        from collectors.x import XCollector

        config = settings.sources.x
        # blanks or a Windows line end around a pasted token are no part of it: a blank
        # token is no token (X would refuse it with 401)
        token = (env.get(config.bearer_token_env) or "").strip()
        if not token:
            raise SourceError(
                f"set ${config.bearer_token_env} to your X API bearer token (the variable "
                "[sources.x] bearer_token_env names)")
        _seed_x_coverage(db, state)
        month_left = config.monthly_read_budget - monthly_reads(db, hooks.now())
        budget = Budget(run_limit=config.max_posts_per_run, month_left=month_left)
        refresh = _refresh_ids(db, state) if hooks.refresh_counts else None
        return XCollector(settings, state, token=token, policy=policy, budget=budget,
                          now=hooks.now, scrub=scrub, refresh_ids=refresh)
    if source == "mastodon":
        from collectors.mastodon import MastodonCollector

        config = settings.sources.mastodon
        tokens: dict[str, str | None] = {}
        for instance in config.instances:
            name = config.instance_token_env.get(instance) or config.access_token_env
            # a secrets file saved on Windows leaves "\r" on the value: never part of a token
            tokens[instance] = ((env.get(name) or "").strip() or None) if name else None
        return MastodonCollector(settings, state, tokens=tokens, policy=policy, now=hooks.now,
                                 scrub=scrub)
    if source == "bluesky":
        from collectors.bluesky import BlueskyCollector

        config = settings.sources.bluesky
        handle = (env.get(config.handle_env) or "").strip()
        password = env.get(config.app_password_env)
        password = (password or "").strip() or None  # as a token: a line end is no part of it
        if not handle or not password:
            raise SourceError(
                f"set ${config.handle_env} (your Bluesky handle) and "
                f"${config.app_password_env} (an app password from Settings > App Passwords)")
        return BlueskyCollector(settings, state, handle=handle, password=password,
                                policy=policy, now=hooks.now, scrub=scrub)
    raise InputError(f"unknown source {source!r}; use x, mastodon or bluesky")


def enabled_sources(settings: Settings) -> list[str]:
    return [s for s in SOURCES if getattr(settings.sources, s).enabled]


def select_sources(settings: Settings, source: str) -> list[str]:
    """`--source all` means the sources enabled in the config; a named one runs regardless."""
    from knowvember.records import normalise_platform

    if source == "all":
        sources = enabled_sources(settings)
        if not sources:
            # The configuration's doing, not the command's: exit 3, naming the file.
            raise ConfigError(
                f"{settings.path or 'campaign.toml'}: no source is enabled: set enabled = true "
                "under [sources.x], [sources.mastodon] or [sources.bluesky]")
        return sources
    try:
        return [normalise_platform(source)]
    except ValueError as exc:
        raise InputError(str(exc)) from None


def collect_source(db: Database, settings: Settings, source: str,
                   hooks: Hooks | None = None) -> RunRecord:
    """One recorded run of one source; AlreadyRunningError when another holds its lock."""
    hooks = hooks or Hooks()
    with run_lock(db, f"collect:{source}", wait=hooks.lock_wait):
        return _run_collector(db, settings, source, hooks)


def _run_collector(db: Database, settings: Settings, source: str, hooks: Hooks) -> RunRecord:
    from collectors.retry import InterruptedRun

    record = start_run(db, RunRecord(source=source, started_at=hooks.now()))
    scrub = _scrubber(settings, hooks.env)
    writer = make_writer(db, settings, source)
    progress = Progress(source=source)
    collector: Collector | None = None
    failure: str | None = None
    interrupted = False
    deferred = Deferred()
    counts = RunCounts(record, hooks.clock)
    try:
        collector = build_collector(db, settings, source, hooks, scrub)
        for batch in collector.batches():
            if batch.posts_read:  # read (and billed) whether or not storing it succeeds
                add_reads(db, record, batch.posts_read)
            result = writer.write(batch.posts, batch.accounts, checkpoint=batch.checkpoint,
                                  also=counts.hook())
            _add(record, result)
            deferred.add(result.pending)
            progress.fetched, progress.new = record.fetched, record.new
            progress.requests = collector.findings.requests
            hooks.report(progress)
    except InterruptedRun:
        interrupted = True
    except KeyboardInterrupt:
        interrupted = True
    except KnowvemberError as exc:
        failure = scrub(str(exc))
    except Exception as exc:  # a bug or an unforeseen library error: record it, scrubbed
        log.debug("collector %s crashed", source, exc_info=True)
        failure = scrub(f"unexpected {type(exc).__name__}: {exc}")
    finally:
        try:
            deferred.retry(writer, record)
        except KnowvemberError as exc:
            failure = failure or scrub(str(exc))
        if collector is not None:
            _apply_findings(record, collector.findings, scrub)
            collector.close()
        if source == "x":
            record.estimated_cost = record.posts_read * settings.sources.x.price_per_read
        stopped_by = hooks.stop_flag().reason if interrupted else None
        status = _status(record, collector.findings if collector else None, failure,
                         stopped_by, scrub)
        finish_run(db, record, status)
        _log_result(record)
        progress.finished = True
        hooks.report(progress)
        _attribute(db, settings, writer)
    return record


def _log_result(record: RunRecord) -> None:
    """A run's outcome, for a `[logging] file` (the CLI prints its own summary of it)."""
    level = logging.INFO if record.status == "ok" else logging.WARNING
    log.log(level, "%s run %s: %d read, %d new, %d updated, %d skipped%s", record.source,
            record.status, record.fetched, record.new, record.updated, record.skipped,
            f"; {record.error}" if record.error else "", extra=REPORTED)


def _apply_findings(record: RunRecord, findings: Findings, scrub: Scrubber) -> None:
    record.requests = findings.requests
    for warning in findings.warnings:
        record.add_warning(scrub(warning))
    if findings.window is not None:
        lower, upper = findings.window
        if lower < upper:
            record.details["window"] = {"from": _iso(lower), "to": _iso(upper)}
    record.details["platform"] = record.source
    for key, value in findings.details.items():
        record.details[key] = value


def _status(record: RunRecord, findings: Findings | None, failure: str | None,
            stopped_by: str | None, scrub: Scrubber) -> str:
    """`stopped_by` names what interrupted the run (Ctrl-C, SIGTERM), if anything did."""
    stored = record.new + record.updated > 0 or record.fetched > 0
    if stopped_by:
        record.error = (f"interrupted ({stopped_by}); the next run continues from the last "
                        "stored page")
        record.details.pop("window", None)
        return "partial"
    problems = [scrub(e) for e in (findings.errors if findings else [])]
    if failure:
        record.error = "; ".join([failure, *problems])
        record.details.pop("window", None)
        return "partial" if stored else "failed"
    if problems:
        record.error = "; ".join(problems)
        nothing_worked = findings is not None and findings.window is None and not stored
        record.details.pop("window", None)
        return "failed" if nothing_worked else "partial"
    if findings and findings.incomplete:
        record.error = scrub(findings.incomplete)
        record.details.pop("window", None)
        return "partial"
    return "ok"


def _iso(moment: dt.datetime, timespec: str = "auto") -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


@dataclass
class CollectOutcome:
    """Every source's run, and the sources that were skipped because one was running."""

    runs: list[RunRecord] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        from knowvember.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL

        statuses = {r.status for r in self.runs}
        if "failed" in statuses:
            return EXIT_FAILED
        if "partial" in statuses:
            return EXIT_PARTIAL
        if self.locked:
            return EXIT_LOCKED
        return EXIT_OK


def collect(db: Database, settings: Settings, sources: Sequence[str],
            hooks: Hooks | None = None) -> CollectOutcome:
    """One run per source, each under its own lock; a locked source is skipped, not run."""
    hooks = hooks or Hooks()
    outcome = CollectOutcome()
    for source in sources:
        if hooks.stop is not None and hooks.stop.is_set():
            break
        try:
            outcome.runs.append(collect_source(db, settings, source, hooks))
        except AlreadyRunningError as exc:
            outcome.locked.append(source)
            outcome.messages.append(str(exc))
    return outcome


def estimate(db: Database, settings: Settings, sources: Sequence[str],
             hooks: Hooks | None = None) -> list[RunRecord]:
    """`collect --dry-run`: what each source would read and cost, reading no posts.

    The records are not written to the run log (nothing was collected).
    """
    hooks = hooks or Hooks()
    scrub = _scrubber(settings, hooks.env)
    records = []
    for source in sources:
        record = RunRecord(source=source, status="ok", started_at=hooks.now(),
                           details={"dry_run": True})
        if source == "x":
            try:
                _estimate_x(db, settings, record, hooks, scrub)
            except KnowvemberError as exc:
                record.status, record.error = "failed", scrub(str(exc))
        else:
            record.details["notes"] = [f"{source}: free API, nothing to estimate"]
        record.finished_at = hooks.now()
        records.append(record)
    return records


def _estimate_x(db: Database, settings: Settings, record: RunRecord, hooks: Hooks,
                scrub: Scrubber) -> None:
    collector = build_collector(db, settings, "x", hooks, scrub)
    try:
        found = collector.estimate()
    finally:
        collector.close()
    config = settings.sources.x
    budget = getattr(collector, "budget", None)
    allowance = budget.allowance() if budget is not None else None
    would_read = found.posts or 0
    if allowance is not None:
        would_read = min(would_read, allowance)
    record.requests = found.requests
    record.estimated_cost = would_read * config.price_per_read
    record.details.update({
        "estimated_posts": found.posts,
        "would_read": would_read,
        "price_per_read": config.price_per_read,
        "max_posts_per_run": config.max_posts_per_run,
        "month_left": budget.month_left if budget is not None else None,
    })
    for warning in collector.findings.warnings:
        record.add_warning(scrub(warning))


# -- archive imports ----------------------------------------------------------------------


@dataclass
class ImportOutcome:
    runs: list[RunRecord] = field(default_factory=list)
    line_errors: list[str] = field(default_factory=list)  # the first few, for the screen
    error_count: int = 0

    @property
    def exit_code(self) -> int:
        from knowvember.errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL

        statuses = {r.status for r in self.runs}
        if "failed" in statuses:
            return EXIT_FAILED
        if "partial" in statuses or self.error_count:
            return EXIT_PARTIAL
        return EXIT_OK


def check_files(paths: Iterable[Path]) -> None:
    """Refuse, before anything is opened or stored, a path that is not a readable file."""
    for path in paths:
        if path.is_dir():
            raise InputError(f"{path}: is a folder; name the files in it to import "
                             f"(for example {path / '*.jsonl'})")
        if not path.is_file():
            raise InputError(f"{path}: no such file")


def import_files(db: Database, settings: Settings, fmt: str, files: Iterable[Path],
                 hooks: Hooks | None = None, *, chunk_posts: int | None = None
                 ) -> ImportOutcome:
    """Import archive files of one format, one recorded run per file.

    Each chunk of `chunk_posts` posts (default 5,000) is one transaction.
    """
    from collectors.archive import FORMAT_NAMES, formats

    hooks = hooks or Hooks()
    fmt = fmt.lower()
    if fmt not in FORMAT_NAMES:
        raise InputError(f"unknown import format {fmt!r}; use {', '.join(FORMAT_NAMES)}")
    reader, platform = formats()[fmt]
    outcome = ImportOutcome()
    paths = list(files)
    check_files(paths)
    with run_lock(db, f"import:{fmt}", wait=hooks.lock_wait):
        for path in paths:
            if hooks.stop is not None and hooks.stop.is_set():
                break
            outcome.runs.append(_import_file(db, settings, fmt, reader, platform, path,
                                             hooks, outcome, chunk_posts))
    return outcome


def _chunks(db: Database, settings: Settings, fmt: str, reader: Any, platform: str | None,
            path: Path, options: dict[str, Any]) -> Iterator[Any]:
    """The file's chunks: read beside this process when it is big (see
    `collectors.offload`), else here."""
    from collectors import offload

    if not offload.wanted(path):
        return reader(path, **options)
    from collectors.archive import CHUNK_POSTS

    return offload.read_beside(offload.Job(
        fmt=fmt, path=path, chunk_posts=options.get("chunk_posts", CHUNK_POSTS),
        settings=settings, platform=platform,
        database_url=(db.engine.url.render_as_string(hide_password=False)
                      if "known" in options else None)))


def _gzipped(path: Path) -> bool:
    """Whether the file is read through gzip (as `collectors.archive.Source` decides: a .gz
    name in any case, or gzip's first bytes), for the estimate of how many posts it holds."""
    if path.suffix.lower() == ".gz":
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"\x1f\x8b"
    except OSError:
        return False


@contextlib.contextmanager
def _bulk(db: Database, path: Path, writer: PostWriter) -> Iterator[None]:
    """How a big file is loaded: indexes built at the end and no foreign-key checks (see
    `knowvember.bulkload` and `PostWriter.bulk`), and the cyclic garbage collector run less
    often, since an import makes millions of short-lived objects and no cycles (collecting
    every 700 allocations cost an eighth of the import)."""
    from collectors.archive import file_size
    from knowvember.bulkload import ARCHIVE_BYTES_PER_POST, deferred_indexes

    size = file_size(path) * (8 if _gzipped(path) else 1)  # posts the file may hold
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 50_000), *thresholds[1:])
    try:
        with deferred_indexes(db.engine, size // ARCHIVE_BYTES_PER_POST) as bulk:
            writer.bulk = bulk
            try:
                yield
            finally:
                writer.bulk = False
    finally:
        gc.set_threshold(*thresholds)


def _import_file(db: Database, settings: Settings, fmt: str, reader: Any,
                 platform: str | None, path: Path, hooks: Hooks,
                 outcome: ImportOutcome, chunk_posts: int | None = None) -> RunRecord:
    from collectors.archive import file_size

    record = start_run(db, RunRecord(source=f"import:{fmt}", started_at=hooks.now(),
                                     details={"file": str(path), "format": fmt}))
    writer = make_writer(db, settings, fmt, archive=True)
    deferred = Deferred()
    progress = Progress(source=f"{fmt} {path.name}", total_bytes=file_size(path))
    errors = 0
    bad_lines = 0  # lines with a problem (a page line can hold many tweets)
    last_bad: tuple[str, int] | None = None
    kept: list[str] = []
    api_errors = 0
    superseded = 0
    not_public = 0
    lines = 0
    spans = Spans()
    failure: str | None = None
    options: dict[str, Any] = {} if chunk_posts is None else {"chunk_posts": chunk_posts}
    counts = RunCounts(record, hooks.clock)
    if fmt in SKIPS_UNCHANGED:
        options["known"] = Probe(functools.partial(writer.unchanged, platform or "x"))
    try:
        with _bulk(db, path, writer):
            for chunk in _chunks(db, settings, fmt, reader, platform, path, options):
                hooks.stop_flag().check()
                result = writer.write(chunk.posts, chunk.accounts,
                                      dictionaries=chunk.dictionaries,
                                      also=counts.hook(chunk.unchanged + chunk.superseded))
                _add(record, result)
                # Read from the file, though not offered: stored as they are already, or an
                # edited tweet's earlier versions (the file holds a later one).
                record.fetched += chunk.unchanged + chunk.superseded
                superseded += chunk.superseded
                deferred.add(result.pending)
                lines = max(lines, chunk.lines)
                api_errors += chunk.api_errors
                not_public += chunk.not_public
                if chunk.unchanged_span is not None:
                    spans.widen(platform or "x", *chunk.unchanged_span)  # twarc2 only
                spans.add(chunk.posts, platform)
                for problem in chunk.errors:
                    errors += 1
                    where = (problem.file, problem.line)
                    if where != last_bad:  # a chunk's problems come in line order
                        bad_lines, last_bad = bad_lines + 1, where
                    text = str(problem)
                    log.warning("skipped %s", text, extra=REPORTED)
                    if len(kept) < MAX_LINE_ERRORS_KEPT:
                        kept.append(text)
                progress.fetched, progress.new = record.fetched, record.new
                progress.done_bytes = chunk.position
                hooks.report(progress)
            deferred.retry(writer, record)
    except KnowvemberError as exc:
        failure = str(exc)
    except KeyboardInterrupt:
        failure = (f"interrupted ({hooks.stop_flag().reason}); run the import again to "
                   "finish it (nothing is doubled)")
    except UnicodeDecodeError as exc:
        failure = f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
    except gzip.BadGzipFile:
        failure = (f"{path}: not a compressed file, though its name ends in .gz; rename it "
                   "without .gz (or compress it again) and import it again")
    except OSError as exc:
        failure = f"{path}: cannot read the file ({exc.strerror or exc})"
    except (zlib.error, EOFError) as exc:  # a damaged or cut-short .gz
        failure = f"{path}: the compressed file is damaged or incomplete ({exc})"
    except Exception as exc:  # a bug or an unforeseen library error: recorded, with where
        # Not raised on: the run was recorded as "the file is empty" (or as ok, after a
        # chunk was stored), the other files named were not imported, and the message
        # named no file.
        log.debug("importing %s stopped", path, exc_info=True)
        failure = _unexpected(path, exc, lines)
    finally:
        record.details["lines"] = lines
        record.details["line_errors"] = errors
        if kept:
            record.details["errors"] = kept
        if api_errors:
            record.details["api_errors"] = api_errors
        if superseded:
            record.details["superseded"] = superseded
        if not_public:
            # Not errors: left out on purpose, but a coordinator comparing the file with the
            # run's counts must be able to tell where they went.
            record.details["not_public"] = not_public
            record.add_warning(
                f"{not_public:,} followers-only or direct post(s) left out: only public "
                "posts are stored and reported")
        spans.describe(record, platform)
        _note_off_campaign(record, spans, settings)
        outcome.error_count += errors
        outcome.line_errors.extend(kept[: max(0, 20 - len(outcome.line_errors))])
        # Failed means nothing of the file was kept; context posts stored count too.
        kept_any = bool(record.fetched or record.new or record.updated)
        if failure:
            record.error = failure
            status = "partial" if kept_any else "failed"
        elif errors:
            what = (f"{errors} line(s) could not be read and were skipped" if errors == bad_lines
                    else f"{errors} unreadable record(s) on {bad_lines} line(s) were skipped")
            record.error = f"{what}; first: {kept[0] if kept else ''}"
            status = "partial" if kept_any else "failed"
        elif not record.fetched and _empty_page(fmt, lines):
            # A page of no results (Mastodon's last page is `[]`) is a true answer, not a
            # fault: the run is ok, and says so, so a folder of pages imports with exit 0.
            note = f"{path}: no posts in the file (an empty page of results)"
            record.add_warning(note)
            log.warning("%s", note, extra=REPORTED)
            status = "ok"
        elif not record.fetched:
            # An empty file, or a CSV with a header and no rows, is the wrong file or an
            # export gone wrong, not a quiet ok.
            record.error = _no_posts(path, fmt)
            status = "failed"
        else:
            status = "ok"
        finish_run(db, record, status)
        _log_result(record)
        progress.finished = True
        hooks.report(progress)
        _attribute(db, settings, writer)
    return record


class Spans:
    """The span of the posts an import held, per platform, for `runs --gaps`.

    A file of one platform records it as `platform` and `window`, as before. A CSV of several
    platforms also records each one's span in `windows`: it was recorded without a platform,
    so its posts covered nothing, and with no source enabled `runs --gaps` reported no gap.
    """

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.by_platform: dict[str, tuple[dt.datetime, dt.datetime]] = {}

    def widen(self, platform: str, low: dt.datetime, high: dt.datetime) -> None:
        self.seen.add(platform)
        known = self.by_platform.get(platform)
        self.by_platform[platform] = (low, high) if known is None else (
            min(known[0], low), max(known[1], high))

    def add(self, posts: Sequence[Any], platform: str | None) -> None:
        """A chunk's posts (context posts, quoted or replied to, say nothing of coverage);
        `platform` when the format holds one platform only (then no post is looked at
        twice: the hot path of a big import)."""
        if not posts:
            return
        if platform is not None:
            self.seen.add(platform)
            times = [p.created_at for p in posts if not p.context_only]
            if times:
                self.widen(platform, min(times), max(times))
            return
        grouped: dict[str, list[dt.datetime]] = {}
        for p in posts:
            self.seen.add(p.platform)
            if not p.context_only:
                grouped.setdefault(p.platform, []).append(p.created_at)
        for name, times in grouped.items():
            self.widen(name, min(times), max(times))

    def describe(self, record: RunRecord, platform: str | None) -> None:
        if platform or len(self.seen) == 1:
            record.details["platform"] = platform or next(iter(self.seen))
        if not self.by_platform:
            return
        low = min(span[0] for span in self.by_platform.values())
        high = max(span[1] for span in self.by_platform.values())
        record.details["window"] = {"from": _iso(low), "to": _iso(high)}
        if len(self.seen) > 1:
            record.details["windows"] = {
                name: {"from": _iso(a), "to": _iso(b)}
                for name, (a, b) in sorted(self.by_platform.items())}


def _note_off_campaign(record: RunRecord, spans: Spans, settings: Settings) -> None:
    """Warn when a file held no campaign post at all, or added posts none of which is dated
    within the campaign: another year's archive, most likely. In the second case
    (`#KNOWvember`, a tag of every year, matched) its posts were stored, and the import said
    "ok, N new" and nothing else, while the report, which counts the campaign's dates,
    counted none of them."""
    if record.fetched and record.off_campaign == record.fetched:
        # Nothing was stored, nor had been: "ok, 3,500 read, 0 new, 3,500 skipped
        # off-campaign" and exit 0, for last year's archive imported into a campaign that
        # `init` made for the coming November (its tags name another year).
        tags = ", ".join(f"#{t}" for t in settings.campaign.all_tags[:6])
        note = (f"none of the file's {record.fetched:,} post(s) has a campaign hashtag "
                f"({tags}) or answers a campaign post: is the file this campaign's, and "
                "are [campaign] hashtags its year's?")
        record.add_warning(note)
        log.warning("%s: %s", record.details.get("file", "import"), note, extra=REPORTED)
        return
    if not record.new or not spans.by_platform:
        return
    start, end = settings.campaign.window_utc()
    low = min(span[0] for span in spans.by_platform.values())
    high = max(span[1] for span in spans.by_platform.values())
    if low < end and high >= start:
        return
    campaign = settings.campaign
    note = (f"every post in the file is dated {_day(low, campaign.tz)} to "
            f"{_day(high, campaign.tz)}, outside the campaign "
            f"({campaign.start:%d %b %Y} to {campaign.end:%d %b %Y}): another year's "
            f"archive? Its {record.new:,} new post(s) are stored, but a report counts them "
            "only with --since and --until around those dates")
    record.add_warning(note)
    log.warning("%s: %s", record.details.get("file", "import"), note, extra=REPORTED)


def _day(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """The day `moment` falls on in the campaign's time zone (in UTC, for a time that zone
    cannot hold: a file's post dated 0001-01-01)."""
    with contextlib.suppress(OverflowError):
        moment = moment.astimezone(zone)
    return f"{moment:%d %b %Y}"


def _empty_page(fmt: str, lines: int) -> bool:
    """Whether a file that gave no posts and no unreadable lines is JSON pages of no results.

    Every line of such a file was read as a page of the format (a line of another shape is
    an unreadable line, counted as an error before this is asked), so it is an empty result.
    """
    from collectors.archive import JSON_FORMATS

    return fmt in JSON_FORMATS and lines > 0


def _unexpected(path: Path, exc: Exception, lines: int) -> str:
    """What an import stopped by an error no reader foresaw says: the file, how far it got
    (the reader's chunks say which lines they read, not the line being read) and the error."""
    what = excerpt(str(exc)) if str(exc) else ""
    where = (f"after line {lines:,} (the campaign posts before it are stored)" if lines
             else "before any post was stored")
    return (f"{path}: the import stopped {where}: unexpected {type(exc).__name__}"
            f"{f': {what}' if what else ''} (run with -v for details, and please report it)")


def _no_posts(path: Path, fmt: str) -> str:
    """Why a file that gave no posts failed, naming it (as a CSV with no header is)."""
    from collectors.archive import JSON_FORMATS

    if fmt in JSON_FORMATS:  # pages of no results are an ok run: this file has no lines
        return f"{path}: the file is empty (no posts to import)"
    return (f"{path}: no posts in the file (a header row, but no rows under it: an "
            "empty export?)")


# -- the run log --------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A stretch of the campaign window no successful run of a platform covered."""

    source: str
    start: dt.datetime
    end: dt.datetime

    def to_json(self) -> dict[str, Any]:
        hours = (self.end - self.start).total_seconds() / 3600
        # Whole seconds, the gap widened to them: a gap is read by people, to the minute.
        end = self.end + dt.timedelta(microseconds=-self.end.microsecond % 1_000_000)
        return {"source": self.source, "from": _iso(self.start, "seconds"),
                "to": _iso(end, "seconds"), "hours": round(hours, 1)}


def _run_windows(run: RunRecord) -> dict[str, Any]:
    """platform -> the window (or None) a run covered: its `platform` and `window`, or for an
    import of several platforms (a CSV) each one's `windows` entry."""
    windows = run.details.get("windows")
    if isinstance(windows, dict) and windows:
        return {str(k): v for k, v in windows.items()}
    platform = run.details.get("platform")
    return {str(platform): run.details.get("window")} if platform else {}


def coverage_gaps(db: Database, settings: Settings, now: dt.datetime | None = None,
                  min_gap: dt.timedelta = dt.timedelta(minutes=1)) -> list[Gap]:
    """Stretches of the campaign window (up to now) that no successful run covered.

    A run records the window it fully covered (for X recent search, never more than 7 days
    back), so a week without a successful run shows up as a gap. Imports count for their
    platform over the span of the posts they held (each platform's, for a CSV of several).
    A platform counts once it is enabled or anything ran or was imported for it, so that
    with only imports (no source enabled) the time after the last imported post is a gap:
    posts of then may be missing, which is what `runs --gaps` is asked. A platform nothing
    was ever read for is not part of the campaign, and reports none.
    """
    from collectors.base import parse_time

    now = now or utcnow()
    start, end = settings.campaign.window_utc()
    end = min(end, now)
    if end <= start:
        return []
    covered: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    for run in list_runs(db):
        windows = _run_windows(run)
        for platform in windows:
            covered.setdefault(platform, [])
        is_import = run.source.startswith("import:")
        if run.status != "ok" and not (is_import and run.status == "partial"):
            continue
        for platform, window in windows.items():
            if not isinstance(window, dict):
                continue
            try:
                covered[platform].append((parse_time(window["from"]), parse_time(window["to"])))
            except (KeyError, ValueError, TypeError):
                continue
    for source in enabled_sources(settings):
        covered.setdefault(source, [])
    gaps = []
    for platform in sorted(covered, key=lambda p: SOURCES.index(p) if p in SOURCES else 9):
        cursor = start
        for low, high in sorted(covered[platform]):
            if low > cursor and min(low, end) - cursor >= min_gap:
                gaps.append(Gap(platform, cursor, min(low, end)))
            cursor = max(cursor, high)
            if cursor >= end:
                break
        if end - cursor >= min_gap:
            gaps.append(Gap(platform, cursor, end))
    return gaps


# -- scheduling ---------------------------------------------------------------------------


def schedule(db: Database, settings: Settings, sources: Sequence[str], every: float,
             hooks: Hooks | None = None,
             on_cycle: Callable[[CollectOutcome], None] | None = None) -> int:
    """Collect every `every` seconds from the campaign start until the grace period ends.

    Returns the number of collection cycles run. Stops cleanly (between pages) when the stop
    flag is set, e.g. by Ctrl-C.
    """
    from collectors.x import collection_window

    hooks = hooks or Hooks()
    stop = hooks.stop_flag()
    start, end = collection_window(settings)
    cycles = 0
    while not stop.is_set():
        now = hooks.now()
        if now >= end:
            log.info("The campaign and its %d-day grace period are over (%s); stopping.",
                     settings.schedule.grace_days, f"{end:%Y-%m-%d %H:%M} UTC")
            break
        if now < start:
            log.info("The campaign starts %s; waiting.", f"{start:%Y-%m-%d %H:%M} UTC")
            _sleep_until(start, hooks, stop)
            continue
        outcome = collect(db, settings, sources, hooks)
        cycles += 1
        if on_cycle is not None:
            on_cycle(outcome)
        if stop.is_set():
            break
        next_at = now + dt.timedelta(seconds=every)
        if next_at >= end:
            next_at = end
        _sleep_until(next_at, hooks, stop)
    return cycles


def _sleep_until(moment: dt.datetime, hooks: Hooks, stop: StopFlag) -> None:
    """Sleep in short steps until `moment`, waking at once when stopped."""
    while not stop.is_set():
        left = (moment - hooks.now()).total_seconds()
        if left <= 0:
            return
        hooks.sleep(min(left, 1.0))
