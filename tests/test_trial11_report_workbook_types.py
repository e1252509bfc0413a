"""The sixth new-user trial: the workbook opened in Excel or LibreOffice, as a coordinator
works with it.

- The summary sheet's dates (`from`, `to`, `peak_day`, `peak_hour`) were text cells, so they
  neither sorted as dates nor took a date format; they are date cells now, a day shown
  without a time.
- The docs say to filter the leaderboards sheet on its `leaderboard` column, but no sheet
  had filter buttons: the leaderboards, posts, stories and organisations sheets now have
  them on their header row, over their rows (the posts sheet's note below them left out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

Cli = Callable[..., Any]

CSV = ("platform,id,author_handle,author_name,created_at,text,likes,kind,referenced_id\n"
       "x,1,@lib,Lib,2019-11-05T10:00:00Z,#KNOWvember19 Peer Assist,4,,\n"
       "x,2,@lib,Lib,2019-11-05T11:30:00Z,#KNOWvember19 knowledge café,2,,\n"
       "x,3,@fan,Fan,2019-11-06T10:00:00Z,RT @lib: #KNOWvember19 Peer Assist,4,repost,1\n")


def _workbook(write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli
              ) -> openpyxl.Workbook:
    write_config('[reports]\nxlsx_posts = 1\n')
    (campaign_dir / "in.csv").write_text(CSV, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0
    assert cli("orgs", "assign", "x:@lib", "RWE").exit_code == 0
    result = cli("report", "--format", "xlsx")
    assert result.exit_code == 0, result.stderr
    return openpyxl.load_workbook(campaign_dir / "report" / "report.xlsx")


def test_summary_dates_are_date_cells(write_config: Callable[[str], Path], campaign_dir: Path,
                                      cli: Cli) -> None:
    book = _workbook(write_config, campaign_dir, cli)
    cells = {row[0].value: row[1] for row in book["summary"].iter_rows(min_row=2)}
    assert cells["from"].is_date and cells["from"].value == dt.datetime(2019, 11, 1)
    assert cells["to"].is_date and cells["to"].value == dt.datetime(2019, 11, 30)
    assert cells["from"].number_format == "yyyy-mm-dd"  # a day, not "2019-11-01 00:00:00"
    assert cells["peak_day"].is_date and cells["peak_day"].value == dt.datetime(2019, 11, 5)
    assert cells["peak_hour"].is_date and cells["peak_hour"].value == dt.datetime(
        2019, 11, 5, 10, 0)
    assert cells["posts"].value == 3 and cells["posts"].data_type == "n"


def test_table_sheets_have_filter_buttons_over_their_rows(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    book = _workbook(write_config, campaign_dir, cli)
    boards = book["leaderboards"]
    assert boards.auto_filter.ref == f"A1:S{boards.max_row}"
    assert book["organisations"].auto_filter.ref == f"A1:Q{book['organisations'].max_row}"
    assert book["stories"].auto_filter.ref == "A1:K1"  # no story yet: the header alone
    posts = book["posts"]
    assert posts.max_row == 3  # the header, the one post [reports] xlsx_posts allows, a note
    assert posts["O3"].value.startswith("The 1 most engaging of 2 original posts")
    assert posts.auto_filter.ref == "A1:O2"
