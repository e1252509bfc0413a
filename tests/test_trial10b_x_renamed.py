"""An account renamed during the month: a TAGS sheet (or a CSV) names each row's author as
they were when the row was saved, so the rows before the rename hold the old handle. The
store keeps an account's last record and a TAGS sheet lists the newest row first, so
importing the month's sheet on top of the collected posts gave the renamed account back its
old handle, which `[[organisations]] accounts` and `exclude_accounts` no longer name."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from collectors import tags
from knowvember.models import Account
from tests.test_import_files import CSV_HEADER, TAGS_HEADER, tags_row, write_csv
from tests.test_trial9_x_archives import run_import

OLD, NEW = "UHL_Library", "UHL_LKS"


def _sheet(tmp_path: Path) -> Path:
    """A month's sheet, newest row first, its author renamed on the 5th."""
    rows = [tags_row(f"11916723115878686{90 - day}", NEW if day >= 5 else OLD,
                     f"Day {day} coffee trial #KNOWvember19",
                     created_at=f"Tue Nov {day:02d} 09:30:00 +0000 2019",
                     time=f"{day:02d}/11/2019 09:30:00", from_user_id_str="1001",
                     user_followers_count=str(300 + day))
            for day in range(9, 0, -1)]
    return write_csv(tmp_path / "tags.csv", TAGS_HEADER, rows)


def _account(db) -> tuple[str, str | None, int | None]:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        (row,) = conn.execute(sa.select(Account.handle, Account.url, Account.followers))
    return row.handle, row.url, row.followers


def test_a_tags_sheet_names_a_renamed_account_by_its_newest_handle(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    record = run_import(sqlite_db, "tags", _sheet(tmp_path))
    assert (record.status, record.new) == ("ok", 9), record.error
    assert _account(sqlite_db) == ("@uhl_lks", f"https://x.com/{NEW}", 309)


def test_the_newest_handle_holds_across_chunks_in_either_order(tmp_path: Path) -> None:
    path = _sheet(tmp_path)
    for reverse in (False, True):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if reverse:
            path.write_text(lines[0] + "".join(reversed(lines[1:])), encoding="utf-8")
        handles = [a.handle for chunk in tags.read(path, chunk_posts=2) for a in chunk.accounts]
        assert handles[-1] == "@uhl_lks", (reverse, handles)
        if not reverse:
            assert set(handles) == {"@uhl_lks"}


def test_a_generic_csv_oldest_row_first_keeps_the_newest_handle(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [{"platform": "x", "id": f"119167231158786869{day}", "author_handle": handle,
             "author_id": "1001", "created_at": f"2019-11-0{day}T09:30:00Z",
             "text": "Peer assist #KNOWvember19"}
            for day, handle in ((3, NEW), (1, OLD), (2, OLD))]
    path = write_csv(tmp_path / "posts.csv", [*CSV_HEADER, "author_id"], rows)
    record = run_import(sqlite_db, "csv", path)
    assert (record.status, record.new) == ("ok", 3), record.error
    assert _account(sqlite_db)[0] == "@uhl_lks"
