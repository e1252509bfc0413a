"""The tenth session's trial of Bluesky accounts that ask not to be shown to people who are
not signed in (the self-label `!no-unauthenticated`, which the report honours from the
stored profile): a repository export or a Jetstream capture of the same account, read after
collection, replaced the stored profile with one that lacked the label, and the report
named the account again; an export's own self-label was never read."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa

from knowvember.db import open_database
from knowvember.models import Account
from reports.scope import asks_unlisted
from tests.fakeapi import bluesky_post
from tests.test_trial9_fediverse_archives import DID, NOV, library_repo, repo_car
from tests.test_trial_fediverse import import_file, settings_for

LABEL = {"src": DID, "uri": f"at://{DID}/app.bsky.actor.profile/self", "cid": "bafyprofile",
         "val": "!no-unauthenticated", "cts": "2026-10-01T09:00:00.000Z"}


def _raw_profile(db: object) -> str | None:
    with db.session() as session:  # type: ignore[attr-defined]
        return session.scalars(sa.select(Account.raw).where(Account.key == DID)).one()


def _searched(tmp_path: Path) -> Path:
    view = bluesky_post("3lbqa1aaaaz2a", DID, "uhl-library.bsky.social",
                        "Knowledge café today #KNOWvember", NOV)
    view["author"]["labels"] = [LABEL]
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"posts": [view]}))
    return path


def test_a_jetstream_capture_keeps_the_label_collected_before(tmp_path: Path) -> None:
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    assert import_file(db, settings, "bluesky", _searched(tmp_path)).new == 1
    event = {"did": DID, "time_us": int((NOV + dt.timedelta(hours=3)).timestamp() * 1e6),
             "kind": "commit", "commit": {
                 "rev": "3lbqb", "operation": "create", "collection": "app.bsky.feed.post",
                 "rkey": "3lbqa1aaaay2a", "cid": "bafyjet",
                 "record": {"$type": "app.bsky.feed.post", "text": "Peer Assist #KNOWvember",
                            "createdAt": "2026-11-05T12:30:00.000Z"}}}
    capture = tmp_path / "jetstream.jsonl"
    capture.write_text(json.dumps(event) + "\n")
    assert import_file(db, settings, "bluesky", capture).new == 1
    assert asks_unlisted(_raw_profile(db))
    db.dispose()


def test_a_repository_export_carries_its_own_self_label(tmp_path: Path) -> None:
    records = library_repo()
    records["app.bsky.actor.profile/self"]["labels"] = {
        "$type": "com.atproto.label.defs#selfLabels",
        "values": [{"val": "!no-unauthenticated"}]}
    export = tmp_path / "repo.car"
    export.write_bytes(repo_car(records))
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    assert import_file(db, settings, "bluesky", export).status == "ok"
    assert asks_unlisted(_raw_profile(db))
    db.dispose()


def test_an_export_without_the_label_after_collection_keeps_it(tmp_path: Path) -> None:
    """An export written before the person set the label is older news than the search."""
    settings = settings_for("")
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}")
    assert import_file(db, settings, "bluesky", _searched(tmp_path)).new == 1
    export = tmp_path / "repo.car"
    export.write_bytes(repo_car(library_repo()))
    assert import_file(db, settings, "bluesky", export).status == "ok"
    assert asks_unlisted(_raw_profile(db))
    db.dispose()
