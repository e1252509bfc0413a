"""The stories' review trail as a spreadsheet: what `stories trail --format csv` prints and the
web app's `/review/trail.csv` serves.

One writer for both, on the reporting side: the web app imported it from the CLI module,
the wrong way round (the CLI is what wires the rest together; nothing should need it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

from knowvember.stories import CHANGE_LABELS, iso
from reports.cells import safe_cell

if TYPE_CHECKING:
    from knowvember.config import Settings

# A CSV file starts with a UTF-8 byte order mark, as the report's posts.csv does: Excel on
# Windows, opening a CSV by a double click, reads one without it as the ANSI code page, so
# "Siân" and "café" came out as "SiÃ¢n" and "cafÃ©".
CSV_FILE_BOM = "\ufeff"


def local_time(value: dt.datetime, settings: Settings) -> str:
    """A time as a coordinator reads it: the campaign's timezone, to the minute."""
    return f"{value.astimezone(settings.campaign.tz):%Y-%m-%d %H:%M}"


def trail_csv(rows: list[dict[str, Any]], settings: Settings) -> str:
    """The trail (`stories.trail_rows`) as CSV cells safe to open in a spreadsheet, with the
    campaign's local time beside UTC (what a coordinator reads) and the changed fields by
    name. No byte order mark: a file written for Excel adds `CSV_FILE_BOM`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["story_id", "title", "status_now", "at_utc",
                     f"at_local ({settings.campaign.timezone})", "action", "by", "note",
                     "from_status", "to_status", "changed"])
    for row in rows:
        writer.writerow([safe_cell(value) for value in (
            row["story_id"], row["title"], row["status"], iso(row["at"]),
            local_time(row["at"], settings), row["action"], row["reviewer"] or "",
            row["note"] or "", row["from_status"] or "", row["to_status"] or "",
            "; ".join(CHANGE_LABELS[name] for name in row["changed"]))])
    return buffer.getvalue()
