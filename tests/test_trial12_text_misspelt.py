"""The twelfth trial: the typing slips in technique names after "knowlege".

"Great Knowledge Caffe this morning", "Our first peer asist went really well", "#PeerAsist",
"Comunity of practice", "Community of Pratice", "Apreciative Inquiry workshop", "a quick
After Action Reveiw": nothing was counted, and a story form's "Other" box answered
"Knowledge Caffe" was kept as a new technique beside the Knowledge Café.
"""

from __future__ import annotations

import pytest

from knowvember.techniques import Taxonomy, story_techniques

TAXONOMY = Taxonomy.load()


@pytest.mark.parametrize(("text", "expected"), [
    ("Great Knowledge Caffe this morning on discharge planning #KNOWvember",
     ["Knowledge Café"]),
    ("Knowledge Caffè with the therapies team", ["Knowledge Café"]),
    ("#KnowledgeCaffe on digital inclusion", ["Knowledge Café"]),
    ("Our first peer asist went really well, thanks all! #KNOWvember", ["Peer Assist"]),
    ("#PeerAsist before the new triage pathway", ["Peer Assist"]),
    ("Comunity of practice for clinical librarians", ["Community of Practice"]),
    ("Community of Pratice meets on Thursday", ["Community of Practice"]),
    ("Apreciative Inquiry workshop with the ward managers", ["Appreciative Inquiry"]),
    ("Did a quick After Action Reveiw after the audit", ["After Action Review"]),
])
def test_a_misspelt_technique_is_counted(text: str, expected: list[str]) -> None:
    assert TAXONOMY.tag(text) == expected


@pytest.mark.parametrize("text", [
    "Caffe Nero run for the team #KNOWvember",  # a coffee shop, not the technique
    "Peer asisted learning for the students",  # whole words: not a Peer Assist
    "We did not run a peer asist this year",  # still read as said not to have happened
    "Caffe knowledge: which beans are best",
])
def test_the_slips_keep_the_rules_around_them(text: str) -> None:
    assert TAXONOMY.tag(text) == []


def test_a_story_choosing_a_misspelt_technique_gets_the_technique() -> None:
    assert story_techniques(TAXONOMY, "Our café", "It went well", None,
                            ["Knowledge Caffe", "Peer asist"]) == [
        "Knowledge Café", "Peer Assist"]
