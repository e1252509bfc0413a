"""The eleventh trial: initials the trusts use for themselves that no rule derives.

UHMBT (Morecambe Bay's own handle), WHH (Warrington and Halton), WHHT (West Herts, which
William Harvey Hospital's initials shared), IoW NHS Trust (Isle of Wight): bios written so
waited in `orgs unmatched` with nothing, or two wrong suggestions, offered.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue
from tests.orgs_support import auto_code


@pytest.mark.parametrize(("text", "code"), [
    ("Knowledge Specialist @UHMBT", "RTX"),
    ("Library at UHMBT, Royal Lancaster Infirmary", "RTX"),
    ("Library and Knowledge Service at WHH", "RWW"),
    ("Library at WHHT", "RWG"),
    ("Library @ IoW NHS Trust", "R1F"),
    ("IOW NHS Trust library", "R1F"),
])
def test_initials_trusts_write_for_themselves(
    catalogue: Catalogue, text: str, code: str
) -> None:
    assert auto_code(catalogue, text) == code


def test_william_harvey_beside_its_town_is_not_warrington(catalogue: Catalogue) -> None:
    assert auto_code(catalogue, "Library, WHH Ashford") is None
