"""Checking the numbers and names coordinators publish: one database with campaigns of
several years, accounts named by former, closed and short names, reports read back.

Found while cross-checking `orgs`, `summary`, `leaderboard` and `report` against SQL over
the database. Tests marked xfail are defects outside the organisations and reports code,
left for its owners; the reason says where.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowvember.attribution import attribute_accounts
from knowvember.config import parse_settings
from knowvember.db import open_database
from knowvember.errors import EXIT_PIPE
from knowvember.hashtags import CampaignTags
from knowvember.organisations import Catalogue
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from reports.build import build_report
from reports.dataset import load_campaign_data
from reports.leaderboard import leaderboard
from reports.metrics import filter_data, summarise
from reports.scope import Directory
from tests.conftest import BASE_CONFIG, REPO
from tests.test_report_world import World, make_settings, open_world, world_config

CATALOGUE = Catalogue.load()
UTC = dt.UTC


# -- names over time: a merger renames the trust that took the other over ---------------


@pytest.mark.parametrize(
    ("code", "date", "name"),
    [
        # RQ6 Royal Liverpool and Broadgreen closed into REM on 30 September 2019.
        ("REM", dt.date(2019, 11, 1), "Liverpool University Hospitals NHS Foundation Trust"),
        ("REM", dt.date(2018, 11, 1), "Aintree University Hospital NHS Foundation Trust"),
        # RBZ Northern Devon closed into RH8 on 31 March 2022.
        ("RH8", dt.date(2022, 11, 1),
         "Royal Devon University Healthcare NHS Foundation Trust"),
        ("RH8", dt.date(2021, 11, 1), "Royal Devon and Exeter NHS Foundation Trust"),
        # RVY Southport and Ormskirk closed into RBN on 30 June 2023.
        ("RBN", dt.date(2023, 11, 1),
         "Mersey and West Lancashire Teaching Hospitals NHS Trust"),
        ("RNN", dt.date(2019, 11, 1), "North Cumbria Integrated Care NHS Foundation Trust"),
        ("RTQ", dt.date(2019, 11, 1), "Gloucestershire Health and Care NHS Foundation Trust"),
        ("RQ3", dt.date(2017, 11, 1),
         "Birmingham Women's and Children's NHS Foundation Trust"),
        ("RGN", dt.date(2017, 11, 1), "North West Anglia NHS Foundation Trust"),
        # Unchanged: the merger came later, or the copy after it shows the same name.
        ("RRE", dt.date(2017, 11, 1),
         "South Staffordshire and Shropshire Healthcare NHS Foundation Trust"),
        ("RM3", dt.date(2020, 11, 1), "Salford Royal NHS Foundation Trust"),
        ("RA7", dt.date(2019, 11, 1), "University Hospitals Bristol NHS Foundation Trust"),
        ("RWW", dt.date(2025, 11, 1),
         "Warrington and Halton Teaching Hospitals NHS Foundation Trust"),
    ],
)
def test_a_trust_that_took_another_over_has_its_new_name_from_the_merger(
        code: str, date: dt.date, name: str) -> None:
    assert CATALOGUE.name_as_of(code, date) == name


def test_a_closed_trust_reports_under_its_successor_named_as_it_was_that_year() -> None:
    in_2018 = Directory(CATALOGUE, dt.date(2018, 11, 1)).resolve("RQ6")
    in_2019 = Directory(CATALOGUE, dt.date(2019, 11, 1)).resolve("RQ6")
    assert in_2018 is not None and in_2019 is not None
    assert (in_2018.code, in_2018.name) == (
        "RQ6", "Royal Liverpool and Broadgreen University Hospitals NHS Trust")
    assert (in_2019.code, in_2019.name) == (
        "REM", "Liverpool University Hospitals NHS Foundation Trust")


# -- one database, three campaigns ------------------------------------------------------

PROFILES = {
    # key: (handle, display name, bio)
    "1": ("@salfordlib", "Library", "Library and Knowledge Service, Salford Royal NHS FT"),
    "2": ("@penninelib", "Library", "Library team at Pennine Acute Hospitals NHS Trust"),
    "3": ("@rdelib", "RD&E Library", "Royal Devon & Exeter library team"),
    "4": ("@ndhtlib", "Library", "Northern Devon Healthcare NHS Trust library"),
    "5": ("@rlbuhtlib", "Library", "Royal Liverpool and Broadgreen University Hospitals"),
    "6": ("@uhllibraries", "UHL Libraries", "Library and Knowledge Services at UHL"),
    "7": ("@leedslib", "Library", "Knowledge and Library Services, Leeds Teaching Hospitals"),
    "8": ("@twotrusts", "Jo", "Librarian for Leeds Teaching Hospitals and Bradford "
          "Teaching Hospitals"),
}


def _campaign_settings(folder: Path, year: int):  # type: ignore[no-untyped-def]
    text = (BASE_CONFIG.replace('slug = "knowvember19"', f'slug = "knowvember{year % 100}"')
            .replace('name = "KNOWvember 2019"', f'name = "KNOWvember {year}"')
            .replace("2019-11-01", f"{year}-11-01").replace("2019-11-30", f"{year}-11-30"))
    return parse_settings(text, folder / "campaign.toml")


def test_one_database_attributes_each_campaign_as_the_trusts_were_then(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'knowvember.db'}"
    boards = {}
    for year in (2018, 2019, 2025):
        settings = _campaign_settings(tmp_path, year)
        db = open_database(settings, url=url)
        try:
            tag = f"knowvember{year % 100}"
            PostWriter(db, CampaignTags([tag]), source="test").write(
                [PostRecord(platform="x", platform_id=f"{year}-{key}", account_key=key,
                            created_at=dt.datetime(year, 11, 5, 12, tzinfo=UTC),
                            text=f"#{tag}", hashtags=(tag,), likes=1)
                 for key in PROFILES],
                [AccountRecord(platform="x", key=key, handle=handle, display_name=name,
                               bio=bio, followers=10)
                 for key, (handle, name, bio) in PROFILES.items()])
            attribute_accounts(db, settings)
            data = load_campaign_data(db, settings)
            boards[year] = {r["code"]: r["name"] for r in leaderboard(data)}
            assert summarise(data)["unattributed_contributors"] == 1  # the two-trust bio
        finally:
            db.dispose()
    assert boards[2018] == {
        "RM3": "Salford Royal NHS Foundation Trust",
        "RW6": "Pennine Acute Hospitals NHS Trust",
        "RH8": "Royal Devon and Exeter NHS Foundation Trust",
        "RBZ": "Northern Devon Healthcare NHS Trust",
        "RQ6": "Royal Liverpool and Broadgreen University Hospitals NHS Trust",
        "RWE": "University Hospitals of Leicester NHS Trust",
        "RR8": "Leeds Teaching Hospitals NHS Trust",
    }
    assert boards[2019] == {
        **{k: v for k, v in boards[2018].items() if k != "RQ6"},
        "REM": "Liverpool University Hospitals NHS Foundation Trust",
    }
    assert boards[2025] == {
        "RM3": "Northern Care Alliance NHS Foundation Trust",  # with Pennine Acute in it
        "RH8": "Royal Devon University Healthcare NHS Foundation Trust",  # with Northern Devon
        "REM": "Liverpool University Hospitals NHS Foundation Trust",
        "RWE": "University Hospitals of Leicester NHS Trust",
        "RR8": "Leeds Teaching Hospitals NHS Trust",
    }


# -- orgs show --------------------------------------------------------------------------


def test_orgs_show_lists_each_alias_once(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("orgs", "show", "RM3", "--format", "json")
    assert result.exit_code == 0, result.output
    labels = [a["alias"] for a in json.loads(result.stdout)["aliases"]]
    assert len(labels) == len(set(labels))
    assert {"Northern Care Alliance NHS Foundation Trust",
            "Salford Royal NHS Foundation Trust", "NCA", "Salford Royal"} <= set(labels)
    best = {a["alias"]: a["confidence"] for a in json.loads(result.stdout)["aliases"]}
    assert best["Salford Royal NHS Foundation Trust"] == 1.0  # its best, not the handle form


def test_orgs_show_leaves_out_opted_out_accounts(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    for world in open_world(make_settings(campaign_dir), url):  # a8 @optout is RWE, opted out
        assert world.account_ids["a8"]
        result = cli("orgs", "show", "RWE", "--format", "json")
        assert result.exit_code == 0, result.output
        accounts = [a["account"] for a in json.loads(result.stdout)["accounts"]]
        assert "x:@uhl_lib" in accounts
        assert "x:@optout" not in accounts


# -- summary filters --------------------------------------------------------------------


def test_summary_region_accepts_hyphens_like_orgs_list(campaign_dir: Path) -> None:
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    for world in open_world(make_settings(campaign_dir), url):
        data = load_campaign_data(world.db, world.settings)
        spaced = summarise(filter_data(data, region="North West"))
        hyphened = summarise(filter_data(data, region="north-west"))
        assert hyphened["filters"] == {"region": "North West"}
        assert hyphened["posts"] == spaced["posts"] > 0


# -- the workbook's posts sheet ---------------------------------------------------------


def _posts_note(world: World, out: Path) -> tuple[int, str | None]:
    from openpyxl import load_workbook

    files = build_report(world.db, world.settings, out, formats=["xlsx"])
    sheet = load_workbook(files["Workbook (XLSX)"], read_only=True)["posts"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    listed = sum(1 for r in rows if r[1])
    notes = [r[14] for r in rows if not r[1] and r[14]]
    return listed, notes[0] if notes else None


def test_workbook_posts_note_counts_the_content_posts_it_lists(campaign_dir: Path,
                                                               tmp_path: Path) -> None:
    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    for world in open_world(make_settings(campaign_dir), url):
        # 10 posts in November: 9 content posts and the repost p4, which is not listed.
        listed, note = _posts_note(world, tmp_path / "all")
        assert listed == 9
        assert note == ("Every original post, reply and quote; the 1 repost is not listed; "
                        "all posts are in posts.csv.")
        path = campaign_dir / "campaign.toml"
        text = world_config() + "\n[reports]\nxlsx_posts = 3\nposts_csv = false\n"
        path.write_text(text, encoding="utf-8")
        world.settings = parse_settings(text, path)
        listed, note = _posts_note(world, tmp_path / "three")
        assert listed == 3
        assert note == "The 3 most engaging of 9 original posts, replies and quotes."


# -- output to a closed pipe ------------------------------------------------------------


def test_output_into_a_closed_pipe_is_not_reported_as_a_bug(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWVEMBER_")}
    env["PYTHONPATH"] = str(REPO)
    try:
        result = subprocess.run([sys.executable, "-m", "knowvember", "orgs", "list",
                                 "--format", "json"], stdout=write, stderr=subprocess.PIPE,
                                cwd=tmp_path, env=env, timeout=60, check=False)
    finally:
        os.close(write)
    assert b"please report it" not in result.stderr
    assert b"BrokenPipeError" not in result.stderr  # nor Python's own complaint at exit
    assert result.returncode == EXIT_PIPE


# -- config regions ---------------------------------------------------------------------


def test_config_regions_written_with_hyphens_or_ampersands_are_the_nhs_regions(
        campaign_dir: Path) -> None:
    extra = """
[[organisations]]
code = "NW-KM"
name = "North West KM team"
region = "north-west"

[[organisations]]
code = "NEY-KM"
name = "North East and Yorkshire KM team"
region = "North East & Yorkshire"

[[organisations]]
code = "SCOT"
name = "A Scottish library"
region = "Scotland"
"""
    catalogue = Catalogue.load(parse_settings(BASE_CONFIG + extra,
                                              campaign_dir / "campaign.toml"))
    found = {code: (catalogue.get(code).region, catalogue.get(code).region_code)  # type: ignore[union-attr]
             for code in ("NW-KM", "NEY-KM", "SCOT")}
    assert found == {"NW-KM": ("North West", "Y62"),
                     "NEY-KM": ("North East and Yorkshire", "Y63"),
                     "SCOT": ("Scotland", None)}
    # One North West in the region leaderboard, not "North West" and "north-west".
    assert "north-west" not in catalogue.regions()
