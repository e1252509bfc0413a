"""The eleventh trial: technique mentions the rules missed.

- "Before and After Action Reviews for the flow programme" names two techniques; only the
  After Action Review was counted.
- "The library team retro: what went well", "Agile retro with the digital team": the
  agile name of a Retrospect, after a word no determiner rule knows.
"""

from __future__ import annotations

import pytest

from knowvember.techniques import Taxonomy

TAXONOMY = Taxonomy.load()


@pytest.mark.parametrize(("text", "expected"), [
    ("Before and After Action Reviews for the flow programme #KNOWvember",
     ["Before Action Review", "After Action Review"]),
    ("#before_and_after_action_review template",
     ["Before Action Review", "After Action Review"]),
    ("The library team retro: what went well this year #KNOWvember", ["Retrospect"]),
    ("Agile retro with the digital team #KNOWvember", ["Retrospect"]),
    ("Agile retrospective for the EPR go-live", ["Retrospect"]),
    # Guards: "before" alone, and a retro style, are nothing.
    ("Before we start, and after action reviews...", ["After Action Review"]),
    ("Retro night in the staff bar! #KNOWvember", []),
    ("Retro vibes in the library with our 1970s books display", []),
])
def test_techniques_named_as_staff_write_them(text: str, expected: list[str]) -> None:
    assert TAXONOMY.tag(text) == expected
