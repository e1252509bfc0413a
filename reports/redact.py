"""No email address in anything a report, leaderboard or export writes.

Coordinators publish reports to boards, blogs and mailing lists, so an address typed into a
post, a display name or a story must not travel with it: the campaign promised submitters
their email is never shown, and a post that names someone's address is no licence to spread
it further. Fediverse handles (`@lib@nhs.social`) are public names, not addresses, and stay.

The texts a report shows (stories, the top posts, display names) lose UK phone numbers too
(`redact_contacts`): a story's "ring me on 07700 900123" is a mobile number on a published
page. posts.csv, the whole period's data, is checked for addresses only (see posts_csv).

This module imports nothing heavy: the posts.csv process uses it on every row.
"""

from __future__ import annotations

import re

EMAIL_REMOVED = "[email address removed]"
# Said instead of the account of a Bluesky user who asked not to be shown to people who are
# not signed in (`reports.scope.asks_unlisted`).
UNLISTED_NAME = "(a Bluesky account that asks not to be shown publicly)"
PHONE_REMOVED = "[phone number removed]"

# An email address, but not a fediverse handle (`@lib@nhs.social`), which is public.
EMAIL = re.compile(r"(?<![@\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.UNICODE)


# A UK phone number: 0 or +44 (with an optional "(0)"), then 9 or 10 more digits, spaced,
# hyphenated or with the area code in brackets as people write them ("0113 392 6445",
# "(0113) 392 6445", "+44 (0)7700 900123", "07700-900-123"); no UK number starts 00, 04 or
# 06. Digits inside a word, a link, a hashtag, a longer number (a post id) or after "ISBN"
# (librarians share books) are not one.
PHONE = re.compile(r"(?<![\w/#=.+-])(?<!ISBN )(?<!ISBN: )"
                   r"(?:\+44\s?(?:\(0\)\s?)?|\(?0)[1-35789](?:\)?[ -]?\d){8,9}(?![\w/])")


def redact_contacts(text: str | None) -> str | None:
    """`text` without email addresses or UK phone numbers, for the texts a report shows."""
    text = redact_emails(text)
    if text is None or ("0" not in text and "+44" not in text):
        return text
    return PHONE.sub(PHONE_REMOVED, text)


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
