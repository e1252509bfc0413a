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


# -- Mastodon: an account archive's outbox.json ----------------------------------------------

HOME = "https://nhs.social"
ACTOR = f"{HOME}/users/uhlibrary"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
TAG = {"type": "Hashtag", "href": f"{HOME}/tags/knowvember", "name": "#KNOWvember"}
HASHTAG = (f'<a href="{HOME}/tags/knowvember" class="mention hashtag" rel="tag">'
           "#<span>KNOWvember</span></a>")


def _z(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def create(number: int, html: str, *, to: list[str], cc: list[str] = (),  # type: ignore[assignment]
           tags: list[Json] = (), **more: Any) -> Json:  # type: ignore[assignment]
    """A Create activity as Mastodon's archive (BackupService) writes it into outbox.json."""
    when = _z(NOV + dt.timedelta(hours=number))
    note: Json = {"id": f"{ACTOR}/statuses/11340{number}", "type": "Note", "summary": None,
                  "inReplyTo": None, "published": when, "url": f"{HOME}/@uhlibrary/11340{number}",
                  "attributedTo": ACTOR, "to": to, "cc": list(cc), "sensitive": False,
                  "atomUri": f"{ACTOR}/statuses/11340{number}", "conversation": "tag:x",
                  "content": html, "contentMap": {"en": html}, "attachment": [],
                  "tag": list(tags)}
    note.update(more)
    return {"id": f"{ACTOR}/statuses/11340{number}/activity", "type": "Create",
            "actor": ACTOR, "published": when, "to": to, "cc": list(cc), "object": note}


def library_outbox(campaign_post: str) -> Json:
    followers = f"{ACTOR}/followers"
    items = [
        create(1, f"<p>Our Peer Assist for the discharge team {HASHTAG}</p>", to=[PUBLIC],
               cc=[followers], tags=[TAG]),
        create(2, f"<p>Knowledge café minutes for staff only {HASHTAG}</p>", to=[followers],
               tags=[TAG]),  # followers-only
        create(3, f"<p>@kmlead ready for the After Action Review? {HASHTAG}</p>",
               to=["https://med-mastodon.com/users/kmlead"], tags=[TAG, {
                   "type": "Mention", "href": "https://med-mastodon.com/users/kmlead",
                   "name": "@kmlead@med-mastodon.com"}]),  # direct
        create(4, f"<p>Randomised coffee trial sign-up {HASHTAG}</p>", to=[followers],
               cc=[PUBLIC], tags=[TAG]),  # unlisted
        create(5, f"<p>Which KM technique next? {HASHTAG}</p>", to=[PUBLIC], tags=[TAG],
               type="Question", oneOf=[{"type": "Note", "name": "Retrospect"}]),
        create(6, "<p>Thank you all, great week</p>", to=[PUBLIC],
               inReplyTo=f"{ACTOR}/statuses/113401"),
        create(7, f"<p>Evidence search clinic {HASHTAG}</p>", to=[PUBLIC], tags=[TAG],
               summary="Long post", updated=_z(NOV + dt.timedelta(hours=8))),
        create(8, "<p>Library closed on Friday</p>", to=[PUBLIC]),
        {"id": f"{ACTOR}/statuses/113409/activity", "type": "Announce", "actor": ACTOR,
         "published": _z(NOV + dt.timedelta(hours=9)), "to": [PUBLIC],
         "cc": ["https://med-mastodon.com/users/kmlead", f"{ACTOR}/followers"],
         "object": campaign_post},
        {"id": f"{ACTOR}/statuses/113410/activity", "type": "Announce", "actor": ACTOR,
         "published": _z(NOV + dt.timedelta(hours=10)), "to": [PUBLIC], "cc": [],
         "object": "https://med-mastodon.com/users/kmlead/statuses/1"},  # not a campaign post
        {"id": f"{ACTOR}#likes/1", "type": "Like", "actor": ACTOR,
         "object": "https://med-mastodon.com/users/kmlead/statuses/2"},
    ]
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json",
            "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items}


def test_an_account_archive_outbox_imports_its_public_posts(tmp_path: Path) -> None:
    """The archive Mastodon gives an account (Settings > Import and export > Request your
    archive) is the one export a library has when its instance closes; `import mastodon`
    refused it. Its public and unlisted posts are stored under the status URIs a collection
    uses (so both together are one post each); followers-only and direct posts are not."""
    from tests.fakeapi import mastodon_account, mastodon_status

    kmlead = mastodon_account("kmlead", "https://med-mastodon.com", acct="kmlead@med-mastodon.com")
    collected = mastodon_status("77", "https://med-mastodon.com", 77,
                                f"<p>Knowledge café at Alder Hey {HASHTAG}</p>", ["KNOWvember"],
                                kmlead, NOV)
    library = mastodon_account("uhlibrary", HOME, acct="uhlibrary")
    library["display_name"] = "UHL Library and Knowledge Service"
    live = mastodon_status("113401", HOME, 113401,
                           f"<p>Our Peer Assist for the discharge team {HASHTAG}</p>",
                           ["KNOWvember"], library, NOV + dt.timedelta(hours=1))
    page = tmp_path / "collected.jsonl"
    page.write_text(json.dumps([collected, live]) + "\n")
    outbox = tmp_path / "outbox.json"
    outbox.write_text(json.dumps(library_outbox(collected["uri"]), indent=2))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    assert import_file(db, settings, "mastodon", page).new == 2
    record = import_file(db, settings, "mastodon", outbox)
    assert record.status == "ok", record.error
    posts = stored(db)
    base = f"{ACTOR}/statuses/11340"
    assert set(posts) - {collected["uri"], live["uri"]} == {
        f"{base}4", f"{base}5", f"{base}6", f"{base}7", f"{base}9/activity"}
    assert (record.new, record.skipped) == (5, 2)  # the closed library; the other boost
    assert record.details["not_public"] == 2  # the followers-only and the direct post
    assert posts[f"{base}6"].kind == "reply" and posts[f"{base}6"].referenced_id == f"{base}1"
    boost = posts[f"{base}9/activity"]
    assert (boost.kind, boost.referenced_id) == ("repost", collected["uri"])
    assert posts[f"{base}7"].text.startswith("Long post\n\nEvidence search clinic")
    assert posts[f"{base}7"].edited_at is not None and posts[f"{base}5"].lang == "en"
    assert posts[f"{base}5"].text.endswith("#KNOWvember\n\nRetrospect")  # the poll's option
    library_row = next(a for a in all_accounts(db) if a.key == ACTOR)
    assert (library_row.handle, library_row.display_name) == (
        "@uhlibrary@nhs.social", "UHL Library and Knowledge Service")
    again = import_file(db, settings, "mastodon", outbox)
    assert (again.status, again.new, again.updated) == ("ok", 0, 0)
    db.dispose()


def test_an_activitypub_document_without_activities_is_named(tmp_path: Path) -> None:
    """An outbox fetched from the server without `?page=true` holds only a link to its
    first page: named as what it is, not as a page of the wrong shape."""
    path = tmp_path / "outbox.json"
    path.write_text(json.dumps({"@context": "https://www.w3.org/ns/activitystreams",
                                "id": f"{ACTOR}/outbox", "type": "OrderedCollection",
                                "totalItems": 120, "first": f"{ACTOR}/outbox?page=true"}))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", path)
    assert record.status == "failed"
    assert "an ActivityPub 'OrderedCollection' document without" in (record.error or "")
    db.dispose()


def test_saved_followers_only_and_direct_statuses_are_not_stored(tmp_path: Path) -> None:
    """Pages saved with a token (a home timeline, an account's statuses) hold statuses only
    the account's followers, or the people mentioned, may see; they were stored with the
    public ones and shown in reports and leaderboards."""
    from tests.fakeapi import mastodon_account, mastodon_status

    library = mastodon_account("uhlibrary", HOME, acct="uhlibrary")
    statuses = []
    for number, visibility in enumerate(("public", "unlisted", "private", "direct")):
        status = mastodon_status(str(number + 1), HOME, number + 1,
                                 f"<p>Peer Assist, {visibility} {HASHTAG}</p>", ["KNOWvember"],
                                 library, NOV + dt.timedelta(hours=number))
        status["visibility"] = visibility
        statuses.append(status)
    path = tmp_path / "home_timeline.json"
    path.write_text(json.dumps(statuses))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "mastodon", path)
    assert (record.status, record.new) == ("ok", 2), record.error
    assert sorted(p.text.split(", ")[1].split()[0] for p in stored(db).values()) == [
        "public", "unlisted"]
    # Left out, but said: the run's counts must add up to what the file holds.
    assert record.details["not_public"] == 2
    assert record.details["warnings"] == [
        "2 followers-only or direct post(s) left out: only public posts are stored and "
        "reported"]
    db.dispose()


