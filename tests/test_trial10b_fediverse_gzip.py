"""The tenth session's second trial of Mastodon and Bluesky archives: a `.gz` of saved pages
cut short (a collecting script's `| gzip` stopped, a download that broke off). The readers
lost their chunk in hand (up to 5,000 posts) with the damage, so a small file imported
"failed, 0 read" although nearly all of it could be read; twarc2's reader kept it already."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from knowvember import ingest
from knowvember.config import parse_settings
from tests.conftest import BASE_CONFIG
from tests.conftest import stored_posts as stored
from tests.fakeapi import bluesky_post, mastodon_account, mastodon_id, mastodon_status
from tests.test_trial10_x_gzip import cut, whole_lines

NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
HOME = "https://mastodon.nhs.example"
ACCOUNT = mastodon_account("uhl_library", HOME, note="Library 📚 &amp; knowledge")


def run_import(db, fmt: str, path: Path):  # type: ignore[no-untyped-def]
    (record,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                    ingest.Hooks(lock_wait=0)).runs
    return record


def _toot(n: int, i: int) -> dict[str, object]:
    at = NOV + dt.timedelta(minutes=n)
    html = (f'<p>Peer Assist {n}.{i} 🎉 café<br>with the ward team '
            '<a href="https://mastodon.nhs.example/tags/knowvember19" class="mention hashtag" '
            'rel="tag">#<span>KNOWvember19</span></a></p>')
    return mastodon_status(mastodon_id(at, i), HOME, n * 10 + i, html, ["KNOWvember19"],
                           ACCOUNT, at)


def _assert_partial(record, path: Path, lines: int) -> None:  # type: ignore[no-untyped-def]
    assert record.status == "partial", record.error
    assert record.error.startswith(f"{path}: the compressed file is damaged or incomplete (")
    assert f"after line {lines:,}" in record.error


def test_a_cut_short_mastodon_gzip_keeps_every_whole_page_before_the_damage(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pages = [orjson.dumps([_toot(n, i) for i in range(10)]) for n in range(60)]
    data = cut(b"\n".join(pages) + b"\n")
    path = tmp_path / "toots.jsonl.gz"
    path.write_bytes(data)
    lines = len(whole_lines(data))
    assert 10 < lines < 60
    record = run_import(sqlite_db, "mastodon", path)
    _assert_partial(record, path, lines)
    assert record.new == record.fetched == lines * 10
    assert len(stored(sqlite_db)) == lines * 10


def test_a_cut_short_bluesky_gzip_keeps_every_whole_page_before_the_damage(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pages = [orjson.dumps({"posts": [bluesky_post(
        f"3kx{n:03d}{i:02d}", "did:plc:uhl", "uhl-library.bsky.social",
        f"Peer Assist {n}.{i} 🎉 café\nwith the ward team #KNOWvember19",
        NOV + dt.timedelta(minutes=n)) for i in range(10)], "cursor": str(n)})
        for n in range(60)]
    data = cut(b"\n".join(pages) + b"\n")
    path = tmp_path / "skeets.jsonl.gz"
    path.write_bytes(data)
    lines = len(whole_lines(data))
    assert 10 < lines < 60
    record = run_import(sqlite_db, "bluesky", path)
    _assert_partial(record, path, lines)
    assert record.new == record.fetched == lines * 10
    assert len(stored(sqlite_db)) == lines * 10


def test_importing_the_whole_file_after_the_cut_short_one_doubles_nothing(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    whole = b"\n".join(orjson.dumps([_toot(n, i) for i in range(10)]) for n in range(60))
    short = tmp_path / "short.jsonl.gz"
    short.write_bytes(cut(whole + b"\n"))
    first = run_import(sqlite_db, "mastodon", short)
    again = tmp_path / "again.jsonl"
    again.write_bytes(whole + b"\n")
    second = run_import(sqlite_db, "mastodon", again)
    assert second.status == "ok", second.error
    assert first.new + second.new == 600 == len(stored(sqlite_db))
