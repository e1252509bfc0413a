"""The technique taxonomy and its matching rules, on sentences written like campaign posts."""

from __future__ import annotations

import time

import pytest

from knowvember.config import parse_settings
from knowvember.errors import ConfigError
from knowvember.techniques import BUILTIN, PHASES, Taxonomy, phrase_pattern, story_techniques
from tests.conftest import BASE_CONFIG

TAXONOMY = Taxonomy.load()

# For EVERY technique: sentences that must be tagged with it, and sentences that must not.
POSITIVES: dict[str, list[str]] = {
    "Self-assessment Tool": [
        "Ran the KM self-assessment tool with our library team today #KNOWvember19",
        "Has your team tried the Knowledge Mobilisation Self-Assessment? Link below",
        "Self assessment tools for knowledge mobilisation: where are you on the journey?",
    ],
    "Peer Assist": [
        "Ran a #PeerAssist with the discharge team before the new ward opened",
        "Our first Peer Assist of #KNOWvember19: the stroke team learnt from Leeds",
        "Two peer-assists booked for next week!",
        "PEER\nASSIST with the sepsis project team",
    ],
    "Before Action Review": [
        "A quick Before Action Review before the audit kicked off #KNOWvember",
        "Tried a BAR with the new starters: what are we setting out to achieve?",
        "Before-action reviews take ten minutes and save hours. #BAR",
    ],
    "Appreciative Inquiry": [
        "Using Appreciative Inquiry to look at what works on our wards",
        "An appreciative enquiry session with the therapy team #KNOWvember19",
        "#AppreciativeInquiry workshop this afternoon",
    ],
    "After Action Review": [
        "Facilitated an After Action Review for the F1 doctors #KNOWvember",
        "Three AARs this week, lots of learning captured",
        "After-action reviews are now part of every project close #AAR",
        "Love a good #aar on a Friday",
    ],
    "Knowledge Café": [
        "Our first Knowledge Café of #KNOWvember! ☕",
        "Knowledge cafes are back in the library every Tuesday",
        "Join our #KnowledgeCafe on digital literacy",
        "A knowledge caf\u0065\u0301 on patient safety (decomposed accent)",
    ],
    "Randomised Coffee Trial": [
        "Sign up for our Randomised Coffee Trial and meet someone new",
        "Round three of our randomized coffee trials starts Monday",
        "#RandomCoffeeTrial pairs are out!",
        "Our RCT paired 40 staff across the trust for a chat #KNOWvember19",
        "Coffee roulette: meet a colleague you have never met",
    ],
    "Community of Practice": [
        "Launching a Community of Practice for clinical educators",
        "Communities of practice keep the learning going #KNOWvember",
        "Our CoP met for the third time today",
        "The #CoP for ward managers is growing",
        "New #CommunityOfPractice for health librarians",
    ],
    "Action Learning Set": [
        "Our action learning set for new band 7s met today",
        "Action Learning Sets are a great way to tackle a knotty problem",
        "Trying #ActionLearning with the leadership cohort",
    ],
    "Knowledge Asset": [
        "Turned the project learning into a knowledge asset on the intranet",
        "Knowledge assets: capture it once, reuse it often #KNOWvember19",
    ],
    "Fishbowl": [
        "A fishbowl discussion on burnout at today's away day",
        "Tried a fish-bowl conversation with the governors",
        "Goldfish bowl format worked really well for the debate",
        "#Fishbowl session at the KM network",
    ],
    "Knowledge Harvesting": [
        "Knowledge harvesting with a retiring consultant this week",
        "We did a knowledge harvest at the end of the Covid project",
        "Harvesting knowledge before the service moves sites",
    ],
    "Retrospect": [
        "Held a Retrospect at the end of the EPR rollout #KNOWvember",
        "Our retrospects always ask what we would do differently",
        "Project retrospective with the digital team",
        "#Retrospect: what went well, what could be better",
    ],
    "Lessons Log": [
        "Keeping a lessons log for the whole programme",
        "Lessons learned from the new library management system",
        "Lessons learnt log is shared with the next project team",
        "#LessonsLearned from our first KNOWvember",
    ],
    "Knowledge Capture Interview": [
        "Did a knowledge capture interview with our retiring matron",
        "Elicitation interviews help keep tacit knowledge in the team",
        "Knowledge elicitation with the outgoing service lead",
    ],
    "Exit Interview": [
        "Knowledge-focused exit interviews for leavers #KNOWvember19",
        "An exit interview that captures know-how, not just HR data",
        "#ExitInterview template now on the intranet",
    ],
    "Storytelling": [
        "Storytelling workshop for the patient experience team",
        "The power of story-telling in knowledge sharing",
        "Digital story telling session with the nursing associates #Storytelling",
    ],
}

