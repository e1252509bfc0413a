"""The twelfth trial: a commissioning support unit named after its place is no trust.

"NEL CSU evidence team" (North East London Commissioning Support Unit) was applied to RAT
North East London NHS Foundation Trust without review, by the trust's initials NEL: a CSU
is followed by its kind as an ICB is, and now counts for as little.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue
from tests.orgs_support import auto_code


@pytest.mark.parametrize("text", [
    "NEL CSU evidence team",
    "Library and Knowledge Service, NEL CSU",
    "Knowledge manager, North East London Commissioning Support Unit",
])
def test_a_csu_is_not_the_trust_of_its_place(catalogue: Catalogue, text: str) -> None:
    assert auto_code(catalogue, text) is None
    # Still a suggestion, for a coordinator who knows better.
    assert catalogue.match(text)[0].code == "RAT"


@pytest.mark.parametrize("text", ["NEL library team", "Library, NELFT"])
def test_the_trust_itself_is_still_matched(catalogue: Catalogue, text: str) -> None:
    assert auto_code(catalogue, text) == "RAT"
