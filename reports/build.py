"""`knowvember report`: read once, then write every format the report was asked for.

Files are written into a staging folder beside the output folder and moved into place
only when all of them are done, so a failed run never leaves a half-written report (or
half of last week's and half of today's) behind.
"""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from knowvember.errors import ConfigError, InputError, KnowvemberError
from reports.content import ReportContent, build_content, count, draw_charts
from reports.dataset import CampaignData, load_campaign_data

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from knowvember.config import Settings
    from knowvember.db import Database
    from knowvember.techniques import Taxonomy
    from reports.network import Connections
    from reports.period import CampaignRow, Period
    from reports.posts_csv import Export
    from reports.scope import CatalogueLike, Directory

log = logging.getLogger(__name__)

FORMATS = ("html", "pdf", "md", "xlsx")


def parse_formats(text: str) -> list[str]:
    """`html,pdf` -> ["html", "pdf"]; an unknown name is an error naming it."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise InputError(f"--format: {', '.join(unknown) or text!r} is not a report format "
                         f"(use a comma-separated list of {', '.join(FORMATS)})")
    return list(dict.fromkeys(names))


def running_until(settings: Settings, now: dt.datetime | None = None) -> dt.date | None:
    """Today in the campaign's timezone while its last day is still to come, else None."""
    from zoneinfo import ZoneInfo

    campaign = settings.campaign
    moment = now or dt.datetime.now(dt.UTC)
    today = moment.astimezone(ZoneInfo(campaign.timezone)).date()
    return today if campaign.start <= today < campaign.end else None


@contextmanager
def _timed(step: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log.debug("report: %s took %.2fs", step, time.perf_counter() - started)


def build_report(
    db: Database,
    settings: Settings,
    out: Path,
    *,
    formats: list[str] | tuple[str, ...] = FORMATS,
    per_org: bool = False,
    until: dt.date | None = None,
    now: dt.datetime | None = None,
    catalogue: CatalogueLike | None = None,
    taxonomy: Taxonomy | None = None,
) -> dict[str, Path]:
    """Write the report into `out`; returns what was written (label -> path).

    Made while the campaign is still running, without `until`, it is an interim report to
    today: before, it was titled the campaign's report, over days still to come.
    """
    formats = list(formats)
    if not formats:  # `[reports] formats = []`: only the network files were written, exit 0
        raise ConfigError("reports.formats is empty, so there is no report to write; list "
                          f"some of {', '.join(FORMATS)}, or give --format")
    if until is None:
        until = running_until(settings, now)
    for name in formats:
        if name not in FORMATS:
            raise InputError(f"unknown report format {name!r}")
    if per_org and "html" not in formats:
        # The pages are HTML: asked for with --format pdf (or [reports] formats without
        # html), none were written and the run said nothing of it.
        raise InputError(f"--per-org writes each organisation's page as HTML (orgs/CODE.html), "
                         f"and html is not among the formats ({', '.join(formats)}); add it, "
                         f"as in --format html,{','.join(formats)}, or leave out --per-org")
    out = out.resolve()
    _refuse_foreign(out, formats, per_org, settings)
    with _staging(out) as stage, ThreadPoolExecutor(1) as pool:
        # The two slowest parts run beside the rest: posts.csv in its own process, started
        # as soon as the accounts are read, and the network's two table scans in a thread
        # (SQLite works without the GIL).
        export: Export | None = None

        def start_csv(conn: Connection, campaign: CampaignRow, period: Period,
                      directory: Directory, excluded: set[int]) -> None:
            nonlocal export
            if "xlsx" in formats and settings.reports.posts_csv:
                from reports.posts_csv import job_for, start_export

                export = start_export(job_for(conn, campaign, period, directory,
                                              stage / "posts.csv", excluded))

        try:
            with _timed("reading"):
                data = load_campaign_data(db, settings, until=until, catalogue=catalogue,
                                          taxonomy=taxonomy, accounts_read=start_csv)
            network = pool.submit(_connections, db, data)
            xlsx_posts = settings.reports.xlsx_posts if "xlsx" in formats else 0
            with _timed("content"):
                content = build_content(db, data, per_org=per_org, now=now,
                                        xlsx_posts=xlsx_posts, connections=network)
            if {"html", "pdf", "md"} & set(formats):
                with _timed("charts"):
                    content.charts = draw_charts(content)
            written = _write(content, stage, formats, per_org)
            if export is not None:
                with _timed("waiting for posts.csv"):
                    rows = export.wait()
                written[f"All posts (CSV, {count(rows, 'row')})"] = stage / "posts.csv"
        finally:
            if export is not None:
                export.cancel()
        return _publish(stage, out, written)


def _connections(db: Database, data: CampaignData) -> Connections:
    from reports.network import build_connections
    from reports.scope import excluded_account_ids

    with _timed("connections"), db.begin() as conn:
        return build_connections(conn, data, excluded_account_ids(conn, data.settings))


def _write(content: ReportContent, stage: Path, formats: list[str], per_org: bool
           ) -> dict[str, Path]:
    from reports.network import write_graph_files

    written: dict[str, Path] = {}
    if content.charts:
        charts = stage / "charts"
        charts.mkdir()
        for chart in content.charts.values():
            (charts / f"{chart.name}.png").write_bytes(chart.png)
        written[f"Charts ({len(content.charts)})"] = charts
    written.update(write_graph_files(content.connections, stage))
    if "html" in formats:
        from reports.html import write_html

        with _timed("html"):
            written.update(write_html(content, stage, per_org=per_org))
    if "md" in formats:
        from reports.markdown import write_markdown

        written.update(write_markdown(content, stage))
    if "pdf" in formats:
        from reports.pdf import write_pdf

        with _timed("pdf"):
            written.update(write_pdf(content, stage))
    if "xlsx" in formats:
        from reports.xlsx import write_workbook

        with _timed("xlsx"):
            path = stage / "report.xlsx"
            write_workbook(content, path)
            written["Workbook (XLSX)"] = path
    return written


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} is a file, not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KnowvemberError(f"cannot create the report folder {out.parent}: {exc}") from exc
    _remove_abandoned(out)
    stage = out.parent / f".{out.name}.partial-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _remove_abandoned(out: Path) -> None:
    """Staging folders of report runs that were killed (their process is gone)."""
    for folder in out.parent.glob(f".{out.name}.partial-*"):
        try:
            pid = int(folder.name.rsplit("-", 1)[1])
            os.kill(pid, 0)  # still running (another report into the same folder): leave it
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, PermissionError, OSError):
            continue


