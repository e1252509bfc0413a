"""Welsh boards written as their handles attribute to nothing (fifth new-user trial).

Cardiff and Vale University Health Board posts as @CV_UHB; "@CV_UHB" and
"@CardiffVale_UHB" (a handle leaves out "and") were applied to University Hospitals
Birmingham, whose initials are UHB, so a Welsh board's staff counted for an English trust.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize("text", [
    "@CV_UHB", "Library, @CV_UHB", "Library, @CardiffVale_UHB", "Cardiff & Vale UHB library",
    "@NHSAyrshireArran library",
])
def test_a_board_outside_england_written_as_a_handle_is_no_trust(
    catalogue: Catalogue, text: str
) -> None:
    assert not any(c.auto for c in catalogue.match(text)), catalogue.match(text)


@pytest.mark.parametrize("text", ["Library at UHB", "@UHBLibraries",
                                  "Clinical librarian, UHB. Views my own"])
def test_uhb_alone_is_still_birmingham(catalogue: Catalogue, text: str) -> None:
    best = catalogue.match(text)[0]
    assert (best.code, best.auto) == ("RRK", True), best
