"""Mastodon's CSV exports of accounts (Preferences > Import and export > Data export: follows,
mutes, lists, blocks) hold no posts. Given to `import mastodon` the run said "a CSV export,
not JSON; use import tags or import csv", and those said only which TAGS or generic columns
were missing: a librarian went round the imports and never heard of the account archive."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import stored_posts as stored
from tests.test_trial9_x_archives import run_import

EXPORTS = {
    "following_accounts.csv": "Account address,Show boosts,Notify on new posts,Languages\n"
                              "library@nhs.social,true,false,\nkm@mastodon.social,true,false,en\n",
    "muted_accounts.csv": "\ufeffAccount address,Hide notifications\nspam@x.social,true\n",
    "lists.csv": "KM people,library@nhs.social\nKM people,@km@mastodon.social\n",
    "blocked_accounts.csv": "spam@x.social\nbad@y.example\n",
}


@pytest.mark.parametrize("fmt", ["mastodon", "tags", "csv"])
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_mastodon_accounts_export_is_named_with_the_archive_to_import(
        sqlite_db, tmp_path: Path, fmt: str, name: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(EXPORTS[name], encoding="utf-8")
    record = run_import(sqlite_db, fmt, path)
    assert record.status == "failed"
    assert f"{name}:1: this looks like Mastodon's export of accounts" in record.error
    assert "holds no posts" in record.error
    assert "knowvember import mastodon ARCHIVE.zip" in record.error
    assert stored(sqlite_db) == {}


def test_a_generic_csv_missing_columns_is_not_taken_for_one(sqlite_db, tmp_path: Path
                                                            ) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_text("platform,id,author_handle,text\nx,1,@a,hi\n", encoding="utf-8")
    record = run_import(sqlite_db, "csv", path)
    assert "missing column(s) created_at" in record.error
    assert "Mastodon" not in record.error
