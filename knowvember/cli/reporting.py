"""`knowvember summary`, `leaderboard` and `report`: thin over `reports/`.

Everything heavy (numpy, matplotlib, SQLAlchemy, the report writers) is imported inside the
commands so `knowvember --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from knowvember.cli.common import (
    TableOrJson,
    emit_json,
    err_console,
    handled,
    state,
    write_atomically,
)
from reports.choices import By, Metric

if TYPE_CHECKING:
    from rich.console import Console

    from knowvember.config import Settings
    from reports.dataset import CampaignData


class BoardFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.command("summary")(summary)
    app.command("leaderboard")(leaderboard)
    app.command("report")(report)


def _date(value: str | None, option: str) -> dt.date | None:
    from reports.period import parse_date

    return parse_date(value, option)


def _warn_if_tags_stale(ctx: typer.Context) -> None:
    """Say once on stderr when the stored technique tags were made by other rules.

    The counts would mix two taxonomies; the JSON on stdout is left as it is. Retagging
    is the coordinator's call, not a side effect of reading (see knowvember.retag).
    """
    from knowvember.retag import warn_if_stale
    from knowvember.techniques import Taxonomy

    app = state(ctx)
    warn_if_stale(app.db(), Taxonomy.load(app.settings()))


def _load(ctx: typer.Context, since: str | None = None, until: str | None = None
          ) -> CampaignData:
    from reports.dataset import load_campaign_data

    app = state(ctx)
    settings = app.settings()
    first = _date(since, "--since")
    last = _date(until, "--until")
    if last is None:
        last = _running_until(settings, first)
    return load_campaign_data(app.db(), settings, since=first, until=last)


def _running_until(settings: Settings, since: dt.date | None) -> dt.date | None:
    """Today while the campaign runs, as `report` stops: `summary` and `leaderboard`
    counted to the campaign's end, so the three disagreed on the period and on which
    stories were in it. A --since after today keeps the campaign's end (an empty period
    to come, not an error about an --until nobody gave)."""
    from reports.build import running_until

    today = running_until(settings)
    return None if today is None or (since is not None and since > today) else today


@handled
def summary(
    ctx: typer.Context,
    org: str | None = typer.Option(None, "--org", help="Only this organisation (ODS code)."),
    region: str | None = typer.Option(None, "--region", help="Only this NHS England region."),
    since: str | None = typer.Option(None, "--since", help="First day, YYYY-MM-DD "
                                     "(default: the campaign's start)."),
    until: str | None = typer.Option(None, "--until", help="Last day, YYYY-MM-DD "
                                     "(default: the campaign's end; while it runs, "
                                     "today)."),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="table or json."),
) -> None:
    """Headline numbers: posts, contributors, organisations, engagement, stories, techniques."""
    from reports.metrics import filter_data, summarise

    data = filter_data(_load(ctx, since, until), org=org, region=region)
    result = summarise(data)
    _warn_if_tags_stale(ctx)
    if format is TableOrJson.json:
        emit_json(result)
        return
    _print_summary(result)


def _print_summary(s: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from knowvember.cli.common import out_console
    from reports.content import count

    period = s["period"]
    title = (f"{s['campaign']['name']}: {period['since']} to {period['until']} "
             f"({period['timezone']})")
    if s["filters"]:
        title += " | " + ", ".join(f"{k} {v}" for k, v in s["filters"].items())
    table = Table(title=Text(title), show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")

    def add(label: str, value: Any) -> None:
        table.add_row(label, Text(f"{value:,}" if isinstance(value, int) else str(value)))

    add("Posts", s["posts"])
    add("  original posts", s["original_posts"])
    add("  replies", s["replies"])
    add("  reposts", s["reposts"])
    add("  quotes", s["quotes"])
    for platform, n in s["by_platform"].items():
        add(f"  on {platform}", n)
    add("Contributors", s["contributors"])
    add("  unattributed", s["unattributed_contributors"])
    add("Organisations", s["organisations"])
    if s["catalogue_trusts"]:
        add("  NHS trusts taking part", f"{s['participating_trusts']} of {s['catalogue_trusts']}")
    if s["first_time_organisations"] is not None:
        add(f"  first time (vs {s['previous_campaign']})", len(s["first_time_organisations"]))
    add("Regions", s["regions"])
    add("Engagement", s["engagement"])
    add("Potential reach (upper bound)", s["potential_reach"])
    add("Stories submitted", s["stories_submitted"])
    add("Stories approved", s["stories_approved"])
    if s["peak_day"]:
        add("Peak day", f"{s['peak_day']['date']} ({count(s['peak_day']['posts'], 'post')})")
        add("Peak hour", f"{s['peak_hour']['start']} ({count(s['peak_hour']['posts'], 'post')})")
    mentioned = [(k, v) for k, v in s["techniques"].items() if v or s["technique_stories"][k]]
    for name, n in mentioned[:10]:
        add(f"Technique: {name}",
            f"{count(n, 'post')}, {count(s['technique_stories'][name], 'story')}")
    out_console().print(table)


@handled
def leaderboard(
    ctx: typer.Context,
    by: By = typer.Option(By.organisation, "--by", help="organisation, region or contributor."),
    metric: Metric = typer.Option(Metric.score, "--metric",
                                  help="Rank by score, posts, contributors, engagement or "
                                  "stories."),
    top: int | None = typer.Option(None, "--top", min=1,
                                   help="Only the first N rows (a note on stderr says when "
                                   "rows left out tie with the last one)."),
    since: str | None = typer.Option(None, "--since", help="First day, YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Last day, YYYY-MM-DD "
                                     "(default: the campaign's end; while it runs, "
                                     "today)."),
    format: BoardFormat = typer.Option(BoardFormat.table, "--format",
                                       help="table, json or csv."),
    out: Path | None = typer.Option(None, "--out", help="Write the rows to FILE instead "
                                    "of stdout: CSV that Excel opens with its accents "
                                    "intact, or JSON with --format json."),
) -> None:
    """Ranked organisations, regions or contributors (ties share a rank)."""
    from reports.leaderboard import leaderboard as board

    ranked = board(_load(ctx, since, until), by=by.value, metric=metric.value)
    rows = ranked[:top] if top else ranked
    _warn_if_tags_stale(ctx)
    if out is not None:
        _write_board(ctx, out, rows, by, format)
    elif format is BoardFormat.json:
        emit_json(rows)
    elif format is BoardFormat.csv:
        sys.stdout.write(_csv(rows, by))
    else:
        _print_board(rows, by)
    if not rows:
        err_console().print("No posts or approved stories in the period yet.")
    elif len(ranked) > len(rows) and ranked[len(rows)]["rank"] == rows[-1]["rank"]:
        # Cut in the middle of a tie, the rows left out are placed as the last one shown
        # (their order within the tie is only alphabetical): a "top 3" must not quietly
        # drop a joint third.
        tied = sum(1 for r in ranked[len(rows):] if r["rank"] == rows[-1]["rank"])
        err_console().print(
            f"Note: {tied:,} more row{'s' if tied != 1 else ''} share{'' if tied != 1 else 's'}"
            f" rank {rows[-1]['rank']} with the last one shown; --top "
            f"{len(rows) + tied} shows {'them' if tied != 1 else 'it'} too.")


BOARD_COLUMNS = ("contributors", "posts", "original_posts", "engagement", "techniques",
                 "stories", "score")


HEADERS = {"contributors": "people", "original_posts": "original", "organisation_code": "org",
           "organisations": "orgs", "techniques": "techn."}


def _names(by: By) -> tuple[str, ...]:
    if by is By.organisation:
        return ("code", "name", "region")
    if by is By.region:
        return ("region", "organisations")
    return ("account", "organisation_code")


def _csv(rows: list[dict[str, Any]], by: By) -> str:
    """The rows as CSV, under a header row even when there are none (a spreadsheet or
    script reading the file finds its columns before the first post)."""
    import csv
    import io

    from reports.cells import safe_row
    from reports.leaderboard import columns

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(rows[0]) if rows else columns(by))
    for row in rows:
        writer.writerow(safe_row(["" if v is None else v for v in row.values()]))
    return buffer.getvalue()


# A CSV file starts with a UTF-8 byte order mark, as posts.csv and the story exports do.
CSV_FILE_BOM = "\ufeff"


def _write_board(ctx: typer.Context, out: Path, rows: list[dict[str, Any]], by: By,
                 format: BoardFormat) -> None:
    """The rows into a file, whole or not at all: JSON with --format json, else CSV.

    The CSV starts with the byte order mark: Excel on Windows, opening a CSV by a double
    click, reads one without it in the ANSI code page, so a leaderboard redirected from
    stdout read "LlÅ·r" for "Llŷr". A table is for a terminal, so `--out` without
    --format json writes the CSV.
    """
    import json

    suffix = "json" if format is BoardFormat.json else "csv"
    if format is BoardFormat.json:
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    else:
        text = CSV_FILE_BOM + _csv(rows, by)
    write_atomically(out, text, f"leaderboard.{suffix}")
    if not state(ctx).quiet:
        err_console().print(f"Wrote {len(rows):,} row{'' if len(rows) == 1 else 's'} "
                            f"({suffix.upper()}) to {out}", markup=False)


def _print_board(rows: list[dict[str, Any]], by: By) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Leaderboard by {by.value} (all columns: --format json or csv)")
    skip = ("contributors", "stories") if by is By.contributor else ()
    columns = ("rank", *_names(by), *(c for c in BOARD_COLUMNS if c not in skip))
    headers = [HEADERS.get(c, c.replace("_", " ")) for c in columns]
    cells = [[_board_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(h), *(len(line[i]) for line in cells)]) for i, h in enumerate(headers)]
    numeric = [c in BOARD_COLUMNS or c in ("rank", "organisations") for c in columns]
    caps = [w if numeric[i] else min(w, 40 if columns[i] in ("name", "account") else 24)
            for i, w in enumerate(widths)]
    console = _wide_console()
    # Numbers are never cut: when the table is wider than the console, the names give way.
    spare = console.width - (sum(caps) + 3 * len(caps) + 1)
    while spare < 0:
        text = [i for i, n in enumerate(numeric) if not n and caps[i] > 8]
        if not text:
            break
        widest = max(text, key=lambda i: caps[i])
        caps[widest] -= 1
        spare += 1
    for i, header in enumerate(headers):
        if numeric[i]:
            table.add_column(header, justify="right", no_wrap=True, min_width=caps[i])
        else:
            table.add_column(header, overflow="ellipsis", no_wrap=True, max_width=caps[i])
    for line in cells:
        table.add_row(*(Text(cell) for cell in line))
    console.print(table)


def _board_cell(value: Any) -> str:
    from knowvember.stories import printable

    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    # Names and handles from outside: control characters made visible.
    return printable("" if value is None else str(value), keep_newlines=False)


def _wide_console() -> Console:
    """Tables for people: the terminal's width, or 160 columns when piped to a file."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


@handled
def report(
    ctx: typer.Context,
    out: Path | None = typer.Option(None, "--out", help="Folder for the report files "
                                    "(default: [reports] out_dir)."),
    format: str | None = typer.Option(None, "--format", help="Comma-separated: html, pdf, md, "
                                      "xlsx (default: [reports] formats)."),
    per_org: bool = typer.Option(False, "--per-org", help="Also one page per participating "
                                 "organisation, plus an index."),
    until: str | None = typer.Option(None, "--until", help="Last day for an interim report, "
                                     "YYYY-MM-DD (default while the campaign runs: today)."),
) -> None:
    """Write the campaign report: HTML, PDF, Markdown and XLSX, charts and network files."""
    from reports.build import build_report, parse_formats

    app = state(ctx)
    settings = app.settings()
    formats = parse_formats(format) if format else list(settings.reports.formats)
    folder = out if out is not None else settings.resolve(settings.reports.out_dir)
    written = build_report(app.db(), settings, folder, formats=formats, per_org=per_org,
                           until=_date(until, "--until"))
    _warn_if_tags_stale(ctx)
    console = err_console()
    for label, path in written.items():
        console.print(f"{label}: {path}")
