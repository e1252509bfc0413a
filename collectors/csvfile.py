"""The generic CSV import: posts from any tool or spreadsheet, one row per post.

Columns (header names, any order, case-insensitive; `docs/collectors.md` has the table):
required `platform, id, author_handle, created_at, text`; optional `url, likes, reposts,
replies, quotes, author_name, author_id, author_followers, kind, referenced_id, lang,
hashtags`. Without `author_id` an account is keyed by its handle. The @-mentions in
`text` are read as each platform writes them, as the other imports take them from the
payload (the connections between accounts in the report are drawn from them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import orjson

from collectors.archive import (
    CHUNK_POSTS,
    TEXT_MENTIONS,
    Chunk,
    csv_chunks,
    excel_rounded,
    newest_accounts,
)
from collectors.base import parse_time
from collectors.x_payload import retweeted_author
from knowvember.errors import quoted
from knowvember.hashtags import fold, hashtags_in
from knowvember.records import (
    POST_KINDS,
    AccountRecord,
    PostRecord,
    bluesky_link,
    bluesky_uri,
    normalise_handle,
    normalise_platform,
)

PLATFORM = None  # any: each row names its platform
REQUIRED = ("platform", "id", "author_handle", "created_at", "text")
OPTIONAL = ("url", "likes", "reposts", "replies", "quotes", "author_name", "author_id",
            "author_followers", "kind", "referenced_id", "lang", "hashtags")
COUNTS = ("likes", "reposts", "replies", "quotes")
_STATUS_ID = re.compile(r"/status(?:es)?/(\d+)")
# A toot's link as the browser shows it on its own instance (`https://nhs.social/@lib/1`),
# and a Bluesky post's (`https://bsky.app/profile/NAME/post/RKEY`).
_TOOT_LINK = re.compile(r"https?://([^/@\s]+)/@([\w.-]+)/(\d+)/?")
# A Mastodon status URI (`https://nhs.social/users/lib/statuses/1`): its account's is the part
# before `/statuses/`.
_STATUS_ACTOR = re.compile(r"(https://[^/\s]+/users/[\w.-]+)/statuses/\w+")
_X_LINK = re.compile(r"https?://(?:(?:www|mobile)\.)?(?:x|twitter)\.com/\w+/status(?:es)?/(\d+)"
                     r"(?:[/?#]\S*)?")
# ISO without a zone, and the day-first UK forms Excel writes when it saves the file again.
_PLAIN_TIMES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M", "%d/%m/%Y")
_X_TIME = "%a %b %d %H:%M:%S %z %Y"
class RowError(ValueError):
    """A row that cannot be stored; the message names the column."""


def _time(value: str) -> dt.datetime:
    value = value.strip()
    for fmt in _PLAIN_TIMES:
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    try:
        # X's own form ('Tue Nov 05 09:30:00 +0000 2019'), as twarc 1's `json2csv`, TAGS and
        # other v1.1 exports write `created_at`: every such row was refused.
        return dt.datetime.strptime(value, _X_TIME)
    except ValueError:
        pass
    try:
        return parse_time(value)
    except ValueError:
        raise RowError(f"created_at {quoted(value)} is not a date and time (use ISO 8601, e.g. "
                       "2019-11-05T09:30:00Z, or 05/11/2019 09:30)") from None


def _number(row: dict[str, str], column: str) -> int | None:
    value = (row.get(column) or "").strip().replace(",", "")
    if not value:
        return None
    if not value.isdigit():
        # A column with an empty cell is a float column to pandas, and `to_csv` writes its
        # counts as `12.0`: the whole number is read (the TAGS import reads them so too).
        whole, dot, fraction = value.partition(".")
        if dot and whole.isdigit() and not fraction.strip("0"):
            return int(whole)
        raise RowError(f"{column} {quoted(value)} is not a whole number")
    return int(value)


def _default_kind(platform: str, text: str) -> str:
    """A row's kind when its `kind` cell is empty: an X retweet ("RT @name: ...", read as
    the TAGS and twarc2 imports read it) is a repost, anything else an original. Without
    this a sheet of X posts with no `kind` column counted every retweet as original work."""
    return "repost" if platform == "x" and retweeted_author(text) else "original"


def _author_id(platform: str, value: str) -> str:
    """The row's account id (or `referenced_id`), or "" when a spreadsheet spoiled an X one:
    Excel shows an 18-digit user id as `1.19017E+18` and saves it so (or as
    `1190174010209570000`), and every author whose id began alike became one account keyed
    by that text, their posts all under the last one's handle. Such a row's account is keyed
    by its handle, as a row without the column (and as the TAGS import does); such a
    reference names no post, so the row keeps its kind without one."""
    value = value.strip()
    if platform != "x":
        return value
    whole, dot, fraction = value.partition(".")
    if dot and whole.isdigit() and len(whole) <= 15 and not fraction.strip("0"):
        value = whole  # pandas writes a column with an empty cell as floats: `12345.0`
    if not value.isdigit() or excel_rounded(value):
        return ""
    return value


def _post_key(platform: str, value: str, author_id: str) -> str:
    """The id the database keys a post by, for the link a spreadsheet may hold instead: an
    X post's number (`https://x.com/lib/status/1`), a Mastodon post's status URI
    (`https://nhs.social/users/lib/statuses/1`, which the instance's own link
    `https://nhs.social/@lib/1` names), a Bluesky post's `at://DID/app.bsky.feed.post/RKEY`
    (its bsky.app link names the DID, or a handle whose DID the row's `author_id` gives).
    Stored under its link, a toot or post collected live too was stored twice and counted
    twice in every report; an X link was refused. Anything else is kept as it is."""
    value = value.strip()
    if platform == "x" and (tweet := _X_LINK.fullmatch(value)):
        return tweet.group(1)  # (refused before as "not an X post id")
    if platform == "mastodon" and (toot := _TOOT_LINK.fullmatch(value)):
        host, user, number = toot.groups()
        return f"https://{host}/users/{user}/statuses/{number}"
    if platform == "bluesky" and (skeet := bluesky_link(value)):
        who, rkey = skeet
        did = who if who.startswith("did:") else author_id
        if did.startswith("did:"):
            return bluesky_uri(did, rkey)
        # (else the store takes the DID of the account stored with the link's handle)
    return value


def from_row(row: dict[str, str]) -> tuple[PostRecord, AccountRecord]:
    try:
        platform = normalise_platform(row.get("platform") or "")
    except ValueError as exc:
        raise RowError(f"platform: {exc}") from None
    post_id = (row.get("id") or "").strip()
    if not post_id:
        raise RowError("id is empty")
    author_id = _author_id(platform, row.get("author_id") or "")
    link, post_id = post_id, _post_key(platform, post_id, author_id)
    if not author_id:
        # A post's URI names its author as a collection keys them: a Bluesky post's the
        # DID of its repository, a Mastodon status's the actor it is under (keyed by
        # handle, one person collected too was two contributors).
        if platform == "bluesky" and post_id.startswith("at://did:"):
            author_id = post_id[len("at://"):].split("/", 1)[0]
        elif platform == "mastodon" and (actor := _STATUS_ACTOR.fullmatch(post_id)):
            author_id = actor.group(1)
    if platform == "x" and not post_id.isdigit():
        raise RowError(f"id {quoted(post_id)} is not an X post id (digits only; was it turned into "
                       "a number like 1.19E+18 by a spreadsheet?)")
    url = (row.get("url") or "").strip() or (link if link != post_id else None)
    named = _STATUS_ID.search(url) if platform == "x" and url else None
    if named and named.group(1) != post_id:
        raise RowError(f"id {quoted(post_id)} is not the post the url names "
                       f"({named.group(1)}): was the id rounded by a spreadsheet? (Excel keeps "
                       "15 digits of a number)")
    raw_handle = (row.get("author_handle") or "").strip()
    if not raw_handle:
        raise RowError("author_handle is empty")
    handle = normalise_handle(platform, raw_handle)
    if platform == "mastodon" and handle.count("@") < 2:
        raise RowError(f"author_handle {quoted(raw_handle)}: a Mastodon handle needs its domain "
                       "(@user@instance)")
    text = row.get("text") or ""
    kind = (row.get("kind") or "").strip().lower() or _default_kind(platform, text)
    if kind not in POST_KINDS:
        raise RowError(f"kind {quoted(kind)} is not one of {', '.join(POST_KINDS)}")
    tags = [fold(t) for t in (row.get("hashtags") or "").replace(",", " ").split() if t]
    tags.extend(hashtags_in(text))
    key = author_id or handle
    mentions = [normalise_handle(platform, m) for m in TEXT_MENTIONS[platform].findall(text)]
    counts = {c: _number(row, c) or 0 for c in COUNTS}
    post = PostRecord(
        platform=platform,
        platform_id=post_id,
        account_key=key,
        created_at=_time(row.get("created_at") or ""),
        text=text,
        url=url,
        lang=(row.get("lang") or "").strip() or None,
        kind=kind,
        # (not by author_id: the post referred to is most often someone else's)
        referenced_id=_author_id(platform, _post_key(platform, row.get("referenced_id") or "",
                                                     "")) or None,
        hashtags=tuple(dict.fromkeys(tags)),
        mentions=tuple(dict.fromkeys(mentions)),
        raw=orjson.dumps(row).decode(),
        **counts,
    )
    account = AccountRecord(
        platform=platform,
        key=key,
        platform_user_id=author_id or None,
        handle=handle,
        display_name=(row.get("author_name") or "").strip() or None,
        followers=_number(row, "author_followers"),
    )
    return post, account


def read(path: Path, chunk_posts: int = CHUNK_POSTS) -> Iterator[Chunk]:
    return newest_accounts(csv_chunks(
        path, chunk_posts, required=REQUIRED, column=lambda h: h.strip().lower(),
        from_row=from_row, row_errors=(RowError, ValueError, TypeError)))
