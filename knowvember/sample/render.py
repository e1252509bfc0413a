"""Small formatting helpers the platform writers share: timestamps, escaping, short codes."""

from __future__ import annotations

import datetime as dt

_DAY_CACHE: dict[int, str] = {}
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Formatting a million timestamps is a hot path: look the pieces up instead.
_CLOCK = [f"T{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_MILLIS = [f".{n:03d}Z" for n in range(1000)]


def _day(days: int) -> str:
    text = _DAY_CACHE.get(days)
    if text is None:
        text = (dt.date(1970, 1, 1) + dt.timedelta(days=days)).isoformat()
        _DAY_CACHE[days] = text
    return text


def iso_ms(ms: int) -> str:
    """`2025-11-03T10:15:22.123Z` (Mastodon, Bluesky)."""
    seconds, milli = divmod(ms, 1000)
    days, second = divmod(seconds, 86400)
    return _day(days) + _CLOCK[second] + _MILLIS[milli]


def iso_s(ms: int) -> str:
    """`2025-11-03T10:15:22.000Z`: X reports whole seconds."""
    days, second = divmod(ms // 1000, 86400)
    return _day(days) + _CLOCK[second] + ".000Z"


def escape_x(text: str) -> str:
    """X v2 sends `&`, `<` and `>` HTML-escaped in tweet text; entity offsets count them so."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def escape_html(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("'", "&#39;")


def short_code(n: int, salt: int = 0) -> str:
    """A stable 10-character base62 code (t.co paths)."""
    value = (n * 0x9E3779B97F4A7C15 + (salt + 1) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value ^= value >> 31
    value = (value * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    value ^= value >> 29
    out = []
    for _ in range(10):
        value, digit = divmod(value, 62)
        out.append(_B62[digit])
    return "".join(out)


def display_url(url: str, limit: int = 23) -> str:
    bare = url.split("://", 1)[-1]
    return bare if len(bare) <= limit else bare[:limit] + "…"
