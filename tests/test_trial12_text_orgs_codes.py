"""The twelfth trial: an ODS code written in a bio names its trust.

"Library, RRF", "Clinical librarian (RX1)", "LKS team, ODS RXQ", "Knowledge team, RW6":
staff write their trust's code beside or for its name, and nothing matched (a story form's
answer "RRF" was resolved by code, a bio never was). Codes that are everyday abbreviations
first (RGN, REF, RWE, RNA, RAT, RRP...) are still read as nothing, and a code inside a
handle is not read as one.
"""

from __future__ import annotations

import pytest

from knowvember.config import parse_settings
from knowvember.organisations import Catalogue, account_text
from tests.conftest import BASE_CONFIG
from tests.orgs_support import auto_code


@pytest.mark.parametrize(("text", "code"), [
    ("Library, RRF", "RRF"),
    ("Clinical librarian (RX1)", "RX1"),
    ("LKS team, ODS RXQ", "RXQ"),
    ("Library services for RTH, Oxford", "RTH"),
    ("Knowledge Services (RHQ) Sheffield", "RHQ"),
    # A closed trust's code: reports carry it to the successor after the closure.
    ("Knowledge team, RW6", "RW6"),
    ("Librarian, Wigan (RRF). Formerly at Bolton (RMC)", "RRF"),
])
def test_a_code_in_a_bio_names_the_trust(catalogue: Catalogue, text: str, code: str) -> None:
    assert auto_code(catalogue, text) == code


def test_two_codes_are_for_a_coordinator(catalogue: Catalogue) -> None:
    candidates = catalogue.match("Library services for RRF and RBL")
    assert {c.code for c in candidates[:2]} == {"RRF", "RBL"}
    assert not any(c.auto for c in candidates)


@pytest.mark.parametrize("text", [
    "RGN, now clinical librarian",
    "REF submission librarian",
    "Real world evidence (RWE) librarian",
    "RNA researcher turned librarian",
    "Lateral flow RAT kits in the library",
    "Knowledge lead. RRP views my own",
    "Library, rrf",  # a code is written in capitals
    "Libraries for RBK and Richmond",  # the Royal Borough of Kingston, not Walsall (RBK)
])
def test_an_abbreviation_is_no_code(catalogue: Catalogue, text: str) -> None:
    assert not [c for c in catalogue.match(text) if c.confidence >= 0.6]


def test_a_code_inside_a_handle_is_not_read(catalogue: Catalogue) -> None:
    assert auto_code(catalogue, account_text("Reading group", None, "rx1reads")) is None


def test_initials_keep_a_code_another_trust_has(catalogue: Catalogue) -> None:
    """RDE is ESNEFT's code and the Royal Devon and Exeter's initials, which staff write."""
    assert auto_code(catalogue, "RDE library") == "RH8"


def test_a_campaign_code_is_no_ods_code() -> None:
    settings = parse_settings(BASE_CONFIG + '\n[[organisations]]\ncode = "TAB"\n'
                              'name = "Tabernacle Health Library"\n')
    assert auto_code(Catalogue.load(settings), "Library, TAB") is None


@pytest.mark.parametrize("text", [
    "Health Library, Dorking RH5 4AA",
    "Library, Oxted RH8 0BQ",
    "Library, Romford RM3 0BE",
])
def test_a_postcode_is_no_code(catalogue: Catalogue, text: str) -> None:
    """RH5, RH8 and RM3 are postcode districts too (Dorking, Oxted, Romford)."""
    assert auto_code(catalogue, text) is None


def test_a_code_before_a_floor_is_still_a_code(catalogue: Catalogue) -> None:
    assert auto_code(catalogue, "Library, RX1 3rd floor") == "RX1"
