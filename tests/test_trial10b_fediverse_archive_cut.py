"""The tenth session's second trial of Mastodon archives: an account archive whose download
broke off (it holds the media, often gigabytes). Its ZIP lacks the directory at its end, so it
was refused as "a ZIP archive, not JSON: unzip it", which fails too; but Mastodon writes
outbox.json first, so the posts are whole in the part that came."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import orjson
import pytest

from tests.conftest import stored_posts as stored
from tests.test_trial10b_fediverse_gzip import run_import

ACTOR = "https://nhs.social/users/uhl_library"
PUBLIC = ["https://www.w3.org/ns/activitystreams#Public"]


def _outbox(count: int) -> bytes:
    items = [{"id": f"{ACTOR}/statuses/{n}/activity", "type": "Create", "actor": ACTOR,
              "published": f"2019-11-{1 + n % 28:02d}T09:30:00Z", "to": PUBLIC,
              "object": {"id": f"{ACTOR}/statuses/{n}", "type": "Note",
                         "attributedTo": ACTOR, "published": f"2019-11-{1 + n % 28:02d}T09:30:00Z",
                         "to": PUBLIC, "content": f"<p>Peer Assist {n} 🎉 café<br>"
                         "#<span>KNOWvember19</span></p>",
                         "tag": [{"type": "Hashtag", "name": "#KNOWvember19"}]}}
             for n in range(count)]
    return orjson.dumps({"@context": "https://www.w3.org/ns/activitystreams",
                         "type": "OrderedCollection", "orderedItems": items})


def _archive(streamed: bool) -> bytes:
    """An archive as Mastodon writes it: outbox.json first, then the media, then the rest;
    `streamed`: written to a pipe, each member's sizes after its data."""
    buffer = io.BytesIO()
    target = _Pipe(buffer) if streamed else buffer
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        archive.writestr("outbox.json", _outbox(40))
        archive.writestr("media_attachments/files/1/original/a.jpg", os.urandom(400_000),
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("actor.json", orjson.dumps({"id": ACTOR, "type": "Person"}))
    return buffer.getvalue()


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, as a ZIP written to a pipe sees its output."""

    def __init__(self, out: io.BytesIO) -> None:
        self.out = out

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self.out.write(data)


@pytest.mark.parametrize("streamed", [False, True])
def test_an_archive_download_cut_short_imports_its_outbox(
        sqlite_db, tmp_path: Path, streamed: bool) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "archive-20191201.zip"
    path.write_bytes(_archive(streamed)[:250_000])
    record = run_import(sqlite_db, "mastodon", path)
    assert (record.status, record.new) == ("partial", 40), record.error
    assert len(stored(sqlite_db)) == 40
    assert record.error.startswith(f"{path}: the archive is cut short")


def test_an_archive_cut_short_inside_its_outbox_says_so(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "archive-20191201.zip"
    path.write_bytes(_archive(False)[:300])
    record = run_import(sqlite_db, "mastodon", path)
    assert record.status == "failed"
    assert "cut short" in (record.error or "") and "download the archive again" in (
        record.error or "")
    assert "unzip it" not in (record.error or "")
