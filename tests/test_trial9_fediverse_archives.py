"""The ninth session's trial of Mastodon and Bluesky archives: the exports a library actually
has (a Bluesky repository export, `repo.car`), imported with `knowvember import`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import libipld
import pytest

from knowvember.db import open_database
from tests.conftest import stored_posts as stored
from tests.test_trial_fediverse import all_accounts, import_file, settings_for

Json = dict[str, Any]
DID = "did:plc:uhllibrary7q3m2xk4w5v6"
NOV = dt.datetime(2026, 11, 5, 9, 30, tzinfo=dt.UTC)


def _cid(block: bytes) -> bytes:
    """A CIDv1 of a DAG-CBOR block (sha2-256), in its binary form."""
    return b"\x01\x71\x12\x20" + hashlib.sha256(block).digest()


def _varint(number: int) -> bytes:
    out = b""
    while True:
        byte, number = number & 0x7F, number >> 7
        out += bytes([byte | (0x80 if number else 0)])
        if not number:
            return out


def repo_car(records: dict[str, Json], did: str = DID) -> bytes:
    """A repository export as the PDS writes it (CARv1: commit, Merkle search tree nodes,
    records), with the records split over a root node and a left subtree, and keys
    prefix-compressed, so that reading it needs the whole tree walk."""
    blocks: list[tuple[bytes, bytes]] = []

    def put(value: Any) -> bytes:
        block = libipld.encode_dag_cbor(value)
        blocks.append((_cid(block), block))
        return blocks[-1][0]

    def node(keys: list[str], left: bytes | None) -> bytes:
        entries, before = [], b""
        for key in keys:
            raw = key.encode()
            shared = 0
            while shared < min(len(raw), len(before)) and raw[shared] == before[shared]:
                shared += 1
            entries.append({"k": raw[shared:], "p": shared, "t": None,
                            "v": put(records[key])})
            before = raw
        return put({"e": entries, "l": left})

    keys = sorted(records)
    half = len(keys) // 2
    left = node(keys[:half], None) if half else None
    root = put({"data": node(keys[half:], left), "did": did, "prev": None,
                "rev": "3lbqzr2yv4c2k", "sig": b"\x00" * 64, "version": 3})
    header = libipld.encode_dag_cbor({"roots": [root], "version": 1})
    out = _varint(len(header)) + header
    for cid, block in reversed(blocks):
        out += _varint(len(cid) + len(block)) + cid + block
    return out


def post_record(text: str, when: dt.datetime, **more: Any) -> Json:
    record: Json = {"$type": "app.bsky.feed.post", "text": text, "langs": ["en-GB"],
                    "createdAt": when.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    tag = "KNOWvember"
    if f"#{tag}" in text:
        start = len(text[:text.index(f"#{tag}")].encode())
        record["facets"] = [{"$type": "app.bsky.richtext.facet",
                             "index": {"byteStart": start, "byteEnd": start + len(tag) + 1},
                             "features": [{"$type": "app.bsky.richtext.facet#tag",
                                           "tag": tag}]}]
    record.update(more)
    return record


def library_repo() -> dict[str, Json]:
    """The account's records: posts (one with an image, one quoting, one a reply), and the
    likes, follows, a repost and its profile that an export holds beside them."""
    image = {"$type": "app.bsky.embed.images", "images": [{"alt": "Our knowledge café", "image": {
        "$type": "blob", "ref": _cid(b"image"), "mimeType": "image/jpeg", "size": 81234}}]}
    other = "at://did:plc:nhsengland0000000000000/app.bsky.feed.post/3lbq7x2mnop2a"
    return {
        "app.bsky.actor.profile/self": {
            "$type": "app.bsky.actor.profile", "displayName": "UHL Library & Knowledge Service",
            "description": "Library and Knowledge Service, University Hospitals of Leicester "
                           "NHS Trust"},
        "app.bsky.feed.post/3lbqa1aaaaa2a": post_record(
            "Our first #KNOWvember Peer Assist with the stroke team", NOV, embed=image),
        "app.bsky.feed.post/3lbqa1aaaab2a": post_record(
            "After Action Review for the audit week #KNOWvember", NOV + dt.timedelta(days=1),
            embed={"$type": "app.bsky.embed.record", "record": {"uri": other,
                                                                "cid": "bafyreia"}}),
        "app.bsky.feed.post/3lbqa1aaaac2a": post_record(
            "Replying: yes, the knowledge café is open to all #knowvember",
            NOV + dt.timedelta(days=2),
            reply={"root": {"uri": other, "cid": "bafyreia"},
                   "parent": {"uri": other, "cid": "bafyreia"}}),
        "app.bsky.feed.post/3lbqa1aaaad2a": post_record("Library closed on Friday", NOV),
        "app.bsky.feed.like/3lbqa1aaaae2a": {"$type": "app.bsky.feed.like",
                                             "subject": {"uri": other, "cid": "bafyreia"},
                                             "createdAt": "2026-11-05T10:00:00.000Z"},
        "app.bsky.feed.repost/3lbqa1aaaaf2a": {"$type": "app.bsky.feed.repost",
                                               "subject": {"uri": other, "cid": "bafyreia"},
                                               "createdAt": "2026-11-05T10:00:00.000Z"},
        "app.bsky.graph.follow/3lbqa1aaaag2a": {"$type": "app.bsky.graph.follow",
                                                "subject": "did:plc:nhsengland0000000000000",
                                                "createdAt": "2026-11-01T10:00:00.000Z"},
    }


def test_a_repository_export_is_imported_by_the_uris_the_posts_have(tmp_path: Path) -> None:
    """The Bluesky app's only export (Settings > Account > Export my data) is a CAR file;
    `import bluesky repo.car` read it as text and failed with 53 lines of 'not valid JSON'."""
    path = tmp_path / "repo.car"
    path.write_bytes(repo_car(library_repo()))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "bluesky", path)
    assert record.status == "ok", record.error
    posts = stored(db)
    base = f"at://{DID}/app.bsky.feed.post/3lbqa1aaaa"
    assert set(posts) == {f"{base}a2a", f"{base}b2a", f"{base}c2a"}  # the off-campaign one
    assert record.new == 3 and record.skipped == 1
    assert (posts[f"{base}b2a"].kind, posts[f"{base}c2a"].kind) == ("quote", "reply")
    assert posts[f"{base}a2a"].url == f"https://bsky.app/profile/{DID}/post/3lbqa1aaaaa2a"
    assert posts[f"{base}a2a"].lang == "en-GB"
    (account,) = all_accounts(db)
    assert (account.platform_user_id, account.display_name) == (
        DID, "UHL Library & Knowledge Service")
    again = import_file(db, settings, "bluesky", path)
    assert (again.status, again.new, again.updated) == ("ok", 0, 0)
    db.dispose()


def test_a_repository_export_keeps_the_handle_collected_before(tmp_path: Path) -> None:
    """The export names the account by DID only: the handle stored from search stays."""
    from tests.fakeapi import bluesky_post

    live = tmp_path / "search.json"
    view = bluesky_post("3lbqa1aaaaa2a", DID, "uhllibrary.bsky.social",
                        "Our first #KNOWvember Peer Assist with the stroke team", NOV)
    live.write_text(json.dumps({"posts": [view]}))
    car = tmp_path / "repo.car"
    car.write_bytes(repo_car(library_repo()))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    assert import_file(db, settings, "bluesky", live).new == 1
    record = import_file(db, settings, "bluesky", car)
    assert (record.status, record.new) == ("ok", 2), record.error
    (account,) = all_accounts(db)
    assert account.handle == "uhllibrary.bsky.social"
    db.dispose()


@pytest.mark.parametrize("cut", [40, 400])
def test_a_damaged_repository_export_fails_naming_the_file(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "repo.car"
    path.write_bytes(repo_car(library_repo())[:cut])
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "bluesky", path)
    assert record.status == "failed"
    assert str(path) in (record.error or "") and "repository export" in (record.error or "")
    assert stored(db) == {}
    db.dispose()
