"""The benchmark run: each figure measured through the real `knowvember` command.

Order matters only where a figure needs an earlier one's database: the fresh import makes the
database the re-import, the Mastodon/Bluesky imports and the reports then use.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import figures as F
from benchmarks.data import Data
from benchmarks.figures import Figure, Target
from benchmarks.measure import CommandFailed, Measurement, Series, repeated, run

log = logging.getLogger(__name__)

BASELINE = Path(__file__).with_name("baseline.py")
ROOT = Path(__file__).resolve().parent.parent
HELP_RUNS = 10


@dataclass
class Options:
    posts: int
    work: Path
    pg_url: str | None
    repeat: int = 3
    long_after: float = 30.0  # seconds: a longer run is measured once


def knowvember_argv() -> list[str]:
    """The installed `knowvember` script next to this interpreter, as a user would run it."""
    script = Path(sys.executable).with_name("knowvember")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "knowvember"]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for lock in path.parent.glob(f"{path.name}.*.lock"):
        lock.unlink(missing_ok=True)


def run_records(stdout: str) -> list[dict[str, Any]]:
    """The run records an `import --format json` printed (a list, or an object with one)."""
    value = json.loads(stdout)
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        value = lists[0] if lists else [value]
    return [r for r in value if isinstance(r, dict)]


def totals(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    out = {"fetched": 0, "new": 0, "updated": 0, "skipped": 0, "runs": 0, "not_ok": 0}
    for record in records:
        out["runs"] += 1
        out["not_ok"] += record.get("status") != "ok"
        for key in ("fetched", "new", "updated", "skipped"):
            out[key] += int(record.get(key) or 0)
    return out


def timing(series: Series) -> dict[str, Any]:
    """Every run's wall seconds, the median CPU seconds and the peak RSS, for the details."""
    return {"seconds": series.all_seconds, "cpu_seconds": round(series.cpu_seconds, 3),
            "peak_rss_mb": round(series.peak_rss_mb, 1)}


def count_posts(
    url: str,
    window: tuple[dt.datetime, dt.datetime] | None = None,
    excluded: tuple[tuple[str, str], ...] = (),
) -> int:
    """Posts in the database (created within `window`, UTC, when given), counted directly,
    leaving out the opted-out accounts (`excluded`: (platform, handle)) as every report does."""
    import sqlalchemy as sa

    from knowvember.models import Account, Post

    posts, accounts = Post.__table__, Account.__table__
    query = sa.select(sa.func.count()).select_from(posts)
    if window is not None:
        start, end = (moment.astimezone(dt.UTC) for moment in window)
        query = query.where(posts.c.created_at >= start, posts.c.created_at < end)
    if excluded:
        opted_out = sa.select(accounts.c.id).where(
            sa.tuple_(accounts.c.platform, accounts.c.handle).in_(list(excluded))
        )
        query = query.where(
            sa.or_(posts.c.account_id.is_(None), posts.c.account_id.not_in(opted_out))
        )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)
    finally:
        engine.dispose()


