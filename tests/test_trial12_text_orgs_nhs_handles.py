"""The twelfth trial: handles that end with "NHS", as trusts' own handles do.

`@WWLNHS`, `@gsttnhs`, `@RoyalFreeNHS`, `@uhbwnhs`: stored in lower case, the handle was
one word (`wwlnhs`) that named nothing, so a trust's account (and a library's, such as
`@mftnhslib`) was left for a coordinator while `@mftlib` was matched. Written in a bio,
`@NUHnhs` and `@UHLlib` were split at their capitals ("NU", "Hnhs") and missed too.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue, account_text
from tests.orgs_support import auto_code


@pytest.mark.parametrize(("handle", "code"), [
    ("wwlnhs", "RRF"),
    ("gsttnhs", "RJ1"),
    ("royalfreenhs", "RAL"),
    ("uhbwnhs", "RA7"),
    ("mftnhslib", "R0A"),
    ("uhdbnhs", "RTG"),
])
def test_a_stored_handle_ending_with_nhs(catalogue: Catalogue, handle: str, code: str) -> None:
    assert auto_code(catalogue, account_text(None, None, handle)) == code


@pytest.mark.parametrize(("bio", "code"), [
    ("Library and Knowledge Service @NUHnhs", "RX1"),
    ("Clinical librarians @UHLlib", "RWE"),
    ("Library & Knowledge Services | @WWLNHS", "RRF"),
])
def test_a_handle_written_in_a_bio(catalogue: Catalogue, bio: str, code: str) -> None:
    assert auto_code(catalogue, bio) == code


@pytest.mark.parametrize("handle", ["johnhs", "nhs", "nhswales", "hywelddanhs", "leedsnhs"])
def test_nothing_else_is_read_into_a_handle(catalogue: Catalogue, handle: str) -> None:
    assert auto_code(catalogue, account_text(None, None, handle)) is None
