"""An account has one organisation for every campaign: moving it to another (`orgs assign`)
says which other campaigns' posts then count for the new one (someone who changed trusts
between KNOWvembers)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from knowvember.attribution import assign_account
from knowvember.config import parse_settings
from knowvember.db import open_database
from knowvember.hashtags import CampaignTags
from knowvember.organisations import Catalogue
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from tests.conftest import BASE_CONFIG

PERSON = AccountRecord(platform="x", key="77", platform_user_id="77", handle="@clinlib",
                       display_name="Clinical librarian")
LATER = BASE_CONFIG.replace('name = "KNOWvember 2019"', 'name = "KNOWvember 2025"').replace(
    'slug = "knowvember19"', 'slug = "knowvember25"').replace(
    "2019-11-01", "2025-11-01").replace("2019-11-30", "2025-11-30")


def _post(number: str, year: int) -> PostRecord:
    return PostRecord(platform="x", platform_id=number, account_key="77",
                      created_at=dt.datetime(year, 11, 6, tzinfo=dt.UTC),
                      text="#KNOWvember19", hashtags=("knowvember19",))


def test_moving_an_account_names_the_other_campaigns_it_changes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'knowvember.db'}"
    early = parse_settings(BASE_CONFIG, tmp_path / "campaign.toml")
    db = open_database(early, url=url)
    PostWriter(db, CampaignTags(["knowvember19"]), source="x").write(
        [_post("1", 2019), _post("2", 2019)], [PERSON])
    assign_account(db, Catalogue.load(early), "x:@clinlib", "RWE")
    db.dispose()
    later = parse_settings(LATER, tmp_path / "campaign.toml")
    db = open_database(later, url=url)
    try:
        PostWriter(db, CampaignTags(["knowvember19"]), source="x").write(
            [_post("3", 2025)], [PERSON])
        with caplog.at_level(logging.WARNING, logger="knowvember.attribution"):
            moved = assign_account(db, Catalogue.load(later), "x:@clinlib", "RBS")
        assert moved.organisation_code == "RBS"
        assert "x:@clinlib moves from RWE to RBS in every campaign" in caplog.text
        assert "KNOWvember 2019 (2)" in caplog.text
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="knowvember.attribution"):
            assign_account(db, Catalogue.load(later), "x:@clinlib", "RBS")  # no move
        assert not caplog.text
    finally:
        db.dispose()