# What a report run can write into its folder, and for the two that belong to another of
# its files, which: per-org pages are linked from report.html and link back to it, and
# the charts are drawn for the HTML, Markdown and PDF.
REPORT_ENTRIES = ("report.html", "report.pdf", "report.md", "report.xlsx", "posts.csv",
                  "charts", "orgs", "connections.gexf", "connections.graphml")
BELONGS_TO = {"orgs": ("report.html",), "charts": ("report.html", "report.md", "report.pdf")}


def _publish(stage: Path, out: Path, written: dict[str, Path]) -> dict[str, Path]:
    """Move the staged files into `out`, replacing earlier versions of the same files.

    An earlier run's per-org pages under a new report.html made without --per-org, or its
    charts beside a new report that has none, are removed: the new report would link to,
    or sit over, pages that say other numbers. Another format an earlier run wrote (a
    workbook beside an HTML-only run) was asked for then and is kept, with a warning that
    it is not remade; any file that is not the report's is left alone.
    """
    out.mkdir(parents=True, exist_ok=True)
    made = {entry.name for entry in stage.iterdir()}
    for entry in sorted(stage.iterdir()):
        _remove(out / entry.name)
        os.replace(entry, out / entry.name)
    for name in REPORT_ENTRIES:
        stale = out / name
        if name in made or not (stale.exists() or stale.is_symlink()) or _foreign(stale):
            continue
        if any(owner in made for owner in BELONGS_TO.get(name, ())):
            _remove(stale)
            log.warning("Removed %s: the earlier report's, which this report replaces", stale)
        else:
            log.warning("Kept %s from an earlier report run: this run did not remake it, "
                        "so its numbers may differ", stale)
    return {label: out / path.relative_to(stage) for label, path in written.items()}


def _refuse_foreign(out: Path, formats: list[str], per_org: bool, settings: Settings) -> None:
    """Stop before any work when the run would replace or remove something in `out` that
    no report wrote: `--out .` in the campaign folder, beside the coordinator's own
    `posts.csv` import file or an `orgs/` folder of notes, replaced the one and deleted the
    other."""
    touched = []
    if {"html", "md", "pdf"} & set(formats):
        touched.append("charts")
    if "html" in formats:
        touched.append("orgs")  # replaced with --per-org, removed without
    if "xlsx" in formats and settings.reports.posts_csv:
        touched.append("posts.csv")
    for name in touched:
        found = _foreign(out / name)
        if found:
            raise InputError(f"--out {out}: {found} is not from a report, and this report "
                             f"would {'replace' if name != 'orgs' or per_org else 'remove'} "
                             f"it; write the report into a folder of its own (such as "
                             f"--out {out / 'report'}) or move it")


def _foreign(target: Path) -> str | None:
    """What in `target` (a name the report writes) a report did not write, if anything:
    an `orgs/` holds only its HTML pages, `charts/` only PNGs, posts.csv starts with its
    header row's columns."""
    from reports.posts_csv import COLUMNS

    if target.is_symlink() or not target.exists():
        return None
    if target.name in ("orgs", "charts"):
        if not target.is_dir():
            return str(target)
        suffix = ".html" if target.name == "orgs" else ".png"
        others = sorted(p for p in target.iterdir() if p.suffix != suffix or not p.is_file())
        return str(others[0]) if others else None
    if target.name == "posts.csv" and target.is_file():
        with target.open("rb") as handle:
            first = handle.readline()
        # The first columns only: an earlier release's posts.csv had fewer after them, and
        # no byte order mark before them.
        first = first.removeprefix(codecs.BOM_UTF8)
        return None if first.startswith(",".join(COLUMNS[:4]).encode()) else str(target)
    return None


def _remove(target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()
