"""The tenth session's trial of X archives: a `.gz` archive cut short, as `twarc2 search ... |
gzip > nov.jsonl.gz` leaves it when stopped, or a download that broke off. The posts before
the damage were lost with the reader's chunk in hand (up to 5,000), so a small file imported
"failed, 0 read" although nearly all of it could be read."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path

import orjson

from knowvember import ingest
from knowvember.config import parse_settings
from tests.conftest import BASE_CONFIG
from tests.conftest import stored_posts as stored
from tests.fakeapi import x_id, x_page, x_tweet, x_user
from tests.test_import_files import TAGS_HEADER, tags_row

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
USERS = [x_user("42", "UHLLibraries", name="UHL Libraries 📚")]


def run_import(db, fmt: str, path: Path):  # type: ignore[no-untyped-def]
    (record,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                    ingest.Hooks(lock_wait=0)).runs
    return record


def cut(data: bytes, keep: float = 0.7) -> bytes:
    """`data` gzipped and cut short, as a stopped pipe or a broken download leaves it."""
    whole = gzip.compress(data)
    return whole[: int(len(whole) * keep)]


def whole_lines(data: bytes) -> list[bytes]:
    """The complete lines a cut-short gzip still holds."""
    decompressor = gzip.GzipFile(fileobj=io.BytesIO(data))
    read = b""
    try:
        while chunk := decompressor.read(1):
            read += chunk
    except EOFError:
        pass
    return read.split(b"\n")[:-1]


def test_a_cut_short_twarc2_gzip_keeps_every_whole_page_before_the_damage(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pages = [orjson.dumps(x_page(
        [x_tweet(x_id(NOV + dt.timedelta(minutes=n), i), f"Peer Assist {n}.{i} 🎉 café\n"
                 "#KNOWvember19 https://t.co/abc", "42", NOV + dt.timedelta(minutes=n))
         for i in range(10)], USERS)) for n in range(60)]
    data = cut(b"\n".join(pages) + b"\n")
    path = tmp_path / "nov.jsonl.gz"
    path.write_bytes(data)
    lines = whole_lines(data)
    assert 10 < len(lines) < 60
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "partial"
    assert record.new == record.fetched == len(lines) * 10
    assert len(stored(sqlite_db)) == len(lines) * 10
    assert record.error.startswith(f"{path}: the compressed file is damaged or incomplete (")
    assert f"after line {len(lines):,}" in record.error
    assert "import it again" in record.error


def test_a_cut_short_tags_gzip_keeps_every_whole_row_before_the_damage(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = io.StringIO()
    writer = csv.DictWriter(text, TAGS_HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(tags_row(str(1191672311587868672 + n), "UHL_Library",
                              f"Peer assist {n}, with a café\n#KNOWvember19")
                     for n in range(800))
    data = cut(text.getvalue().encode())
    path = tmp_path / "tags.csv.gz"
    path.write_bytes(data)
    rows = (len(whole_lines(data)) - 1) // 2  # a header, then two lines a row
    assert 100 < rows < 800
    record = run_import(sqlite_db, "tags", path)
    assert record.status == "partial"
    assert record.new == len(stored(sqlite_db))
    assert rows - 1 <= record.new <= rows  # (a row may end just before the damage)
    assert record.error.startswith(f"{path}: the compressed file is damaged or incomplete (")
    assert "after line" in record.error


def test_jsonl_files_joined_with_their_byte_order_marks_read_whole(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two files Notepad saved (each starting with a BOM) joined into one: the second file's
    first page was "not valid JSON" and its 10 posts were lost."""
    def page(n: int) -> bytes:
        return orjson.dumps(x_page([x_tweet(x_id(NOV, n * 10 + i), f"Peer Assist {n}.{i} "
                                            "#KNOWvember19", "42", NOV) for i in range(10)],
                                   USERS))

    bom = b"\xef\xbb\xbf"
    path = tmp_path / "all.jsonl"
    path.write_bytes(bom + page(0) + b"\r\n" + page(1) + b"\r\n" + bom + page(2) + b"\r\n")
    record = run_import(sqlite_db, "twarc2", path)
    assert (record.status, record.new) == ("ok", 30), record.error
