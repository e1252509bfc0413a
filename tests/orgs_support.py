"""What the organisation-matching tests share: the code a text is applied to unreviewed."""

from __future__ import annotations

from knowvember.organisations import Catalogue


def auto_code(catalogue: Catalogue, text: str) -> str | None:
    """The code `text` is attributed to without review (the best candidate, when it is
    applied automatically), or None when it only suggests or matches nothing."""
    candidates = catalogue.match(text)
    return candidates[0].code if candidates and candidates[0].auto else None
