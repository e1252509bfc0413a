"""The tenth session's second trial of Mastodon over a campaign month, collecting every 30
minutes from two instances: the library's own and a quieter one. A remote instance keeps the
counts a toot had when it arrived; once the home instance's window (six hours before its
newest toot) had moved past the toot, the quieter instance's wider window wrote its stale
counts over the home's at every run: 10 likes became 2 for good, and the report's
engagement fell as the month went on."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from knowvember.db import Database, open_database
from tests.fakeapi import FakeAPI, mastodon_account, mastodon_id, mastodon_status
from tests.test_trial_fediverse import mastodon_settings, run

T0 = dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC)


def _likes(db: Database) -> list[int]:
    with db.engine.connect() as conn:
        return [row[0] for row in conn.execute(sa.text(
            "SELECT likes FROM posts ORDER BY created_at"))]


def _month(tmp_path: Path, home: FakeAPI, remote: FakeAPI) -> tuple[Database, Any]:
    """A library toot with 10 likes at home and the 2 the remote instance saw; the next
    toot 8 hours later moves the home instance's window past the first."""
    library = mastodon_account("uhl_library", home.url, note="Library 📚 &amp; KS")
    first = mastodon_status(mastodon_id(T0, 1), home.url, 1,
                            "<p>Our first Peer Assist 🎉<br>#<span>KNOWvember</span></p>",
                            ["KNOWvember"], library, T0, favourites=10)
    seen = copy.deepcopy(first)
    seen.update(id=mastodon_id(T0 + dt.timedelta(seconds=4), 7), favourites_count=2,
                account=dict(library, id="900", acct=f"uhl_library@{home.url[7:]}"))
    home.add_statuses([first])
    remote.add_statuses([seen])
    later = T0 + dt.timedelta(hours=8)
    home.add_statuses([mastodon_status(mastodon_id(later, 2), home.url, 2,
                                       "<p>Coffee trial #<span>KNOWvember</span></p>",
                                       ["KNOWvember"], library, later)])
    settings = mastodon_settings([home.url, remote.url])
    return open_database(settings, url=f"sqlite:///{tmp_path / 'k.db'}"), settings


def test_a_quieter_instance_never_lowers_the_home_instances_counts(tmp_path: Path) -> None:
    with FakeAPI() as home, FakeAPI() as remote:
        db, settings = _month(tmp_path, home, remote)
        for hours in (0.5, 8.5, 9, 9.5, 20, 48):
            record = run(db, settings, "mastodon", now=T0 + dt.timedelta(hours=hours))
            assert record.status == "ok", record.error
            assert _likes(db)[0] == 10, hours
        assert _likes(db) == [10, 0]
        db.dispose()


def test_a_toot_whose_home_instance_always_fails_is_collected_from_another(
        tmp_path: Path) -> None:
    """The home instance shows hashtag timelines to signed-in users only and no token is
    set: its toots come only through the other instance, which must still store them."""
    with FakeAPI(mastodon_token="not-given") as home, FakeAPI() as remote:
        db, settings = _month(tmp_path, home, remote)
        record = run(db, settings, "mastodon", now=T0 + dt.timedelta(hours=9))
        assert record.new == 1
        assert _likes(db) == [2]
        db.dispose()
