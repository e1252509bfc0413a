"""A campaign hashtag quiet for a week while `collect` runs every 30 minutes: the newest
stored post is then older than recent search's 7 days, and every run warned that posts "may
be missing" from then until 7 days ago, though the runs had read that stretch. The run
after it dropped the stored newest id as well, and warned like a first run that the
campaign before 7 days ago was out of reach (and recorded, for a switch to endpoint = "all",
that the campaign had been read only from then)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowvember.store import load_state
from tests.fakeapi import FakeAPI, x_id, x_tweet, x_user
from tests.test_collect_x import hooks, run, setup

CAMPAIGN = """
[campaign]
name = "KNOWvember 2026"
slug = "knowvember26"
hashtags = ["KNOWvember26"]
start = 2026-11-01
end = 2026-11-30
timezone = "Europe/London"
"""
FIRST = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _collect_every(api: FakeAPI, tmp_path: Path, until: dt.datetime,
                   step: dt.timedelta) -> list:  # type: ignore[type-arg]
    settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", campaign=CAMPAIGN)
    records, now = [], FIRST
    while now <= until:
        records.append((now, run(settings, db, hooks(now=now))))
        now += step
    state = load_state(db, "x")
    db.dispose()
    return [records, state]


def _warnings(record) -> list[str]:  # type: ignore[no-untyped-def]
    return list(record.details.get("warnings") or [])


def test_a_quiet_week_read_run_by_run_is_not_said_to_be_missing(tmp_path: Path) -> None:
    with FakeAPI() as api:
        api.users["1000"] = x_user("1000", "NUHLibrary")
        tid = x_id(FIRST - dt.timedelta(minutes=5))
        api.tweets[tid] = x_tweet(tid, "Our coffee trial #KNOWvember26", "1000",
                                  FIRST - dt.timedelta(minutes=5))
        records, state = _collect_every(api, tmp_path, FIRST + dt.timedelta(days=9),
                                        dt.timedelta(hours=12))
    assert all(r.status == "ok" for _, r in records), [r.error for _, r in records]
    assert records[0][1].new == 1
    warned = [(at, w) for at, r in records[1:] for w in _warnings(r)]
    assert warned == []
    assert tid in state.values()  # the newest stored post is still where runs begin


def test_a_week_with_no_run_is_still_said_to_be_missing(tmp_path: Path) -> None:
    with FakeAPI() as api:
        api.users["1000"] = x_user("1000", "NUHLibrary")
        tid = x_id(FIRST - dt.timedelta(minutes=5))
        api.tweets[tid] = x_tweet(tid, "Our coffee trial #KNOWvember26", "1000",
                                  FIRST - dt.timedelta(minutes=5))
        records, _ = _collect_every(api, tmp_path, FIRST + dt.timedelta(days=9),
                                    dt.timedelta(days=9))
    (_, last) = records[-1]
    assert any("may be missing" in w for w in _warnings(last)), _warnings(last)
