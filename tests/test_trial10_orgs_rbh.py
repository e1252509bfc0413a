"""RBH is five trusts' hospital, so it is a suggestion, not Royal Berkshire (fifth trial).

"RBH" was a hand-written alias of Royal Berkshire (RHW) alone, applied without review, but
Royal Bolton, Royal Brompton, Royal Bournemouth and Royal Blackburn Hospital staff write
RBH too: a Royal Brompton librarian's posts counted for Reading.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize("text", ["Library, RBH", "Library at RBH Bournemouth",
                                  "Clinical librarian at RBH. Views my own"])
def test_rbh_alone_is_for_a_coordinator(catalogue: Catalogue, text: str) -> None:
    candidates = catalogue.match(text, limit=10)
    assert not any(c.auto for c in candidates), candidates
    assert {"RHW", "RMC", "RT3", "RDZ"} <= {c.code for c in candidates}, candidates


@pytest.mark.parametrize(("text", "code"), [
    ("Library, Royal Berkshire NHS FT (RBH)", "RHW"),
    ("Library at Royal Berkshire Hospital", "RHW"),
    ("Library at RBFT", "RHW"),
    ("RBH library, Royal Brompton Hospital", "RT3"),
])
def test_rbh_beside_the_name_is_that_trust(catalogue: Catalogue, text: str, code: str) -> None:
    best = catalogue.match(text)[0]
    assert (best.code, best.auto) == (code, True), best
