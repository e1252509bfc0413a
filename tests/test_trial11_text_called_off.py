"""The eleventh trial: a technique called off is not one that happened.

Winter pressures cancel November events: "Our knowledge café was cancelled due to winter
pressures", "Peer assist postponed until January", "we had to cancel the knowledge café".
Each counted as a knowledge café or peer assist held, in the summary's techniques and the
report's "before, during and after".
"""

from __future__ import annotations

import pytest

from knowvember.techniques import Taxonomy

TAXONOMY = Taxonomy.load()


@pytest.mark.parametrize("text", [
    "Our knowledge café was cancelled due to winter pressures #KNOWvember",
    "Knowledge café postponed until January #KNOWvember19",
    "The peer assist has been cancelled, sorry all",
    "Knowledge cafe session postponed",
    "Sadly our Randomised Coffee Trial was called off this year",
    "The randomised coffee trial was rescheduled",
    "We had to cancel the knowledge café",
    "We had to postpone our peer assist",
    "The knowledge café didn't happen because of the snow #KNOWvember",
    "The knowledge café didn\u2019t go ahead",
    "Our peer assist never happened",
    "Peer assist fell through",
])
def test_a_technique_called_off_is_not_counted(text: str) -> None:
    assert TAXONOMY.tag(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    # Only the mention called off: the other one happened.
    ("Knowledge cafe cancelled today but the peer assist went ahead", ["Peer Assist"]),
    ("we cancelled the AAR and ran a peer assist instead", ["Peer Assist"]),
    # Something else called off, after the technique.
    ("Our knowledge café was great, the AAR was cancelled",
     ["Knowledge Café", "After Action Review"]),
    ("Knowledge café was a success, not cancelled!", ["Knowledge Café"]),
    ("Cancel culture? No - knowledge café!", ["Knowledge Café"]),
    ("Our peer assist, postponed twice, finally happened in November", ["Peer Assist"]),
    ("The knowledge café did happen!", ["Knowledge Café"]),
    ("The peer assist didn't happen until March, but it was worth the wait", ["Peer Assist"]),
])
def test_only_the_mention_called_off_is_left_out(text: str, expected: list[str]) -> None:
    assert TAXONOMY.tag(text) == expected