# -- Bluesky: answers saved from the atproto SDK's models -----------------------------------

def _sdk_views() -> list[Json]:
    from tests.fakeapi import bluesky_post

    quoted = bluesky_post("3lbqzzzzzzz2a", "did:plc:nhsengland0000000000000",
                          "nhsengland.bsky.social", "Knowledge mobilisation framework", NOV)
    quoting = bluesky_post("3lbqa1aaaab2a", DID, "uhllibrary.bsky.social",
                           "Our #KNOWvember After Action Review, see this", NOV)
    quoting["record"]["embed"] = {"$type": "app.bsky.embed.record",
                                  "record": {"uri": quoted["uri"], "cid": quoted["cid"]}}
    quoting["embed"] = {"$type": "app.bsky.embed.record#view", "record": {
        "$type": "app.bsky.embed.record#viewRecord", "uri": quoted["uri"],
        "cid": quoted["cid"], "author": quoted["author"], "value": quoted["record"],
        "indexedAt": quoted["indexedAt"]}}
    reply = bluesky_post("3lbqa1aaaac2a", DID, "uhllibrary.bsky.social",
                         "Yes, the knowledge café is open to all #knowvember", NOV)
    reply["record"]["reply"] = {"root": {"uri": quoted["uri"], "cid": quoted["cid"]},
                                "parent": {"uri": quoted["uri"], "cid": quoted["cid"]}}
    return [quoting, reply]


