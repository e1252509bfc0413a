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
