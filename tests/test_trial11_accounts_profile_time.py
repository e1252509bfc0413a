"""An account keeps the profile most recently shown: an older archive imported after newer
data does not give it back its old handle, name or bio (accounts.profile_at, migration 0007).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import sqlalchemy as sa
from alembic import command

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import Database, alembic_config, create_db_engine, open_database
from knowvember.hashtags import CampaignTags
from knowvember.models import Account, Campaign, Post
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter
from tests.conftest import BASE_CONFIG
from tests.fakeapi import x_id, x_page, x_tweet, x_user

USER_ID = "1191672311587868999"
EARLY = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
LATE = dt.datetime(2019, 11, 25, 14, 0, tzinfo=dt.UTC)


def _file(path: Path, when: dt.datetime, username: str, name: str, bio: str) -> Path:
    tid = x_id(when)
    page = x_page([x_tweet(tid, f"Peer assist at {username} #KNOWvember19", USER_ID, when)],
                  [x_user(USER_ID, username, name=name, bio=bio)])
    path.write_bytes(orjson.dumps(page) + b"\n")
    return path


def _import(db: Database, path: Path) -> None:
    (run,) = ingest.import_files(db, parse_settings(BASE_CONFIG), "twarc2", [path],
                                 ingest.Hooks(lock_wait=0)).runs
    assert run.status == "ok", run.error


def _profile(db: Database) -> tuple[str, str | None, str | None]:
    with db.begin() as conn:
        (row,) = conn.execute(sa.select(Account.handle, Account.display_name, Account.bio))
    return tuple(row)  # type: ignore[return-value]


def test_an_older_archive_imported_later_keeps_the_newer_handle_name_and_bio(
        db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(db, _file(tmp_path / "new.jsonl", LATE, "UHL_Knowledge", "UHL Knowledge Service",
                      "Library & Knowledge Service, University Hospitals of Leicester"))
    _import(db, _file(tmp_path / "old.jsonl", EARLY, "UHL_Library", "UHL Library",
                      "Clinical librarians"))
    assert _profile(db) == ("@uhl_knowledge", "UHL Knowledge Service",
                            "Library & Knowledge Service, University Hospitals of Leicester")
    with db.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Post)).scalar() == 2


def test_a_newer_archive_imported_later_renames_the_account(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(db, _file(tmp_path / "old.jsonl", EARLY, "UHL_Library", "UHL Library", "Old"))
    _import(db, _file(tmp_path / "new.jsonl", LATE, "UHL_Knowledge", "UHL Knowledge", "New"))
    assert _profile(db) == ("@uhl_knowledge", "UHL Knowledge", "New")


def _writer(db: Database, *, archive: bool) -> PostWriter:
    return PostWriter(db, CampaignTags(["knowvember19"]), source="x" if not archive else "csv",
                      archive=archive)


def _post(number: int, when: dt.datetime) -> PostRecord:
    return PostRecord(platform="x", platform_id=str(1000 + number), account_key=USER_ID,
                      created_at=when, text="#KNOWvember19", hashtags=("knowvember19",))


def _account(handle: str, bio: str | None, followers: int | None = 10) -> AccountRecord:
    return AccountRecord(platform="x", key=USER_ID, platform_user_id=USER_ID, handle=handle,
                         display_name=handle.lstrip("@"), bio=bio, followers=followers)


def test_a_live_collection_after_an_import_takes_the_profile_it_sees_now(db) -> None:  # type: ignore[no-untyped-def]
    _writer(db, archive=True).write([_post(1, LATE)], [_account("@later", "later bio")])
    # A collection reads the profile as it is now, whatever its posts' times.
    _writer(db, archive=False).write([_post(2, EARLY)], [_account("@now", "now bio")])
    assert _profile(db) == ("@now", "now", "now bio")


def test_an_older_record_only_fills_in_what_is_stored_empty(db) -> None:  # type: ignore[no-untyped-def]
    _writer(db, archive=True).write([_post(1, LATE)], [_account("@new", None, None)])
    _writer(db, archive=True).write([_post(2, EARLY)], [_account("@old", "a bio", 50)])
    with db.begin() as conn:
        (row,) = conn.execute(sa.select(Account.handle, Account.bio, Account.followers))
    assert tuple(row) == ("@new", "a bio", 50)


def test_orgs_assign_by_handle_finds_the_account_that_has_it_now(db) -> None:  # type: ignore[no-untyped-def]
    from knowvember.attribution import find_account

    writer = _writer(db, archive=True)
    writer.write([_post(1, LATE)], [_account("@uhl_library", "new owner")])
    # A handle passed on: an older archive stores the account that had it before, later.
    other = AccountRecord(platform="x", key="42", platform_user_id="42", handle="@uhl_library",
                          display_name="Old owner", bio="old owner")
    writer.write([PostRecord(platform="x", platform_id="7", account_key="42",
                             created_at=EARLY, text="#KNOWvember19",
                             hashtags=("knowvember19",))], [other])
    assert find_account(db, "x:@uhl_library").bio == "new owner"


def test_a_database_at_0006_keeps_its_accounts_and_its_profiles_know_their_time(
        settings, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = create_db_engine(db_url)
    c = settings.campaign
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006")
        campaign = conn.execute(sa.text(
            "INSERT INTO campaigns (slug, name, start, \"end\", timezone, hashtags, created_at) "
            "VALUES (:slug, :name, :start, :end, :tz, :tags, :at) RETURNING id"),
            {"slug": c.slug, "name": c.name, "start": c.start, "end": c.end, "tz": c.timezone,
             "tags": '["knowvember19"]', "at": dt.datetime(2019, 10, 1)}).scalar_one()
        account = conn.execute(sa.text(
            "INSERT INTO accounts (platform, key, platform_user_id, handle, display_name, bio, "
            "followers, organisation_code, attribution, first_seen, last_seen) VALUES ('x', "
            ":key, :key, '@uhl_knowledge', 'UHL Knowledge', 'Newer bio', 900, 'RWE', "
            "'manual', :at, :at) RETURNING id"),
            {"key": USER_ID, "at": dt.datetime(2026, 12, 1)}).scalar_one()
        conn.execute(sa.text(
            "INSERT INTO posts (campaign_id, platform, platform_id, account_id, created_at, "
            "text, kind, likes, reposts, replies, quotes, source, first_collected, "
            "last_collected) VALUES (:c, 'x', '555', :a, :at, '#KNOWvember19', 'original', "
            "3, 0, 0, 0, 'x', :at, :at)"),
            {"c": campaign, "a": account, "at": LATE.replace(tzinfo=None)})
    engine.dispose()
    db = open_database(settings, url=db_url, upgrade_shared=True)  # upgrades to 0007
    try:
        with db.begin() as conn:
            (row,) = conn.execute(sa.select(Account.handle, Account.bio, Account.followers,
                                            Account.organisation_code, Account.profile_at))
            assert tuple(row) == ("@uhl_knowledge", "Newer bio", 900, "RWE", None)
            assert conn.execute(sa.select(sa.func.count()).select_from(Post)).scalar() == 1
            assert conn.execute(sa.select(Campaign.slug)).scalar() == c.slug
        # A profile stored before 0007 counts as seen at its newest post: an archive from
        # before that does not rename it.
        _import(db, _file(tmp_path / "old.jsonl", EARLY, "UHL_Library", "UHL Library", "Old"))
        assert _profile(db) == ("@uhl_knowledge", "UHL Knowledge", "Newer bio")
    finally:
        db.dispose()
