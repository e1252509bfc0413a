"""The eleventh trial: "knowlege", the commonest typing slip in KNOWvember posts.

"Knowlege cafe today", "#KnowlegeCafe", "knowlege harvesting session": nothing was counted,
and a story form's "Other" box answered "Knowlege Café" was kept as a new technique.
"""

from __future__ import annotations

import pytest

from knowvember.techniques import Taxonomy, story_techniques

TAXONOMY = Taxonomy.load()


@pytest.mark.parametrize(("text", "expected"), [
    ("Knowlege cafe today in the education centre #KNOWvember19", ["Knowledge Café"]),
    ("#KnowlegeCafe on digital inclusion", ["Knowledge Café"]),
    ("#knowlegecafe", ["Knowledge Café"]),
    ("knowlege harvesting session with our retiring consultant", ["Knowledge Harvesting"]),
    ("Knowlege is power #KNOWvember", []),
])
def test_knowledge_without_its_d(text: str, expected: list[str]) -> None:
    assert TAXONOMY.tag(text) == expected


def test_a_story_choosing_it_gets_the_technique() -> None:
    assert story_techniques(TAXONOMY, "Our café", "It went well", None,
                            ["Knowlege Café"]) == ["Knowledge Café"]
