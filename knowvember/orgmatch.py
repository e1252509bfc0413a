"""Matching profile text (bios, display names, typed names) to organisations.

People write trust names every way but the official one: "Library & Knowledge Service at UHL",
"Manchester University NHS FT library team", "Alder Hey Children's library", "@LTHTLibraries".
This module turns text into normalised words and matches them against one precomputed index
of aliases, so thousands of profiles match in well under a second.

Normalising: accents folded, case folded, apostrophes dropped (`Children's` = `Childrens`), `&`
read as `and`, punctuation as spaces, `the` and `of` dropped, `St` read as `Saint`,
`Foundation Trust` as `FT`, `hospitals` as `hospital`; handles and hashtags are split at
capitals (`@UHLLibraries` -> `UHL Libraries`) or, in lower case, before the words library
teams and trusts end them with (`@mftlib` -> `mft lib`, `@wwlnhs` -> `wwl nhs`); nhs.uk
addresses are split into their parts.
Inside a handle or hashtag, names also match written together (`@alderheylibrary`).

Aliases, each with a confidence (see `derive_aliases` and `trust_aliases`):

| alias | confidence |
|---|---|
| official name, current or earlier, with any suffix (`... NHS FT`, `... FT`, `... NHS`) | 1.0 |
| alias from `[[organisations]] aliases` | 0.95 |
| hand-written alias (`trust_aliases.CURATED`: Alder Hey, MFT, Salford Royal) | 0.9 |
| name without its suffix, when it says what it is (`Leeds Teaching Hospitals`) | 0.9 |
| name without its suffix made of three or more place words (`Calderdale and Huddersfield`) | 0.85 |
| either without a trailing `Hospital(s)` (`Luton and Dunstable`, `Worcestershire Acute`) | 0.85+ |
| initials of the name (`LTHT`, `BTHFT`), unless another's name or hospital has them | 0.85 |
| initials another trust's hospital shares (`CRH`, `RPH`): each trust | 0.5 |
| ODS code as a word in capitals (`Library, RRF`, `(RX1)`), unless an everyday abbreviation | 0.85 |
| name without its suffix that is only a place (`Bolton`, `West London`) | 0.55 |
| shared or weak alias (`Queen Elizabeth Hospital`, `Christie`) | 0.5 |
| similar words only (`Leicester` for University Hospitals of Leicester) | at most 0.55 |

Generic words (`GENERIC_WORDS`: library, knowledge, service, NHS, England, team, trust,
health, hospital, university, care, clinical, evidence, information...) carry no weight in
similar words, and a name without its suffix made only of them is no alias.

Names of health bodies outside NHS England (`trust_aliases.OUTSIDE_ENGLAND`: Welsh health
boards, Scottish boards, Northern Ireland's trusts) match too, and attribute to nothing,
unless an [[organisations]] entry's name or alias contains one: it is then that entry's.

Then: a match inside a longer match is dropped (`East London` inside `North East London`,
`UHB` inside `Hywel Dda UHB`); one preceded by `North`/`South`/... or followed by
`ICB`/`CCG`/`CSU`/`Council`/`Fire`/`Police`/`Medical School`, or, when it is places joined
by "and", preceded by `NHS` (an ICB's name: "NHS Mid and South Essex"), or named as a past
workplace ("Formerly UHL, now ...", "Ex-librarian at ..."), counts for less; a closed trust named
with its successor keeps its code when the successor is named only as it is now ("Pennine
Acute, now NCA": reports carry the code forward to the successor after the closure), and
gives way to the successor otherwise; initials that are also another named
organisation's initials mean that one; initials beside a telling place word of another
organisation's name ("UHL Liverpool") are capped below auto; a match made only of generic
words (a custom "NHS England Knowledge and Library Services", an alias "KLS") gives way to a
distinctive one (capped at 0.5 beside a confident one, at 0.6 beside a hint); two
organisations both named confidently are both capped at 0.6. Only a best candidate at 0.8 or
more, with no other at 0.6 or more, is `auto` (applied without review).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowvember.techniques import fold_accents

if TYPE_CHECKING:
    from knowvember.organisations import Organisation

MATCHER_VERSION = 13  # bump when the rules change, so unchanged profiles are matched again
AUTO_THRESHOLD = 0.8
RIVAL_THRESHOLD = 0.6  # a second candidate this good makes the best one need review

CONF_OFFICIAL = 1.0
CONF_CONFIG = 0.95
CONF_CURATED = 0.9
CONF_BASE = 0.9
CONF_PLACES = 0.85
CONF_ACRONYM = 0.85
CONF_WEAK = 0.55
CONF_SHARED = 0.5
CONF_AMBIGUOUS = 0.6
FUZZY_MAX = 0.55  # below RIVAL_THRESHOLD: similar words never block an alias match

COMPASS_FACTOR = 0.6
# Integrated care boards call themselves "NHS" and their places ("NHS Mid and South Essex",
# "NHS Lancashire and South Cumbria"), which are also trusts' names without their suffix:
# such a short form just after "NHS" counts this much.
NHS_BEFORE_FACTOR = 0.6
FOLLOWED_FACTOR = 0.5
PAST_FACTOR = 0.5

_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4\u02bc]")
_PIECES = re.compile(
    r"(?P<tag>[@#\uff03][^\W_][\w.\-]*)"
    r"|(?P<domain>[^\W_][\w\-]*(?:\.[\w\-]+)*\.nhs\.(?:uk|net))"
    r"|(?P<word>[^\W_]+)"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PARTS = re.compile(r"[^\W_]+")

_WORD_MAP = {
    "st": "saint", "hospitals": "hospital", "hosp": "hospital", "hosps": "hospital",
    "univ": "university", "uni": "university", "services": "service", "center": "centre",
    "infirmaries": "infirmary", "centres": "centre",
    # The counties as NHS staff write them ("Lancs Teaching Hospitals", "Notts Healthcare",
    # "Glos Hospitals"). Not "Beds": hospital beds are in bios too.
    "lancs": "lancashire", "notts": "nottinghamshire",
    "glos": "gloucestershire", "worcs": "worcestershire", "northants": "northamptonshire",
    "herts": "hertfordshire", "berks": "berkshire", "bucks": "buckinghamshire",
    "cambs": "cambridgeshire", "lincs": "lincolnshire", "leics": "leicestershire",
    "staffs": "staffordshire", "derbys": "derbyshire", "shrops": "shropshire",
    "warks": "warwickshire", "wilts": "wiltshire", "hants": "hampshire", "yorks": "yorkshire",
    "oxon": "oxfordshire",
}
_WORD_SPLIT = {"nhsft": ("nhs", "ft"), "nhst": ("nhs", "trust"), "nhsfoundationtrust":
               ("nhs", "ft"), "nhstrust": ("nhs", "trust")}
_DROPPED = frozenset({"the", "of"})
_MERGES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("national", "health", "service"), "nhs"),
    (("foundation", "trust"), "ft"),
    (("health", "care"), "healthcare"),
)

_SUFFIX_TEXT = re.compile(
    r"(?i)[\s,]*(?:NHS\s+Foundation\s+Trust|NHS\s+Trust|Foundation\s+Trust|NHS\s+FT|"
    r"National\s+Health\s+Service\s+Trust|Trust|NHS)\s*$"
)
_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("nhs", "ft"), ("nhs", "trust"), ("ft",), ("trust",), ("nhs",),
)
_SUFFIX_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("nhs", "ft"), ("ft",), ("nhs",), ("nhs", "trust"), ("trust",),
)
_DESCRIPTORS = frozenset({
    "hospital", "health", "healthcare", "care", "partnership", "teaching", "community",
    "ambulance", "service", "childrens", "womens", "mental", "centre", "clinic", "alliance",
    "group", "royal", "orthopaedic", "eye", "heart", "cancer", "chest", "general",
    "infirmary", "acute", "integrated", "combined", "specialist",
})
_WEAK_BASES = frozenset({"heart england"})  # also an everyday phrase ("the heart of England")
_COMPASS = frozenset({
    "north", "south", "east", "west", "central", "mid", "greater", "inner", "outer", "upper",
    "lower", "northern", "southern", "eastern", "western",
})
_FOLLOWERS = frozenset({"icb", "ics", "ccg", "icp", "council", "integrated", "county",
                        "borough", "city",
                        # Other public services named after the same place ("Royal Berkshire
                        # Fire and Rescue Service", "Leeds Police").
                        "fire", "police", "constabulary",
                        # A commissioning support unit named after the place ("NEL CSU" is
                        # North East London CSU, not the trust whose initials are NEL).
                        "csu", "commissioning"})
# Words that say a workplace is a past one ("Formerly UHL, now Leeds Teaching Hospitals",
# "Ex-librarian at Bolton NHS FT", "Previously at Salford Royal", "Retired from ..."): a name
# at most `_PAST_WINDOW` words after one counts `PAST_FACTOR` as much, so the current
# workplace decides, and a bio naming only a past one is left to a coordinator. A word that
# turns back to the present ends the look back ("Formerly a nurse, now librarian at ...").
# Each with how many words back it may stand: "retired" only just before ("Retired
# librarian, Bolton NHS FT"), as a retired person often names where they volunteer now
# ("Retired nurse, volunteer at Bolton NHS FT").
_PAST_MARKERS = {"formerly": 4, "previously": 4, "former": 4, "ex": 4, "retired": 2}
# Words that say so only with the next word ("Was at UHL", "Used to work at Bolton"), not
# alone ("the library was named Library of the Year"). "No longer at Bolton NHS FT" and
# "Not affiliated with MFT" (a university library beside a trust) say it is not theirs.
_PAST_PAIRS = frozenset({("was", "at"), ("used", "to"), ("no", "longer"),
                         ("not", "affiliated"), ("not", "part")})
_PRESENT_MARKERS = frozenset({"now", "currently", "presently", "today", "but", "and"})
_PAST_WINDOW = 4
# Words of a name that are no place, so they never say that initials are someone else's
# ("STH, Northern General" is Sheffield's hospital, not Northern Devon).
_NOT_PLACES = _COMPASS | _DESCRIPTORS
# Two words after a place name that make it another institution's ("Brighton and Sussex
# Medical School" is a university's school, not Brighton and Sussex University Hospitals).
_FOLLOWER_PAIRS = frozenset({("medical", "school"), ("dental", "school")})
# The words at the end of a name that staff leave off ("Luton and Dunstable").
_HOSPITAL_TAIL = frozenset({"hospital", "teaching", "university"})
_INITIAL_SKIP = frozenset({"and", "for", "upon", "on", "in", "at"})
# Words that say nothing about which organisation it is, even when only one name has them:
# every library bio has some ("Knowledge and Library Services", "Clinical librarian, NHS").
# They carry no weight in similar-words suggestions, and a phrase made only of them (a custom
# "NHS England Knowledge and Library Services", a config alias "KLS") never decides against
# a distinctive name (see `Matcher.match`). Words as `tokenize` leaves them (`services` is
# `service`, `Foundation Trust` is `ft`), plus the parts of Bluesky/Mastodon handles.
GENERIC_WORDS = frozenset({
    # the NHS and its national bodies
    "nhs", "ft", "trust", "trusts", "foundation", "england", "english", "national", "regional",
    "region", "uk",
    # what library and knowledge teams call themselves
    "library", "libraries", "lib", "libs", "librarian", "librarians", "librarianship",
    "knowledge", "service", "information", "info", "team", "teams", "evidence", "lks", "kls",
    "lis", "km", "learning", "education", "research", "clinical", "management",
    "mobilisation", "mobilization", "staff", "resource", "resources", "medical",
    # what health organisations are
    "health", "healthcare", "hospital", "university", "care", "social", "centre",
    # words between them
    "and", "for", "saint", "at", "in", "on", "to", "with", "our", "your",
    # handle and address parts
    "bsky", "net", "com", "org", "www", "http", "https",
})
_DISTINCTIVE_DF = 6  # a word in at most this many organisations' names is telling
# Initials that are ordinary words or common abbreviations in NHS bios: never an alias.
_ACRONYM_STOP = frozenset({
    "nhs", "ceo", "gp", "gps", "km", "lks", "hee", "icb", "ics", "ccg", "pcn", "uk", "usa",
    "ent", "icu", "msk", "pa", "ai", "it", "hr", "od", "qi", "cpd", "mdt", "ppe", "epr", "bmj",
    "nice", "cqc", "rcn", "bma", "cilip", "ukhsa", "nhse", "nhsi", "who", "the", "and", "for",
    "care", "cat", "car", "hat", "bat", "mat", "sat", "set", "net", "pet", "ten", "men", "end",
    "art", "arm", "elf", "elm", "ash", "bag", "bed", "big", "cab", "dog", "fab", "hub", "lab",
    "map", "mud", "nab", "pub", "sad", "tab", "web", "wet", "ward", "lib", "libs", "nhsft",
    "nhst", "hsj", "rct", "aar", "bar", "cop", "ft", "tht", "hht",
})

# An NHS trust's ODS code: R or T and two letters or digits (RRF, RX1, R0A, TAD).
_ODS_CODE = re.compile(r"[RT][A-Z0-9]{2}")
# ODS codes that are everyday abbreviations in capitals first: never read as the trust
# ("RGN, now clinical librarian", "REF submission", "real world evidence (RWE)", "RNA",
# "lateral flow RAT", "RRP £20", "RBS", "RPA and AI", "RTF file", "RTX", "RTE", "RYA", and
# RBK, the Royal Borough of Kingston to staff in south-west London before Walsall's code).
_CODE_STOP = frozenset({
    "rae", "rat", "rbk", "rbs", "ref", "rem", "rgn", "rha", "rna", "rnn", "rpa", "rpg", "rrp",
    "rte", "rtf", "rtx", "rwe", "rya",
})

# The second half of a postcode (`4AA` of RH5 4AA), as `tokenize` leaves it: its letters are
# never C, I, K, M, O or V, and an ordinal ("RX1 3rd floor") is none.
_INWARD_CODE = re.compile(r"(?!\d(?:st|nd|rd|th)$)\d[abd-hjlnp-uw-z]{2}")

Ref = tuple[str, float, str]  # (code, confidence, what matched)
OUTSIDE = ""  # the code of a health body outside NHS England: matches, attributes to nothing


@dataclass(slots=True)
class Tokens:
    """Normalised words of a text, with what the matcher needs to know about each."""

    words: list[str]
    acronym_ok: list[bool]  # written like an acronym (UHL), or in a handle/hashtag/address
    after_the: list[bool]  # "the" came just before it (The Christie)
    in_tag: list[bool]  # from a handle, hashtag or address (where words run together)

    def __len__(self) -> int:
        return len(self.words)


def _split_tag_word(word: str) -> Iterator[str]:
    """`mftlib` -> `mft`, `lib`: handles are stored in lower case, so capitals cannot split
    them; the words library teams end their handles with can.

    Trusts end theirs with "NHS" (`@wwlnhs`, `@gsttnhs`, `@royalfreenhs`), and a library's
    handle can end with both (`@mftnhslib`): each such ending is split off in turn.
    """
    tails: list[str] = []
    while True:
        lowered = word.lower()
        suffix = next((s for s in _TAG_SUFFIXES
                       if lowered.endswith(s) and len(lowered) - len(s) >= 2), None)
        if suffix is None:
            break
        tails.append(word[-len(suffix):])
        word = word[: -len(suffix)]
    yield word
    yield from reversed(tails)


def _raw_words(text: str) -> Iterator[tuple[str, bool, bool]]:
    """(word, may be an acronym, from a handle/hashtag/address)."""
    for match in _PIECES.finditer(text):
        piece = match.group()
        if match.lastgroup == "word":
            # Two or more capitals (UHL, SaTH): may be an acronym.
            yield (piece, len(piece) > 1 and not piece[1:].islower() and not piece.isdigit(),
                   False)
            continue
        for part in _PARTS.findall(piece):
            # The ending first: capitals before it would split "NUHnhs" as "NU", "Hnhs".
            for head in _split_tag_word(part):
                for word in _CAMEL.sub(" ", head).split():
                    for split in _split_tag_word(word):
                        yield split, True, True


_MERGE_FIRST = frozenset(sequence[0] for sequence, _ in _MERGES)
# How library teams end their handles (@uhllibraries, @mftlib, @gstt_lks), and trusts theirs
# (@wwlnhs, @boltonnhsft), longest first.
_TAG_SUFFIXES = ("libraries", "library", "knowledge", "evidence", "nhsft", "libs", "lib", "kls",
                 "lks", "nhs", "km")


def tokenize(text: str | None) -> Tokens:
    """Normalise `text` into words (see the module docstring for the rules)."""
    tokens = Tokens([], [], [], [])
    if not text:
        return tokens
    text = _APOSTROPHES.sub("", fold_accents(text)).replace("&", " and ").replace(
        "\uff06", " and ")
    raw: list[tuple[str, bool, bool]] = []
    word_map, word_split = _WORD_MAP, _WORD_SPLIT
    for word, acronym_ok, in_tag in _raw_words(text):
        lowered = word.lower()
        split = word_split.get(lowered)
        if split:
            raw.extend((w, acronym_ok, in_tag) for w in split)
        else:
            raw.append((word_map.get(lowered, lowered), acronym_ok, in_tag))
    words, acronyms, after, tags = tokens.words, tokens.acronym_ok, tokens.after_the, tokens.in_tag
    after_the = False
    i, n = 0, len(raw)
    while i < n:
        word, acronym_ok, in_tag = raw[i]
        if word in _DROPPED:
            after_the = after_the or word == "the"
            i += 1
            continue
        if word in _MERGE_FIRST:
            for sequence, replacement in _MERGES:
                size = len(sequence)
                if tuple(w for w, _, _ in raw[i:i + size]) == sequence:
                    word, i = replacement, i + size - 1
                    break
        words.append(word)
        acronyms.append(acronym_ok)
        after.append(after_the)
        tags.append(in_tag)
        after_the = False
        i += 1
    return tokens


def normalise(text: str | None) -> str:
    """The normalised form of a name, for comparing names."""
    return " ".join(tokenize(text).words)


def _strip_suffix(words: list[str]) -> tuple[list[str], tuple[str, ...]]:
    for suffix in _SUFFIXES:
        n = len(suffix)
        if len(words) > n and tuple(words[-n:]) == suffix:
            return words[:-n], suffix
    return words, ()


def base_confidence(base: Sequence[str]) -> float:
    """How surely a name without its `NHS Trust` suffix names that trust."""
    if " ".join(base) in _WEAK_BASES or len(base) <= 1:
        return CONF_WEAK
    if any(w in _DESCRIPTORS for w in base):
        return CONF_BASE
    if "and" in base and len(base) >= 3:
        return CONF_PLACES
    return CONF_WEAK


def _joined_forms(phrase: str) -> list[str]:
    """An alias's words run together as a handle writes them.

    `luton and dunstable` -> `lutonanddunstable` and `lutondunstable`; `ashford and saint
    peters` -> also `ashfordstpeters`: handles leave out "and" and write "St".
    """
    words = phrase.split(" ")
    forms = [words]
    if "and" in words:
        forms.append([w for w in words if w != "and"])
    for form in list(forms):
        if "saint" in form:
            forms.append(["st" if w == "saint" else w for w in form])
    return list(dict.fromkeys("".join(form) for form in forms))


def initials(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w not in _INITIAL_SKIP and w)


@dataclass(frozen=True, slots=True)
class Alias:
    code: str
    confidence: float
    label: str  # the alias as people would write it, shown as what matched
    acronym: bool = False  # one word that must be written like an acronym
    need_the: bool = False  # must follow "the" (The Christie)
    tag_only: bool = False  # words run together (alderhey): only inside a handle or hashtag
    generic: bool = False  # made only of GENERIC_WORDS: never decides against a distinctive name
    plain_only: bool = False  # an ODS code: only as a word of its own, never inside a handle
    places: bool = False  # places joined by "and" (`_only_places`): after "NHS", an ICB's name


def is_generic(words: Iterable[str]) -> bool:
    """True when every word is one every library bio could have (see `GENERIC_WORDS`)."""
    return all(w in GENERIC_WORDS for w in words)


def looks_like_acronym(text: str) -> bool:
    """`UHL`, `SaTH`, `LTHTR`: one short word, at least half capitals."""
    text = text.strip()
    return (text.isalnum() and 2 <= len(text) <= 7
            and sum(c.isupper() for c in text) * 2 >= len(text))


def _postcode(tokens: Tokens, end: int) -> bool:
    """Whether the word before `end` starts a postcode ("Dorking RH5 4AA", "Romford RM3
    0BE"): some ODS codes are also postcode districts, followed then by the inward code."""
    return end < len(tokens) and bool(_INWARD_CODE.fullmatch(tokens.words[end]))


def _only_places(words: Sequence[str]) -> bool:
    """Whether a short form names only places joined by "and" (`mid and south essex`), as
    integrated care boards' (and the clinical commissioning groups' before them) names do;
    a hospital's name ("Alder Hey") or one with a kind of body ("Black Country
    Healthcare") is no ICB's."""
    return ("and" in words and not any(w in _DESCRIPTORS for w in words)
            and not is_generic(words))


def _contains(words: Sequence[str], part: Sequence[str]) -> bool:
    """Whether `part` is a run of consecutive words in `words`."""
    n = len(part)
    return any(list(words[i:i + n]) == list(part) for i in range(len(words) - n + 1))


def _in_the_past(words: Sequence[str], start: int) -> bool:
    """Whether the name at `start` follows a word saying it is a past workplace."""
    for i in range(start - 1, max(0, start - _PAST_WINDOW) - 1, -1):
        word = words[i]
        if word in _PRESENT_MARKERS:
            return False
        if start - i <= _PAST_MARKERS.get(word, 0) or (word, words[i + 1]) in _PAST_PAIRS:
            return True
    return False


class Matcher:
    """The alias index for a set of organisations, and the rules that rank candidates."""

    def __init__(
        self,
        organisations: Iterable[Organisation],
        *,
        curated: dict[str, tuple[str, ...]] | None = None,
        weak: dict[str, tuple[str, ...]] | None = None,
        outside: Sequence[str] | None = None,
    ) -> None:
        from knowvember import trust_aliases

        curated = trust_aliases.CURATED if curated is None else curated
        weak = trust_aliases.WEAK if weak is None else weak
        outside = trust_aliases.OUTSIDE_ENGLAND if outside is None else outside
        orgs = list(organisations)
        self._index: dict[str, list[Alias]] = {}
        self._prefixes: set[str] = set()
        self._max_words = 1
        self._successors = {o.code: o.successor_codes for o in orgs if o.successor_codes}
        self._closed = {o.code for o in orgs if o.closed is not None}
        # What each open organisation is called now (its official name's forms, and the
        # config's aliases, written now): a text naming a successor only so ("Pennine
        # Acute, now NCA") is about the closed trust.
        self._current_labels = {
            o.code: {alias.label for text in (o.name, *o.aliases)
                     for _phrase, alias in (*self._official_aliases(o.code, text),
                                            *self._written_aliases(o.code, text, CONF_CONFIG))}
            for o in orgs if o.closed is None
        }
        self.by_code: dict[str, list[Alias]] = {}
        acronyms: dict[str, dict[str, int]] = {}  # acronym -> code -> priority
        configured: dict[str, str] = {}  # phrase -> code, from config (wins over rules)
        hospitals: dict[str, set[str]] = {}  # initials of hand-written names -> codes
        for org in orgs:
            custom = org.kind == "custom"
            current_priority = 1 if org.closed is not None else 2
            names = [(org.name, current_priority)]
            names += [(former, 1) for former, _seen in org.former_names]
            for name, priority in names:
                for phrase, alias in self._official_aliases(org.code, name):
                    self._add(phrase, alias)
                if not custom:
                    for acronym in self._derived_acronyms(name):
                        slot = acronyms.setdefault(acronym, {})
                        slot[org.code] = max(slot.get(org.code, 0), priority)
            if not custom:
                for text in curated.get(org.code, ()):
                    for phrase, alias in self._written_aliases(org.code, text, CONF_CURATED,
                                                               places=True):
                        self._add(phrase, alias)
                        if alias.acronym:
                            acronyms.setdefault(phrase, {})[org.code] = 3
                for text in weak.get(org.code, ()):
                    for phrase, alias in self._written_aliases(org.code, text, CONF_SHARED,
                                                               places=True):
                        self._add(phrase, alias)
                for text in (*curated.get(org.code, ()), *weak.get(org.code, ())):
                    if not looks_like_acronym(text):
                        for acronym in self._derived_acronyms(text):
                            hospitals.setdefault(acronym, set()).add(org.code)
            for text in org.aliases:
                for phrase, alias in self._written_aliases(org.code, text, CONF_CONFIG):
                    self._add(phrase, alias)
                    configured[phrase] = org.code
                    if alias.acronym:
                        acronyms.setdefault(phrase, {})[org.code] = 4
        for acronym, codes in acronyms.items():
            best = max(codes.values())
            winners = [c for c, p in codes.items() if p == best]
            if len(winners) != 1 or acronym in _ACRONYM_STOP:
                continue
            rivals = hospitals.get(acronym, set()) - {winners[0]}
            if rivals and best <= 2:
                # Also the initials of another trust's hospital: "CRH" is Chesterfield Royal
                # Hospital's and Calderdale Royal Hospital's, "RPH" Royal Papworth's and
                # Royal Preston's. Each is suggested, for a coordinator to choose;
                # hand-written initials (curated, config) are kept as written.
                for code in sorted({winners[0], *rivals}):
                    self._add(acronym, Alias(code, CONF_SHARED, acronym.upper(), True))
                continue
            if best <= 2:  # derived from a name (curated and config ones are already in)
                self._add(acronym, Alias(winners[0], CONF_ACRONYM, acronym.upper(), True))
        for org in orgs:
            # Staff write the ODS code beside or for the name ("Library, RRF", "(RX1)"). A
            # campaign's own codes ("UNI-LIB") are no ODS codes, and a few ODS codes are
            # everyday abbreviations first (`_CODE_STOP`).
            # A code that is also another organisation's initials ("RDE", ESNEFT's code, is
            # the Royal Devon and Exeter's initials) is left to the initials.
            phrase = org.code.lower()
            if (org.kind != "custom" and _ODS_CODE.fullmatch(org.code)
                    and phrase not in _CODE_STOP
                    and all(a.code == org.code for a in self._index.get(phrase, ()))):
                self._add(phrase, Alias(org.code, CONF_ACRONYM, org.code, True,
                                        plain_only=True))
        for phrase, code in configured.items():
            self._index[phrase] = [a for a in self._index[phrase] if a.code == code]
        self._derived_initials = {a: set(codes) for a, codes in acronyms.items()}
        self._add_outside(outside, trust_aliases.OUTSIDE_ENGLAND_SUFFIXES,
                          [o for o in orgs if o.kind == "custom"])
        # Handles run words together (@alderheylibrary): every alias of two or more words
        # also matches as one word inside a handle or hashtag.
        for phrase, aliases in list(self._index.items()):
            if " " not in phrase:
                continue
            for joined in _joined_forms(phrase):
                for alias in aliases:
                    if not alias.need_the and alias.confidence >= CONF_SHARED:
                        self._add(joined, Alias(alias.code, min(alias.confidence, CONF_CURATED),
                                                alias.label, tag_only=True,
                                                generic=alias.generic))
        for phrase, aliases in list(self._index.items()):
            # An English organisation's alias wins a phrase an outside body's name shares.
            if len(aliases) > 1 and any(a.code == OUTSIDE for a in aliases):
                self._index[phrase] = [a for a in aliases if a.code != OUTSIDE]
        for phrase, aliases in self._index.items():
            for alias in aliases:
                if alias.code != OUTSIDE:
                    self.by_code.setdefault(alias.code, []).append(alias)
            words = phrase.split(" ")
            self._max_words = max(self._max_words, len(words))
            for n in range(1, len(words)):
                self._prefixes.add(" ".join(words[:n]))
        self._build_fuzzy(orgs)

    # -- building -----------------------------------------------------------------------

    def _add(self, phrase: str, alias: Alias) -> None:
        if not phrase:
            return
        entries = self._index.setdefault(phrase, [])
        for n, existing in enumerate(entries):
            if (existing.code, existing.acronym, existing.need_the, existing.tag_only) == (
                alias.code, alias.acronym, alias.need_the, alias.tag_only
            ):
                if alias.confidence > existing.confidence:
                    entries[n] = alias
                return
        entries.append(alias)

    def _add_outside(
        self, names: Sequence[str], suffixes: Sequence[str],
        custom: Sequence[Organisation] = (),
    ) -> None:
        """Names of health bodies outside NHS England, which attribute to nothing.

        A match inside one of them is dropped as inside a longer match, so "Hywel Dda UHB"
        is not University Hospitals Birmingham's "UHB"; its words suggest nothing either.

        Unless campaign.toml adds the body under [[organisations]] (a Welsh campaign adds
        "Hywel Dda University Health Board"): its names ("Hywel Dda UHB", "Hywel Dda") are
        then that organisation's, as the one organisation whose name or alias has them.
        """
        owners: list[tuple[str, list[str]]] = []
        for org in custom:
            for text in (org.name, *org.aliases):
                words = tokenize(text).words
                if words:
                    owners.append((org.code, words))
        for name in names:
            words = tokenize(name).words
            if not words:
                continue
            codes = {code for code, written in owners if _contains(written, words)}
            owner = codes.pop() if len(codes) == 1 else None
            # Handles leave out "and" ("@CardiffVale_UHB" is Cardiff and Vale UHB).
            forms = [words, [w for w in words if w != "and"]] if "and" in words else [words]
            for form in forms:
                for suffix in ("", *suffixes):
                    phrase = " ".join([*form, *tokenize(suffix).words])
                    label = f"{name} {suffix}".strip()
                    if owner is None:
                        self._add(phrase, Alias(OUTSIDE, CONF_OFFICIAL, label))
                    elif not any(a.code == owner for a in self._index.get(phrase, ())):
                        self._add(phrase, Alias(owner, CONF_CURATED, label))

    @staticmethod
    def _official_aliases(code: str, name: str) -> Iterator[tuple[str, Alias]]:
        words = tokenize(name).words
        if not words:
            return
        generic = is_generic(words)
        yield " ".join(words), Alias(code, CONF_OFFICIAL, name, generic=generic)
        base, suffix = _strip_suffix(words)
        if not suffix:
            return
        for variant in _SUFFIX_VARIANTS:
            yield " ".join([*base, *variant]), Alias(code, CONF_OFFICIAL, name, generic=generic)
        if is_generic(base):
            # "Library and Knowledge Services" without its "NHS" names nothing in particular.
            return
        short = _SUFFIX_TEXT.sub("", name).strip(" ,") or name
        yield " ".join(base), Alias(code, base_confidence(base), short,
                                    places=_only_places(base))
        if base[-1] == "university" and len(base) > 2 and not is_generic(base[:-1]):
            shorter = base[:-1]
            label = re.sub(r"(?i)[\s,]*university$", "", short) or short
            yield " ".join(shorter), Alias(code, base_confidence(shorter), label,
                                           places=_only_places(shorter))
        yield from Matcher._without_hospital_words(code, base, short)

    @staticmethod
    def _without_hospital_words(
        code: str, base: list[str], short: str
    ) -> Iterator[tuple[str, Alias]]:
        """`Luton and Dunstable`, `Ashford and St Peter's`, `Worcestershire Acute`.

        Staff drop the trailing "(University) (Teaching) Hospital(s)" of a trust's name when
        what is left still says which trust it is: two or more places joined by "and", or a
        descriptor ("Acute", "Royal"). A single place ("Barnsley" from Barnsley Hospital) is
        left to the weaker rules. A form that two trusts share is capped as shared anyway.
        """
        label = short
        words = list(base)
        while len(words) > 2 and words[-1] in _HOSPITAL_TAIL:
            words = words[:-1]
            label = re.sub(r"(?i)[\s,]*(?:hospitals?|teaching|university)$", "", label) or label
            if words[-1] in _HOSPITAL_TAIL:
                # "Bradford Teaching" is kept weak on purpose ("a Leeds teaching day").
                continue
            confidence = base_confidence(words)
            if confidence >= CONF_PLACES and not is_generic(words):
                yield " ".join(words), Alias(code, confidence, label,
                                             places=_only_places(words))

    @staticmethod
    def _derived_acronyms(name: str) -> Iterator[str]:
        words = tokenize(name).words
        base, suffix = _strip_suffix(words)
        letters = initials(base)
        if len(letters) < 2:
            return
        if len(letters) >= 3:
            yield letters
        # LTHT (Leeds Teaching Hospitals Trust), ELFT (East London FT): T for an NHS
        # trust, FT for a foundation trust, as trusts write their own initials.
        yield letters + ("ft" if suffix and suffix[-1] == "ft" else "t")

    @staticmethod
    def _written_aliases(
        code: str, text: str, confidence: float, *, places: bool = False,
    ) -> Iterator[tuple[str, Alias]]:
        """An alias as written by a person: also in its camel-split form (#ChelWest).

        With `places`, one made only of places ("Tameside and Glossop") is marked so, as a
        name without its suffix is (config aliases are not: a campaign's own ICB may be one,
        and its alias wins the phrase anyway).
        """
        text = text.strip()
        need_the = bool(re.match(r"(?i)the\s", text))
        acronym = looks_like_acronym(text)
        forms = dict.fromkeys([text, _CAMEL.sub(" ", text)])
        for form in forms:
            words = tokenize(form).words
            if not words:
                continue
            is_acronym = acronym and len(words) == 1
            generic = is_generic(words)
            yield " ".join(words), Alias(code, confidence, text, is_acronym, need_the,
                                         generic=generic,
                                         places=places and not is_acronym
                                         and _only_places(words))
            if need_the:  # "The Christie" without "the" is still a (weaker) hint
                yield " ".join(words), Alias(code, CONF_SHARED, text, is_acronym, False,
                                             generic=generic)

    def _build_fuzzy(self, orgs: Sequence[Organisation]) -> None:
        variants: list[tuple[str, frozenset[str]]] = []
        df: dict[str, int] = {}
        for org in orgs:
            seen: set[str] = set()
            for name in (org.name, *(f for f, _ in org.former_names)):
                # A bare number ("5" of 5 Boroughs Partnership) tells nothing: every other
                # post says "Day 5" or "20 years".
                words = frozenset(w for w in tokenize(name).words
                                  if w not in GENERIC_WORDS and not w.isdigit())
                if words:
                    variants.append((org.code, words))
                    seen |= words
            for word in seen:
                df[word] = df.get(word, 0) + 1
        total = max(len(orgs), 1)
        self._idf = {w: math.log((total + 1) / n) for w, n in df.items()}
        self._df = df
        self._variants = variants
        self._words_of: dict[str, frozenset[str]] = {}
        for code, words in variants:
            self._words_of[code] = self._words_of.get(code, frozenset()) | words
        self._by_word: dict[str, list[int]] = {}
        for n, (_code, words) in enumerate(variants):
            for word in words:
                self._by_word.setdefault(word, []).append(n)

    # -- matching -----------------------------------------------------------------------

    def aliases_of(self, code: str) -> list[Alias]:
        """Each alias of `code` once (at its best confidence), most confident first.

        The index holds one entry per way of writing an alias (with each suffix, run
        together for handles), which would list the same alias many times over.
        """
        found = sorted(self.by_code.get(code, []), key=lambda a: (-a.confidence, a.label))
        unique = {(a.label, a.acronym): a for a in reversed(found)}
        return sorted(unique.values(), key=lambda a: (-a.confidence, a.label))

    def _hits(self, tokens: Tokens) -> list[tuple[int, int, str, list[Alias]]]:
        words, hits = tokens.words, []
        index, prefixes = self._index, self._prefixes
        n = len(words)
        for i in range(n):
            phrase = words[i]
            j = i
            while True:
                aliases = index.get(phrase)
                if aliases is None and j == i and tokens.acronym_ok[i]:
                    aliases = self._possessive(phrase)
                if aliases is not None:
                    hits.append((i, j + 1, phrase, aliases))
                j += 1
                if j >= n or j - i >= self._max_words or phrase not in prefixes:
                    break
                phrase = phrase + " " + words[j]
        return hits

    def _possessive(self, word: str) -> list[Alias] | None:
        """Initials with a possessive ("UHL's library", "LTHT's LKS"): the initials' aliases.

        Apostrophes are dropped before matching (`Children's` = `Childrens`), so "UHL's" is
        the word `uhls`; only an acronym alias is looked for without its last `s`, and only
        where the word was written in capitals (so "gosh's" stays a word).
        """
        if len(word) < 3 or not word.endswith("s"):
            return None
        return [a for a in self._index.get(word[:-1], ()) if a.acronym] or None

    def _related(self, closed: str, other: str) -> bool:
        """True when `other` is among `closed`'s successors (at any depth)."""
        todo, seen = list(self._successors.get(closed, ())), {closed}
        while todo:
            code = todo.pop()
            if code == other:
                return True
            if code not in seen:
                seen.add(code)
                todo.extend(self._successors.get(code, ()))
        return False

    def _carried_forward(self, closed: str, successor: str, named: Sequence[Alias]) -> bool:
        """True when a text naming `closed` and `successor` is the closed trust's.

        "Library at Royal Oldham (Pennine Acute, now NCA)" is Pennine Acute's library: its
        2018 posts were Pennine Acute's, and reports carry the closed code forward to the
        successor for campaigns after the closure, so keeping the closed code is right in
        every year. That holds only when the successor is the one reports carry it to (the
        first in the successor record: not MFT for Pennine Acute) and is named as it is now
        (its name or initials): "LUHFT (formerly Aintree and Royal Liverpool)" names
        Aintree, the successor's own earlier self, so it stays the successor's.
        """
        code = closed
        chain = set()
        while code in self._successors and code not in chain:
            chain.add(code)
            code = self._successors[code][0]
            if code == successor:
                current = self._current_labels.get(successor, set())
                return all(a.acronym or a.label in current for a in named)
        return False

    def match(self, text: str | None) -> list[Ref]:
        """Every candidate for `text`, best first: (code, confidence, what matched)."""
        tokens = tokenize(text)
        if not tokens.words:
            return []
        scored: dict[str, tuple[float, str]] = {}
        by_acronym: dict[str, str] = {}  # code -> the initials its best match was
        generic: set[str] = set()  # codes whose best match is made only of generic words
        covered: set[int] = set()
        seen: dict[str, list[Alias]] = {}  # code -> every alias of it the text names
        spans: list[tuple[int, int, str, Alias]] = []
        for start, end, _phrase, aliases in self._hits(tokens):
            usable = [
                a for a in aliases
                if (not a.acronym or (end - start == 1 and tokens.acronym_ok[start]))
                and (not a.need_the or tokens.after_the[start])
                and (not a.tag_only or (end - start == 1 and tokens.in_tag[start]))
                and (not a.plain_only or not (tokens.in_tag[start] or _postcode(tokens, end)))
            ]
            best: dict[str, Alias] = {}
            for alias in usable:
                if alias.code not in best or alias.confidence > best[alias.code].confidence:
                    best[alias.code] = alias
            shared = len(best) > 1
            for alias in best.values():
                spans.append((start, end, "shared" if shared else "", alias))
        spans = [
            s for s in spans
            if not any(o[0] <= s[0] and o[1] >= s[1] and (o[1] - o[0]) > (s[1] - s[0])
                       for o in spans)
        ]
        for start, end, shared, alias in spans:
            if alias.code == OUTSIDE:
                covered.update(range(start, end))
                continue
            confidence = min(alias.confidence, CONF_SHARED) if shared else alias.confidence
            if start > 0 and tokens.words[start - 1] in _COMPASS:
                confidence *= COMPASS_FACTOR
            if start > 0 and tokens.words[start - 1] == "nhs" and alias.places:
                confidence *= NHS_BEFORE_FACTOR
            if end < len(tokens) and (tokens.words[end] in _FOLLOWERS
                                      or tuple(tokens.words[end:end + 2]) in _FOLLOWER_PAIRS):
                confidence *= FOLLOWED_FACTOR
            if _in_the_past(tokens.words, start):
                confidence *= PAST_FACTOR
            covered.update(range(start, end))
            seen.setdefault(alias.code, []).append(alias)
            previous = scored.get(alias.code)
            if previous is None or confidence > previous[0]:
                scored[alias.code] = (confidence, alias.label)
                if alias.acronym:
                    word = tokens.words[start]
                    by_acronym[alias.code] = (word if word in self._index
                                              else word[:-1])  # UHL's: uhl
                else:
                    by_acronym.pop(alias.code, None)
                if alias.generic:
                    generic.add(alias.code)
                else:
                    generic.discard(alias.code)
        fuzzy = self._fuzzy(tokens, covered)
        named_closed = [c for c in scored if c in self._closed]
        for code in named_closed:
            successor = next((o for o in scored if o != code and self._related(code, o)), None)
            if successor is not None:
                # Two trusts that merged into it ("UHD, formerly Poole and Royal
                # Bournemouth") name the merged trust itself, also where the other one is
                # named only by its place ("Poole": similar words, no alias of its own).
                merged = any(c != code and self._related(c, successor)
                             for c in (*named_closed, *(f for f in fuzzy if f in self._closed)))
                kept, dropped = ((code, successor)
                                 if not merged and successor not in fuzzy
                                 and self._carried_forward(code, successor, seen[successor])
                                 else (successor, code))
                confidence = max(scored[code][0], scored[successor][0])
                scored[kept] = (confidence, scored[kept][1])
                if dropped not in generic:
                    generic.discard(kept)
                del scored[dropped]
        if generic and len(generic) < len(scored):
            self._demote_generic(scored, generic)
        confident = [c for c, (conf, _) in scored.items() if conf >= AUTO_THRESHOLD]
        if len(confident) > 1:
            # Initials that are also another named organisation's initials mean that one
            # ("HHFT Library, Homerton Healthcare" is Homerton, not Hampshire Hospitals).
            named = {c for c in confident if c not in by_acronym}
            for code in [c for c in confident if c in by_acronym]:
                if self._derived_initials.get(by_acronym[code], set()) & named:
                    del scored[code]
                    confident.remove(code)
        if len(confident) > 1:
            for code in confident:
                scored[code] = (min(scored[code][0], CONF_AMBIGUOUS), scored[code][1])
        self._doubt_initials(scored, by_acronym, fuzzy)
        for code, (confidence, label, _shared) in fuzzy.items():
            if code not in scored or scored[code][0] < confidence:
                scored[code] = (confidence, label)
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[0] in self._closed,
                                                        kv[0]))
        return [(code, round(conf, 3), label) for code, (conf, label) in ranked]

    @staticmethod
    def _demote_generic(scored: dict[str, tuple[float, str]], generic: set[str]) -> None:
        """Generic words never decide against a distinctive name.

        A text naming a trust confidently ("Knowledge and Library Services, Leeds Teaching
        Hospitals") is that trust, even if a name or alias made only of generic words (a
        custom "NHS England Knowledge and Library Services", an alias "KLS") matches too: the
        generic match stays a suggestion below the rival threshold, so it blocks nothing.
        When the distinctive name is only a hint ("... at Somerset"), the generic match is
        capped below auto instead, and a coordinator decides.
        """
        distinctive = [conf for code, (conf, _) in scored.items() if code not in generic]
        if not distinctive or max(distinctive) < CONF_SHARED:
            return
        cap = CONF_SHARED if max(distinctive) >= AUTO_THRESHOLD else CONF_AMBIGUOUS
        for code in generic:
            confidence, label = scored[code]
            scored[code] = (min(confidence, cap), label)

    def _doubt_initials(
        self,
        scored: dict[str, tuple[float, str]],
        by_acronym: dict[str, str],
        fuzzy: dict[str, tuple[float, str, frozenset[str]]],
    ) -> None:
        """Initials beside a place that is another organisation's are for a coordinator.

        "UHL" is Leicester's initials, but "UHL Liverpool" or "UHL Libraries, Lewisham" is
        someone else's UHL (University Hospitals of Liverpool Group, University Hospital
        Lewisham): a telling word of another organisation's name, not in the initials'
        organisation's own names, caps the initials below auto. A successor or predecessor
        is no other organisation ("UHDB, Burton").
        """
        for code, _initials in by_acronym.items():
            if code not in scored or scored[code][0] < AUTO_THRESHOLD:
                continue
            own = self._words_of.get(code, frozenset())
            for other, (_score, _label, shared) in fuzzy.items():
                if other == code or self._related(other, code) or self._related(code, other):
                    continue
                if any(self._df.get(w, 99) <= _DISTINCTIVE_DF and w not in _NOT_PLACES
                       for w in shared - own):
                    scored[code] = (min(scored[code][0], CONF_AMBIGUOUS), scored[code][1])
                    break

    def _fuzzy(
        self, tokens: Tokens, covered: set[int]
    ) -> dict[str, tuple[float, str, frozenset[str]]]:
        """Organisations whose names share telling words with the text (suggestions only).

        Each with its score, its label and the words it shares with the text.
        """
        words = {w for n, w in enumerate(tokens.words)
                 if n not in covered and w in self._by_word}
        if not any(self._df.get(w, 99) <= _DISTINCTIVE_DF for w in words):
            return {}
        found: dict[str, tuple[float, str, frozenset[str]]] = {}
        candidates = {v for w in words for v in self._by_word[w]}
        for n in candidates:
            code, variant = self._variants[n]
            shared = variant & words
            if not any(self._df[w] <= _DISTINCTIVE_DF for w in shared):
                continue
            # fsum: exact whatever the order, and a frozenset's order changes from process to
            # process (PYTHONHASHSEED), so two equal suggestions were ranked either way.
            total = math.fsum(self._idf[w] for w in variant)
            score = (FUZZY_MAX * math.fsum(self._idf[w] for w in shared) / total
                     if total else 0.0)
            if code not in found or score > found[code][0]:
                found[code] = (score, "similar words: " + ", ".join(sorted(shared)), shared)
        return found
