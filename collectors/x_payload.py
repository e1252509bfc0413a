"""X payloads to records, in one place: API v2 search pages, twarc2 lines, v1.1 tweets.

The live collector (`collectors.x`) and the archive importers (`collectors.twarc2`,
`collectors.tags`) all map through here, so a tweet means the same thing however it arrived.
IDs stay strings. A retweet carries the original's hashtags (its own text is cut at 140
characters and may have lost them) and reads "RT @author: <original text>". Referenced tweets
from `includes` come along as context posts, so a retweeted or quoted campaign original is
stored too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import orjson

from collectors.base import MAPPING_ERRORS, describe, parse_time
from knowvember.hashtags import fold, hashtags_in
from knowvember.records import AccountRecord, PostRecord

X_EPOCH_MS = 1288834974657  # the Twitter snowflake epoch (2010-11-04)
_KIND = {"retweeted": "repost", "quoted": "quote", "replied_to": "reply"}
_KIND_ORDER = ("retweeted", "quoted", "replied_to")
_V1_TIME = "%a %b %d %H:%M:%S %z %Y"

Json = dict[str, Any]


def snowflake_time(tweet_id: str) -> dt.datetime:
    """When a tweet id was minted (ids after late 2010 embed their creation time)."""
    ms = (int(tweet_id) >> 22) + X_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def snowflake_at(moment: dt.datetime) -> str:
    """The smallest tweet id minted at `moment`."""
    ms = int(moment.timestamp() * 1000) - X_EPOCH_MS
    return str(max(ms, 0) << 22)


def _dump(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _tags(entities: Mapping[str, Any] | None, text: str, key: str = "tag") -> tuple[str, ...]:
    tags = [fold(h[key]) for h in (entities or {}).get("hashtags") or () if h.get(key)]
    tags.extend(hashtags_in(text))
    return tuple(dict.fromkeys(tags))


def _mentions(entities: Mapping[str, Any] | None, key: str = "username") -> tuple[str, ...]:
    names = [m[key] for m in (entities or {}).get("mentions" if key == "username"
                                                  else "user_mentions") or () if m.get(key)]
    return tuple(dict.fromkeys("@" + n.lower() for n in names))


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def account_from_user(user: Json) -> AccountRecord:
    """An X v2 user object (as in `includes.users`) to an account keyed by user id."""
    username = user.get("username") or user.get("screen_name") or ""
    uid = str(user.get("id_str") or user["id"])
    metrics = user.get("public_metrics") or {}
    followers = metrics.get("followers_count", user.get("followers_count"))
    return AccountRecord(
        platform="x",
        key=uid,
        platform_user_id=uid,
        handle="@" + username.lower() if username else f"@id{uid}",
        display_name=user.get("name"),
        bio=user.get("description"),
        followers=None if followers is None else _int(followers),
        url=f"https://x.com/{username}" if username else None,
        raw=_dump(user),
    )


def _reference(tweet: Json) -> tuple[str, str | None]:
    refs = tweet.get("referenced_tweets") or ()
    if not refs:
        return "original", None
    by_type = {r.get("type"): r for r in refs}
    for kind in _KIND_ORDER:
        if kind in by_type:
            return _KIND[kind], str(by_type[kind]["id"])
    return "original", None


def post_from_tweet(
    tweet: Json,
    users: Mapping[str, Json],
    included: Mapping[str, Json],
    *,
    context_only: bool = False,
    raw: str | None = None,
) -> PostRecord:
    """An X v2 tweet to a post; `users` and `included` are the page's `includes`."""
    tid = str(tweet["id"])
    text = tweet.get("text") or ""
    author_id = tweet.get("author_id")
    author = users.get(author_id) if author_id else None
    kind, ref_id = _reference(tweet)
    tags = _tags(tweet.get("entities"), text)
    if kind == "repost" and ref_id in included:
        original = included[ref_id]
        orig_author = users.get(original.get("author_id") or "")
        name = orig_author.get("username") if orig_author else None
        if not name and text.startswith("RT @"):
            name = text[4:].split(":", 1)[0]
        orig_text = original.get("text") or ""
        text = f"RT @{name}: {orig_text}" if name else orig_text
        tags = tuple(dict.fromkeys((*_tags(original.get("entities"), orig_text), *tags)))
    metrics = tweet.get("public_metrics") or {}
    username = author.get("username") if author else None
    created = tweet.get("created_at")
    return PostRecord(
        platform="x",
        platform_id=tid,
        account_key=str(author_id) if author_id else None,
        created_at=parse_time(created) if created else snowflake_time(tid),
        text=text,
        url=f"https://x.com/{username or 'i/web'}/status/{tid}",
        lang=tweet.get("lang"),
        kind=kind,
        referenced_id=ref_id,
        conversation_id=tweet.get("conversation_id"),
        hashtags=tags,
        mentions=_mentions(tweet.get("entities")),
        likes=_int(metrics.get("like_count")),
        reposts=_int(metrics.get("retweet_count")),
        replies=_int(metrics.get("reply_count")),
        quotes=_int(metrics.get("quote_count")),
        raw=raw if raw is not None else _dump(tweet),
        context_only=context_only,
    )