class Bench:
    """Measures every figure in turn; a figure that cannot be measured says why."""

    def __init__(self, options: Options, data: Data) -> None:
        self.options = options
        self.data = data
        self.figures: list[Figure] = []
        self.cli = knowvember_argv()
        self.db = options.work / "bench.db"
        self.baseline_rows_s: float | None = None
        self.import_seconds: float | None = None
        self.stored = 0  # posts in the SQLite database after the imports

    # -- plumbing -----------------------------------------------------------------------

    def env(self, url: str) -> dict[str, str]:
        """The children's environment: this sample's config and database, and compiled
        bytecode kept (in the work folder) as an installed package has it, even where the
        caller's shell sets PYTHONDONTWRITEBYTECODE."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWVEMBER_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.options.work / "pycache")
        env["KNOWVEMBER_CONFIG"] = str(self.data.config)
        env["KNOWVEMBER_DATABASE_URL"] = url
        return env

    def knowvember(self, *args: str | Path, url: str | None = None) -> Measurement:
        url = url or sqlite_url(self.db)
        return run([*self.cli, *map(str, args)], env=self.env(url), cwd=self.options.work)

    def series(self, once: Callable[[], Measurement], times: int | None = None) -> Series:
        return repeated(once, times or self.options.repeat, long_after=self.options.long_after)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        log.info("%s: %s (%s)", figure.label, figure.value_text(), figure.result_text())
        return figure

    def failed(self, key: str, label: str, unit: str, exc: Exception) -> None:
        self.add(Figure(key, label, None, unit, problems=[str(exc)]))

    def ratio(self, rate: float) -> float | None:
        return rate / self.baseline_rows_s if self.baseline_rows_s else None

    def all(self) -> list[Figure]:
        steps = [self.baseline, self.startup, self.import_sqlite, self.reimport_sqlite,
                 self.sqlite_floor, self.reading_floor, self.import_fediverse, self.summary,
                 self.leaderboard, self.report, self.import_postgres]
        for step in steps:
            try:
                step()
            except CommandFailed as exc:
                log.error("%s", exc)
                self.failed(step.__name__, step.__name__.replace("_", " "), "", exc)
        return self.figures

    # -- figures ------------------------------------------------------------------------

    def baseline(self) -> None:
        rows = self.data.x_posts
        path = self.options.work / "baseline.db"
        series = self.series(lambda: run([sys.executable, str(BASELINE), str(path),
                                          str(rows)]).check())
        inner = [json.loads(m.stdout)["seconds"] for m in series.runs]
        self.baseline_rows_s = rows / statistics.median(inner)
        self.add(Figure("baseline", "baseline: sqlite3 executemany, one table",
                        round(self.baseline_rows_s), "rows/s", ratio=1.0,
                        details={"rows": rows, "seconds": [round(s, 3) for s in inner]}))

    def startup(self) -> None:
        self.knowvember("--help").check()  # warm-up: compiles the bytecode once
        series = repeated(lambda: self.knowvember("--help").check(),
                          max(HELP_RUNS, self.options.repeat), long_after=float("inf"))
        problems = [] if "Usage" in series.last.stdout else ["--help printed no usage"]
        self.add(Figure("help", "knowvember --help start-up", round(series.seconds, 3), "s",
                        [Target("<", F.HELP_SECONDS, "s")], problems=problems,
                        details=timing(series)))

    def _import_x(self) -> Measurement:
        remove_sqlite(self.db)
        return self.knowvember("import", "twarc2", self.data.x_file, "--format", "json").check()

    def import_sqlite(self) -> None:
        series = self.series(self._import_x)
        got = totals(run_records(series.last.stdout))
        x = self.data.platform("x")
        self.stored = count_posts(sqlite_url(self.db))
        problems = _expect(got, x, self.stored)
        rate = self.data.x_posts / series.seconds
        self.import_seconds = series.seconds
        details = {"posts": self.data.x_posts, **timing(series), **got,
                   "stored": self.stored, "file_mb": round(self.data.x_file.stat().st_size
                                                           / 1024**2, 1)}
        self.add(Figure("import_sqlite", "import twarc2 -> SQLite (fresh)", round(rate),
                        "posts/s", [Target(">=", F.IMPORT_POSTS_PER_S, "posts/s")],
                        ratio=self.ratio(rate), ratio_target=F.IMPORT_VS_BASELINE,
                        details=details, problems=problems))
        self.add(Figure("import_sqlite_rss", "import twarc2 -> SQLite: peak RSS",
                        round(series.peak_rss_mb, 1), "MB", [Target("<", F.IMPORT_RSS_MB, "MB")]))

    def reimport_sqlite(self) -> None:
        if self.import_seconds is None:
            raise CommandFailed("no fresh import to re-import over")
        series = self.series(lambda: self.knowvember(
            "import", "twarc2", self.data.x_file, "--format", "json").check())
        got = totals(run_records(series.last.stdout))
        stored = count_posts(sqlite_url(self.db))
        problems = []
        if got["new"] or got["updated"]:
            problems.append(f"the re-import added {got['new']} and updated {got['updated']}")
        if stored != self.stored:
            problems.append(f"posts went from {self.stored} to {stored}")
        if got["not_ok"]:
            problems.append("a run did not finish ok")
        speedup = self.import_seconds / series.seconds
        rate = self.data.x_posts / series.seconds
        self.add(Figure("reimport_sqlite", "re-import same file: times faster", round(speedup, 2),
                        "x", [Target(">=", F.REIMPORT_SPEEDUP, "x")], ratio=self.ratio(rate),
                        problems=problems,
                        details={**timing(series), "posts_per_s": round(rate),
                                 "first_import_seconds": round(self.import_seconds, 3), **got}))

    def sqlite_floor(self) -> None:
        """The first import's own rows written again through plain sqlite3 (with and without
        their raw payloads): how fast SQLite alone stores them, the bound on any import."""
        if self.import_seconds is None:
            raise CommandFailed("no fresh import to replay")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        for key, label, flags in (
                ("sqlite_floor", "floor: the import's rows through plain sqlite3", []),
                ("sqlite_floor_no_raw", "floor without the raw payloads", ["--no-raw"])):
            path = self.options.work / "floor.db"
            series = self.series(lambda flags=flags, path=path: run(
                [sys.executable, "-m", "benchmarks.floor", str(self.db), str(path), *flags],
                env=env, cwd=self.options.work).check())
            inner = [json.loads(m.stdout) for m in series.runs]
            seconds = statistics.median(r["seconds"] for r in inner)
            counts = {k: inner[-1][k] for k in ("posts", "hashtag_rows", "technique_rows",
                                                "raw_bytes", "raw_z_bytes")}
            problems = ([] if counts["posts"] == self.stored else
                        [f"replayed {counts['posts']} posts, the import stored {self.stored}"])
            # Per post of the file, as the import figure is counted.
            rate = self.data.x_posts / seconds
            self.add(Figure(key, label, round(rate), "posts/s", ratio=self.ratio(rate),
                            problems=problems, details={
                                **counts, "seconds": [round(r["seconds"], 3) for r in inner],
                                "insert_seconds": round(statistics.median(
                                    r["insert_seconds"] for r in inner), 3),
                                "index_seconds": round(statistics.median(
                                    r["index_seconds"] for r in inner), 3),
                                "share_of_first_import": round(seconds / self.import_seconds,
                                                               3)}))

    def reading_floor(self) -> None:
        """The import's reading with nothing stored: how long an import would take if
        storing cost nothing, and the CPU seconds reading alone needs (the import is
        CPU-bound on two cores, so these bound it as much as the SQLite floor does)."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        series = self.series(lambda: run(
            [sys.executable, "-m", "benchmarks.reading", str(self.data.config),
             str(self.data.x_file)], env=env, cwd=self.options.work).check())
        inner = [json.loads(m.stdout) for m in series.runs]
        seconds = statistics.median(float(r["seconds"]) for r in inner)
        last = inner[-1]
        problems = ([] if last["posts"] == self.data.x_posts else
                    [f"read {last['posts']} posts, the file holds {self.data.x_posts}"])
        rate = self.data.x_posts / seconds
        cpu = float(last["reader_cpu_seconds"]) + float(last["receiver_cpu_seconds"])
        details: dict[str, Any] = {
            **{k: last[k] for k in ("posts", "context_posts", "readers")},
            "seconds": [round(float(r["seconds"]), 3) for r in inner],
            "reader_cpu_seconds": round(float(last["reader_cpu_seconds"]), 2),
            "receiver_cpu_seconds": round(float(last["receiver_cpu_seconds"]), 2),
            "cpu_seconds": round(cpu, 2)}
        if self.import_seconds:
            details["share_of_first_import"] = round(seconds / self.import_seconds, 3)
        self.add(Figure("reading_floor", "floor: reading the file, nothing stored",
                        round(rate), "posts/s", ratio=self.ratio(rate), problems=problems,
                        details=details))

    def import_fediverse(self) -> None:
        for name, files in (("mastodon", self.data.mastodon_files),
                            ("bluesky", self.data.bluesky_files)):
            if not files:
                continue
            m = self.knowvember("import", name, *files, "--format", "json").check()
            got = totals(run_records(m.stdout))
            expected = self.data.platform(name)
            before, self.stored = self.stored, count_posts(sqlite_url(self.db))
            problems = []
            if got["new"] != expected.get("campaign_posts"):
                problems.append(f"stored {got['new']} posts, the sample has "
                                f"{expected.get('campaign_posts')} campaign posts")
            if self.stored - before != got["new"]:
                problems.append(f"the run says {got['new']} new, the table grew by "
                                f"{self.stored - before}")
            if got["not_ok"]:
                problems.append(f"{got['not_ok']} run(s) did not finish ok")
            posts = int(expected.get("posts", 0))
            rate = posts / m.seconds
            self.add(Figure(f"import_{name}", f"import {name} pages -> SQLite", round(rate),
                            "posts/s", ratio=self.ratio(rate), problems=problems,
                            details={"posts": posts, "files": len(files),
                                     **timing(Series((m,))), **got}))

    def summary(self) -> None:
        series = self.series(lambda: self.knowvember("summary", "--format", "json").check())
        document = json.loads(series.last.stdout)
        from knowvember.config import load_settings_file
        from knowvember.records import parse_account_ref

        opted_out = tuple(parse_account_ref(ref) for ref in
                          load_settings_file(self.data.config).leaderboard.exclude_accounts)
        in_window = count_posts(sqlite_url(self.db), self.data.window, opted_out)
        problems = []
        if document.get("posts") != in_window:
            problems.append(f"summary says {document.get('posts')} posts, the database holds "
                            f"{in_window} in the campaign window")
        self.add(Figure("summary", "summary --format json", round(series.seconds, 3), "s",
                        [Target("<", F.QUERY_SECONDS, "s")], problems=problems,
                        details={**timing(series), "posts": document.get("posts"),
                                 "posts_in_window": in_window, "posts_stored": self.stored}))

    def leaderboard(self) -> None:
        series = self.series(lambda: self.knowvember("leaderboard").check())
        rows = json.loads(self.knowvember("leaderboard", "--format", "json").check().stdout)
        problems = [] if rows else ["the leaderboard has no rows"]
        self.add(Figure("leaderboard", "leaderboard", round(series.seconds, 3), "s",
                        [Target("<", F.QUERY_SECONDS, "s")], problems=problems,
                        details={**timing(series), "rows": len(rows)}))

    def report(self) -> None:
        runs = 0

        def once() -> Measurement:
            nonlocal runs
            runs += 1
            out = self.options.work / f"report-{runs}"
            shutil.rmtree(out, ignore_errors=True)
            return self.knowvember("report", "--format", "html,xlsx", "--per-org",
                                   "--out", out).check()

        series = self.series(once)
        out = self.options.work / f"report-{runs}"
        html = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
        xlsx = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
        problems = []
        if not xlsx:
            problems.append("no .xlsx written")
        if len(html) < 2:
            problems.append(f"expected the report and per-organisation pages, got {html}")
        self.add(Figure("report", "report --format html,xlsx --per-org",
                        round(series.seconds, 2), "s", [Target("<", F.REPORT_SECONDS, "s")],
                        problems=problems,
                        details={**timing(series), "html_files": len(html),
                                 "xlsx_files": xlsx, "folder": str(out)}))
        self.add(Figure("report_rss", "report: peak RSS", round(series.peak_rss_mb, 1), "MB",
                        [Target("<", F.REPORT_RSS_MB, "MB")]))

    def import_postgres(self) -> None:
        from benchmarks import postgres

        label = "import twarc2 -> PostgreSQL (fresh)"
        url = self.options.pg_url
        reason = "no --db given" if not url else postgres.answers(url)
        if reason or not url:
            self.add(Figure("import_postgres", label, None, "posts/s", skipped=reason))
            return
        counts: list[int] = []

        def once() -> Measurement:
            with postgres.fresh_schema(url) as scoped:
                m = self.knowvember("import", "twarc2", self.data.x_file, "--format", "json",
                                    url=scoped).check()
                counts.append(count_posts(scoped))
            return m

        series = self.series(once)
        got = totals(run_records(series.last.stdout))
        problems = _expect(got, self.data.platform("x"), counts[-1])
        rate = self.data.x_posts / series.seconds
        self.add(Figure("import_postgres", label, round(rate), "posts/s",
                        ratio=self.ratio(rate), problems=problems,
                        details={**timing(series), "stored": counts[-1], **got}))


def _expect(got: dict[str, int], generated: dict[str, Any], stored: int) -> list[str]:
    """What a first import of the X file must have done, from the sample's manifest."""
    problems = []
    if got["not_ok"]:
        problems.append(f"{got['not_ok']} run(s) did not finish ok")
    if got["fetched"] != generated.get("posts"):
        problems.append(f"read {got['fetched']} posts, the file has {generated.get('posts')}")
    if got["new"] != generated.get("campaign_posts"):
        problems.append(f"stored {got['new']} posts, the sample has "
                        f"{generated.get('campaign_posts')} campaign posts")
    if got["skipped"] != generated.get("off_campaign"):
        problems.append(f"skipped {got['skipped']} posts, the sample has "
                        f"{generated.get('off_campaign')} off-campaign posts")
    if stored != got["new"]:
        problems.append(f"the run says {got['new']} new, the posts table holds {stored}")
    return problems
