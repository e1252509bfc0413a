"""One X account for one person, whether an import keys it by user id (the API, twarc2) or by
handle (a TAGS sheet whose user ids Excel cut to 15 digits, or that lacks them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import sqlalchemy as sa

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import Database
from knowvember.models import Account, Post
from tests.conftest import BASE_CONFIG
from tests.fakeapi import x_id, x_page, x_tweet, x_user
from tests.test_import_files import TAGS_HEADER, tags_row, write_csv

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
USER_ID = "1191672311587868999"


def _import(db: Database, fmt: str, path: Path) -> ingest.RunRecord:
    (run,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                 ingest.Hooks(lock_wait=0)).runs
    assert run.status == "ok", run.error
    return run


def _twarc2(path: Path) -> Path:
    tid = x_id(NOV + dt.timedelta(hours=2))
    page = x_page([x_tweet(tid, "Our peer assist went well #KNOWvember19", USER_ID,
                           NOV + dt.timedelta(hours=2))],
                  [x_user(USER_ID, "UHL_Library", name="UHL Library")])
    path.write_bytes(orjson.dumps(page) + b"\n")
    return path


def _tags(path: Path) -> Path:
    # The sheet's author id is one Excel cut to 15 digits: the row is keyed by handle.
    return write_csv(path, TAGS_HEADER, [tags_row(
        "1191672311587868672", "UHL_Library", "Knowledge cafe today #KNOWvember19",
        from_user_id_str="1191672311587870000")])


def _accounts(db: Database) -> list[tuple[str, str]]:
    with db.begin() as conn:
        return sorted((key, handle) for key, handle in conn.execute(
            sa.select(Account.key, Account.handle)))


def _authors(db: Database) -> set[int]:
    with db.begin() as conn:
        return set(conn.execute(sa.select(Post.account_id)).scalars())


def test_a_tags_sheet_after_an_api_import_joins_the_account_stored_by_id(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(sqlite_db, "twarc2", _twarc2(tmp_path / "a.jsonl"))
    _import(sqlite_db, "tags", _tags(tmp_path / "tags.csv"))
    assert _accounts(sqlite_db) == [(USER_ID, "@uhl_library")]
    assert len(_authors(sqlite_db)) == 1


def test_an_api_import_after_a_tags_sheet_rekeys_the_account_stored_by_handle(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(sqlite_db, "tags", _tags(tmp_path / "tags.csv"))
    assert _accounts(sqlite_db) == [("@uhl_library", "@uhl_library")]
    _import(sqlite_db, "twarc2", _twarc2(tmp_path / "a.jsonl"))
    assert _accounts(sqlite_db) == [(USER_ID, "@uhl_library")]
    assert len(_authors(sqlite_db)) == 1
    # and the sheet again: still one account
    _import(sqlite_db, "tags", tmp_path / "tags.csv")
    assert _accounts(sqlite_db) == [(USER_ID, "@uhl_library")]


def test_a_handle_two_stored_accounts_have_is_left_apart(sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A handle passed from one account to another: which of them a sheet's row is cannot
    be told, so the row keeps an account of its own."""
    _import(sqlite_db, "twarc2", _twarc2(tmp_path / "a.jsonl"))
    other = tmp_path / "b.jsonl"
    tid = x_id(NOV + dt.timedelta(hours=3))
    other.write_bytes(orjson.dumps(x_page(
        [x_tweet(tid, "Retrospect #KNOWvember19", "77", NOV + dt.timedelta(hours=3))],
        [x_user("77", "UHL_Library")])) + b"\n")
    _import(sqlite_db, "twarc2", other)
    _import(sqlite_db, "tags", _tags(tmp_path / "tags.csv"))
    assert [k for k, _ in _accounts(sqlite_db)] == ["1191672311587868999", "77",
                                                    "@uhl_library"]