def from_page(page: Json, errors: list[str] | None = None
              ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A v2 search response page (or a twarc2 JSONL line) to posts and accounts.

    Posts from `data` come first; tweets from `includes.tweets` follow as context posts. A
    tweet that cannot be read is left out and described in `errors` (raised without a list).
    """
    includes = page.get("includes") or {}
    users = {str(u["id"]): u for u in includes.get("users") or ()
             if isinstance(u, dict) and "id" in u}
    included = {str(t["id"]): t for t in includes.get("tweets") or ()
                if isinstance(t, dict) and "id" in t}
    posts = []
    for tweet in page.get("data") or ():
        try:
            posts.append(post_from_tweet(tweet, users, included))
        except MAPPING_ERRORS as exc:
            if errors is None:
                raise
            errors.append(f"tweet {_id_of(tweet)}: {describe(exc)}")
    seen = {p.platform_id for p in posts}
    for tid, tweet in included.items():
        if tid not in seen:
            try:
                posts.append(post_from_tweet(tweet, users, included, context_only=True))
            except MAPPING_ERRORS as exc:
                if errors is None:
                    raise
                errors.append(f"included tweet {tid}: {describe(exc)}")
    return posts, [account_from_user(u) for u in users.values()]


def _id_of(tweet: Any) -> str:
    return repr(tweet.get("id")) if isinstance(tweet, dict) else "(not an object)"


def from_flat_tweet(tweet: Json, line: str | None = None) -> tuple[list[PostRecord],
                                                                   list[AccountRecord]]:
    """A twarc2 flattened tweet (one per line, `author` and referenced tweets inlined)."""
    users: dict[str, Json] = {}
    included: dict[str, Json] = {}
    author = tweet.get("author")
    if isinstance(author, dict) and "id" in author:
        users[str(author["id"])] = author
    for ref in tweet.get("referenced_tweets") or ():
        if isinstance(ref, dict) and "text" in ref and "id" in ref:
            included[str(ref["id"])] = ref
            ref_author = ref.get("author")
            if isinstance(ref_author, dict) and "id" in ref_author:
                users[str(ref_author["id"])] = ref_author
    posts = [post_from_tweet(tweet, users, included, raw=line)]
    posts.extend(post_from_tweet(t, users, included, context_only=True)
                 for t in included.values())
    return posts, [account_from_user(u) for u in users.values()]


def _v1_text(tweet: Json) -> str:
    extended = tweet.get("extended_tweet") or {}
    return extended.get("full_text") or tweet.get("full_text") or tweet.get("text") or ""


def _v1_entities(tweet: Json) -> Json:
    return (tweet.get("extended_tweet") or {}).get("entities") or tweet.get("entities") or {}


def _v1_post(tweet: Json, *, context_only: bool = False) -> PostRecord:
    tid = str(tweet.get("id_str") or tweet["id"])
    user = tweet.get("user") or {}
    screen = user.get("screen_name")
    text = _v1_text(tweet)
    tags = _tags(_v1_entities(tweet), text, key="text")
    kind, ref = "original", None
    original = tweet.get("retweeted_status")
    if isinstance(original, dict):
        kind, ref = "repost", str(original.get("id_str") or original.get("id"))
        orig_user = (original.get("user") or {}).get("screen_name")
        orig_text = _v1_text(original)
        text = f"RT @{orig_user}: {orig_text}" if orig_user else orig_text
        tags = tuple(dict.fromkeys(
            (*_tags(_v1_entities(original), orig_text, key="text"), *tags)))
    elif tweet.get("is_quote_status") and tweet.get("quoted_status_id_str"):
        kind, ref = "quote", str(tweet["quoted_status_id_str"])
    elif tweet.get("in_reply_to_status_id_str"):
        kind, ref = "reply", str(tweet["in_reply_to_status_id_str"])
    created = tweet.get("created_at")
    return PostRecord(
        platform="x",
        platform_id=tid,
        account_key=str(user.get("id_str") or user.get("id")) if user else None,
        created_at=(dt.datetime.strptime(created, _V1_TIME) if created
                    else snowflake_time(tid)),
        text=text,
        url=f"https://x.com/{screen or 'i/web'}/status/{tid}",
        lang=tweet.get("lang"),
        kind=kind,
        referenced_id=ref,
        conversation_id=None,
        hashtags=tags,
        mentions=_mentions(_v1_entities(tweet), key="screen_name"),
        likes=_int(tweet.get("favorite_count")),
        reposts=_int(tweet.get("retweet_count")),
        replies=_int(tweet.get("reply_count")),
        quotes=_int(tweet.get("quote_count")),
        raw=_dump(tweet),
        context_only=context_only,
    )


def from_v1_tweet(tweet: Json) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A v1.1 tweet (twarc 1, or older archives) with its retweeted / quoted original."""
    posts = [_v1_post(tweet)]
    accounts = []
    if isinstance(tweet.get("user"), dict):
        accounts.append(account_from_user(tweet["user"]))
    for key in ("retweeted_status", "quoted_status"):
        inner = tweet.get(key)
        if isinstance(inner, dict):
            posts.append(_v1_post(inner, context_only=True))
            if isinstance(inner.get("user"), dict):
                accounts.append(account_from_user(inner["user"]))
    return posts, accounts


def is_page(obj: Json) -> bool:
    """A v2 response page (`data`/`includes`/`meta`/`errors`) rather than a single tweet."""
    return "id" not in obj and bool({"data", "meta", "includes", "errors"} & obj.keys())


def is_v1(obj: Json) -> bool:
    return "id_str" in obj and "user" in obj
