"""Technique tagging on real campaign wording (fifth new-user trial).

Found trying `knowvember classify` on the way people write campaign posts: a technique
written as one hashtag per word was missed, a negation a few words further off was counted as
the technique having happened, a library's pet goldfish in its fish bowl was a Fishbowl, and a
clinical RCT described by its subject was a Randomised Coffee Trial.
"""

from __future__ import annotations

import pytest

from knowvember import techniques
from knowvember.techniques import Taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


@pytest.mark.parametrize(("text", "name"), [
    ("Our first #Randomised #Coffee #Trial of #KNOWvember19!", "Randomised Coffee Trial"),
    ("Loved today's #Peer #Assist with the ward team", "Peer Assist"),
    ("#Knowledge #Cafe at 12 in the library", "Knowledge Café"),
    ("An #after #action #review after the IT outage", "After Action Review"),
])
def test_a_technique_written_one_hashtag_a_word(taxonomy: Taxonomy, text: str, name: str) -> None:
    assert taxonomy.tag(text) == [name]


@pytest.mark.parametrize(("text", "name"), [
    ("Our #KnowledgeCafe2019 was packed", "Knowledge Café"),
    ("#PeerAssist19 with the ED team", "Peer Assist"),
    ("#peerassist2019", "Peer Assist"),
    ("#RandomisedCoffeeTrial2019 round 2", "Randomised Coffee Trial"),
])
def test_a_technique_hashtag_with_a_year_run_on(
    taxonomy: Taxonomy, text: str, name: str
) -> None:
    assert taxonomy.tag(text) == [name]


def test_a_numbered_summit_is_still_no_community_of_practice(taxonomy: Taxonomy) -> None:
    assert taxonomy.tag("Greener NHS at #COP26 and COP 28") == []


@pytest.mark.parametrize("text", [
    "We haven't yet managed to organise a peer assist",
    "We still haven't got round to a knowledge café this year",
    "We didn't have time for a peer assist",
    "We've not yet been able to hold a peer assist",
    "We have not been able to run a Randomised Coffee Trial this year",
    "Sadly we never got the chance to run a knowledge café",
])
def test_a_negation_a_few_words_off_is_not_counted(taxonomy: Taxonomy, text: str) -> None:
    assert taxonomy.tag(text) == []


@pytest.mark.parametrize("text", [
    "We did not run a #PeerAssist this year",
    "No #KnowledgeCafe this year 😢",
    "We never held a #KnowledgeCafe",
    "No #NHSPeerAssist this year",
    "We didn't run a \"peer assist\"",
    "We didn't run a ‘peer assist’",
    "We did not run a (peer assist)",
])
def test_a_negated_hashtag_or_quoted_mention_is_not_counted(
    taxonomy: Taxonomy, text: str
) -> None:
    assert taxonomy.tag(text) == []


@pytest.mark.parametrize(("text", "name"), [
    ("Can't wait to host our first peer assist!", "Peer Assist"),
    ("Never run a #PeerAssist? Come along", "Peer Assist"),
    ("No #AAR, but a #PeerAssist!", "Peer Assist"),
    ("Never a better time for a knowledge café", "Knowledge Café"),
    ("Don't forget to book a peer assist for your project", "Peer Assist"),
    ("If you haven't yet managed to organise a peer assist, now's the time", "Peer Assist"),
    ("We didn't have time for an AAR in 2018. This year we ran three AARs.",
     "After Action Review"),
])
def test_what_happened_is_still_counted(taxonomy: Taxonomy, text: str, name: str) -> None:
    assert name in taxonomy.tag(text), text


@pytest.mark.parametrize(("text", "name"), [
    ("No knowledge café is complete without cake ☕🍰", "Knowledge Café"),
    ("No peer assist would be complete without biscuits", "Peer Assist"),
    ("Not a single AAR went by without an action for the board", "After Action Review"),
    ("There's no AAR like a hot debrief", "After Action Review"),
    ("No Randomised Coffee Trial without coffee!", "Randomised Coffee Trial"),
    ("We couldn't have done the AAR without the ward team", "After Action Review"),
    ("We could not have run our peer assist without you all", "Peer Assist"),
])
def test_a_saying_in_praise_is_no_negation(taxonomy: Taxonomy, text: str, name: str) -> None:
    assert taxonomy.tag(text) == [name]


