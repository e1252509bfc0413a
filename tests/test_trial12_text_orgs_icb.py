"""The twelfth trial: an integrated care board's "NHS" name is not the trust of its places.

ICBs call themselves "NHS" and their places: "Knowledge manager, NHS Mid and South Essex",
"Evidence lead, NHS Lancashire and South Cumbria", "Knowledge team, NHS Cambridgeshire and
Peterborough" were applied without review to the trusts whose names are those places with
"NHS Foundation Trust" after them (RAJ, RW5, RT1), as was the CCG name "NHS Tameside and
Glossop" (RMP). After "NHS", such a short form is now a suggestion.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue
from tests.orgs_support import auto_code


@pytest.mark.parametrize(("text", "code"), [
    ("Knowledge manager, NHS Mid and South Essex", "RAJ"),
    ("Evidence lead, NHS Lancashire and South Cumbria", "RW5"),
    ("Knowledge team, NHS Cambridgeshire and Peterborough", "RT1"),
    ("Library, NHS Tameside and Glossop", "RMP"),
])
def test_an_icb_name_is_a_suggestion(catalogue: Catalogue, text: str, code: str) -> None:
    assert auto_code(catalogue, text) is None
    assert catalogue.match(text)[0].code == code


@pytest.mark.parametrize(("text", "code"), [
    ("Library at Mid and South Essex", "RAJ"),
    ("Library, Mid and South Essex NHS FT", "RAJ"),
    ("Lancashire and South Cumbria Knowledge and Library Services", "RW5"),
    ("Tameside and Glossop library", "RMP"),
    ("NHS Black Country Healthcare", "TAJ"),  # a kind of body named: the trust
    ("Librarian | NHS | Alder Hey", "RBS"),  # a hospital's name is no ICB's
])
def test_the_trusts_are_still_matched(catalogue: Catalogue, text: str, code: str) -> None:
    assert auto_code(catalogue, text) == code
