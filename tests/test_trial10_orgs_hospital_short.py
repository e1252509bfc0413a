"""Hospitals named without "Hospital", as their staff write them (fifth new-user trial).

"Library, Royal Preston", "Pinderfields library", "Arrowe Park library" or "Library at
Wythenshawe" matched nothing (or only a weak suggestion): only the full hospital names
("Royal Preston Hospital") were aliases.
"""

from __future__ import annotations

import datetime as dt

import pytest

from knowvember.organisations import Catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize(("text", "code"), [
    ("Library, Royal Preston", "RXN"), ("Pinderfields library", "RXF"),
    ("Arrowe Park library", "RBL"), ("Library at Royal Hallamshire", "RHQ"),
    ("Southampton General library team", "RHM"), ("Library at Leeds General", "RR8"),
    ("Leicester Royal library", "RWE"), ("Library at Royal Derby", "RTG"),
    ("Library at Royal Blackburn", "RXR"), ("Northwick Park library", "R1K"),
    ("Whipps Cross library", "R1H"), ("Library at Frimley Park", "RDU"),
    ("Library at King's Mill", "RK5"), ("Huddersfield Royal library", "RWY"),
    ("Library at Stoke Mandeville", "RXQ"),
    # Listed under the trust that ran them first; later campaigns follow the successor.
    ("Library at Wythenshawe", "RM2"), ("Library at Royal Oldham", "RW6"),
    ("Southmead library", "RVJ"), ("Library at Hinchingbrooke", "RQQ"),
])
def test_a_hospital_without_hospital_matches(catalogue: Catalogue, text: str, code: str) -> None:
    best = catalogue.match(text)[0]
    assert (best.code, best.auto) == (code, True), (text, best)


def test_a_merged_hospitals_trust_is_its_successor_later(catalogue: Catalogue) -> None:
    assert catalogue.current_code("RM2", dt.date(2019, 11, 1)) == "R0A"
    assert catalogue.current_code("RW6", dt.date(2019, 11, 1)) == "RW6"


def test_a_short_hospital_name_beside_another_trust_is_for_a_coordinator(
    catalogue: Catalogue
) -> None:
    candidates = catalogue.match("Library, Royal Preston. Formerly Bolton NHS FT")
    assert (candidates[0].code, candidates[0].auto) == ("RXN", True), candidates
    assert not any(c.auto for c in catalogue.match("Library, Royal Preston, Bolton NHS FT"))
