"""The eleventh trial: a bio naming a merged trust and both trusts it was formed from.

"UHD, formerly Poole and Royal Bournemouth": the matcher's own rule says two trusts that
merged into one name the merged trust, but Poole written alone is no alias (only similar
words), so the account went to RDZ Royal Bournemouth alone, and every earlier campaign
counted the whole Dorset library for one of the two hospitals it served.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue
from tests.orgs_support import auto_code


@pytest.mark.parametrize(("text", "code"), [
    ("UHD, formerly Poole and Royal Bournemouth", "R0D"),
    ("Knowledge & Library Services, University Hospitals Dorset. Formerly Poole and Royal "
     "Bournemouth.", "R0D"),
    ("University Hospitals Dorset library (was Poole Hospital and Royal Bournemouth)", "R0D"),
    # Guards: one predecessor named with the successor as it is now keeps the closed code,
    # which reports carry forward to the successor after the merger.
    ("Library at Royal Bournemouth Hospital, UHD", "RDZ"),
    ("Library, Royal Oldham (Pennine Acute, now NCA)", "RW6"),
    ("Somerset FT (formerly Taunton and Somerset and Yeovil)", "RH5"),
])
def test_a_trust_named_with_both_trusts_it_was_formed_from(
    catalogue: Catalogue, text: str, code: str
) -> None:
    assert auto_code(catalogue, text) == code
