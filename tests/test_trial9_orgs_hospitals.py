"""The ninth session's trial of organisations: hospitals written by their place alone.

Library staff at Derriford, Treliske and Musgrove Park write the place without "Hospital"
("Derriford library", "Library, Treliske"): nothing was suggested, so the account waited in
`orgs unmatched` though its trust is plain to anyone in the region.
"""

from __future__ import annotations

import datetime as dt

import pytest

from knowvember.organisations import Catalogue


@pytest.mark.parametrize(("text", "code"), [
    ("Derriford library", "RK9"),
    ("Clinical librarian, Derriford", "RK9"),
    ("Library, Treliske", "REF"),
    ("Musgrove Park library", "RBA"),
])
def test_a_hospital_written_by_its_place_is_its_trust(
    catalogue: Catalogue, text: str, code: str
) -> None:
    candidates = catalogue.match(text)
    assert candidates and candidates[0].auto and candidates[0].code == code


def test_musgrove_park_counts_for_somerset_after_the_merger(catalogue: Catalogue) -> None:
    # Taunton and Somerset (RBA) ran Musgrove Park until it closed into RH5 in April 2020.
    assert catalogue.report_as("RBA", dt.date(2019, 11, 15)).code == "RBA"
    assert catalogue.report_as("RBA", dt.date(2025, 11, 15)).code == "RH5"
