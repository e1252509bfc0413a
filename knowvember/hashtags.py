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


# A letter O typed for a zero among digits ("2O19"): the keys sit side by side, and in many
# fonts the two look alike.
_O_FOR_ZERO = re.compile(r"(?<=\d)o(?=\d)|(?<=\d)o$")


def zeroed(tag: str) -> str:
    """A folded tag with a letter O among its digits read as a zero (`knowvember2o19` ->
    `knowvember2019`): the campaign's tag mistyped, not another campaign's, which
    `#KNOWvember2O18` still is. Other ways of writing a tag (`#KNOWvember_19`) are for
    `variants`: a tag is matched whole."""
    return _O_FOR_ZERO.sub("0", tag)


class CampaignTags:
    """Matches posts against one campaign's hashtags and accepted variants.

    A tag matches as written (case-insensitively), and also with a letter O for a zero
    among its digits (`zeroed`), so `#KNOWvember2O19` posts are not dropped.
    """

    def __init__(self, tags: Iterable[str]) -> None:
        self.tags = frozenset(fold(t) for t in tags)
        if not self.tags:
            raise ValueError("a campaign needs at least one hashtag")
        self._zeroed = frozenset(zeroed(t) for t in self.tags)

    def matches(self, tags: Iterable[str]) -> bool:
        written = [folded(t) for t in tags]
        if not self.tags.isdisjoint(written):
            return True
        return any(zeroed(t) in self._zeroed for t in written
                   if "o" in t and _O_FOR_ZERO.search(t))

    def matches_text(self, text: str) -> bool:
        return self.matches(hashtags_in(text))

    def query_terms(self) -> list[str]:
        return sorted(self.tags)


def strip_control(text: str) -> str:
    """Remove C0 control characters other than newline and tab (kept elsewhere byte for byte)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
