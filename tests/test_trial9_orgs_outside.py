"""The ninth session's trial of organisations: a Welsh or Scottish board added in config.

A campaign with Welsh members adds its health board under [[organisations]]. The board's
own name matched it, but the names staff write ("Hywel Dda UHB library", "Hywel Dda Health
Board", "Library, Hywel Dda") are in the list of bodies outside NHS England, which
attribute to nothing: they matched nothing at all, so every such account waited in
`orgs unmatched` though campaign.toml named the board.
"""

from __future__ import annotations

import pytest

from knowvember.config import parse_settings
from knowvember.organisations import Catalogue
from tests.conftest import BASE_CONFIG

WALES = """
[[organisations]]
code = "7A2"
name = "Hywel Dda University Health Board"
region = "Wales"

[[organisations]]
code = "NES"
name = "NHS Education for Scotland"
region = "Scotland"
"""


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load(parse_settings(BASE_CONFIG + "\n" + WALES))


@pytest.mark.parametrize("text", [
    "Hywel Dda UHB library",
    "Library & Knowledge Service, Hywel Dda Health Board",
    "Library, Hywel Dda",
    "Hywel Dda University Health Board",
])
def test_names_of_a_board_added_in_config_are_that_board(
    catalogue: Catalogue, text: str
) -> None:
    candidates = catalogue.match(text)
    assert candidates and candidates[0].code == "7A2" and candidates[0].auto


@pytest.mark.parametrize("text", [
    "Betsi Cadwaladr UHB library",  # another board, not added: still nothing
    "NHS Lothian library",
    "Cardiff and Vale UHB",
])
def test_boards_not_added_still_attribute_to_nothing(catalogue: Catalogue, text: str) -> None:
    assert catalogue.match(text) == []


def test_uhb_alone_is_still_birmingham(catalogue: Catalogue) -> None:
    assert catalogue.match("UHB library")[0].code == "RRK"


def test_the_fingerprint_changed_so_accounts_are_matched_again() -> None:
    from knowvember import orgmatch

    assert orgmatch.MATCHER_VERSION >= 9