NEGATIVES: dict[str, list[str]] = {
    "Self-assessment Tool": ["Self-assessment for your appraisal is due", "A new tool for search"],
    "Peer Assist": [
        "Peer support for new starters", "Peer-assisted learning for medical students",
        "Our peers assisted with the audit", "Peer review of the guideline",
    ],
    "Before Action Review": [
        "Met the team at the bar after work", "#bar", "Bar chart of loans per month",
        "Before the action plan, review the evidence",
    ],
    "Appreciative Inquiry": ["Using AI to search the literature", "An inquiry into the delays"],
    "After Action Review": [
        "After the action on the ward we reviewed the notes", "Aar is a river in Switzerland",
    ],
    "Knowledge Café": [
        "Coffee in the café before the session", "We share knowledge. Café open at ten",
        "knowledge, café and cake",
    ],
    "Randomised Coffee Trial": [
        "Searching for RCTs in Cochrane and Medline",
        "An RCT of aspirin versus placebo in stroke patients",
        "A randomised controlled trial of early mobilisation",
        "A cup of coffee and a chat",
    ],
    "Community of Practice": [
        "The cop stopped the traffic", "Delegates at COP26 in Glasgow", "Off to COP 28",
        "Community practice nurses in the library", "Best practice in the community",
    ],
    "Action Learning Set": ["Learning in action on the wards", "An action plan for learning"],
    "Knowledge Asset": ["Knowledge is an asset to any team", "Asset register updated"],
    "Fishbowl": ["Fish and chips Friday", "A bowl of soup"],
    "Knowledge Harvesting": ["Harvest festival in the chapel", "Knowledge is power"],
    "Retrospect": [
        "In retrospect we should have started sooner", "In\nretrospect, a longer pilot",
        "A retrospective audit of falls", "Retrospective study of case notes",
        "Approved retrospectively by the panel",
    ],
    "Lessons Log": ["Swimming lessons for the kids", "I learned a lot today"],
    "Knowledge Capture Interview": ["Capture the knowledge in the room", "Job interview tips"],
    "Exit Interview": ["Use the fire exit", "Interview panel for the new librarian"],
    "Storytelling": ["A story about our service", "Stories from the front line"],
}

GENERIC = [
    "Knowledge mobilisation techniques for busy teams #KNOWvember19",
    "Happy #KNOWvember everyone! Mobilising evidence and knowledge all month",
    "Knowledge management and the library service",
    "",
]


def test_every_builtin_technique_has_positive_and_negative_cases() -> None:
    names = {t.name for t in BUILTIN}
    assert names == set(POSITIVES) == set(NEGATIVES)
    assert all(len(v) >= 2 for v in POSITIVES.values())


@pytest.mark.parametrize(
    ("technique", "sentence"),
    [(t, s) for t, sentences in POSITIVES.items() for s in sentences],
)
def test_positive_sentences(technique: str, sentence: str) -> None:
    assert technique in TAXONOMY.tag(sentence)


@pytest.mark.parametrize(
    ("technique", "sentence"),
    [(t, s) for t, sentences in NEGATIVES.items() for s in sentences],
)
def test_negative_sentences(technique: str, sentence: str) -> None:
    assert technique not in TAXONOMY.tag(sentence)


@pytest.mark.parametrize("sentence", GENERIC)
def test_generic_mentions_match_nothing(sentence: str) -> None:
    assert TAXONOMY.tag(sentence) == []


def test_several_techniques_in_order_of_mention_without_repeats() -> None:
    text = ("Busy week: a BAR on Monday, a Knowledge\nCafé on Wednesday, an AAR on Friday "
            "and another knowledge café #KnowledgeCafe")
    assert TAXONOMY.tag(text) == ["Before Action Review", "Knowledge Café",
                                  "After Action Review"]


def test_rct_is_kept_when_coffee_trials_are_spelt_out_beside_clinical_words() -> None:
    text = "Randomised coffee trials: not a controlled trial, just a chat"
    assert TAXONOMY.tag(text) == ["Randomised Coffee Trial"]


def test_every_technique_has_phases_and_some_sit_in_two() -> None:
    assert all(t.phases and set(t.phases) <= set(PHASES) for t in TAXONOMY)
    assert TAXONOMY.get("Lessons Log").phases == ("during", "after")  # type: ignore[union-attr]
    assert TAXONOMY.get("Peer Assist").phases == ("before",)  # type: ignore[union-attr]
    assert TAXONOMY.get("retrospect").phases == ("after",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Peer Assist", "Peer Assist"), ("PEER ASSIST", "Peer Assist"),
        ("peer-assists", "Peer Assist"), ("AAR", "After Action Review"),
        ("cop", "Community of Practice"), ("Communities of Practice", "Community of Practice"),
        ("Knowledge Cafe", "Knowledge Café"), ("knowledge café", "Knowledge Café"),
        ("Randomized Coffee Trials", "Randomised Coffee Trial"), ("RCT", "Randomised Coffee Trial"),
        ("goldfish bowl", "Fishbowl"), ("Lessons learnt", "Lessons Log"),
        ("Appreciative Enquiry", "Appreciative Inquiry"), ("story-telling", "Storytelling"),
        ("Elicitation interview", "Knowledge Capture Interview"),
    ],
)
def test_get_resolves_names_synonyms_and_abbreviations(written: str, canonical: str) -> None:
    technique = TAXONOMY.get(written)
    assert technique is not None and technique.name == canonical


