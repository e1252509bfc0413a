"""A bio naming a past workplace attributes to the current one (fifth new-user trial).

Librarians move between trusts and say so: "Formerly UHL, now Leeds Teaching Hospitals",
"Clinical librarian @ Bolton NHS FT (ex-UHL)". Both names matched confidently, so both were
capped at 0.6 and the account waited in `orgs unmatched`; a bio naming only a past one
("Ex-librarian at Bolton NHS FT. Now retired") was applied to that trust without review.
"""

from __future__ import annotations

import pytest

from knowvember.organisations import Catalogue
from knowvember.orgmatch import AUTO_THRESHOLD, RIVAL_THRESHOLD


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize(("text", "code"), [
    ("Library Manager. Formerly UHL, now Leeds Teaching Hospitals NHS Trust", "RR8"),
    ("Clinical librarian @ Bolton NHS FT (ex-UHL)", "RMC"),
    ("Ex-UHL librarian, now at Leeds Teaching Hospitals", "RR8"),
    ("Previously at Salford Royal, now Clinical Librarian at Bolton NHS FT", "RMC"),
    ("Was at UHL 2010-2018. Now Library Manager, Leeds Teaching Hospitals", "RR8"),
    ("Used to work at Bolton NHS FT. Now at Salford Royal", "RM3"),
    ("Former outreach librarian, Bolton NHS FT. Knowledge Specialist at Leeds Teaching "
     "Hospitals", "RR8"),
])
def test_the_current_workplace_is_applied(catalogue: Catalogue, text: str, code: str) -> None:
    best, *others = catalogue.match(text)
    assert (best.code, best.auto) == (code, True), (text, best)
    assert all(c.confidence < RIVAL_THRESHOLD for c in others), others


@pytest.mark.parametrize("text", [
    "Ex-librarian at Bolton NHS FT. Now retired",
    "Retired librarian, Bolton NHS FT",
    "Retired from Bolton NHS FT library in 2019",
    "Formerly Library Manager at UHL",
])
def test_only_a_past_workplace_is_a_suggestion(catalogue: Catalogue, text: str) -> None:
    candidates = catalogue.match(text)
    assert candidates, text
    assert not candidates[0].auto and candidates[0].confidence < AUTO_THRESHOLD, candidates


@pytest.mark.parametrize(("text", "code"), [
    ("Formerly a nurse, now librarian at Bolton NHS FT", "RMC"),
    ("Retired nurse, volunteer at Bolton NHS FT library", "RMC"),
    ("Our library was named Library of the Year, Bolton NHS FT", "RMC"),
    # A closed trust beside its successor keeps its code; reports carry it forward to the
    # successor after the closure (see test_trial10b_orgs_carried_forward.py).
    ("Library manager at NCA (formerly Pennine Acute)", "RW6"),
    ("Liverpool University Hospitals NHS FT (formerly Royal Liverpool and Broadgreen)", "RQ6"),
    ("Library at Northern Care Alliance NHS FT (formerly Salford Royal NHS FT)", "RM3"),
])
def test_a_trust_named_with_its_former_name_is_still_applied(
    catalogue: Catalogue, text: str, code: str
) -> None:
    best = catalogue.match(text)[0]
    assert (best.code, best.auto) == (code, True), (text, best)
