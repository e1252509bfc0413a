"""`[leaderboard] exclude_accounts` names a person however a coordinator copied them: a
handle in any case, a profile address, `@user@instance`, a Bluesky DID; an entry that names
no account is said."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from knowvember.attribution import accounts_of, opted_out, opted_out_accounts
from knowvember.config import parse_settings
from knowvember.hashtags import CampaignTags
from knowvember.records import AccountRecord, PostRecord, parse_account_ref
from knowvember.store import PostWriter
from tests.conftest import BASE_CONFIG

AT = dt.datetime(2019, 11, 7, 12, 0, tzinfo=dt.UTC)
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
PEOPLE = [
    AccountRecord(platform="x", key="1001", platform_user_id="1001", handle="@uhl_library",
                  display_name="UHL Library"),
    AccountRecord(platform="mastodon", key="https://social.nhs.uk/users/lks",
                  handle="@lks@nhs.uk", display_name="LKS", url="https://social.nhs.uk/@lks"),
    AccountRecord(platform="bluesky", key=DID, platform_user_id=DID,
                  handle="alderhey.bsky.social", display_name="Alder Hey LKS"),
    AccountRecord(platform="x", key="1002", platform_user_id="1002", handle="@stays",
                  display_name="Stays in"),
]


def _posts() -> list[PostRecord]:
    return [PostRecord(platform=a.platform, platform_id=f"{a.platform}-{n}", account_key=a.key,
                       created_at=AT, text="#KNOWvember19", hashtags=("knowvember19",))
            for n, a in enumerate(PEOPLE)]


def _fill(db, drop: list[str] = ()) -> None:  # type: ignore[no-untyped-def, assignment]
    writer = PostWriter(db, CampaignTags(["knowvember19"]), source="x",
                        drop_accounts=[parse_account_ref(r) for r in drop])
    writer.write(_posts(), PEOPLE)


@pytest.mark.parametrize("ref", [
    "x:@UHL_Library", "x:https://x.com/UHL_Library", "https://twitter.com/uhl_library/",
    "mastodon:@LKS@nhs.uk", "mastodon:https://social.nhs.uk/@lks",
    "https://social.nhs.uk/users/lks", f"bluesky:{DID}", f"https://bsky.app/profile/{DID}",
    "bluesky:AlderHey.bsky.social", "https://bsky.app/profile/alderhey.bsky.social",
])
def test_every_way_of_naming_an_account_finds_it(sqlite_db, ref: str) -> None:  # type: ignore[no-untyped-def]
    _fill(sqlite_db)
    with sqlite_db.begin() as conn:
        ids, unmatched = opted_out_accounts(conn, [ref, "x:@nobody_here"])
    assert len(ids) == 1 and unmatched == [(1, "x:@nobody_here")]


def test_a_malformed_entry_is_named(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    _fill(sqlite_db)
    with sqlite_db.begin() as conn, pytest.raises(ValueError, match=r"exclude_accounts\[1\]"):
        opted_out_accounts(conn, ["x:@stays", "x:https://x.com/search?q=x"])


def test_an_organisation_page_names_no_one_opted_out_by_did(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    _fill(sqlite_db)
    with sqlite_db.begin() as conn:
        conn.exec_driver_sql("UPDATE accounts SET organisation_code = 'RBS'")
    settings = parse_settings(BASE_CONFIG + "\n[leaderboard]\nexclude_accounts = "
                              f'["bluesky:{DID}", "mastodon:https://social.nhs.uk/@lks"]\n')
    names = {ref.handle for ref, _ in accounts_of(sqlite_db, "RBS", leave_out=opted_out(settings))}
    assert names == {"@uhl_library", "@stays"}


def test_exclude_from_collection_drops_a_did_opt_out(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    _fill(sqlite_db, drop=[f"bluesky:{DID}"])
    with sqlite_db.begin() as conn:
        platforms = [r[0] for r in conn.exec_driver_sql("SELECT platform FROM posts")]
    assert sorted(platforms) == ["mastodon", "x", "x"]


def test_the_leaderboard_leaves_out_an_account_named_by_its_profile_address(
        write_config, cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    write_config('[leaderboard]\nexclude_accounts = ["x:https://x.com/UHL_Library"]\n')
    from knowvember.config import load_settings
    from knowvember.db import open_database

    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    try:
        _fill(db)
    finally:
        db.dispose()
    result = cli("leaderboard", "--by", "contributor", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "uhl_library" not in result.stdout.lower()
    assert len(json.loads(result.stdout)) == 3


def test_an_address_that_is_no_profile_is_a_clear_config_error(
        write_config, cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    write_config('[leaderboard]\nexclude_accounts = ["x:https://x.com/search?q=token123"]\n'
                 "exclude_from_collection = true\n")
    (campaign_dir / "empty.jsonl").write_text("", encoding="utf-8")
    result = cli("import", "twarc2", str(campaign_dir / "empty.jsonl"))
    assert result.exit_code == 3, result.output
    assert "x.com/search is not a profile address" in result.output
    assert "token123" not in result.output and "unexpected" not in result.output
