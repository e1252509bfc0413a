"""A Mastodon or Bluesky file cut short is not told it came from twarc2: the message said
"a download or twarc2 run that stopped" to a librarian who had saved Mastodon pages."""

from __future__ import annotations

from pathlib import Path

from tests.test_import_files import run_import


def test_a_cut_short_mastodon_file_names_no_other_tool(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nhs.social.jsonl"
    path.write_text('[{"uri": "https://nhs.social/users/lib/statuses/1", "content": "<p>Jou',
                    encoding="utf-8")
    outcome = run_import(db, "mastodon", path)
    assert outcome.line_errors == [
        f"{path}:1: not valid JSON (cut short or malformed): the file ends partway through "
        "this line, so it is incomplete (a download, or the run saving it, that stopped; a "
        "full disk); the lines before it are stored: import the complete file again when "
        "you have it (nothing is doubled)"]
