"""The seventh new-user trial: `leaderboard --out FILE` writes a CSV Excel opens intact.

The leaderboard's CSV went only to stdout, without a byte order mark, so a coordinator who
redirected it to a file and double-clicked it in Windows Excel read "LlÅ·r" for "Llŷr" and
"ZoÃ«" for "Zoë". `--out FILE` writes the file whole, starting with the UTF-8 mark as
posts.csv and the story exports do (or JSON with `--format json`); stdout is unchanged.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

ORGS = """
[[organisations]]
code = "7A4"
name = "Llyfrgell Caerdydd a'r Fro"
region = "Cymru"
accounts = ["x:@sianllyr"]
"""
ROWS = ("platform,id,author_handle,author_name,created_at,text,likes\n"
        "x,1,@sianllyr,Siân Llŷr,2019-11-05T10:00:00Z,#KNOWvember19 Adolygiad ar ôl gweithredu,3\n"
        "x,2,@zoe,Zoë Ní Bhriain,2019-11-06T10:00:00Z,#KNOWvember19 a knowledge café,1\n")


def _campaign(write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    write_config(ORGS)
    (campaign_dir / "in.csv").write_text(ROWS, encoding="utf-8")
    assert cli("import", "csv", "in.csv").exit_code == 0


def test_out_writes_a_csv_with_the_byte_order_mark(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    _campaign(write_config, campaign_dir, cli)
    result = cli("leaderboard", "--by", "contributor", "--format", "csv", "--out",
                 "people.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Wrote 2 rows (CSV) to people.csv" in result.stderr
    raw = (campaign_dir / "people.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8 + b"rank,account,")
    assert raw.count(codecs.BOM_UTF8) == 1
    with (campaign_dir / "people.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["display_name"] for r in rows) == ["Siân Llŷr", "Zoë Ní Bhriain"]
    # The file holds what stdout holds, after the mark.
    stdout = cli("leaderboard", "--by", "contributor", "--format", "csv").stdout
    assert raw == codecs.BOM_UTF8 + stdout.encode("utf-8")


def test_out_without_a_format_writes_the_csv_and_json_when_asked(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """The default format is a table for the terminal: into a file it is the CSV."""
    _campaign(write_config, campaign_dir, cli)
    result = cli("leaderboard", "--out", "board.csv")
    assert result.exit_code == 0, result.stderr
    assert "Wrote 1 row (CSV)" in result.stderr
    text = (campaign_dir / "board.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[1].startswith("1,7A4,Llyfrgell Caerdydd a'r Fro,Cymru,")
    result = cli("leaderboard", "--format", "json", "--out", "board.json")
    assert result.exit_code == 0, result.stderr
    raw = (campaign_dir / "board.json").read_bytes()
    assert not raw.startswith(codecs.BOM_UTF8)
    assert [r["code"] for r in json.loads(raw)] == ["7A4"]


def test_out_naming_a_folder_says_so_and_writes_nothing(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    _campaign(write_config, campaign_dir, cli)
    (campaign_dir / "boards").mkdir()
    result = cli("leaderboard", "--out", "boards")
    assert result.exit_code == 2
    assert "--out boards: is a folder" in result.stderr
    assert "boards/leaderboard.csv" in result.stderr
    assert list((campaign_dir / "boards").iterdir()) == []