@pytest.mark.parametrize("text", [
    "No AAR this year",
    "We didn't run a peer assist. Without funding it was impossible.",
    "We didn't have an AAR like last year",
    "Won't run an AAR again without the whole team",
])
def test_a_negation_is_still_one_beside_those_words(taxonomy: Taxonomy, text: str) -> None:
    assert taxonomy.tag(text) == []


@pytest.mark.parametrize("text", [
    "Meet our library fishbowl, Goldie the fish 🐟",
    "RIP Bubbles, the library goldfish. His fishbowl is empty",
    "The fish bowl on the issue desk needs cleaning: the fish say thanks!",
    "RIP Bubbles the library goldfish #fishbowl",
    "RIP Bubbles the library goldfish #Fishbowl",
])
def test_a_pets_fish_bowl_is_no_fishbowl(taxonomy: Taxonomy, text: str) -> None:
    assert taxonomy.tag(text) == []


@pytest.mark.parametrize("text", [
    "Fishbowl at 2pm in the library",
    "Our fishbowl discussion went swimmingly 🐟",
    "Goldfish bowl session for the F1s",
    "#Fishbowl discussion today",
    "Our fishbowl about pet therapy on the wards",
    "A fishbowl on PET-CT evidence for the radiology team",
    "We tried a goldfish bowl today",
    "A fishbowl conversation: like fish in a bowl, the inner circle talks",
])
def test_a_fishbowl_is_still_a_fishbowl(taxonomy: Taxonomy, text: str) -> None:
    assert taxonomy.tag(text) == ["Fishbowl"]


@pytest.mark.parametrize("text", [
    "Great RCT on vitamin D in care homes",
    "Taking part in an RCT of a new inhaler",
    "A double-blind RCT, explained for journal club",
])
def test_a_clinical_rct_is_no_coffee_trial(taxonomy: Taxonomy, text: str) -> None:
    assert taxonomy.tag(text) == []


@pytest.mark.parametrize("text", [
    "Signed up for the library RCT! ☕",
    "RCT results: 40 pairs met for coffee",
    "40 participants in our RCT this year, and we found it brilliant",
    "Sign up for the RCT for the therapy and surgery teams",
])
def test_a_coffee_rct_is_still_counted(taxonomy: Taxonomy, text: str) -> None:
    assert taxonomy.tag(text) == ["Randomised Coffee Trial"]


@pytest.mark.parametrize("text", [
    "DRINKS AT THE BAR TONIGHT! #KNOWVEMBER19",
    "JOIN US AT THE BAR AFTER THE CONFERENCE",
    "THE COP IS COMING TO TALK TO US ABOUT SAFETY",
    "OUR NEW COP FOR LIBRARIANS",
])
def test_a_word_in_a_post_written_in_capitals_is_no_abbreviation(
    taxonomy: Taxonomy, text: str
) -> None:
    assert taxonomy.tag(text) == []


@pytest.mark.parametrize(("text", "name"), [
    ("Our BAR before the EPR go-live", "Before Action Review"),
    ("BAR", "Before Action Review"),
    ("#BAR WITH THE PROJECT TEAM", "Before Action Review"),
    ("OUR NEW CoP FOR LIBRARIANS", "Community of Practice"),
    ("AN AAR AFTER THE FIRE DRILL", "After Action Review"),
    ("We ran our first BAR. THE TEAM LOVED IT", "Before Action Review"),
])
def test_an_abbreviation_is_still_read_where_case_tells(
    taxonomy: Taxonomy, text: str, name: str
) -> None:
    assert taxonomy.tag(text) == [name]


def test_the_new_rules_make_stored_tags_stale() -> None:
    assert techniques.RULES_REVISION >= 3