def test_answers_saved_from_the_sdks_models_are_read(tmp_path: Path) -> None:
    """`client.app.bsky.feed.search_posts(...).model_dump_json()`, the way to save an
    answer the SDK's models offer, writes `indexed_at`, `created_at` and `py_type`: every
    post was refused with 'no createdAt or indexedAt'. A feed's reposts keep their reason."""
    from atproto import models

    views = _sdk_views()
    search = models.AppBskyFeedSearchPosts.Response.model_validate(
        {"posts": views, "cursor": "25", "hitsTotal": 2})
    reposter = {"did": "did:plc:alderheylib000000000000", "handle": "alderheylib.bsky.social"}
    feed = models.AppBskyFeedGetAuthorFeed.Response.model_validate({"feed": [{
        "post": views[0], "reason": {
            "$type": "app.bsky.feed.defs#reasonRepost", "by": reposter,
            "uri": "at://did:plc:alderheylib000000000000/app.bsky.feed.repost/3lbqr",
            "indexedAt": "2026-11-06T10:00:00.000Z"}}]})
    path = tmp_path / "saved.jsonl"
    path.write_text(search.model_dump_json() + "\n" + feed.model_dump_json() + "\n")
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "bluesky", path)
    assert record.status == "ok", record.error
    posts = stored(db)
    quote, reply = (posts[v["uri"]] for v in views)
    assert (quote.kind, reply.kind) == ("quote", "reply")
    assert quote.created_at.replace(tzinfo=dt.UTC) == NOV
    repost = posts["at://did:plc:alderheylib000000000000/app.bsky.feed.repost/3lbqr"]
    assert (repost.kind, repost.referenced_id) == ("repost", quote.platform_id)
    assert json.loads(quote.raw or "{}")["indexedAt"]  # stored in the lexicon's names
    db.dispose()


def _tid(moment: dt.datetime, clock: int = 7) -> str:
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    number = (int(moment.timestamp() * 1_000_000) << 10) | clock
    return "".join(alphabet[(number >> (5 * i)) & 31] for i in reversed(range(13)))


