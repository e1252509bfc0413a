"""Trust names with the county written short, as NHS staff write them (fifth trial).

"Lancs Teaching Hospitals", "Notts Healthcare" or "Glos Hospitals library" matched nothing at
all, so such accounts waited in `orgs unmatched` with no suggestion.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize(("text", "code"), [
    ("Library, Lancs Teaching Hospitals", "RXN"),
    ("Knowledge & Library Service, Notts Healthcare", "RHA"),
    ("Glos Hospitals library team", "RTE"),
    ("Library at Worcs Acute", "RWP"),
    ("Northants Healthcare library", "RP1"),
    ("Herts Partnership library", "RWR"),
    ("Berks Healthcare library", "RWX"),
    ("Lincs Community Health Services library", "RY5"),
    ("United Lincs Hospitals library", "RWD"),
    ("Leics Partnership library", "RT5"),
    ("Hants Hospitals library", "RN5"),
    ("Derbys Community Health Services library", "RY8"),
    ("Shrops Community Health library", "R1D"),
    # Hand-written aliases written with the short county still match.
    ("Mid Yorks library", "RXF"), ("Royal Berks library", "RHW"),
    ("East Lancs Hospitals library", "RXR"), ("Bucks Healthcare library", "RXQ"),
])
def test_a_short_county_name_matches(catalogue: Catalogue, text: str, code: str) -> None:
    best = catalogue.match(text)[0]
    assert (best.code, best.auto) == (code, True), (text, best)


def test_a_short_county_in_passing_blocks_no_trust(catalogue: Catalogue) -> None:
    candidates = catalogue.match("Library at Bolton NHS FT. Bucks fizz anyone?")
    assert (candidates[0].code, candidates[0].auto) == ("RMC", True), candidates
