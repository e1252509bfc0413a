"""Saved pages put onto one line: `cat page1.json page2.json > pages.jsonl` of answers saved
with curl (which end without a line break), or a JSONL file cut off mid-line with another
put after it. The line was "not valid JSON" and every page on it was lost: the whole file
("failed, 0 read") for the saved answers. And pretty-printed answers one after another
(`jq . page1.json page2.json`, `curl ... | jq . >> pages.json`), lost as a whole the same
way. The texts hold accents and emoji: orjson counts its error positions in characters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from tests.conftest import stored_posts as stored
from tests.fakeapi import (
    bluesky_post,
    mastodon_account,
    mastodon_id,
    mastodon_status,
    x_id,
    x_page,
    x_tweet,
    x_user,
)
from tests.test_trial10b_fediverse_gzip import run_import

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
HOME = "https://mastodon.nhs.example"
USER = x_user("2001", "UHLLibraries", name="UHL Libraries")


def _x_page(first: int, count: int) -> bytes:
    tweets = [x_tweet(x_id(NOV + dt.timedelta(minutes=n), n),
                      f"Knowledge café {n} 🎉 #KNOWvember19", "2001",
                      NOV + dt.timedelta(minutes=n)) for n in range(first, first + count)]
    return orjson.dumps(x_page(tweets, [USER]))


def _toots(first: int, count: int) -> bytes:
    account = mastodon_account("uhl_library", HOME)
    # every toot nests objects that start as the page does ([{"id": ...): none is a page
    statuses = [{**mastodon_status(mastodon_id(NOV + dt.timedelta(minutes=n), n), HOME, n,
                                   f"<p>Peer assist {n} 📚 café #KNOWvember19</p>",
                                   ["KNOWvember19"], account, NOV + dt.timedelta(minutes=n)),
                 "media_attachments": [{"id": str(n), "type": "image"}]}
                for n in range(first, first + count)]
    return orjson.dumps(statuses)


def test_saved_x_answers_joined_on_one_line_are_each_read(sqlite_db, tmp_path: Path
                                                          ) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pages.jsonl"
    path.write_bytes(_x_page(0, 10) + _x_page(10, 10) + b" " + _x_page(20, 10))
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "ok", record.error
    assert record.new == 30 and len(stored(sqlite_db)) == 30


def test_a_page_cut_mid_line_then_joined_loses_only_the_cut_page(sqlite_db, tmp_path: Path
                                                                 ) -> None:  # type: ignore[no-untyped-def]
    cut = _x_page(0, 10)
    path = tmp_path / "search.jsonl"
    path.write_bytes(cut[: len(cut) // 2] + _x_page(10, 10) + b"\n" + _x_page(20, 10) + b"\n")
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "partial"
    assert record.new == 20 and len(stored(sqlite_db)) == 20
    assert f"{path}:1: the first {len(cut) // 2:,} bytes of the line are a value cut short" in (
        record.error or "")
    assert "value(s) joined onto the line after it were read" in (record.error or "")


def test_mastodon_pages_joined_on_one_line_are_each_read_and_nested_objects_are_not_pages(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = _toots(0, 5)
    path = tmp_path / "toots.json"
    path.write_bytes(page[: len(page) - 40] + _toots(5, 5) + _toots(10, 5))
    record = run_import(sqlite_db, "mastodon", path)
    assert record.status == "partial"
    assert record.new == 10 and record.fetched == 10


def test_bluesky_answers_joined_on_one_line_are_each_read(sqlite_db, tmp_path: Path
                                                          ) -> None:  # type: ignore[no-untyped-def]
    def answer(first: int) -> bytes:
        return orjson.dumps({"posts": [
            bluesky_post(f"3k{n:06d}", "did:plc:uhl0000000000000000000", "uhl.bsky.social",
                         f"Retrospect {n} — naïve 🎉 #KNOWvember19", NOV + dt.timedelta(minutes=n))
            for n in range(first, first + 4)], "cursor": "4"})

    path = tmp_path / "search.json"
    path.write_bytes(answer(0) + answer(4))
    record = run_import(sqlite_db, "bluesky", path)
    assert record.status == "ok", record.error
    assert record.new == 8


def test_a_line_that_is_only_broken_is_still_one_error(sqlite_db, tmp_path: Path
                                                       ) -> None:  # type: ignore[no-untyped-def]
    page = _x_page(0, 10)
    path = tmp_path / "search.jsonl"
    path.write_bytes(_x_page(10, 10) + b"\n" + page[: len(page) // 2] + b"\n")
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "partial" and record.new == 10
    assert "search.jsonl:2: not valid JSON (cut short or malformed)" in (record.error or "")


def _pretty(data: bytes) -> bytes:
    return orjson.dumps(orjson.loads(data), option=orjson.OPT_INDENT_2)


def test_pretty_printed_answers_one_after_another_are_each_read(sqlite_db, tmp_path: Path
                                                               ) -> None:  # type: ignore[no-untyped-def]
    x = tmp_path / "pages.json"
    x.write_bytes(b"\n".join(_pretty(_x_page(n, 10)) for n in (0, 10, 20)) + b"\n")
    toots = tmp_path / "toots.json"
    toots.write_bytes(_pretty(_toots(0, 5)) + b"\n\n" + _pretty(_toots(5, 5)))
    record = run_import(sqlite_db, "twarc2", x)
    assert record.status == "ok", record.error
    assert record.new == 30
    record = run_import(sqlite_db, "mastodon", toots)
    assert record.status == "ok", record.error
    assert record.new == 10


def test_an_error_in_pretty_printed_answers_names_its_own_line(sqlite_db, tmp_path: Path
                                                               ) -> None:  # type: ignore[no-untyped-def]
    first = _pretty(_x_page(0, 10))
    second = _pretty(_x_page(10, 10)).replace(b'"lang": "en"', b'"lang": oops', 1)
    path = tmp_path / "pages.json"
    path.write_bytes(first + b"\n" + second + b"\n")
    line = (first + b"\n" + second).split(b"oops")[0].count(b"\n") + 1
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "partial" and record.new == 10
    assert f"pages.json:{line}: not valid JSON" in (record.error or "")
    # one document: the line is counted in characters as the error's position is
    path.write_bytes(second)
    line = second.split(b"oops")[0].count(b"\n") + 1
    record = run_import(sqlite_db, "twarc2", path)
    assert f"pages.json:{line}: not valid JSON" in (record.error or "")


def test_a_file_that_ends_partway_through_its_last_line_is_named_incomplete(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = _x_page(0, 10)
    path = tmp_path / "search.jsonl"
    path.write_bytes(_x_page(10, 10) + b"\n" + page[: len(page) // 2])
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "partial" and record.new == 10
    assert ("search.jsonl:2: not valid JSON (cut short or malformed): the file ends partway "
            "through this line, so it is incomplete") in (record.error or "")
    assert "import the complete file again when you have it" in (record.error or "")


def test_values_that_start_otherwise_joined_after_a_whole_one_are_read(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notice = orjson.dumps({"errors": [{"title": "operational-disconnect",
                                       "type": "https://api.twitter.com/2/problems/"
                                               "operational-disconnect"}]})
    path = tmp_path / "stream.jsonl"
    path.write_bytes(_x_page(0, 10) + notice + _x_page(10, 10) + b"\n")
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "ok", record.error
    assert record.new == 20 and record.details["api_errors"] == 1


def test_files_joined_by_windows_with_their_byte_order_marks_are_each_read(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bom = "\ufeff".encode()
    path = tmp_path / "all.json"  # `copy /b a.json+b.json all.json` of two Notepad saves
    path.write_bytes(bom + _x_page(0, 10) + bom + _x_page(10, 10))
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "ok", record.error
    assert record.new == 20


def test_pretty_printed_files_joined_by_windows_are_each_read(sqlite_db, tmp_path: Path
                                                              ) -> None:  # type: ignore[no-untyped-def]
    bom = "\ufeff".encode()
    path = tmp_path / "all.json"
    path.write_bytes(bom + _pretty(_x_page(0, 10)) + b"\r\n" + bom + _pretty(_x_page(10, 10)))
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "ok", record.error
    assert record.new == 20
