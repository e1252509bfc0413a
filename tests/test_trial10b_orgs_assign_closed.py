"""`orgs assign` to a trust that had closed before the campaign with nothing to count it
under (fifth new-user trial, second pass).

Assigning an account to RJD Mid Staffordshire (dissolved in 2017, no successor in ODS) for
KNOWvember 2019 said only "Assigned ... to RJD Mid Staffordshire NHS Foundation Trust.": the
coordinator was not told that the trust no longer existed, and the 2019 report lists it.
A successor missing from the catalogue (G6V2S for Tavistock and Portman) is named, with
where to add it.
"""

from __future__ import annotations

from typing import Any

from tests.test_cli_orgs import populated  # noqa: F401  (the fixture)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_trust_dissolved_before_the_campaign_is_said_to_be(cli: Any, populated: Any,  # noqa: F811
                                                             ) -> None:
    result = cli("orgs", "assign", "x:@jo_lib", "RJD")
    assert result.exit_code == 0, result.stderr
    assert ("Note: RJD closed on 2017-10-31, before this campaign, and ODS records no "
            "successor: this campaign's reports count it as RJD itself.") in _flat(result.stderr)


def test_a_trust_open_during_the_campaign_gets_no_note(cli: Any, populated: Any,  # noqa: F811
                                                       ) -> None:
    # Tavistock and Portman closed in 2026; in KNOWvember 2019 it was open.
    result = cli("orgs", "assign", "x:@jo_lib", "RNK")
    assert result.exit_code == 0, result.stderr
    assert "Note:" not in result.stderr and "This campaign's reports" not in result.stderr