def test_an_exported_post_from_a_clock_running_ahead_is_dated_by_its_key(
        tmp_path: Path) -> None:
    """A search answer dates a post by the earlier of `createdAt` and `indexedAt`, so a
    phone whose clock said 2036 does not take a November post out of the campaign; an
    export has no `indexedAt`, and the post was stored in 2036. Its record key (a TID the
    account's server made) tells when it was written."""
    rkey = _tid(NOV)
    records = {f"app.bsky.feed.post/{rkey}": post_record(
        "Knowledge café today #KNOWvember", NOV.replace(year=2036))}
    path = tmp_path / "repo.car"
    path.write_bytes(repo_car(records))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "bluesky", path)
    assert (record.status, record.new) == ("ok", 1), record.error
    (post,) = stored(db).values()
    assert post.created_at.replace(tzinfo=dt.UTC) == NOV
    db.dispose()


def test_each_export_given_to_the_other_import_is_named(tmp_path: Path) -> None:
    """A repo.car given to `import mastodon` was 53 lines of 'not valid JSON'; an
    outbox.json given to `import bluesky` was 'not a searchPosts response' and no more."""
    car, outbox = tmp_path / "repo.car", tmp_path / "outbox.json"
    car.write_bytes(repo_car(library_repo()))
    outbox.write_text(json.dumps(library_outbox("https://nhs.social/users/x/statuses/1")))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    wrong_car = import_file(db, settings, "mastodon", car)
    wrong_outbox = import_file(db, settings, "bluesky", outbox)
    assert wrong_car.status == wrong_outbox.status == "failed"
    assert "Bluesky repository export" in (wrong_car.error or "")
    assert "use `knowvember import bluesky`" in (wrong_car.error or "")
    assert "use `knowvember import mastodon`" in (wrong_outbox.error or "")
    assert stored(db) == {}
    db.dispose()


def test_a_jetstream_capture_is_read(tmp_path: Path) -> None:
    """Hashtag trackers save Bluesky's Jetstream (one event a line: commits, identity and
    account events); every line was 'not a Bluesky searchPosts response'."""
    def event(kind: str, **more: Any) -> Json:
        return {"did": DID, "time_us": int(NOV.timestamp() * 1_000_000), "kind": kind, **more}

    def commit(collection: str, rkey: str, operation: str = "create", **record: Any) -> Json:
        body: Json = {"rev": "3lbqr2", "operation": operation, "collection": collection,
                      "rkey": rkey}
        if record:
            body.update(record=record, cid="bafyreib")
        return event("commit", commit=body)

    lines = [
        event("identity", identity={"did": DID, "handle": "uhllibrary.bsky.social",
                                     "seq": 1, "time": "2026-11-05T09:30:00Z"}),
        commit("app.bsky.feed.post", "3lbqa1aaaaa2a",
               **post_record("Peer Assist today #KNOWvember", NOV.replace(year=2030))),
        commit("app.bsky.feed.like", "3lbqa1aaaab2a",
               **{"$type": "app.bsky.feed.like", "createdAt": "2026-11-05T09:31:00Z",
                  "subject": {"uri": "at://x/app.bsky.feed.post/1", "cid": "b"}}),
        commit("app.bsky.feed.post", "3lbqa1aaaac2a", **post_record("Lunch", NOV)),
        commit("app.bsky.feed.post", "3lbqa1aaaad2a", operation="delete"),
        event("account", account={"active": True, "did": DID, "seq": 2,
                                   "time": "2026-11-05T09:30:00Z"}),
    ]
    path = tmp_path / "jetstream.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    record = import_file(db, settings, "bluesky", path)
    assert (record.status, record.new, record.skipped) == ("ok", 1, 1), record.error
    (post,) = stored(db).values()
    assert post.platform_id == f"at://{DID}/app.bsky.feed.post/3lbqa1aaaaa2a"
    assert post.created_at.replace(tzinfo=dt.UTC) == NOV  # seen then, not in 2030
    db.dispose()
