"""No email address in anything a report, leaderboard or export writes.

Coordinators publish reports to boards, blogs and mailing lists, so an address typed into a
post, a display name or a story must not travel with it: the campaign promised submitters
their email is never shown, and a post that names someone's address is no licence to spread
it further. Fediverse handles (`@lib@nhs.social`) are public names, not addresses, and stay.

This module imports nothing heavy: the posts.csv process uses it on every row.
"""

from __future__ import annotations

import re

EMAIL_REMOVED = "[email address removed]"

# An email address, but not a fediverse handle (`@lib@nhs.social`), which is public.
EMAIL = re.compile(r"(?<![@\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.UNICODE)


def redact_emails(text: str | None) -> str | None:
    """`text` with every email address replaced by `EMAIL_REMOVED` (None stays None)."""
    if text is None or not _may_hold_address(text):
        return text
    return EMAIL.sub(EMAIL_REMOVED, text)


def _may_hold_address(text: str) -> bool:
    """Whether some `@` follows a character an address can end its local part with.

    A mention (`hi @lib`) cannot be an address, and most posts with an `@` hold only those;
    this look at the `@`s alone is five times faster than the regular expression, which
    posts.csv would otherwise run on every such post (a second per million posts).
    """
    at = text.find("@")
    while at != -1:
        if at > 0 and (text[at - 1].isalnum() or text[at - 1] in "._+-"):
            return True
        at = text.find("@", at + 1)
    return False


def publishable_links(links: object) -> tuple[str, ...]:
    """The http(s) links of a story that may be shown: one holding an address (a form's
    `?contact=jane@nhs.net`) is left out whole, since a link cut in the middle is no link."""
    from knowvember.stories import is_http_url

    return tuple(str(link) for link in (links or ()) if isinstance(link, str)
                 and is_http_url(link) and not EMAIL.search(link))
