"""Knowledge mobilisation techniques: the taxonomy and the rules that find them in text.

The built-in taxonomy is the NHS Knowledge Mobilisation Framework (learning before, during and
after) plus the other techniques KNOWvember posts talk about. `[techniques]` in campaign.toml
adds synonyms to a technique (`synonyms`) or whole new techniques (`custom`).

Every synonym is compiled into ONE regular expression, so tagging a million posts is one scan
per post rather than one per synonym. The rules:

- phrases match case-insensitively, across line breaks, hyphens and underscores, written
  together as a hashtag (`#PeerAssist`, `#KnowledgeCafe`, `#CommunityOfPractice`) or as one
  hashtag a word (`#Randomised #Coffee #Trial`);
- the last word may be plural (`reviews`, `cafés`, `communities`), `-ise`/`-ize`,
  `enquiry`/`inquiry` and `practice`/`practise` spellings are all accepted, and so are the
  commonest slips (`knowlege`, `caffe`, `asist`, `comunity`, `pratice`, `apreciative`,
  `reveiw`); accents are ignored (`café` = `cafe`);
- whole words only: `peer assisted`, `retrospective study` and `in retrospect` do not match;
- short abbreviations (`AAR`, `BAR`, `RCT`, `CoP`) match only as written in capitals (or as a
  hashtag where the lower-case form is not an English word) and never next to a number
  (`COP26`, `COP 28`); `RCT` is ignored in a text about clinical trials;
- generic words ("knowledge mobilisation techniques", "peer", "café") match nothing;
- a camel-case hashtag is read as its words (`#DigitalStorytelling`, `#NHSPeerAssist`);
- @mentions and web addresses are not read (`@KnowledgeCafe` is an account, a link's words
  are another page's);
- "retrospective" and "retro" are a Retrospect only as nouns (`a retrospective with the team`,
  `retrospectives`, `#retrospective`, `we ran a retro with the EPR team`, not `a retro
  look`), and the glass-bowl idioms (`a fishbowl of sweets`, `living in a goldfish bowl`)
  are not a Fishbowl, nor is a bowl in a text about a pet fish (`_OTHER_SENSES`); `CoP`
  beside "code of practice", "court of protection" or the climate summit's words, and `RCT`
  beside searching, databases, appraisal or a drug, vitamin or vaccine are not the
  techniques;
- a mention said not to have happened ("we haven't yet managed to organise a peer assist")
  is not counted (`_negated`), nor one called off ("the knowledge café was cancelled",
  "we had to postpone the peer assist");
- "Before and After Action Reviews" names both, and `BAR` in a text about drinks or the
  Bar ("Drinks at the BAR tonight!") is not a Before Action Review.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowvember.config import Settings

PHASES = ("before", "during", "after")


@dataclass(frozen=True)
class Technique:
    name: str  # canonical name, e.g. "Peer Assist"
    phases: tuple[str, ...]  # subset of ("before", "during", "after")
    synonyms: tuple[str, ...] = ()
    # Short forms matched only as capitalised words or hashtags (AAR, CoP).
    abbreviations: tuple[str, ...] = ()
    # Phrases that, anywhere in the same text, mean an abbreviation is about something else.
    abbreviation_vetoes: tuple[str, ...] = ()
    custom: bool = False  # added in campaign.toml


def _t(
    name: str,
    phases: Sequence[str],
    synonyms: Sequence[str] = (),
    abbreviations: Sequence[str] = (),
    vetoes: Sequence[str] = (),
) -> Technique:
    return Technique(name, tuple(phases), tuple(synonyms), tuple(abbreviations), tuple(vetoes))


_CLINICAL = (
    "controlled trial", "clinical trial", "control trial", "systematic review", "meta-analysis",
    "meta analysis", "cochrane", "placebo", "critical appraisal", "trial design", "pubmed",
    "medline", "literature search", "control group", "efficacy", "patients", "drug", "dose",
    "study design", "evidence search", "evidence review", "evidence summary",
    "evidence summaries", "literature review", "search strategy", "cohort", "case-control",
    "case control", "observational study", "randomised controlled", "randomized controlled",
    # Finding and judging trials is everyday library work: "how to search for RCTs".
    "search", "searching", "database", "research", "appraisal", "appraise", "evidence",
    "filter", "study", "trials", "bias",
    # A trial's findings: "The RCT of tranexamic acid showed...", "published in the BMJ".
    "showed", "mortality", "treatment", "intervention", "published", "journal", "protocol",
    "randomised to", "randomized to", "lancet", "bmj", "jama", "nejm",
    # RCT is also Rhondda Cynon Taf, the Welsh county borough.
    "rhondda", "cynon",
    # A trial described: "an RCT of a new inhaler", "a great RCT on vitamin D", "blinded".
    # (Not "found", "participants", "therapy" or "surgery": coffee trials have those too,
    # "an RCT for the therapy team".)
    "blinded", "double blind", "rct of", "rcts of", "vitamin", "vaccine", "inhaler",
    "statin",
)

# "CoP" is also a Code of Practice (the Mental Health Act's) or the Court of Protection, and
# "COP" the UN climate conference, held in November most years ("Greener NHS voices at COP",
# "watching the COP negotiations"); its number is already told apart (`COP28`).
_CODE_OF_PRACTICE = (
    "code of practice", "court of protection",
    "climate", "net zero", "summit", "unfccc", "conference of the parties", "presidency",
    "negotiations", "fossil fuel",
)

# "BAR" in capitals is also a bar written loudly ("Drinks at the BAR after work!") or the
# barristers' Bar: a text about drinks or the law is not about a Before Action Review.
_DRINKS = (
    "drink", "beer", "cocktail", "prosecco", "wine", "christmas party", "christmas do",
    "barrister", "called to the bar",
)

BUILTIN: tuple[Technique, ...] = (
    _t("Self-assessment Tool", ["before"], [
        "self-assessment tool", "KM self-assessment", "knowledge mobilisation self-assessment",
        "knowledge management self-assessment",
    ]),
    _t("Peer Assist", ["before"], ["peer assist"]),
    _t("Before Action Review", ["before"], ["before action review"], ["BAR"], _DRINKS),
    _t("Appreciative Inquiry", ["before"], ["appreciative inquiry"]),
    _t("After Action Review", ["during"], ["after action review"], ["AAR"]),
    _t("Knowledge Café", ["during"], ["knowledge cafe"]),
    _t("Randomised Coffee Trial", ["during"], [
        "randomised coffee trial", "random coffee trial", "randomised coffee", "random coffee",
        "coffee roulette",
    ], ["RCT"], _CLINICAL),
    _t("Community of Practice", ["during"], ["community of practice"], ["CoP"],
       _CODE_OF_PRACTICE),
    _t("Action Learning Set", ["during"], ["action learning set", "action learning"]),
    _t("Knowledge Asset", ["during"], ["knowledge asset"]),
    _t("Fishbowl", ["during"], ["fish bowl", "goldfish bowl"]),
    _t("Knowledge Harvesting", ["after"], [
        "knowledge harvesting", "knowledge harvest", "harvesting knowledge",
    ]),
    _t("Retrospect", ["after"], [
        "retrospect", "project retrospective", "team retrospective", "sprint retrospective",
        "sprint retro", "project retro", "team retro", "agile retro", "agile retrospective",
        "retrospective meeting", "retrospective session", "retrospective workshop",
    ]),
    _t("Lessons Log", ["during", "after"], [
        "lessons log", "lessons learned log", "lessons learned", "lesson learned",
    ]),
    _t("Knowledge Capture Interview", ["after"], [
        "knowledge capture interview", "knowledge elicitation interview", "elicitation interview",
        "knowledge elicitation",
    ]),
    _t("Exit Interview", ["after"], ["exit interview", "exit interviewing"]),
    _t("Storytelling", ["after"], ["story telling"]),
)

# Phrases that contain a synonym but mean something else: matched first, and thrown away.
# The idioms of a fish bowl as a glass bowl ("a fishbowl of sweets", "living in a goldfish
# bowl") are thrown away unless a word naming a discussion format follows them ("in a
# fishbowl discussion" is the technique).
_EXCLUSIONS = (
    "in retrospect", "with retrospect",
    "fishbowl of", "fish bowl of", "goldfish bowl of",
    "in a fishbowl", "in a fish bowl", "in a goldfish bowl",
    "like a fishbowl", "like a fish bowl", "like a goldfish bowl",
)
# A fish bowl that is a pet's home ("Meet our library fishbowl, Goldie the fish", "RIP
# Bubbles the goldfish, his fishbowl is empty"): a mention of one of these words elsewhere in
# the text means a Fishbowl named without a format word after it is the glass bowl.
_OTHER_SENSES: dict[str, tuple[str, ...]] = {
    # Not "pet": pet therapy and PET scans are talked about in fishbowls too.
    "Fishbowl": ("goldfish", "fish", "aquarium", "fish food"),
}
_FORMAT_WORDS = (
    "discussion", "conversation", "debate", "session", "format", "style", "method",
    "technique", "exercise", "dialogue", "workshop", "event", "approach",
)

# Forms of a technique that the phrase rules cannot express, as regular expressions over
# lower-cased text. "Retrospective" is mostly an adjective ("retrospective study") and never
# the technique then; as a noun ("we held a retrospective with the EPR team",
# "retrospectives", "#retrospective") it is the agile name for a Retrospect. The noun is
# told apart by what can only come before or after a noun.
_DETERMINERS = (
    "a", "an", "the", "our", "their", "your", "my", "this", "that", "another", "first",
    "second", "third", "next", "last", "weekly", "monthly", "quarterly", "annual",
)
_AFTER_NOUN = (
    r"(?=\s*(?:$|[.!?;:)]|(?:with|for|on|after|about|at|today|yesterday|tomorrow|went"
    r"|helped)(?![^\W_])))"
)
# The determiner is looked behind for, one fixed-width look-behind each, so the pattern
# starts with its word's letter: the matcher groups alternatives by first letter, and one
# starting with a determiner would be tried at every "a" and "t" of every post.
# Each is (pattern searched for, the bare form its matched text is recognised by).
_NOUN_FORMS: dict[str, list[tuple[str, str]]] = {
    # "Before and After Action Reviews" names both: the "before" is a Before Action Review
    # (the After Action Review is matched on its own words after it).
    "Before Action Review": [
        (r"before(?=[\s_\-]+and[\s_\-]+after[\s_\-]+action[\s_\-]+reviews?(?![^\W_]))",
         r"before"),
    ],
    "Retrospect": [
        (r"retrospectives", r"retrospectives"),
        (r"#retrospective(?!\w)", r"#retrospective"),  # whole: not #RetrospectiveStudy
        ("retrospective(?:"
         + "|".join(rf"(?<=(?<![^\W_]){d}\sretrospective)" for d in _DETERMINERS)
         + ")" + _AFTER_NOUN, "retrospective"),
        # "Retro" is what agile teams call it ("we ran a retro with the EPR team"), and
        # also a style ("a retro look", "#retro"): only the noun, as for "retrospective".
        *((f"{word}(?:"
           + "|".join(rf"(?<=(?<![^\W_]){d}\s{word})" for d in _DETERMINERS)
           + ")" + _AFTER_NOUN, word) for word in ("retro", "retros")),
    ],
}

# A name chosen as a technique (a story form's "Other" box) is a noun by being chosen, so
# "Retrospective" (or "Retro") there is the Retrospect, though alone in a text it may be an
# adjective.
_NOUN_NAMES: dict[str, tuple[str, ...]] = {"Retrospect": ("retrospective", "retro")}

# A mention said to have been called off just after it ("the knowledge café was cancelled
# due to winter pressures", "Peer assist postponed until January"): the words that may
# stand between, and the words that say so. Each phrase of a technique followed by them is
# an exclusion (see `Taxonomy._compile`).
_CALLED_OFF_GAP = (
    "was", "were", "is", "are", "has", "have", "had", "been", "be", "got", "to", "sadly",
    "unfortunately", "now", "again", "today", "session", "sessions", "event", "events",
    "meeting", "meetings",
)
_CALLED_OFF = ("cancelled", "canceled", "postponed", "called off", "rescheduled",
               "fell through")
# ...and the words that say it did not happen, unless a later day follows ("the peer
# assist didn't happen until March": it did, in March).
_DID_NOT_HAPPEN = (
    "did not happen", "didn't happen", "didn\u2019t happen", "didnt happen", "never happened",
    "did not go ahead", "didn't go ahead", "didn\u2019t go ahead", "didnt go ahead",
)
_CALLED_OFF_AFTER = (
    r"(?:[\s_\-]+(?:" + "|".join(_CALLED_OFF_GAP) + r"))*[\s_\-]+(?:(?:"
    + "|".join(w.replace(" ", r"\s+") for w in _CALLED_OFF) + r")(?![^\W_])|(?:"
    + "|".join(w.replace(" ", r"\s+") for w in _DID_NOT_HAPPEN)
    + r")(?![^\W_])(?![\s,]+(?:until|till|til)(?![^\W_])))"
)

# An exclusion followed by a format word is the technique after all.
_UNLESS_FORMAT = r"(?![\s_\-]+(?:" + "|".join(_FORMAT_WORDS) + r")s?(?![^\W_]))"
_FORMAT_AFTER = re.compile(r"[\s_\-]+(?:" + "|".join(_FORMAT_WORDS) + r")s?(?![^\W_])")

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Between words: space, line break, hyphen... or nothing; the next word may be a hashtag of
# its own ("Our first #Randomised #Coffee #Trial", "#Peer #Assist").
_SEP = r"(?:[\s_\-\u2010-\u2015]+[#\uff03]?|)"
_ABBREVIATION = re.compile(r"^[A-Za-z]{1,6}$")
# @x, @x@host.social, @x.bsky.social (an email address is told apart by what comes before
# it), and a web address. Each starts with a literal, which the regex engine finds fast.
_MENTION = re.compile(r"@\w+(?:[.\-]\w+)*(?:@\w+(?:[.\-]\w+)*)?")
_LINK = re.compile(r"(?i:https?)://\S+|www\.\S+")
_HASHTAG_WORDS = re.compile(r"[#\uff03]\w+")
# Between the words of a camel-case hashtag: "lC" (DigitalStory) or "UUl" (NHSPeer), and
# before a year or number run on after a name ("#KnowledgeCafe2019", "#PeerAssist19").
_CAMEL = re.compile(r"(?<=[^\W_])(?<![A-Z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])"
                    r"|(?<=[^\W\d_])(?=\d)")
# A mention said not to have happened: "we did not run a peer assist", "no AAR this year",
# "we've never held a knowledge café". Searched for just before each mention, over lower-cased
# text: a negation, then at most six of the words that can stand between it and the
# technique (a verb of doing, a determiner). Other words between them mean something else
# ("not sure what a peer assist is", "don't miss the knowledge café", "no better tool than
# an AAR"), and so does a question ("Never done a peer assist? Come along!").
# Called off before it happened, said before the mention ("we had to cancel the knowledge
# café"): as good as a negation (said after it, see `_CALLED_OFF`).
_NEGATIONS = ("not", "never", "no", "cannot", "cancel", "cancelled", "canceled", "postpone",
              "postponed")
_NEGATION_STEMS = ("did", "do", "does", "have", "has", "had", "is", "are", "was", "were",
                   "could", "would", "should", "wo", "ca")  # didn't, didnt, won't, can't
_NEGATION_GAP = (
    "run", "ran", "running", "hold", "held", "holding", "do", "did", "done", "doing", "have",
    "had", "use", "used", "try", "tried", "get", "got", "organise", "organised", "organize",
    "organized", "manage", "managed", "to", "been", "go", "went", "yet", "ever", "really",
    "actually", "any", "a", "an", "the", "one", "our", "another", "single", "formal", "proper",
    "this", "that", "such",
    # Further off, still saying it did not happen: "we haven't yet managed to organise a peer
    # assist", "we still haven't got round to a knowledge café", "we didn't have time for an
    # AAR", "we've not been able to hold a Randomised Coffee Trial".
    "able", "round", "around", "time", "for", "chance", "put", "on", "set", "up", "arrange",
    "arranged", "plan", "planned", "book", "booked", "hosted", "host", "start", "started",
)
# How many of those words may stand between the negation and the mention.
_NEGATION_GAP_WORDS = 6
# "We'd never held a knowledge café before today": a first, which happened.
_FIRST_TIME = re.compile(r"\s+(?:before|until|till|til)(?![^\W_])")
# "Why not try a peer assist!", "If you haven't run an AAR, try one": an invitation or a
# condition, not a statement that it did not happen. Looked for just before the negation,
# in its own clause.
_INVITATION = re.compile(r"(?<![^\W_])(?:why|if|whether|unless)(?![^\W_])"
                         r"[^.!?,;:\n]*$")
_SENTENCE_END = re.compile(r"[.!?\n]")
# What may stand between a negation's last word and the mention: a hashtag's mark, quotes
# and brackets ("we did not run a #PeerAssist", "no 'knowledge café' this year").
_OPENERS = "#\uff03\"'\u2018\u2019\u201c\u201d(["
# "No knowledge café is complete without cake", "not a single AAR went by without an
# action": a saying that it always happens, "without" soon after in the same sentence, after
# a negation of the noun itself (not of a verb: "won't run an AAR again without the team").
_BARE_NEGATIONS = ("no", "not", "never")
_BARE_GAP = ("a", "an", "single", "one")
_WITHOUT = re.compile(r"[^.!?;\n]{0,40}?(?<![^\W_])without(?![^\W_])")
# "We couldn't have done the AAR without the ward team": thanks for one that happened.
_COUNTERFACTUAL = re.compile(r"(?:could|would)(?:n['\u2019`]?t|\s+not)\s+have\s")
# "There's no AAR like a hot debrief": praise, after a bare "no".
_NO_LIKE = re.compile(r"\s+(?:quite\s+)?like(?![^\W_])")
# The words around an abbreviation, to tell whether the whole text is in capitals: runs of
# two or more letters (a word cut by the 40-character window still shows its case).
_SHOUT_WORDS = re.compile(r"[^\W\d_]{2,}")


def fold_accents(text: str) -> str:
    """`café` -> `cafe`, full-width letters to ASCII; ASCII text is returned as it is.

    Invisible characters that text pasted from the web or a word processor carries inside
    words (soft hyphen, zero-width space and joiners, BOM) are dropped, so "know", U+00AD,
    "ledge" is `knowledge`.
    """
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", _INVISIBLE.sub("", text)))


def without_mentions_and_links(text: str) -> str:
    """`text` with @mentions and web addresses blanked out, keeping every position.

    A mention names an account (`@KnowledgeCafeNHS`, `@lib@nhs.social`), and a link's words
    are another page's (`https://example.org/peer-assist-guide`, often cut short): neither
    says that the post is about a technique. An email address is left alone.
    """
    if "\uff20" in text:
        text = text.replace("\uff20", "@")  # a full-width @ is a mention too
    if "@" in text:
        text = _MENTION.sub(functools.partial(_blank_mention, text), text)
    if "://" in text or "www." in text:
        text = _LINK.sub(_blank, text)
    return text


def _blank(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def _blank_mention(text: str, match: re.Match[str]) -> str:
    start = match.start()
    if start and (text[start - 1].isalnum() or text[start - 1] in "_@"):
        return match.group()  # library@example.nhs.uk: an email address, not a mention
    return _blank(match)


def split_camel_hashtag(tag: str) -> str:
    """`#DigitalStorytelling` -> `#digital_storytelling`: a camel-case hashtag's words.

    A hashtag written in camel case is words run together (#DigitalStorytelling,
    #NHSPeerAssist, #TeamRetrospective): split, a phrase can match at its end or in its
    middle, as it already does across an underscore (#digital_storytelling). Hashtags
    without a capital inside (#knowledgecafe) have no word boundaries to find.
    """
    return _CAMEL.sub("_", tag).lower()


def looks_like_abbreviation(phrase: str) -> bool:
    """`AAR`, `CoP`, `KC`: one short word with two or more capitals."""
    return bool(_ABBREVIATION.match(phrase)) and sum(c.isupper() for c in phrase) >= 2


def _word_pattern(word: str, last: bool) -> str:
    """One word of a phrase: spelling variants, and a plural for the last word."""
    word = word.lower()
    stem, plural = word, ""
    if last:
        if re.search(r"[^aeiou]y$", word):
            stem, plural = word[:-1], "(?:y|ies)"
        elif re.search(r"(?:s|x|ch|sh)$", word):
            plural = "(?:es)?"
        elif word.endswith("ing") or word.endswith("ed"):
            plural = ""
        else:
            plural = "s?"
    elif re.search(r"[^aeiou]y$", word):
        stem, plural = word[:-1], "(?:y|ies)"
    pattern = re.escape(stem)
    pattern = re.sub(r"i[sz](?=e|ation|ing)", "i[sz]", pattern)
    pattern = re.sub(r"^[ei]nquir", "[ei]nquir", pattern)
    pattern = re.sub(r"learn(?:ed|t)$", "learn(?:ed|t)", pattern)
    # British writers often spell the noun like the verb: "Community of Practise".
    pattern = re.sub(r"^practi[cs]e$", "practi[cs]e", pattern)
    # The commonest typing slip in KNOWvember posts: "Knowlege café", "knowlege harvesting".
    pattern = re.sub(r"^knowledge$", "knowled?ge", pattern)
    # The next commonest, each a slip that makes no other word: "Knowledge Caffe" (and the
    # Italian "caffè"), "peer asist", "comunity of practice", "community of pratice",
    # "apreciative inquiry", "After Action Reveiw".
    pattern = re.sub(r"^cafe$", "caff?e", pattern)
    pattern = re.sub(r"^assist$", "as?sist", pattern)
    pattern = re.sub(r"^communit$", "comm?unit", pattern)
    pattern = re.sub(r"^practi\[cs\]e$", "prac?ti[cs]e", pattern)
    pattern = re.sub(r"^appreciative$", "app?reciative", pattern)
    pattern = re.sub(r"^review$", "rev(?:ie|ei)w", pattern)
    return pattern + plural


def phrase_pattern(phrase: str) -> str:
    """The regular expression for a synonym phrase (no anchors; compiled case-insensitively)."""
    words = re.findall(r"[^\W_]+", fold_accents(phrase))
    if not words:
        raise ValueError(f"{phrase!r} has no words to match")
    return _SEP.join(_word_pattern(w, i == len(words) - 1) for i, w in enumerate(words))


def _abbreviation_pattern(abbreviation: str) -> str:
    """Capitalised forms anywhere; lower case only as a hashtag and only if not a word."""
    forms = dict.fromkeys([abbreviation, abbreviation.upper()])
    cased = "|".join(re.escape(f) + "s?" for f in forms)
    alternatives = [f"#?(?:{cased})"]
    if abbreviation.lower() not in _ENGLISH_WORDS:
        alternatives.append(f"#(?i:{re.escape(abbreviation)}s?)")
    return "(?:" + "|".join(alternatives) + r")(?!\s*\d)"


# Lower-case forms of abbreviations that are ordinary words: never matched in lower case.
_ENGLISH_WORDS = frozenset({
    "bar", "cop", "kit", "log", "set", "ask", "aim", "art", "map", "pal", "act", "tab", "cat",
    "lab", "ball", "cafe", "al", "as", "at", "be", "do", "go", "in", "is", "it", "me", "no",
    "of", "on", "or", "so", "to", "up", "us", "we", "am", "an", "by", "he", "if", "my", "pa",
})


def _key(name: str) -> str:
    """The lookup form of a technique name: folded, letters and digits only, one spelling."""
    key = re.sub(r"[\W_]+", "", fold_accents(name).casefold())
    key = key.replace("iz", "is").replace("enquir", "inquir").replace("learnt", "learned")
    key = key.replace("practise", "practice")
    return key


def _owner(owners: dict[str, str], phrase: str) -> str | None:
    """The technique a phrase already names, also written as a plural (`AARs`, `cafés`)."""
    key = _key(phrase)
    candidates = [key]
    if key.endswith("ies"):
        candidates.append(key[:-3] + "y")
    if key.endswith("es"):
        candidates.append(key[:-2])
    if key.endswith("s"):
        candidates.append(key[:-1])
    for candidate in candidates:
        if candidate in owners:
            return owners[candidate]
    return None


@dataclass
class _Compiled:
    """The matcher: one lower-case phrase regex, one cased abbreviation regex, and lookups."""

    phrases: re.Pattern[str]  # run on folded, lower-cased text
    phrase_tests: list[tuple[re.Pattern[str], int | None]]  # which technique a match is
    abbreviations: re.Pattern[str] | None  # run on folded text as written
    abbreviation_tests: list[tuple[re.Pattern[str], int]]
    # Cheap tests run before the abbreviation regex: a cased form in the text, or a
    # lower-case hashtag form in the lower-cased text.
    trigger_cased: re.Pattern[str] | None
    trigger_lower: re.Pattern[str] | None
    vetoes: dict[int, re.Pattern[str]] = field(default_factory=dict)
    # Words that, elsewhere in the text, make a mention another sense (`_OTHER_SENSES`).
    senses: dict[int, re.Pattern[str]] = field(default_factory=dict)
    cache: dict[str, int | None] = field(default_factory=dict)
    inside_cache: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def inside(self, tag: str) -> tuple[int, ...]:
        """The techniques whose phrases begin or end inside a camel-case hashtag.

        #NHSPeerAssist, #ExitInterviewTemplate: only the hashtag's start and the word
        boundaries inside are tried, each with one anchored match (a scan of every position
        would cost more than the rest of the tagging). The same few hashtags come on most
        posts, so each is worked out once.
        """
        try:
            return self.inside_cache[tag]
        except KeyError:
            pass
        words = split_camel_hashtag(tag)
        indexes: list[int] = []
        # A phrase from the first word (#ExitInterviewTemplate), or an exclusion
        # (#InRetrospect), is not looked inside.
        first = self.phrases.match(words, 1)
        if first is not None and (index := self.which(first.group())) is not None:
            indexes.append(index)
        position = words.find("_", first.end() if first else 1)
        while position != -1:
            match = self.phrases.match(words, position + 1)
            if match is None:
                position = words.find("_", position + 1)
                continue
            index = self.which(match.group())
            if index is not None and index not in indexes:
                indexes.append(index)
            position = words.find("_", match.end())
        result = tuple(indexes)
        if len(self.inside_cache) < 50_000:
            self.inside_cache[tag] = result
        return result

    def which(self, matched: str) -> int | None:
        """The technique index a phrase match belongs to (None for an exclusion)."""
        try:
            return self.cache[matched]
        except KeyError:
            pass
        index = next((i for test, i in self.phrase_tests if test.fullmatch(matched)), None)
        if len(self.cache) < 10_000:
            self.cache[matched] = index
        return index


def _alternation(patterns: Iterable[str]) -> str:
    """Alternatives grouped by first letter, longest first, so the regex engine can skip
    most of them at each word with one character test."""
    grouped: dict[str, list[str]] = {}
    rest: list[str] = []
    # Ties broken by the pattern itself: a set's order changes from process to process.
    for pattern in sorted(set(patterns), key=lambda p: (-len(p), p)):
        if pattern[:1].isalnum() and pattern[:1].islower():
            grouped.setdefault(pattern[0], []).append(pattern[1:])
        else:
            rest.append(pattern)
    parts = [f"{first}(?:{'|'.join(tails)})" for first, tails in grouped.items()]
    return "|".join(parts + rest)


# Matched at the start of the text before a mention, read backwards (one anchored match,
# which fails at once on most posts, instead of a search of the text before each mention).
# Group 1 is "never".
_NEGATION = re.compile(
    r"\s+(?:(?:" + _alternation(w[::-1] for w in _NEGATION_GAP) + r")\s+)"
    + f"{{0,{_NEGATION_GAP_WORDS}}}"
    + r"(?:(reven)|" + "|".join(w[::-1] for w in _NEGATIONS if w != "never")
    + r"|t['\u2018\u2019`]?n(?:" + "|".join(w[::-1] for w in _NEGATION_STEMS) + r"))(?![^\W_])"
)


def _negated(lowered: str, match: re.Match[str]) -> bool:
    """Whether the text says this mention did not happen ("we did not run a peer assist").

    Only the mention is left out: a later one ("...so this year we ran two") still counts.
    A question is not a statement that it did not happen ("Never run an AAR? Try one"), nor
    is a first ("we had never held a knowledge café before"), an invitation ("why not try a
    peer assist!"), a condition ("if you haven't run an AAR, try one") or a saying in its
    praise ("no knowledge café is complete without cake", "there's no AAR like a hot debrief").
    """
    start = match.start()
    while start and lowered[start - 1] in _OPENERS:  # "no #AAR", "didn't run a 'peer assist'"
        start -= 1
    # 100 characters back: room for a negation and six short words.
    negation = _NEGATION.match(lowered[max(0, start - 100):start][::-1])
    if negation is None:
        return False
    if negation.group(1) and _FIRST_TIME.match(lowered, match.end()):
        return False
    said = negation.group()[::-1].split()  # "no", "not a single", "didn't run an"
    said_at = start - negation.end()
    if said[0] in _BARE_NEGATIONS and all(w in _BARE_GAP for w in said[1:]) and (
            _WITHOUT.match(lowered, match.end())
            or (said == ["no"] and _NO_LIKE.match(lowered, match.end()))):
        return False
    if (_COUNTERFACTUAL.search(lowered, max(0, said_at - 8), start)
            and _WITHOUT.match(lowered, match.end())):
        return False
    if _INVITATION.search(lowered, max(0, said_at - 40), said_at):
        return False
    end = _SENTENCE_END.search(lowered, match.end())
    return end is None or end.group() != "?"


def _shouted_word(text: str, match: re.Match[str]) -> bool:
    """Whether an abbreviation that is also a word is only a word written in capitals.

    In a post written in capitals ("DRINKS AT THE BAR TONIGHT!", "THE COP IS COMING TO TALK
    TO US") `BAR` and `COP` are the words, not a Before Action Review or a Community of
    Practice: capitals tell an abbreviation apart only where the words around it are in
    lower case. A hashtag (`#BAR`) or the mixed-case form (`CoP`) is still the technique.
    """
    matched = match.group()
    if matched[0] in "#\uff03" or not matched.isupper():
        return False
    word = matched.lower()
    if word not in _ENGLISH_WORDS and not (word.endswith("s") and word[:-1] in _ENGLISH_WORDS):
        return False
    start, end = match.start(), match.end()
    around = (_SHOUT_WORDS.findall(text, max(0, start - 40), start)[-3:]
              + _SHOUT_WORDS.findall(text, end, end + 40)[:3])
    return len(around) >= 2 and all(w.isupper() for w in around)


def _other_sense(sense: re.Pattern[str] | None, lowered: str, match: re.Match[str]) -> bool:
    """Whether the text around a mention shows it is another sense (a pet's fish bowl).

    A format word just after it ("fishbowl discussion") makes it the technique whatever
    else the text says; the mention's own words ("goldfish bowl") are not looked at.
    """
    if sense is None or _FORMAT_AFTER.match(lowered, match.end()):
        return False
    return bool(sense.search(lowered, 0, match.start()) or sense.search(lowered, match.end()))


class Taxonomy:
    """The techniques a campaign recognises, and the matcher built from their synonyms."""

    def __init__(self, techniques: list[Technique]) -> None:
        self.techniques = techniques
        self._by_name = {t.name: t for t in techniques}
        self._lookup: dict[str, Technique] = {}
        for technique in techniques:
            nouns = () if technique.custom else _NOUN_NAMES.get(technique.name, ())
            for name in (technique.name, *technique.synonyms, *technique.abbreviations,
                         *nouns):
                self._lookup.setdefault(_key(name), technique)
        self._compiled: _Compiled | None = None

    @classmethod
    def load(cls, settings: Settings | None = None) -> Taxonomy:
        """The built-in taxonomy with the campaign's `[techniques]` additions."""
        techniques = list(BUILTIN)
        if settings is None:
            return cls(techniques)
        from knowvember.errors import ConfigError

        label = str(settings.path) if settings.path else "campaign.toml"
        base = cls(techniques)
        extra: dict[str, list[str]] = {}
        for index, custom in enumerate(settings.techniques.custom):
            clash = base._lookup.get(_key(custom.name))
            if clash is not None:
                raise ConfigError(
                    f"{label}: techniques.custom[{index}].name: {custom.name!r} is already "
                    f"the technique {clash.name!r}; add synonyms with [techniques.synonyms] "
                    "instead"
                )
            techniques.append(
                Technique(custom.name, tuple(dict.fromkeys(custom.phase)), custom=True)
            )
            base = cls(techniques)
            extra.setdefault(custom.name, []).extend(custom.synonyms)
        for name, synonyms in settings.techniques.synonyms.items():
            technique = base._lookup.get(_key(name))
            if technique is None:
                known = ", ".join(t.name for t in techniques)
                raise ConfigError(
                    f"{label}: techniques.synonyms: unknown technique {name!r} (add it under "
                    f"[[techniques.custom]] first; known techniques: {known})"
                )
            extra.setdefault(technique.name, []).extend(synonyms)
        result = []
        # A mention counts for one technique: a synonym that is already another technique's
        # name, synonym or abbreviation (or another technique's added synonym) would take
        # that technique's mentions away without a word.
        owners = {key: t.name for key, t in base._lookup.items()}
        for technique in techniques:
            added = [s.strip() for s in extra.get(technique.name, []) if s.strip()]
            for synonym in added:
                if not re.search(r"[^\W_]", synonym):
                    raise ConfigError(
                        f"{label}: techniques: synonym {synonym!r} of {technique.name!r} has "
                        "no letters or digits to match"
                    )
                owner = _owner(owners, synonym)
                if owner is not None and owner != technique.name:
                    raise ConfigError(
                        f"{label}: techniques: synonym {synonym!r} of {technique.name!r} is "
                        f"already the technique {owner!r} (a mention counts for one "
                        "technique: remove it from one of them)"
                    )
                owners.setdefault(_key(synonym), technique.name)
            abbreviations = [s for s in added if looks_like_abbreviation(s)]
            phrases = [s for s in added if not looks_like_abbreviation(s)]
            result.append(Technique(
                technique.name, technique.phases,
                tuple(dict.fromkeys([*technique.synonyms, *phrases])),
                tuple(dict.fromkeys([*technique.abbreviations, *abbreviations])),
                technique.abbreviation_vetoes, technique.custom,
            ))
        return cls(result)

    # -- matching -----------------------------------------------------------------------

    def _compile(self) -> _Compiled:
        if self._compiled is not None:
            return self._compiled
        phrase_tests: list[tuple[re.Pattern[str], int | None]] = []
        all_phrases: list[str] = []
        for phrase in _EXCLUSIONS:
            pattern = phrase_pattern(phrase) + _UNLESS_FORMAT
            all_phrases.append(pattern)
            phrase_tests.append((re.compile(pattern), None))
        abbreviation_parts: list[str] = []
        abbreviation_tests: list[tuple[re.Pattern[str], int]] = []
        triggers: dict[tuple[str, bool], None] = {}
        vetoes: dict[int, re.Pattern[str]] = {}
        senses: dict[int, re.Pattern[str]] = {}
        for index, technique in enumerate(self.techniques):
            patterns = [phrase_pattern(p) for p in (technique.name, *technique.synonyms)
                        if re.search(r"[^\W_]", p)]
            phrases_of = list(patterns)
            # A match is told apart by its text alone (`which`), where a noun form's
            # look-behind and look-ahead have nothing to look at: tests use the bare form.
            tests = list(patterns)
            for search, test in ([] if technique.custom
                                 else _NOUN_FORMS.get(technique.name, [])):
                patterns.append(search)
                tests.append(test)
            if patterns:
                all_phrases.extend(patterns)
                phrase_tests.append((re.compile("|".join(tests)), index))
                # The same phrases said to be called off just after: thrown away. Each
                # starts with its phrase's letter, longer, so it is tried before the phrase.
                called_off = [p + _CALLED_OFF_AFTER for p in phrases_of]
                if called_off:
                    all_phrases.extend(called_off)
                    phrase_tests.append((re.compile("|".join(called_off)), None))
            if technique.abbreviations:
                pattern = "|".join(_abbreviation_pattern(a) for a in technique.abbreviations)
                abbreviation_parts.append(pattern)
                abbreviation_tests.append((re.compile(pattern), index))
                for abbreviation in technique.abbreviations:
                    triggers[(abbreviation, False)] = None
                    triggers[(abbreviation.upper(), False)] = None
                    if abbreviation.lower() not in _ENGLISH_WORDS:
                        triggers[("#" + abbreviation.lower(), True)] = None
            if not technique.custom and technique.name in _OTHER_SENSES:
                senses[index] = re.compile(
                    r"(?<![^\W_])(?:"
                    + "|".join(phrase_pattern(w) for w in _OTHER_SENSES[technique.name])
                    + r")(?![^\W_])"
                )
            if technique.abbreviation_vetoes:
                vetoes[index] = re.compile(
                    "|".join(phrase_pattern(v) for v in technique.abbreviation_vetoes),
                    re.IGNORECASE,
                )
        start, end = r"(?<![^\W_])(?:", r")(?![^\W_])"
        phrases = re.compile(start + _alternation(all_phrases) + end if all_phrases
                             else r"(?!x)x")
        abbreviations = (re.compile(start + "|".join(abbreviation_parts) + end)
                         if abbreviation_parts else None)
        cased = [re.escape(t) for t, lower in triggers if not lower]
        lower = [re.escape(t) for t, lower in triggers if lower]
        self._compiled = _Compiled(
            phrases, phrase_tests, abbreviations, abbreviation_tests,
            re.compile("|".join(cased)) if cased else None,
            re.compile("|".join(lower)) if lower else None, vetoes, senses=senses,
        )
        return self._compiled

    def tag(self, text: str) -> list[str]:
        """Canonical names of the techniques `text` mentions, in order of first mention."""
        if not text or not self.techniques:
            return []
        compiled = self._compile()
        text = without_mentions_and_links(fold_accents(text))
        lowered = text.lower()
        found: dict[int, tuple[int, bool]] = {}  # technique -> (first position, by phrase)
        for match in compiled.phrases.finditer(lowered):
            index = compiled.which(match.group())
            if (index is not None and index not in found and not _negated(lowered, match)
                    and not _other_sense(compiled.senses.get(index), lowered, match)):
                found[index] = (match.start(), True)
        if "#" in text or "\uff03" in text:
            for tag in _HASHTAG_WORDS.finditer(text):
                for index in compiled.inside(tag.group()):
                    if ((index not in found or found[index][0] > tag.start())
                            and not _negated(lowered, tag)
                            and not _other_sense(compiled.senses.get(index), lowered, tag)):
                        found[index] = (tag.start(), True)
        if compiled.abbreviations is not None and (
            (compiled.trigger_cased is not None and compiled.trigger_cased.search(text))
            or (compiled.trigger_lower is not None and "#" in text
                and compiled.trigger_lower.search(lowered))
        ):
            for match in compiled.abbreviations.finditer(text):
                matched = match.group()
                index = next(
                    (i for test, i in compiled.abbreviation_tests if test.fullmatch(matched)),
                    None,
                )
                if index is None or index in found:
                    continue
                veto = compiled.vetoes.get(index)
                if veto is not None and veto.search(text):
                    continue
                if _negated(lowered, match) or _shouted_word(text, match):
                    continue
                found[index] = (match.start(), False)
        if not found:
            return []
        order = sorted(found, key=lambda i: found[i][0])
        return [self.techniques[i].name for i in order]

    def tag_many(self, texts: Iterable[str]) -> list[list[str]]:
        """`tag` for each text (a convenience for batches)."""
        tag = self.tag
        return [tag(t) for t in texts]

    def get(self, name: str) -> Technique | None:
        """A technique by canonical name, synonym or abbreviation (case-insensitive)."""
        if not name or not name.strip():
            return None
        key = _key(name)
        candidates = [key]
        if key.endswith("ies"):
            candidates.append(key[:-3] + "y")
        if key.endswith("es"):
            candidates.append(key[:-2])
        if key.endswith("s"):
            candidates.append(key[:-1])
        found = next((self._lookup[k] for k in candidates if k in self._lookup), None)
        if found is None:
            tagged = self.tag(name)
            if len(tagged) == 1:
                found = self._by_name[tagged[0]]
        return found

    def phases(self, name: str) -> tuple[str, ...]:
        """The phases of a technique by any of its names (empty when unknown)."""
        technique = self.get(name)
        return technique.phases if technique else ()

    def fingerprint(self) -> str:
        """Changes whenever the taxonomy would tag some text differently.

        Stored tags are compared with it (`knowvember.retag`) to tell a coordinator that the
        counts mix two sets of rules, so it covers everything tagging reads: each
        technique's names and rules, every module-level rule table (`_RULE_TABLES`), the
        patterns compiled from them (a change to how a phrase becomes a pattern changes
        them), and `RULES_REVISION` for a change to the matching code itself. Phases are
        left out: they are looked up when counting, never stored with a tag.
        """
        import hashlib

        digest = hashlib.sha256()
        digest.update(repr(RULES_REVISION).encode())
        for t in self.techniques:
            digest.update(repr((t.name, t.synonyms, t.abbreviations, t.abbreviation_vetoes,
                                t.custom)).encode())
        tables = globals()
        for name in _RULE_TABLES:
            digest.update(f"{name}={_stable_repr(tables[name])}".encode())
        compiled = self._compile()
        digest.update(repr((
            compiled.phrases.pattern,
            [(test.pattern, index) for test, index in compiled.phrase_tests],
            compiled.abbreviations.pattern if compiled.abbreviations else None,
            [(test.pattern, index) for test, index in compiled.abbreviation_tests],
            compiled.trigger_cased.pattern if compiled.trigger_cased else None,
            compiled.trigger_lower.pattern if compiled.trigger_lower else None,
            sorted((index, veto.pattern) for index, veto in compiled.vetoes.items()),
            sorted((index, sense.pattern) for index, sense in compiled.senses.items()),
        )).encode())
        return digest.hexdigest()[:16]

    def __iter__(self) -> Iterator[Technique]:
        return iter(self.techniques)

    def __len__(self) -> int:
        return len(self.techniques)


# Bump when the matching code changes how text is tagged (Taxonomy.tag, _Compiled, the
# text clean-up functions) without a change to any rule table or compiled pattern: the
# fingerprint then changes and stored tags are reported as stale.
RULES_REVISION = 3  # 2: a mention said not to have happened is not tagged (_negated)
# 3: a mention in another sense (`_OTHER_SENSES`: a pet's fish bowl) is not tagged, nor an
# abbreviation that is a word in a text written in capitals (`_shouted_word`); a saying in
# a technique's praise ("no knowledge café is complete without cake") is no negation

# Every module-level table tagging reads, by name (looked up when fingerprinting, so a test
# can change one). tests/test_trial_retag.py fails when a table is added and not listed.
_RULE_TABLES = (
    "_CLINICAL", "_CODE_OF_PRACTICE", "_EXCLUSIONS", "_FORMAT_WORDS", "_DETERMINERS",
    "_AFTER_NOUN", "_NOUN_FORMS", "_NOUN_NAMES", "_UNLESS_FORMAT", "_ENGLISH_WORDS", "_SEP",
    "_INVISIBLE", "_COMBINING", "_ABBREVIATION", "_MENTION", "_LINK", "_HASHTAG_WORDS",
    "_CAMEL", "_NEGATION", "_NEGATIONS", "_NEGATION_STEMS", "_NEGATION_GAP", "_FIRST_TIME",
    "_SENTENCE_END", "_INVITATION", "_OTHER_SENSES", "_FORMAT_AFTER", "_SHOUT_WORDS",
    "_WITHOUT", "_NO_LIKE", "_BARE_NEGATIONS", "_BARE_GAP", "_OPENERS",
    "_COUNTERFACTUAL", "_DRINKS", "_CALLED_OFF_GAP", "_CALLED_OFF", "_CALLED_OFF_AFTER",
    "_DID_NOT_HAPPEN",
)


def _stable_repr(value: object) -> str:
    """repr() that is the same in every process: sets sorted (a str set's order changes
    with PYTHONHASHSEED), a compiled regex as its pattern and flags."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_stable_repr(v) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_stable_repr(k)}: {_stable_repr(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_stable_repr(v) for v in value) + ")"
    if isinstance(value, re.Pattern):
        return f"re({value.pattern!r}, {value.flags})"
    return repr(value)


def story_techniques(
    taxonomy: Taxonomy,
    title: str | None,
    body: str | None,
    outcome: str | None,
    chosen: Iterable[str] = (),
) -> list[str]:
    """A story's techniques: the submitter's choices (canonical where known), then the text's.

    A chosen technique the taxonomy does not know is kept as written, as the stories module
    stores it (forms have an "Other" box).
    """
    names: dict[str, str] = {}
    for choice in chosen:
        if not choice or not str(choice).strip():
            continue
        technique = taxonomy.get(str(choice))
        name = technique.name if technique else str(choice).strip()
        names.setdefault(name.casefold(), name)
    text = "\n".join(t for t in (title, body, outcome) if t)
    for name in taxonomy.tag(text):
        names.setdefault(name.casefold(), name)
    return list(names.values())
