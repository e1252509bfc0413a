"""The fifth trial's second pass: the published report names import files, not folders.

An import's warnings and errors start with the file as given, usually its absolute path,
and the report's "Method and data quality" section listed them as they were:
"/home/jane.smith/OneDrive - NHS Trust/KNOWvember/x.json: no posts in the file", the
coordinator's user name and folders on a page put on the intranet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reports.quality import published

Cli = Callable[..., Any]


def test_the_report_lists_an_import_file_by_its_name_alone(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    write_config("")
    folder = campaign_dir / "Jane Smith's exports"
    folder.mkdir()
    (folder / "empty page.json").write_text("[]", encoding="utf-8")
    (folder / "wrong.json").write_text("not json at all\n", encoding="utf-8")
    cli("import", "mastodon", str(folder / "empty page.json"))
    cli("import", "mastodon", str(folder / "wrong.json"))
    result = cli("report", "--format", "html,md,pdf,xlsx")
    assert result.exit_code == 0, result.stderr
    html = (campaign_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "empty page.json: no posts in the file" in html
    assert "wrong.json:1: not valid JSON" in html
    for name in ("report.html", "report.md"):
        text = (campaign_dir / "report" / name).read_text(encoding="utf-8")
        assert str(campaign_dir) not in text and "Jane Smith" not in text, name


def test_other_paths_and_what_only_looks_like_one() -> None:
    assert published(r"C:\Users\jane\Documents\tags.csv: line 4, jane@nhs.net") == (
        "tags.csv: line 4, [email address removed]")
    assert published("cannot read '/srv/knowvember/in/tags.csv'") == "cannot read 'tags.csv'"
    kept = "HTTP 429 on /api/v2/timelines/tag/KNOWvember; see https://x.example/a/b.json"
    assert published(kept) == kept
