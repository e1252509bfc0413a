"""Initials written with a possessive attribute as the initials do (fifth new-user trial).

"Library at UHL's Glenfield site" or "Proud to be part of LTHT's Knowledge and Library
Service" matched nothing: apostrophes are dropped before matching, so "UHL's" was the word
"UHLs", which no alias has.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize(("text", "code"), [
    ("Library at UHL's Glenfield site", "RWE"),
    ("Proud to be part of LTHT's Knowledge and Library Service", "RR8"),
    ("GOSH's library team", "RP4"),
    ("MFT’s library and knowledge service", "R0A"),
    # Initials that are also another named organisation's still mean that one.
    ("HHFT's library, Homerton Healthcare", "RQX"),
    # Words whose apostrophe is part of a name still match in capitals.
    ("ALDER HEY CHILDREN'S LIBRARY", "RBS"),
])
def test_possessive_initials_match(catalogue: Catalogue, text: str, code: str) -> None:
    best = catalogue.match(text)[0]
    assert (best.code, best.auto) == (code, True), (text, best)


@pytest.mark.parametrize("text", ["gosh's a busy day in the library", "NHS's libraries"])
def test_a_word_in_lower_case_or_a_generic_one_is_no_possessive(
    catalogue: Catalogue, text: str
) -> None:
    assert not any(c.auto for c in catalogue.match(text)), text
