"""What counts as a campaign hashtag: the campaign's tags and variants, case-insensitively."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

# A hashtag in text: '#' not preceded by a word character or '&' (HTML entities), then
# letters, digits, underscores (Unicode-aware) and the combining accents a letter may carry
# when the text was not composed (macOS and some keyboards send "e" + U+0301 for "é").
_HASHTAG = re.compile(r"(?<![\w&/])[#＃]((?:\w|[\u0300-\u036f])+)")


def fold(tag: str) -> str:
    """The comparable form of a tag: no '#', NFKC, case-folded."""
    return unicodedata.normalize("NFKC", tag.lstrip("#＃")).casefold()


# The same few dozen tags come on almost every post of a campaign: the hot paths fold
# through this bounded memory instead of normalising each again.
folded = functools.lru_cache(maxsize=65536)(fold)


def hashtags_in(text: str) -> list[str]:
    """Hashtags written in `text`, folded, in order, without repeats.

    The text is composed (NFC) first, so `#Knowvémber` written with a combining accent is
    one hashtag, the same as written with the composed letter, not `#knowve`.
    """
    text = text or ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return list(dict.fromkeys(fold(m) for m in _HASHTAG.findall(text)))


class CampaignTags:
    """Matches posts against one campaign's hashtags and accepted variants."""

    def __init__(self, tags: Iterable[str]) -> None:
        self.tags = frozenset(fold(t) for t in tags)
        if not self.tags:
            raise ValueError("a campaign needs at least one hashtag")

    def matches(self, tags: Iterable[str]) -> bool:
        return not self.tags.isdisjoint(map(folded, tags))

    def matches_text(self, text: str) -> bool:
        return self.matches(hashtags_in(text))

    def query_terms(self) -> list[str]:
        return sorted(self.tags)


def strip_control(text: str) -> str:
    """Remove C0 control characters other than newline and tab (kept elsewhere byte for byte)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
