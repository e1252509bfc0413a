"""`orgs show` says when a trust formed by a merger opened and what it was formed from, and,
for a campaign before that day, that it was not yet formed (its reports count the trusts it
replaced). The opening day is derived from nhs_trusts_closed.csv (knowvember.organisations)."""

from __future__ import annotations


def test_orgs_show_names_the_opening_of_a_merged_trust(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    shown = cli("orgs", "show", "R0B")  # BASE_CONFIG's campaign is November 2019
    assert shown.exit_code == 0
    assert "Opened:    2019-04-01 (formed from RE9, RLN)" in shown.stdout
    assert "not yet formed" not in shown.stdout


def test_orgs_show_says_a_trust_was_not_yet_formed_in_an_earlier_campaign(  # type: ignore[no-untyped-def]
        cli, write_config) -> None:
    from tests.conftest import BASE_CONFIG

    write_config(base=BASE_CONFIG.replace("2019-11-", "2018-11-"))
    shown = cli("orgs", "show", "R0B")
    assert shown.exit_code == 0
    assert "not yet formed (opened 2019-04-01)" in shown.stdout


def test_an_old_trust_has_no_opening_line(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    shown = cli("orgs", "show", "RWE")
    assert shown.exit_code == 0 and "Opened:" not in shown.stdout


def test_an_account_of_a_trust_formed_later_counts_as_a_participating_trust(  # type: ignore[no-untyped-def]
        cli, write_config, campaign_dir) -> None:
    """In 2018 R0B did not exist yet, so it is not among the catalogue's trusts; an account
    attributed to it (a library of RE9 or RLN, which merged into it) still took part as an
    NHS trust, and the summary counts it so."""
    import datetime as dt
    import json

    from knowvember.config import load_settings
    from knowvember.db import open_database
    from knowvember.hashtags import CampaignTags
    from knowvember.records import AccountRecord, PostRecord
    from knowvember.store import PostWriter
    from tests.conftest import BASE_CONFIG

    write_config(base=BASE_CONFIG.replace("2019-11-", "2018-11-").replace(
        "KNOWvember19", "KNOWvember18"))
    db = open_database(load_settings(campaign_dir / "campaign.toml"))
    account = AccountRecord(platform="x", key="7", handle="@stsft_library",
                            display_name="STSFT Library",
                            bio="Library & Knowledge Service, South Tyneside and Sunderland "
                                "NHS Foundation Trust")
    post = PostRecord(platform="x", platform_id="7-1", account_key="7",
                      created_at=dt.datetime(2018, 11, 6, 10, tzinfo=dt.UTC),
                      text="A #KNOWvember18 Peer Assist", hashtags=("knowvember18",))
    PostWriter(db, CampaignTags(["KNOWvember18"]), source="test").write([post], [account])
    db.dispose()
    assert cli("orgs", "assign", "x:@stsft_library", "R0B").exit_code == 0
    summary = json.loads(cli("summary", "--format", "json").stdout)
    assert summary["organisations"] == 1
    assert summary["participating_trusts"] == 1
