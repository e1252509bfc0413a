"""`knowvember leaderboard`: ranks, ties, the score formula and its resistance to one loud
account, against the hand-counted world (tests/test_report_world.py)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from knowvember.errors import ConfigError
from reports.dataset import load_campaign_data
from reports.leaderboard import DEFAULT_WEIGHTS, leaderboard, rank, scores
from tests.test_report_world import World, make_settings, open_world

L = math.log2


@pytest.fixture
def world(campaign_dir: Path, db_url: str) -> Iterator[World]:
    """The hand-counted world on SQLite and on PostgreSQL."""
    yield from open_world(make_settings(campaign_dir), db_url)


@pytest.fixture
def sqlite_world(campaign_dir: Path) -> Iterator[World]:
    """The world in the database campaign.toml names (so CLI tests see it)."""
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    yield from open_world(make_settings(campaign_dir), url)


def _board(world: World, **options: object) -> list[dict]:  # type: ignore[type-arg]
    return leaderboard(load_campaign_data(world.db, world.settings), **options)  # type: ignore[arg-type]


def test_organisation_scores_by_hand(world: World) -> None:
    rows = _board(world)
    assert [r["code"] for r in rows] == ["RWE", "R0A", "RBS", "UNI-LIB"]  # SCHOOLS never
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    rwe, r0a, rbs, uni = rows
    # RWE: a1 (p1, p2) and a2 (repost p4); Peer Assist in posts and in its story s1.
    assert (rwe["contributors"], rwe["posts"], rwe["original_posts"], rwe["replies"],
            rwe["reposts"], rwe["engagement"], rwe["techniques"], rwe["stories"]) == \
        (2, 3, 1, 1, 1, 9, 1, 1)
    assert rwe["score"] == round(2 * 2 + L(3) + L(1) + 0.25 * (L(1) + L(2)) + 1 + 3
                                 + 0.5 * L(10), 2)
    # R0A: a3 with p3, p12, p13; its approved (unpublished) story s2 counts.
    assert (r0a["contributors"], r0a["posts"], r0a["engagement"], r0a["stories"]) == (1, 3, 13, 1)
    assert r0a["score"] == round(2 + L(4) + 1 + 3 + 0.5 * L(14), 2)
    # RBS: a4 with p5 and the quote p6; its story s3 is still pending.
    assert rbs["score"] == round(2 + L(3) + 1 + 0 + 0.5 * L(4), 2)
    # UNI-LIB took part through an approved story only.
    assert (uni["contributors"], uni["posts"], uni["stories"], uni["techniques"]) == (0, 0, 1, 1)
    assert uni["score"] == 4.0
    assert uni["name"] == "University of Example Library"


def test_rows_name_the_organisation_as_the_catalogue_does(world: World) -> None:
    from knowvember.organisations import Catalogue

    catalogue = Catalogue.load(world.settings)
    start = world.settings.campaign.start
    for row in _board(world):
        assert row["name"] == catalogue.name_as_of(row["code"], start)
        org = catalogue.get(row["code"])
        assert row["region"] == (org.region if org else None)


def test_ties_share_a_rank(world: World) -> None:
    rows = _board(world, metric="posts")
    assert [(r["code"], r["posts"], r["rank"]) for r in rows] == [
        ("RWE", 3, 1), ("R0A", 3, 1), ("RBS", 2, 3), ("UNI-LIB", 0, 4)]
    assert rank([5, 5, 5, 2, 2, 1]) == [1, 1, 1, 4, 4, 6]


def test_other_metrics_and_top(world: World) -> None:
    assert [r["code"] for r in _board(world, metric="engagement")][:2] == ["R0A", "RWE"]
    assert [r["code"] for r in _board(world, metric="contributors", top=1)] == ["RWE"]
    stories = _board(world, metric="stories")
    assert [r["rank"] for r in stories] == [1, 1, 1, 4]


def test_regions(world: World) -> None:
    rows = _board(world, by="region")
    if {r["region"] for r in rows} != {"Midlands", "North West"}:
        pytest.skip("the catalogue's regions differ from ODS")
    midlands, north_west = rows
    assert (midlands["region"], midlands["organisations"], midlands["contributors"],
            midlands["techniques"], midlands["stories"]) == ("Midlands", 2, 2, 2, 2)
    assert midlands["score"] == round(4 + L(3) + 0.25 * L(2) + 2 + 6 + 0.5 * L(10), 2)
    assert (north_west["organisations"], north_west["posts"]) == (2, 5)
    assert north_west["score"] == round(4 + L(4) + L(3) + 2 + 3 + 0.5 * L(17), 2)


def test_contributors(world: World) -> None:
    rows = _board(world, by="contributor")
    assert [r["account"] for r in rows] == [
        "x:@mft_lib", "x:@uhl_lib", "mastodon:@lib@nhs.social", "x:@nobody", "x:@uhl_kate"]
    # Out of scope (x:@school) and opted out (x:@optout) never rank; unattributed may.
    first = rows[0]
    assert (first["organisation_code"], first["posts"], first["techniques"]) == ("R0A", 3, 1)
    assert rows[3]["organisation_code"] is None
    assert first["score"] == round(2 + L(4) + 1 + 0.5 * L(14), 2)


def test_one_loud_account_does_not_outrank_a_team() -> None:
    from reports.dataset import GroupStats

    def group(people: list[int], engagement: int) -> dict[str, np.ndarray]:
        return {"contributors": np.array([len(people)]),
                "activity": np.array([sum(L(1 + n) for n in people)]),
                "repost_activity": np.array([0.0]), "techniques": np.array([2]),
                "stories": np.array([0]), "engagement": np.array([engagement])}

    def score(values: dict[str, np.ndarray]) -> float:
        zeros = np.array([0])
        stats = GroupStats(posts=zeros, original=zeros, replies=zeros, reposts=zeros,
                           quotes=zeros, reach=zeros, stories_submitted=zeros, **values)
        return float(scores(stats, DEFAULT_WEIGHTS)[0])

    loud = score(group([2000], engagement=20_000))  # one account, 2,000 posts
    team = score(group([3, 2, 4, 1, 2, 3], engagement=150))  # six people, 15 posts
    assert team > loud


def test_weights_from_config(world: World) -> None:
    data = load_campaign_data(world.db, world.settings)
    only_people = {"contributors": 1.0, "posts": 0, "reposts": 0, "techniques": 0,
                   "stories": 0, "engagement": 0}
    rows = leaderboard(data, weights=only_people)
    assert {r["code"]: r["score"] for r in rows} == {"RWE": 2.0, "R0A": 1.0, "RBS": 1.0,
                                                     "UNI-LIB": 0.0}
    with pytest.raises(ConfigError, match=r"leaderboard\.weights: unknown weight 'likes'"):
        leaderboard(data, weights={"likes": 1.0})


def test_cli_json_csv_and_table(sqlite_world: World, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("leaderboard", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[0]["rank"] == 1 and rows[0]["code"] == "RWE" and "name" in rows[0]
    result = cli("leaderboard", "--by", "contributor", "--top", "2", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["account"] for r in table] == ["x:@mft_lib", "x:@uhl_lib"]
    assert table[0]["organisation_code"] == "R0A"
    result = cli("leaderboard", "--by", "region")
    assert result.exit_code == 0, result.stderr
    assert "Leaderboard by region" in result.stdout
    result = cli("leaderboard", "--metric", "likes")
    assert result.exit_code == 2


def test_cli_csv_neutralises_formulas(sqlite_world: World, cli) -> None:  # type: ignore[no-untyped-def]
    from knowvember.models import Account

    with sqlite_world.db.begin() as conn:
        t = Account.__table__
        conn.execute(t.update().where(t.c.handle == "@nobody")
                     .values(display_name='=HYPERLINK("http://evil","x")'))
    result = cli("leaderboard", "--by", "contributor", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    names = [r["display_name"] for r in csv.DictReader(io.StringIO(result.stdout))]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in names


def test_the_table_never_cuts_a_number_when_names_are_long(capsys) -> None:  # type: ignore[no-untyped-def]
    """Piped to a file the table is 160 columns: the names give way, never the score."""
    from knowvember.cli.reporting import BOARD_COLUMNS, By, _print_board

    rows = [{"rank": n, "code": f"R{n:02d}", "name": "University Hospitals of Somewhere "
             "Very Long Indeed NHS Foundation Trust", "region": "North East and Yorkshire",
             **{c: 123_456_789 for c in BOARD_COLUMNS}, "score": 12_345_678.25}
            for n in range(1, 4)]
    _print_board(rows, By.organisation)
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 160
    assert out.count("12,345,678.25") == 3 and out.count("123,456,789") == 3 * 6
    assert "University Hospita" in out and "…" in out
