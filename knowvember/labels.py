"""Self-labels an account carries in its stored profile, read the same way everywhere.

Bluesky lets an owner ask apps not to show their account or posts to anyone who is not
signed in (the self-label `!no-unauthenticated`). A published report is read by exactly
those people, so the reports leave such an account unnamed (`reports.scope`), and the store
writes a profile again when the label comes or goes, even if nothing else in it changed.
"""

from __future__ import annotations

import json

UNLISTED_LABEL = "!no-unauthenticated"


def asks_unlisted(raw: str | None) -> bool:
    """Whether a stored profile (its JSON text) carries `!no-unauthenticated`; a later
    label with `neg` withdraws it."""
    if not raw or UNLISTED_LABEL not in raw:
        return False
    try:
        profile = json.loads(raw)
    except ValueError:
        return False
    labels = profile.get("labels") if isinstance(profile, dict) else None
    asked = False
    for label in labels if isinstance(labels, list) else ():
        if isinstance(label, dict) and label.get("val") == UNLISTED_LABEL:
            asked = not label.get("neg", False)
    return asked
