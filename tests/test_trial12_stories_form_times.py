"""A form export's unreadable time is a row error naming its column, with the row's other
problems.

A response time typed by hand into the export ("5th Nov 2025", "Tuesday 9am") was reported
as "row 3: submitted_at: cannot read '5th Nov 2025' as a date and time": the only row error
that did not name the column to look in (every other says "email (Email): ..."), and it
was said only once everything else in the row was right, so fixing a row took two imports.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import BASE_CONFIG

HEADER = ("ID,Start time,Completion time,Email,Name,Title,What happened?,"
          "May we publish your story?\n")
MAPPING = '\n[stories.form_columns]\nconsent = "May we publish your story?"\n'


def _import(cli, campaign_dir: Path, rows: str):  # type: ignore[no-untyped-def]
    (campaign_dir / "campaign.toml").write_text(BASE_CONFIG + MAPPING, encoding="utf-8")
    path = campaign_dir / "KM stories.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    result = cli("stories", "import", str(path), "--format", "json")
    return result, json.loads(result.stdout)


def test_an_unreadable_time_names_its_column(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result, summary = _import(cli, campaign_dir, (
        "1,04/11/2019 09:00,04/11/2019 09:20,jane@nhs.net,Jane,Coffee trials,We met.,Yes\n"
        "2,05/11/2019 10:00,5th Nov 2019,bob@nhs.net,Bob,Peer assist,We met.,Yes\n"))
    assert result.exit_code == 4
    assert summary["imported"] == 1
    assert summary["errors"] == [{"row": 3, "reason": "submitted_at (Completion time): cannot "
                                  "read '5th Nov 2019' as a date and time"}]


def test_an_unreadable_time_is_said_with_the_rows_other_problems(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result, summary = _import(cli, campaign_dir, (
        "1,04/11/2019 09:00,Tuesday 9am,jane at nhs,Jane,Coffee trials,We met.,Yes\n"))
    assert result.exit_code == 1
    reason = summary["errors"][0]["reason"]
    assert "email (Email): 'jane at nhs' is not an email address" in reason
    assert "submitted_at (Completion time): cannot read 'Tuesday 9am'" in reason


def test_a_workbook_time_left_as_excel_s_day_number_is_read(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A workbook's time cell that lost its date format (responses pasted as values into a
    sheet of their own) holds Excel's day number: 43774.375 is 5 November 2019, 09:00. It
    was "cannot read '43774.375' as a date and time"."""
    import openpyxl

    (campaign_dir / "campaign.toml").write_text(BASE_CONFIG + MAPPING, encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append([1, 43774.375, 43774.375, "jane@nhs.net", "Jane", "Coffee trials", "We met.",
                  "Yes"])
    sheet.append([2, 43774.4, 9_999_999, "bob@nhs.net", "Bob", "Peer assist", "We met.", "Yes"])
    path = campaign_dir / "KM stories.xlsx"
    book.save(path)
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 4, result.stderr
    summary = json.loads(result.stdout)
    assert summary["errors"] == [{"row": 3, "reason": "submitted_at (Completion time): cannot "
                                  "read 9999999 as a date and time"}]
    story = json.loads(cli("stories", "show", "1", "--format", "json").stdout)
    assert story["submitted_at"] == "2019-11-05T09:00:00Z"
