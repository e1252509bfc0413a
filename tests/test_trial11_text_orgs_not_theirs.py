"""The eleventh trial: a bio that says a trust is not its own.

"University of Manchester Library. Not affiliated with MFT." was attributed to Manchester
University NHS FT without review, and "No longer at Bolton NHS FT" to Bolton: the past
words knew "formerly", "ex" and "was at", not these.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue
from tests.orgs_support import auto_code


@pytest.mark.parametrize(("text", "code"), [
    ("University of Manchester Library. Not affiliated with MFT.", None),
    ("No longer at Bolton NHS FT", None),
    ("Not part of UHL", None),
    ("No longer at Bolton NHS FT, now Leeds Teaching Hospitals", "RR8"),
    # Guards: "no longer" about something else, and "part of" without "not".
    ("Library at Bolton NHS FT. No longer tweeting here.", "RMC"),
    ("Not just a library: knowledge services at UHL", "RWE"),
    ("Library team at Royal Oldham Hospital, part of the Northern Care Alliance", "RW6"),
])
def test_a_trust_said_not_to_be_theirs(
    catalogue: Catalogue, text: str, code: str | None
) -> None:
    assert auto_code(catalogue, text) == code


def test_it_is_still_suggested(catalogue: Catalogue) -> None:
    assert catalogue.match("No longer at Bolton NHS FT")[0].code == "RMC"
