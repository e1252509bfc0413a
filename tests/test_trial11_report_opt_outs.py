"""The reports leave out every account `[leaderboard] exclude_accounts` names, read as the
collection and `orgs show` read it: by a Bluesky DID, and by a handle the account had before
it was renamed. The reports matched current handles only, so a person who opted out and then
changed handle (or was named by DID) stayed in every published number."""

from __future__ import annotations

import datetime as dt
import json

from knowvember.config import load_settings
from knowvember.db import open_database
from knowvember.hashtags import CampaignTags
from knowvember.records import AccountRecord, PostRecord
from knowvember.store import PostWriter

DID = "did:plc:abcdefghijklmnopqrstuvwx"


def _store(campaign_dir, accounts, at) -> None:  # type: ignore[no-untyped-def]
    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    posts = [PostRecord(platform=a.platform, platform_id=f"{a.key}-{at.day}",
                        account_key=a.key, created_at=at,
                        text="A #KNOWvember19 Peer Assist", hashtags=("knowvember19",))
             for a in accounts]
    PostWriter(db, CampaignTags(["KNOWvember19"]), source="test").write(posts, accounts)
    db.dispose()


def _contributors(cli) -> int:  # type: ignore[no-untyped-def]
    result = cli("summary", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["contributors"])


def test_an_opt_out_by_did_or_by_a_former_handle_leaves_the_account_out(  # type: ignore[no-untyped-def]
        cli, write_config, campaign_dir) -> None:
    write_config()
    stays = AccountRecord(platform="x", key="100", handle="@stays")
    renamed_before = AccountRecord(platform="x", key="200", handle="@oldname")
    sky = AccountRecord(platform="bluesky", key=DID, handle="lib.bsky.social")
    _store(campaign_dir, [stays, renamed_before, sky], dt.datetime(2019, 11, 4, 10, tzinfo=dt.UTC))
    renamed = AccountRecord(platform="x", key="200", handle="@newname")
    _store(campaign_dir, [renamed], dt.datetime(2019, 11, 6, 10, tzinfo=dt.UTC))
    assert _contributors(cli) == 3
    write_config('[leaderboard]\nexclude_accounts = ["x:@oldname", "bluesky:' + DID + '"]\n')
    assert _contributors(cli) == 1
