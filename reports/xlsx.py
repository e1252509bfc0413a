"""The report's workbook (XlsxWriter, constant memory: rows stream out, memory stays flat).

Sheets: summary, leaderboards (organisations, regions and the top contributors, one table
with a `leaderboard` column), posts, stories, organisations. Every identifier is a string
cell, never a number, so Excel never turns `1440716895355764743` into `1.44E+18`; post ids
and organisation codes (the ones that can look like numbers) also carry the text number
format, so retyping them keeps them text. User text is written as it is, a string cell
(never evaluated), and one that looks like a formula carries the quote prefix, so editing
it keeps it text; the writer never turns a string into a formula, a number or a link. A
campaign can outgrow what a sheet holds in reasonable time, so the posts sheet holds the
`[reports] xlsx_posts` most engaging posts and says so; every post is in `posts.csv` beside
the workbook. XlsxWriter writes the 10,000-post sheet in about half the time
openpyxl took (openpyxl still reads workbooks: story forms).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reports.cells import looks_like_formula, xml_text
from reports.charts import platform_label
from reports.content import ReportContent
from reports.posts import quotable
from reports.stories_export import redact_emails

if TYPE_CHECKING:
    from xlsxwriter import Workbook

TEXT = "@"
OPTIONS = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
           "strings_to_urls": False, "default_date_format": "yyyy-mm-dd hh:mm:ss"}


class _Rows:
    """Appends rows to one sheet (call it with a row's values); `filter()` puts the
    spreadsheet's filter buttons on the header, over the rows appended so far."""

    def __init__(self, append: Callable[[Sequence[Any]], int], set_filter: Callable[[], None]
                 ) -> None:
        self._append = append
        self.filter = set_filter

    def __call__(self, values: Sequence[Any]) -> None:
        self._append(values)


def _writer(workbook: Workbook, title: str, header: Sequence[str],
            text_columns: Iterable[int] = (), widths: dict[int, float] | None = None
            ) -> _Rows:
    """A new sheet with its header row; returns how to append a row to it."""
    sheet = workbook.add_worksheet(title)
    text_format = workbook.add_format({"num_format": TEXT})
    # A day is a date cell (sortable, filterable by month), shown without a time of 00:00.
    day_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    text = set(text_columns)
    for index in sorted(text | set(widths or {})):
        width = (widths or {}).get(index)
        sheet.set_column(index, index, width, text_format if index in text else None)
    sheet.freeze_panes(1, 0)
    # Excel's own mark for "typed with a leading apostrophe": shown and edited as text,
    # without an apostrophe in the value.
    quoted = {False: workbook.add_format({"quote_prefix": True}),
              True: workbook.add_format({"quote_prefix": True, "num_format": TEXT})}
    bold = workbook.add_format({"bold": True, "bg_color": "#F0F4F5", "pattern": 1})
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, bold)
    row = 0

    def put_text(col: int, value: str) -> None:
        value = xml_text(value)
        if looks_like_formula(value):
            sheet.write_string(row, col, value, quoted[col in text])
        else:
            sheet.write_string(row, col, value, text_format if col in text else None)

    def append(values: Sequence[Any]) -> int:
        nonlocal row
        row += 1
        for col, value in enumerate(values):
            if value is None:
                continue
            if col in text or isinstance(value, str):
                put_text(col, str(value))
            elif isinstance(value, bool):
                sheet.write_boolean(row, col, value)
            elif isinstance(value, int | float):
                if math.isfinite(value):  # a NaN or infinity stays blank (XlsxWriter refuses it)
                    sheet.write_number(row, col, value)
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(row, col, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(row, col, value, day_format)
            else:
                put_text(col, str(value))
        return row

    def set_filter() -> None:
        sheet.autofilter(0, 0, row, len(header) - 1)

    return _Rows(append, set_filter)


def _summary_extras(add: Callable[[Sequence[Any]], None], s: dict[str, Any]) -> None:
    """The rest of what the report's headline and charts say, so the workbook holds every
    number the HTML does: peak counts, local hours, phases, first-time organisations.

    After the older rows, so a sheet that looks rows up by position keeps working.
    """
    if s["peak_day"]:
        add(["peak_day posts", s["peak_day"]["posts"]])
        add(["peak_hour posts", s["peak_hour"]["posts"]])
    for hour, n in s["by_hour"].items():
        add([f"posts in hour {hour}:00-{hour}:59", n])
    for phase, counts in s["phases"].items():
        add([f"phase: {phase} (posts)", counts["posts"]])
        add([f"phase: {phase} (approved stories)", counts["stories"]])
    if s["first_time_organisations"] is not None:
        add(["previous_campaign", s["previous_campaign"]])
        add(["first_time_organisations", len(s["first_time_organisations"])])
        add(["first_time_organisation_codes", ", ".join(s["first_time_organisations"])])


def write_workbook(content: ReportContent, path: Path) -> int:
    """Write the workbook; returns how many posts the posts sheet holds."""
    from xlsxwriter import Workbook

    c, s = content, content.summary
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(str(path), OPTIONS)
    add = _writer(workbook, "summary", ["metric", "value"], widths={0: 34, 1: 24})
    period = c.data.period
    for key, value in (("campaign", c.data.campaign.name), ("from", period.since),
                       ("to", period.until), ("timezone", period.timezone),
                       ("interim", "yes" if period.interim else "no")):
        add([key, value])
    for key in ("posts", "original_posts", "replies", "reposts", "quotes", "contributors",
                "unattributed_contributors", "organisations", "regions", "engagement",
                "potential_reach", "stories_submitted", "stories_approved",
                "stories_published", "catalogue_trusts", "participating_trusts"):
        add([key, s[key]])
    for platform, n in s["by_platform"].items():
        add([f"posts on {platform_label(platform)}", n])
    if s["peak_day"]:
        add(["peak_day", dt.date.fromisoformat(s["peak_day"]["date"])])
        add(["peak_hour", dt.datetime.fromisoformat(s["peak_hour"]["start"])])
    for name, n in s["techniques"].items():
        add([f"technique: {name} (posts)", n])
        add([f"technique: {name} (approved stories)", s["technique_stories"][name]])
    for day, n in s["by_day"].items():
        add([f"posts on {day}", n])
    _summary_extras(add, s)

    metrics = ["contributors", "posts", "original_posts", "replies", "reposts", "quotes",
               "engagement", "potential_reach", "techniques", "stories", "score"]
    # One tidy table for the three leaderboards: filter on `leaderboard` in Excel.
    add = _writer(workbook, "leaderboards",
                  ["leaderboard", "rank", "code or account", "name", "organisation code",
                   "organisation", "region", "organisations", *metrics],
                  text_columns=[2, 4], widths={2: 34, 3: 48, 5: 40, 6: 26})
    for r in c.org_board:
        add(["organisation", r["rank"], r["code"], r["name"], r["code"], r["name"],
             r["region"], None, *(r[m] for m in metrics)])
    for r in c.region_board:
        add(["region", r["rank"], None, r["region"], None, None, r["region"],
             r["organisations"], *(r[m] for m in metrics)])
    for r in c.contributor_board:
        add(["contributor", r["rank"], r["account"], r["display_name"],
             r["organisation_code"], r["organisation_name"], r["region"], None,
             *(r[m] for m in metrics)])
    add.filter()  # the `leaderboard` column to filter on, as the docs say

    limit = c.data.settings.reports.xlsx_posts
    shown = c.top_posts[:limit]
    add = _writer(workbook, "posts",
                  ["platform", "post id", "url", "created (local)", "account", "display name",
                   "organisation code", "organisation", "kind", "likes", "reposts",
                   "replies", "quotes", "engagement", "text"],
                  text_columns=[1, 6], widths={1: 22, 2: 40, 3: 18, 4: 30, 14: 80})
    for p in shown:
        add([p.platform, p.platform_id, p.url, p.created, p.account, p.display_name,
             p.org_code, p.org_name, p.kind, p.likes, p.reposts, p.replies, p.quotes,
             p.engagement, p.text])
    add.filter()  # over the posts, not the note below them
    # The sheet lists content posts only (a repost carries the original's counts), so the
    # note compares with those, and says where reposts are rather than miscounting them.
    content = s["original_posts"] + s["replies"] + s["quotes"]
    frame = c.data.frame
    unlisted = int(np.count_nonzero(frame.content & ~quotable(c.data)))
    note = None
    if content > len(shown) + unlisted:
        note = (f"The {len(shown):,} most engaging of {content:,} original posts, replies and "
                "quotes")
    elif unlisted:
        note = (f"Every original post, reply and quote but {unlisted:,} by accounts that ask "
                "not to be shown publicly")
    elif s["reposts"]:
        n = s["reposts"]
        note = (f"Every original post, reply and quote; the {n:,} repost"
                + (" is" if n == 1 else "s are") + " not listed")
    if note:
        add([None] * 14 + [note + ("; all posts are in posts.csv."
                                   if c.data.settings.reports.posts_csv else ".")])

    add = _writer(workbook, "stories",
                  ["id", "title", "organisation code", "organisation", "name", "role",
                   "techniques", "body", "outcome", "links", "submitted"],
                  text_columns=[2], widths={1: 40, 3: 36, 7: 80, 8: 50})
    for story in c.stories:  # approved and consented only; never an email address
        add([story.id, redact_emails(story.title), story.org.code if story.org else None,
             story.org.name if story.org else story.organisation_text,
             redact_emails(story.name), redact_emails(story.role),
             "; ".join(story.techniques), redact_emails(story.body),
             redact_emails(story.outcome), " ".join(story.links),
             story.submitted_at.astimezone(period.tz).replace(tzinfo=None)])
    add.filter()

    add = _writer(workbook, "organisations",
                  ["code", "name", "region", "in scope", "rank", "first time", *metrics],
                  text_columns=[0], widths={1: 48, 2: 26})

    previous = c.data.previous.org_codes if c.data.previous else None
    listed = {r["code"] for r in c.org_board}
    for r in c.org_board:
        first = None if previous is None else ("yes" if r["code"] not in previous else "no")
        add([r["code"], r["name"], r["region"], "yes", r["rank"], first,
             *(r[m] for m in metrics)])
    for page in c.org_pages:
        if page.org.code not in listed:
            first = None if previous is None else (
                "yes" if page.org.code not in previous else "no")
            add([page.org.code, page.org.name, page.org.region,
                 "no" if page.org.out_of_scope else "yes", None, first,
                 *(page.numbers.get(m) for m in metrics[:-1]), None])
    for o in c.quality.out_of_scope:
        if o["code"] not in listed and all(p.org.code != o["code"] for p in c.org_pages):
            add([o["code"], o["name"], None, "no", None, None, None, o["posts"]])
    add.filter()
    workbook.close()
    return len(shown)
