"""A Bluesky profile that gains or drops the `!no-unauthenticated` self-label is stored again.

The store writes an account again only when something it compares changed; the profile's
text was not compared, so an owner who asked not to be shown publicly after their first post
was collected stayed visible in every published report (`reports.scope.unlisted_account_ids`
reads the stored profile)."""

from __future__ import annotations

import datetime as dt
import json

from knowvember.db import Database
from knowvember.hashtags import CampaignTags
from knowvember.labels import UNLISTED_LABEL, asks_unlisted
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from reports.scope import unlisted_account_ids

DID = "did:plc:abcdefghijklmnopqrstuvwx"
NOV = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)


def _profile(labels: list[dict[str, object]]) -> AccountRecord:
    raw = json.dumps({"did": DID, "handle": "library.nhs.uk", "displayName": "Library",
                      "labels": labels})
    return AccountRecord("bluesky", DID, "library.nhs.uk", DID, "Library", None, None,
                         "https://bsky.app/profile/library.nhs.uk", raw)


def _post(n: int) -> PostRecord:
    return PostRecord("bluesky", f"at://{DID}/app.bsky.feed.post/{n}", DID,
                      NOV + dt.timedelta(minutes=n), f"Peer assist {n} #KNOWvember19",
                      hashtags=("knowvember19",))


def _writer(db: Database) -> PostWriter:
    return PostWriter(db, CampaignTags(["KNOWvember19"]), source="test")


def _unlisted(db: Database) -> set[int]:
    with db.begin() as conn:
        return unlisted_account_ids(conn)


LABEL = {"src": DID, "uri": f"at://{DID}/app.bsky.actor.profile/self", "val": UNLISTED_LABEL}


def test_a_label_added_later_is_stored_by_the_same_writer_and_by_a_new_one(db) -> None:  # type: ignore[no-untyped-def]
    writer = _writer(db)
    writer.write([_post(1)], [_profile([])])
    assert _unlisted(db) == set()
    writer.write([_post(2)], [_profile([LABEL])])  # the same run, the label set since
    assert len(_unlisted(db)) == 1

    _writer(db).write([_post(3)], [_profile([LABEL, {**LABEL, "neg": True}])])
    assert _unlisted(db) == set(), "a withdrawn label is stored too"
    _writer(db).write([_post(4)], [_profile([LABEL])])
    assert len(_unlisted(db)) == 1


def test_a_record_without_a_profile_leaves_the_stored_label_alone(db) -> None:  # type: ignore[no-untyped-def]
    _writer(db).write([_post(1)], [_profile([LABEL])])
    bare = AccountRecord("bluesky", DID, "library.nhs.uk", DID, "Library", None, None,
                         "https://bsky.app/profile/library.nhs.uk", None)
    _writer(db).write([_post(2)], [bare])
    assert len(_unlisted(db)) == 1


def test_asks_unlisted_reads_only_the_label() -> None:
    assert asks_unlisted(_profile([LABEL]).raw)
    assert not asks_unlisted(_profile([{**LABEL, "val": "porn"}]).raw)
    assert not asks_unlisted(json.dumps({"description": UNLISTED_LABEL}))
    assert not asks_unlisted("not json " + UNLISTED_LABEL)
    assert not asks_unlisted(None)