@pytest.mark.parametrize("written", ["juggling", "", "   ", "knowledge"])
def test_get_unknown(written: str) -> None:
    assert TAXONOMY.get(written) is None


def test_empty_taxonomy_tags_nothing() -> None:
    empty = Taxonomy([])
    assert empty.tag("A Peer Assist") == [] and empty.get("Peer Assist") is None


def _settings(extra: str):  # type: ignore[no-untyped-def]
    return parse_settings(BASE_CONFIG + "\n" + extra)


def test_config_adds_synonyms_and_custom_techniques() -> None:
    settings = _settings(
        '[techniques]\nsynonyms = { "peer assist" = ["peer consult", "PAx"], '
        '"CoP" = ["special interest group"] }\n'
        '[[techniques.custom]]\nname = "Speed Networking"\nphase = ["during"]\n'
        'synonyms = ["speed-networking session", "SpN"]\n'
    )
    taxonomy = Taxonomy.load(settings)
    assert taxonomy.tag("A peer consult with the ED team") == ["Peer Assist"]
    assert taxonomy.tag("We held a PAx today") == ["Peer Assist"]
    assert taxonomy.tag("Our special interest groups met") == ["Community of Practice"]
    assert taxonomy.tag("#SpeedNetworking at the away day; another SpN next month") == [
        "Speed Networking"]
    custom = taxonomy.get("speed networking")
    assert custom is not None and custom.custom and custom.phases == ("during",)
    assert taxonomy.tag("A Peer Assist") == ["Peer Assist"]  # built-in synonyms still work


def test_config_synonym_for_unknown_technique_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"techniques\.synonyms: unknown technique 'Juggling'"):
        Taxonomy.load(_settings('[techniques]\nsynonyms = { "Juggling" = ["balls"] }\n'))


def test_custom_technique_cannot_reuse_a_builtin_name() -> None:
    with pytest.raises(ConfigError, match=r"custom\[0\]\.name: 'peer assist' is already"):
        Taxonomy.load(_settings(
            '[[techniques.custom]]\nname = "peer assist"\nphase = ["before"]\n'))


def test_synonym_without_letters_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no letters or digits"):
        Taxonomy.load(_settings('[techniques]\nsynonyms = { "Peer Assist" = ["--"] }\n'))


def test_custom_synonym_can_be_named_by_a_later_synonyms_table() -> None:
    settings = _settings(
        '[techniques]\nsynonyms = { "Speed Networking" = ["networking speed-date"] }\n'
        '[[techniques.custom]]\nname = "Speed Networking"\nphase = ["during"]\n'
    )
    assert Taxonomy.load(settings).tag("A networking speed-date") == ["Speed Networking"]


def test_phrase_pattern_spellings() -> None:
    import re

    pattern = re.compile(phrase_pattern("randomised coffee trial"))
    for text in ("randomised coffee trial", "randomized coffee trials", "randomisedcoffeetrial",
                 "randomised-coffee\ntrial"):
        assert pattern.fullmatch(text), text


def test_story_techniques_combine_choices_and_text() -> None:
    names = story_techniques(TAXONOMY, "How we ran AARs for F1 doctors",
                             "We also tried a knowledge café.", None,
                             ["after action review", "Something else entirely"])
    assert names == ["After Action Review", "Something else entirely", "Knowledge Café"]


def test_hostile_long_text_is_fast() -> None:
    text = ("peer " * 20_000) + ("knowledge " * 20_000) + "#PeerAssist"
    started = time.perf_counter()
    assert TAXONOMY.tag(text) == ["Peer Assist"]
    assert time.perf_counter() - started < 2.0


def test_tagging_a_large_batch_stays_fast() -> None:
    """A loose guard against a pathological pattern (the real figure is in the docs)."""
    posts = [f"Day {n} of #KNOWvember19: our library team ran a session on evidence search "
             f"skills and knowledge mobilisation in action. Thanks to everyone who came!"
             + (" Also a Peer Assist." if n % 5 == 0 else "") for n in range(20_000)]
    started = time.perf_counter()
    tagged = TAXONOMY.tag_many(posts)
    elapsed = time.perf_counter() - started
    assert sum(1 for t in tagged if t == ["Peer Assist"]) == 4000
    assert elapsed < 4.0, f"{len(posts) / elapsed:.0f} posts/s"


def test_any_text_tags_without_error() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=300))
    def check(text: str) -> None:
        tags = TAXONOMY.tag(text)
        assert len(tags) == len(set(tags))
        assert all(TAXONOMY.get(name) is not None for name in tags)

    check()
