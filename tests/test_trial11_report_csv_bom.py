"""The sixth new-user trial: posts.csv opens in Windows Excel with its accents intact.

Excel, opening a CSV by a double click, reads a file without a byte order mark as the
ANSI code page: "Zoë" read "ZoÃ«" and "café" "cafÃ©" in the coordinator's spreadsheet.
The file now starts with the UTF-8 mark, and a report run into the same folder again still
knows the file as its own (it recognised posts.csv by its first bytes).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

ROWS = ("platform,id,author_handle,author_name,created_at,text,likes\n"
        "x,1,@zoe,Zoë Łódź,2019-11-05T10:00:00Z,#KNOWvember19 a knowledge café,3\n")


def _report(campaign_dir: Path, cli: Cli, db_url: str) -> Path:
    env = {"KNOWVEMBER_DATABASE_URL": db_url}
    (campaign_dir / "import.csv").write_text(ROWS, encoding="utf-8")
    assert cli("import", "csv", "import.csv", env=env).exit_code == 0
    result = cli("report", "--format", "xlsx", env=env)
    assert result.exit_code == 0, result.stderr
    return campaign_dir / "report" / "posts.csv"


def test_posts_csv_starts_with_the_utf8_byte_order_mark(campaign_dir: Path, cli: Cli,
                                                        db_url: str) -> None:
    path = _report(campaign_dir, cli, db_url)
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8 + b"platform,platform_id,")
    assert raw.count(codecs.BOM_UTF8) == 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["platform"] == "x"
    assert rows[0]["text"] == "#KNOWvember19 a knowledge café"


def test_a_second_report_into_the_folder_replaces_its_own_posts_csv(
        campaign_dir: Path, cli: Cli) -> None:
    """The check that refuses to overwrite a coordinator's own posts.csv read the first
    bytes: with the mark before the header, every second run would have been refused."""
    path = _report(campaign_dir, cli, "sqlite:///knowvember.db")
    again = cli("report", "--format", "xlsx")
    assert again.exit_code == 0, again.stderr
    assert path.read_bytes().startswith(codecs.BOM_UTF8 + b"platform,")


def test_an_earlier_releases_posts_csv_without_the_mark_is_still_the_reports(
        campaign_dir: Path, cli: Cli) -> None:
    path = _report(campaign_dir, cli, "sqlite:///knowvember.db")
    path.write_bytes(path.read_bytes().removeprefix(codecs.BOM_UTF8))
    again = cli("report", "--format", "xlsx")
    assert again.exit_code == 0, again.stderr
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
