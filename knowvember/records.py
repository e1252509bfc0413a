"""Typed records passed from collectors to the store.

Collectors map each platform payload to these in one place (`from_payload`-style functions
in `collectors/`); the store only ever sees these records, never a raw API object.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from knowvember.errors import ConfigError

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


# A Bluesky post's address as the browser shows it: the author's handle (or DID), the post's
# record key.
_SKEET_LINK = re.compile(r"https?://(?:www\.)?bsky\.app/profile/([^/\s]+)/post/(\w+)/?")


def bluesky_link(value: str) -> tuple[str, str] | None:
    """(handle or DID, record key) of a post's bsky.app link, or None for anything else."""
    found = _SKEET_LINK.fullmatch(value.strip())
    return (found.group(1), found.group(2)) if found else None


def bluesky_uri(did: str, rkey: str) -> str:
    """The at:// URI a Bluesky post is keyed by."""
    return f"at://{did}/app.bsky.feed.post/{rkey}"


class AccountRefError(ConfigError, ValueError):
    """An account reference (`platform:handle`) that names no account: a ValueError, as
    every caller that names where it came from catches, and a ConfigError, so that one
    reaching the CLI unnamed (an opt-out read as a collection starts) is a clear message
    and exit 3, not an unexpected error."""


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
    """`platform:handle` -> (platform, normalised handle).

    A profile's address, alone or after `platform:` (`https://x.com/UHLLibraries`,
    `mastodon:https://nhs.social/@lib`, `https://bsky.app/profile/lib.bsky.social`), is read
    as the handle it shows: coordinators copy an address from the browser, and it was taken
    as a handle no account has, so the mapping or opt-out it was written for did nothing.
    A Bluesky DID (`bluesky:did:plc:...`) is kept as it is: it names the account by its key.
    """
    ref = _from_profile_url(ref.strip())
    platform, sep, handle = ref.partition(":")
    if not sep or not handle.strip():
        raise ValueError(
            f"{ref!r} is not platform:handle (e.g. x:@UHLLibraries, "
            "mastodon:@lib@nhs.social, bluesky:lib.bsky.social)"
        )
    platform = normalise_platform(platform)
    return platform, normalise_handle(platform, handle)


def account_ref_names(ref: str) -> tuple[str, set[str], set[str]]:
    """(platform, handles, keys) an account reference can name a stored account by.

    `platform:handle` and a profile address name a handle; a Bluesky DID
    (`bluesky:did:plc:...`) names the account's key (and the handle of one whose handle
    could not be verified, which the DID stands in for); a Mastodon profile address also
    names the actor its server keys it by (`https://host/users/name`), which is still the
    account when its handle is on another domain than the server (`@lib@nhs.uk` served
    from social.nhs.uk)."""
    platform, handle = parse_account_ref(ref)
    keys = {handle} if handle.startswith("did:") else set()
    said = ref.strip()
    url = said.partition(":")[2].strip() if not _PROFILE_URL.match(said) else said
    if platform == "mastodon" and _PROFILE_URL.match(url):
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[0].startswith("@") and "@" not in segments[0][1:]:
            keys.add(f"{parts.scheme.lower()}://{parts.netloc.lower()}/users/{segments[0][1:]}")
        elif len(segments) >= 2 and segments[0] == "users":
            keys.add(f"{parts.scheme.lower()}://{parts.netloc.lower()}/users/{segments[1]}")
    return platform, {handle}, keys


def account_ref_keys(ref: str) -> set[str]:
    """The account keys a reference names besides its handle (see `account_ref_names`), or
    none for a reference that names no account: those callers have refused it already or
    read it by handle alone."""
    try:
        return account_ref_names(ref)[2]
    except ValueError:
        return set()


_X_HOSTS = frozenset({"twitter.com", "www.twitter.com", "mobile.twitter.com", "x.com",
                      "www.x.com", "mobile.x.com"})
_X_PAGES = frozenset({"i", "intent", "search", "hashtag", "home", "explore", "share"})
_NAMES = {"x": "an X", "mastodon": "a Mastodon", "bluesky": "a Bluesky"}
_PROFILE_URL = re.compile(r"^https?://", re.IGNORECASE)


def _from_profile_url(ref: str) -> str:
    """`platform:handle` for a profile address (alone or after `platform:`), else `ref`.

    An address that is no profile (a post search, `x.com/i/...`) is refused here rather
    than stored as a handle made of its pieces."""
    said, sep, rest = ref.partition(":")
    url = rest.strip() if sep and said.strip().lower() in PLATFORM_ALIASES and (
        _PROFILE_URL.match(rest.strip())) else ref
    if not _PROFILE_URL.match(url):
        return ref
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise AccountRefError("an account is written as an address that is not a link; "
                              "write platform:handle (e.g. x:@UHLLibraries)") from None
    segments = [s for s in parts.path.split("/") if s]
    if host in _X_HOSTS and segments and segments[0].lower() not in _X_PAGES:
        found = f"x:@{segments[0]}"
    elif host in ("bsky.app", "www.bsky.app") and len(segments) >= 2 and (
            segments[0] == "profile"):
        found = f"bluesky:{segments[1]}"
    elif host and segments and segments[0].startswith("@") and len(segments[0]) > 1:
        user = segments[0]
        found = f"mastodon:{user if '@' in user[1:] else f'{user}@{host}'}"
        if port and "@" not in user[1:]:
            found += f":{port}"
    elif host and len(segments) >= 2 and segments[0] == "users":
        found = f"mastodon:@{segments[1]}@{host}" + (f":{port}" if port else "")
    else:
        # Shown without its query, which may carry a token.
        raise AccountRefError(f"{host}{parts.path} is not a profile address this can read: "
                              "not a profile link (one person's profile page); write "
                              "platform:handle (e.g. x:@UHLLibraries, "
                              "mastodon:@lib@nhs.social, bluesky:lib.bsky.social)")
    if url is not ref:
        wanted = normalise_platform(said)
        if wanted != found.partition(":")[0]:
            raise AccountRefError(f"the address is {_NAMES[found.partition(':')[0]]} "
                                  f"profile, not {wanted}")
    return found
