"""Typed records passed from collectors to the store.

Collectors map each platform payload to these in one place (`from_payload`-style functions
in `collectors/`); the store only ever sees these records, never a raw API object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PLATFORMS = ("x", "mastodon", "bluesky")
PLATFORM_ALIASES = {"twitter": "x", "x": "x", "mastodon": "mastodon", "bluesky": "bluesky",
                    "bsky": "bluesky"}
POST_KINDS = ("original", "reply", "repost", "quote")


@dataclass(slots=True)
class AccountRecord:
    """A person or team as one platform presents them.

    `key` is the account's home identity: X user id, Mastodon account URL/URI (the same person
    seen through several instances is one account), Bluesky DID.
    """

    platform: str
    key: str
    handle: str  # X: @name; Mastodon: @user@instance; Bluesky: handle (all lower case)
    platform_user_id: str | None = None
    display_name: str | None = None
    bio: str | None = None
    followers: int | None = None
    url: str | None = None
    raw: str | None = None  # JSON text of the profile payload
    # When the platform showed this profile, if the record knows (an archive that says when
    # it was made); None: the store takes the time of the posts it came with (an import) or
    # now (a collection). The store keeps the most recently shown profile of an account.
    seen_at: dt.datetime | None = None
    # The key of the account this one moved to (Mastodon's `moved`): one person, whose
    # posts from both accounts count for the account moved to.
    moved_to: str | None = None


@dataclass(slots=True)
class PostRecord:
    """One post, keyed by (platform, platform_id); ids are strings end to end."""

    platform: str
    platform_id: str
    account_key: str | None
    created_at: dt.datetime  # aware, any timezone; stored as UTC
    text: str = ""
    uri: str | None = None
    url: str | None = None
    lang: str | None = None
    kind: str = "original"
    referenced_id: str | None = None
    conversation_id: str | None = None
    hashtags: tuple[str, ...] = ()  # case-folded, without '#'
    mentions: tuple[str, ...] = ()  # normalised handles
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    raw: str | None = None  # JSON text of the payload as received
    # True when the post matters only because a campaign post refers to it (or it to one).
    context_only: bool = False
    # The techniques its text mentions, when already found (by an import's reading process);
    # None: the store tags it.
    techniques: tuple[str, ...] | None = None
    # The payload compressed instead of `raw` (a big import's reading process does that;
    # see knowvember.payloads).
    raw_z: bytes | None = None
    # X: the ids of every version of an edited post, oldest first (`edit_history_tweet_ids`);
    # () when it was never edited. The store keeps one post per edit chain (its latest).
    versions: tuple[str, ...] = ()
    # When the post was last edited, for platforms that edit a post in place (Mastodon's
    # `edited_at`); None when never. A copy edited later than the stored one replaces its text.
    edited_at: dt.datetime | None = None


def normalise_platform(name: str) -> str:
    try:
        return PLATFORM_ALIASES[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown platform {name!r}; use x, mastodon or bluesky") from None


def normalise_handle(platform: str, handle: str) -> str:
    """The one spelling of a handle the database uses (lower case, X and Mastodon with '@')."""
    platform = normalise_platform(platform)
    handle = handle.strip()
    if platform == "x":
        return "@" + handle.lstrip("@").lower()
    if platform == "mastodon":
        return "@" + handle.lstrip("@").lower()
    return handle.lstrip("@").lower()


def parse_account_ref(ref: str) -> tuple[str, str]:
    """`platform:handle` -> (platform, normalised handle)."""
    platform, sep, handle = ref.partition(":")
    if not sep or not handle.strip():
        raise ValueError(
            f"{ref!r} is not platform:handle (e.g. x:@UHLLibraries, "
            "mastodon:@lib@nhs.social, bluesky:lib.bsky.social)"
        )
    platform = normalise_platform(platform)
    return platform, normalise_handle(platform, handle)
