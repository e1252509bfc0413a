"""`knowvember summary`: every headline number against the hand-counted world.

The world and its table of posts are in tests/test_report_world.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowvember.db import open_database
from knowvember.organisations import Catalogue
from reports.dataset import load_campaign_data
from reports.metrics import filter_data, summarise
from tests.test_report_world import World, build_world, make_settings, open_world

NOVEMBER = [dt.date(2019, 11, d).isoformat() for d in range(1, 31)]


@pytest.fixture
def world(campaign_dir: Path, db_url: str) -> Iterator[World]:
    """The hand-counted world on SQLite and on PostgreSQL."""
    yield from open_world(make_settings(campaign_dir), db_url)


@pytest.fixture
def sqlite_world(campaign_dir: Path) -> Iterator[World]:
    """The world in the database campaign.toml names (so CLI tests see it)."""
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    yield from open_world(make_settings(campaign_dir), url)


def _summary(world: World, **filters: str) -> dict:  # type: ignore[type-arg]
    data = load_campaign_data(world.db, world.settings)
    return summarise(filter_data(data, **filters))


def test_headline_numbers(world: World) -> None:
    s = _summary(world)
    # p1-p8, p12, p13: p9 is opted out, p10 and p11 fall outside November.
    assert s["posts"] == 10
    assert (s["original_posts"], s["replies"], s["reposts"], s["quotes"]) == (7, 1, 1, 1)
    assert s["by_platform"] == {"x": 8, "mastodon": 2, "bluesky": 0}
    assert s["contributors"] == 6  # a1 a2 a3 a4 a6 a7
    assert s["unattributed_contributors"] == 1  # a6
    # RWE, R0A, RBS by posts; UNI-LIB by its approved story; SCHOOLS is out of scope.
    assert s["organisations"] == 4
    assert s["out_of_scope_organisations"] == ["SCHOOLS"]
    assert s["regions"] == 2  # Midlands (RWE, UNI-LIB), North West (R0A, RBS)
    # Content posts only: p1 8 + p2 1 + p3 13 + p5 2 + p6 1 + p8 4; the repost p4 is not.
    assert s["engagement"] == 29
    assert s["potential_reach"] == 100 + 50 + 200 + 30 + 10 + 500
    assert (s["stories_submitted"], s["stories_approved"], s["stories_published"]) == (5, 3, 2)
    assert s["excluded_accounts"] == 1


def test_days_hours_and_peaks_in_london(world: World) -> None:
    s = _summary(world)
    assert list(s["by_day"]) == NOVEMBER
    busy = {day: n for day, n in s["by_day"].items() if n}
    # 23:59:59 (p2) stays on the 1st; 00:00:00 (p4) is the 2nd.
    assert busy == {"2019-11-01": 3, "2019-11-02": 2, "2019-11-03": 2, "2019-11-04": 1,
                    "2019-11-10": 2}
    assert s["peak_day"] == {"date": "2019-11-01", "posts": 3}
    assert s["peak_hour"] == {"start": "2019-11-01T09:00", "posts": 1}  # ties: the earliest
    assert s["by_hour"]["00"] == 1 and s["by_hour"]["04"] == 1 and s["by_hour"]["05"] == 1
    assert sum(s["by_hour"].values()) == 10


def test_days_in_new_york_cross_midnight_and_daylight_saving(campaign_dir, db_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(campaign_dir, "America/New_York")
    db = open_database(settings, url=db_url)
    try:
        world = build_world(db, settings)
        s = _summary(world)
    finally:
        db.dispose()
    # Window: 1 Nov 04:00 UTC (EDT) to 1 Dec 05:00 UTC (EST): p10 stays out, p11 comes in.
    assert s["posts"] == 11
    busy = {day: n for day, n in s["by_day"].items() if n}
    assert busy == {
        "2019-11-01": 4,  # p1 05:00, p3 06:00, p2 19:59:59 and p4 (00:00 UTC) 20:00 EDT
        "2019-11-02": 1,  # p5
        "2019-11-03": 2,  # p6 03:00 EST (after the change at 06:00 UTC), p7
        "2019-11-04": 1,  # p8
        "2019-11-09": 1,  # p13 04:59:59 UTC = 23:59:59 EST
        "2019-11-10": 1,  # p12 05:00:00 UTC = 00:00:00 EST
        "2019-11-30": 1,  # p11 00:00 UTC on 1 December = 19:00 EST on the 30th
    }
    assert s["period"]["timezone"] == "America/New_York"
    assert s["peak_day"] == {"date": "2019-11-01", "posts": 4}
    assert s["peak_hour"]["start"] == "2019-11-01T05:00"


def test_techniques_count_content_posts_and_approved_stories(world: World) -> None:
    s = _summary(world)
    mentioned = {k: v for k, v in s["techniques"].items() if v}
    # The repost p4 repeats "After Action Review" and does not count.
    assert mentioned == {"Peer Assist": 1, "After Action Review": 1, "Knowledge Café": 1}
    stories = {k: v for k, v in s["technique_stories"].items() if v}
    assert stories == {"Peer Assist": 1, "After Action Review": 1, "Retrospect": 1}
    assert s["phases"]["before"]["posts"] >= 1  # Peer Assist is learning before
    assert sum(p["stories"] for p in s["phases"].values()) >= 3


def test_first_time_organisations_against_the_previous_campaign(world: World) -> None:
    s = _summary(world)
    assert s["previous_campaign"] == "knowvember18"
    assert s["first_time_organisations"] == ["RBS", "RWE", "UNI-LIB"]  # R0A posted in 2018


def test_catalogue_trusts_taking_part(world: World) -> None:
    s = _summary(world)
    catalogue = Catalogue.load(world.settings)
    known = [code for code in ("RWE", "R0A", "RBS") if catalogue.get(code) is not None]
    assert s["participating_trusts"] == len(known)
    assert s["catalogue_trusts"] >= len(known)


@pytest.mark.parametrize("code", ["RWE", "rwe"])
def test_one_organisation(world: World, code: str) -> None:
    s = _summary(world, org=code)
    assert s["filters"] == {"org": "RWE"}
    # p1, p2 by a1 and the repost p4 by a2; the opted-out a8 is RWE's too but never counts.
    assert (s["posts"], s["original_posts"], s["replies"], s["reposts"]) == (3, 1, 1, 1)
    assert s["contributors"] == 2
    assert s["engagement"] == 9
    assert s["organisations"] == 1
    assert (s["stories_submitted"], s["stories_approved"]) == (2, 1)  # s1 approved, s5 not


def test_one_region(world: World) -> None:
    catalogue = Catalogue.load(world.settings)
    if catalogue.get("R0A") is None or catalogue.get("R0A").region != "North West":
        pytest.skip("the catalogue does not place R0A in the North West")
    s = _summary(world, region="north west")
    assert s["filters"] == {"region": "North West"}
    assert s["posts"] == 5  # R0A: p3 p12 p13; RBS: p5 p6
    assert s["organisations"] == 2


def test_date_range_narrows_posts_and_stories(world: World) -> None:
    data = load_campaign_data(world.db, world.settings, since=dt.date(2019, 11, 2),
                              until=dt.date(2019, 11, 3))
    s = summarise(data)
    assert s["posts"] == 4  # p4 p5 p6 p7
    assert list(s["by_day"]) == ["2019-11-02", "2019-11-03"]
    assert s["stories_submitted"] == 0  # all submitted on the 20th
    assert s["period"]["interim"] is True


def test_cli_summary_json_has_the_contract_keys(sqlite_world: World, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("summary", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("posts", "original_posts", "replies", "reposts", "quotes", "contributors",
                "organisations", "regions", "engagement", "potential_reach",
                "stories_submitted", "stories_approved", "by_platform", "by_day",
                "techniques", "unattributed_contributors"):
        assert key in data, key
    assert data["posts"] == 10
    assert data["by_day"]["2019-11-01"] == 3


def test_cli_summary_table_and_filters(sqlite_world: World, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("summary", "--org", "R0A", "--since", "2019-11-01", "--until", "2019-11-15")
    assert result.exit_code == 0, result.stderr
    assert "Posts" in result.stdout and "3" in result.stdout


def test_cli_summary_refuses_bad_input(sqlite_world: World, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("summary", "--since", "1 November")
    assert result.exit_code == 2
    assert "--since" in result.stderr and "YYYY-MM-DD" in result.stderr
    result = cli("summary", "--since", "2019-11-10", "--until", "2019-11-01")
    assert result.exit_code == 2
    result = cli("summary", "--org", "ZZZ9")
    assert result.exit_code == 6
    assert "ZZZ9" in result.stderr
    result = cli("summary", "--region", "Atlantis")
    assert result.exit_code == 6 and "regions:" in result.stderr
