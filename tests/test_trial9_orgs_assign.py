"""The ninth session's trial of organisations: `orgs assign` of a closed or renamed trust.

Assigning an account to a trust that had closed before the campaign said only "Assigned
... to RBA Taunton and Somerset NHS Foundation Trust.", while every report counts it under
the successor: the coordinator then looked for the account in the leaderboard under a
name it does not show. A trust renamed since is named in reports as it was then.
"""

from __future__ import annotations

from tests.test_cli_orgs import populated  # noqa: F401  (the fixture)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_trust_closed_before_the_campaign_is_said_to_count_under_its_successor(  # type: ignore[no-untyped-def]
    cli, populated,  # noqa: F811
) -> None:
    # The test campaign is KNOWvember 2019; Central Manchester (RW3) closed into R0A in 2017.
    result = cli("orgs", "assign", "x:@jo_lib", "RW3")
    assert result.exit_code == 0, result.stderr
    assert ("This campaign's reports count it under R0A Manchester University NHS Foundation "
            "Trust (RW3 closed on 2017-09-30).") in _flat(result.stderr)


def test_a_renamed_trust_is_said_to_be_named_as_it_was(  # type: ignore[no-untyped-def]
    cli, populated,  # noqa: F811
) -> None:
    result = cli("orgs", "assign", "x:@jo_lib", "RM3")
    assert result.exit_code == 0, result.stderr
    assert ("This campaign's reports name it Salford Royal NHS Foundation Trust, its name in "
            "2019.") in _flat(result.stderr)


def test_an_open_trust_of_the_same_name_says_nothing_more(  # type: ignore[no-untyped-def]
    cli, populated,  # noqa: F811
) -> None:
    result = cli("orgs", "assign", "x:@jo_lib", "RWE")
    assert result.exit_code == 0
    assert "This campaign's reports" not in result.stderr
