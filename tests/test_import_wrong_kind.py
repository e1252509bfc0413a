"""A file of the wrong kind given to a CSV import: a short, one-line message that says what
the file is, never the file itself echoed into stderr and the run log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowvember.errors import EXIT_FAILED, EXIT_USAGE, excerpt
from tests.conftest import FIXTURES

# Real recorded API pages (tests/fixtures/api), and the import each one needs.
PAGES = [("twitter_search_recent_2.json", "twarc2"), ("mastodon_tag_timeline_4.json", "mastodon"),
         ("bluesky_search_posts_2.json", "bluesky")]


@pytest.mark.parametrize("fmt", ["csv", "tags"])
@pytest.mark.parametrize(("name", "needs"), PAGES)
def test_a_json_page_imported_as_csv_is_named_as_json(campaign_dir: Path, cli, fmt: str,  # type: ignore[no-untyped-def]
                                                      name: str, needs: str) -> None:
    """`import csv` of a 356 KB twarc2 page quoted all of it as "the header" (379 KB of
    stderr; `runs --format json` 415 KB)."""
    path = FIXTURES / name
    result = cli("-q", "import", fmt, str(path), "--format", "json")
    assert result.exit_code == EXIT_FAILED
    (run,) = json.loads(result.stdout)
    assert run["status"] == "failed"
    assert run["error"] == (f"{path}:1: this looks like a JSON file, not a CSV export; use "
                            f"`knowvember import {needs}` for it")
    assert "\n" not in run["error"]
    runs = cli("runs", "-n", "1", "--format", "json")
    assert len(runs.stdout) < 3000 and json.loads(runs.stdout)[0]["error"] == run["error"]
    plain = cli("-q", "import", fmt, str(path))
    assert len(plain.stdout.splitlines()) == 1 and len(plain.stdout) < 500


def test_json_that_names_no_platform_lists_the_json_imports(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = FIXTURES / "mastodon_tag_timeline_7.json"  # an empty page: `[]`
    result = cli("-q", "import", "csv", str(path), "--format", "json")
    error = json.loads(result.stdout)[0]["error"]
    assert "looks like a JSON file" in error
    assert all(f"`{name}`" in error or f"import {name}`" in error
               for name in ("twarc2", "mastodon", "bluesky"))


def test_a_long_header_is_quoted_as_an_excerpt(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "wide.csv"
    path.write_text(",".join(f"column_{i}" for i in range(5000)) + "\n1\n", encoding="utf-8")
    result = cli("-q", "import", "tags", str(path), "--format", "json")
    error = json.loads(result.stdout)[0]["error"]
    assert error.startswith(f"{path}:1: missing column(s) id_str, from_user, text, created_at "
                            "(the header has column_0, column_1, ")
    assert "…)" in error and len(error) < len(str(path)) + 250


def test_a_huge_cell_is_quoted_as_an_excerpt(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A stray quote can make one cell hold the rest of a file; its row error stays short."""
    path = campaign_dir / "posts.csv"
    path.write_text("platform,id,author_handle,created_at,text\n"
                    f"x,1191672311587868672,@a,{'soon ' * 20000},hello\n", encoding="utf-8")
    result = cli("-q", "import", "csv", str(path), "--format", "json")
    error = json.loads(result.stdout)[0]["error"]
    assert "created_at 'soon soon" in error and len(error) < 400
    assert len(result.stderr) < 500


def test_a_json_file_imported_as_stories_is_named_as_json(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = FIXTURES / "twitter_search_recent_2.json"
    result = cli("-q", "stories", "import", str(path), "--format", "csv")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.splitlines() == [
        f"Error: {path}: this looks like a JSON file, not a form export; save the form's "
        "responses as CSV or XLSX (posts saved from an API go through `knowvember import`)"]


def test_a_form_export_lacking_columns_lists_a_short_header(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "responses.csv"
    path.write_text(",".join(f"Question {i}" for i in range(2000)) + "\n", encoding="utf-8")
    result = cli("-q", "stories", "import", str(path))
    assert result.exit_code == EXIT_USAGE
    (line,) = result.stderr.splitlines()
    assert "The file's columns are: 'Question 0', 'Question 1', " in line and len(line) < 800


def test_excerpt() -> None:
    assert excerpt("a  b\nc") == "a b c"
    assert excerpt("x" * 500, 100) == "x" * 99 + "…"
    assert excerpt("bell\x07") == "bell\\x07"


def test_an_account_archive_outbox_imported_as_csv_names_import_mastodon(
        campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """An outbox.json (ActivityPub) says only `orderedItems`, none of the API's keys: the
    hint listed all three JSON imports, though `import mastodon` reads it."""
    path = campaign_dir / "outbox.json"
    path.write_text(json.dumps({"@context": "https://www.w3.org/ns/activitystreams",
                                "id": "outbox.json", "type": "OrderedCollection",
                                "totalItems": 0, "orderedItems": []}))
    result = cli("-q", "import", "csv", str(path), "--format", "json")
    assert result.exit_code == EXIT_FAILED
    error = json.loads(result.stdout)[0]["error"]
    assert error.endswith("use `knowvember import mastodon` for it"), error
