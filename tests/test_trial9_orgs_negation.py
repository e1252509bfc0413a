"""The ninth session's trial of techniques: a mention said not to have happened.

"We did not run a peer assist this year" was tagged Peer Assist, so a campaign's counts
had techniques in them that posts said were not used. Only that mention is left out, and
questions, firsts and other words between ("not sure what a peer assist is") still count.
"""

from __future__ import annotations

import pytest

from knowvember.techniques import Taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


@pytest.mark.parametrize("text", [
    "We did not run a peer assist this year but hope to next",
    "We have no AAR process yet",
    "Didn't manage to do an after action review after the outage",
    "We didn\u2019t hold a knowledge caf\u00e9 this November",
    "We've never run a peer assist",
    "No RCT this month, back in January",
    "We cannot hold a knowledge cafe this week",
    "Wont run an AAR again without the team",
    "We did not run a peer assist before the project started",
    "When we didn't run an AAR, the same mistakes came back.",
    "Why, we did not run a peer assist at all.",
])
def test_a_mention_said_not_to_have_happened_is_not_tagged(
    taxonomy: Taxonomy, text: str
) -> None:
    assert taxonomy.tag(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("We didn\u2019t run a knowledge caf\u00e9 last year, so this year we held two knowledge "
     "caf\u00e9s", ["Knowledge Caf\u00e9"]),
    ("We did not run a peer assist, but we did an AAR", ["After Action Review"]),
    ("Never done a peer assist? Come along and learn how!", ["Peer Assist"]),
    ("Not sure what a peer assist is? Here is our guide", ["Peer Assist"]),
    ("Don't miss the knowledge caf\u00e9 tomorrow", ["Knowledge Caf\u00e9"]),
    ("There is no better tool than an AAR", ["After Action Review"]),
    ("We'd never held a knowledge caf\u00e9 before today: it was brilliant",
     ["Knowledge Caf\u00e9"]),
    ("not only a peer assist but an AAR too", ["Peer Assist", "After Action Review"]),
    ("Can't recommend peer assists enough!", ["Peer Assist"]),
    ("I know a knowledge cafe works", ["Knowledge Caf\u00e9"]),
    ("#KNOWvember25 day 3: no excuses, book your peer assist", ["Peer Assist"]),
    # An invitation or a condition says nothing did not happen (the campaign's own posts).
    ("Why not try a Randomised Coffee Trial this #KNOWvember!",
     ["Randomised Coffee Trial"]),
    ("If you haven't run an AAR yet, give one a go", ["After Action Review"]),
    ("If you've never been to a knowledge caf\u00e9, come along on Thursday.",
     ["Knowledge Caf\u00e9"]),
    ("Whether or not you have run a peer assist, join us", ["Peer Assist"]),
])
def test_other_mentions_beside_a_negation_still_count(
    taxonomy: Taxonomy, text: str, expected: list[str]
) -> None:
    assert taxonomy.tag(text) == expected


def test_the_rules_revision_changed_so_stored_tags_are_reported_stale() -> None:
    from knowvember import techniques

    assert techniques.RULES_REVISION >= 2
