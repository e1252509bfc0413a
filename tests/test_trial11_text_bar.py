"""The eleventh trial: `BAR` in capitals in a text about drinks is a bar.

"Drinks at the BAR tonight for the Christmas do!" counted a Before Action Review: only a
text written all in capitals told the word apart from the abbreviation.
"""

from __future__ import annotations

import pytest

from knowvember.techniques import Taxonomy

TAXONOMY = Taxonomy.load()


@pytest.mark.parametrize("text", [
    "Drinks at the BAR tonight for the Christmas do! #KNOWvember19",
    "Prosecco at the BAR after the awards #KNOWvember",
    "Our new trainee was called to the BAR last week",
])
def test_a_bar_is_no_before_action_review(text: str) -> None:
    assert "Before Action Review" not in TAXONOMY.tag(text)


@pytest.mark.parametrize("text", [
    "BAR before the new rota goes live #KNOWvember19",
    "#BAR with the ward team ahead of the move",
    "BAR, AAR, Retrospect: the learning before, during and after cycle",
])
def test_a_before_action_review_is_still_one(text: str) -> None:
    assert TAXONOMY.tag(text)[0] == "Before Action Review"
