"""X payloads to records, in one place: API v2 pages, twarc2 lines, v1.1 tweets.

The live collector (`collectors.x`) and the archive importers (`collectors.twarc2`,
`collectors.tags`) all map through here, so a tweet means the same thing however it arrived.

A v2 page is decoded with msgspec into small typed structs, each tweet and user kept as the
exact bytes received (`Raw`): that is the stored raw payload, a user repeated on every page is
mapped once (`UserCache`), and the fields that matter are read without building a dict for
every nested object. This is the hot path of a million-post import.

IDs stay strings. Tweet text is unescaped once: X sends `&`, `<` and `>` as `&amp;`, `&lt;`
and `&gt;` (v2 and v1.1 alike; names and bios come plain), and the raw payload keeps them as
sent. A retweet carries the original's hashtags (its own text is cut at 140 characters and may
have lost them) and reads "RT @author: <original text>". Referenced tweets from `includes`
come along as context posts, so a retweeted or quoted campaign original is stored too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from html import unescape
from typing import Any

import msgspec
import orjson
from msgspec import Raw, Struct

from collectors.base import MAPPING_ERRORS, describe, parse_time
from knowvember.hashtags import folded, hashtags_in
from knowvember.records import AccountRecord, PostRecord

X_EPOCH_MS = 1288834974657  # the Twitter snowflake epoch (2010-11-04)
_KIND = {"retweeted": "repost", "quoted": "quote", "replied_to": "reply"}
_V1_TIME = "%a %b %d %H:%M:%S %z %Y"
# How X writes a retweet's text: "RT @screen_name: <original text>" (screen names are 1-15
# word characters). A hand-typed "RT @name text" without the colon is the poster's own post.
_RETWEET_TEXT = re.compile(r"RT @(\w{1,15}):")

Json = dict[str, Any]


# -- the v2 shapes, as far as the records need them ---------------------------------------


class Hashtag(Struct):
    tag: str = ""


class Mention(Struct):
    username: str = ""


class Entities(Struct):
    hashtags: list[Hashtag] = []
    mentions: list[Mention] = []


class Metrics(Struct):
    like_count: int = 0
    retweet_count: int = 0
    reply_count: int = 0
    quote_count: int = 0


class Reference(Struct):
    type: str = ""
    id: str = ""


class NoteTweet(Struct):
    """A long post's full text (over 280 characters): `text` then holds only its first 280,
    and the hashtags and mentions past them are only in these entities."""

    text: str = ""
    entities: Entities | None = None


class Tweet(Struct):
    id: str
    text: str = ""
    created_at: str | None = None
    author_id: str | None = None
    conversation_id: str | None = None
    lang: str | None = None
    public_metrics: Metrics | None = None
    entities: Entities | None = None
    referenced_tweets: list[Reference] | None = None
    note_tweet: NoteTweet | None = None
    # Every version of an edited tweet, oldest first: each version has its own id.
    edit_history_tweet_ids: list[str] | None = None


class UserMetrics(Struct):
    followers_count: int | None = None


class User(Struct):
    id: str
    username: str = ""
    name: str | None = None
    description: str | None = None
    public_metrics: UserMetrics | None = None


class Includes(Struct):
    users: list[Raw] = []
    tweets: list[Raw] = []


class Meta(Struct):
    newest_id: str | None = None
    oldest_id: str | None = None
    result_count: int = 0
    next_token: str | None = None


NO_TWARC = Raw(b"null")


class Page(Struct):
    data: list[Raw] = []
    includes: Includes | None = None
    meta: Meta | None = None
    errors: list[Raw] | None = None
    # What twarc adds to each page it writes (when it read the page: `retrieved_at`), kept
    # as it came, so that no shape of it can make the page unreadable (see `retrieved_at`);
    # NO_TWARC (JSON null) when the page has none.
    twarc: Raw = msgspec.field(default=NO_TWARC, name="__twarc")


_page = msgspec.json.Decoder(Page)
_tweet = msgspec.json.Decoder(Tweet)
_user = msgspec.json.Decoder(User)

DecodeError = (msgspec.DecodeError, msgspec.ValidationError)


def decode_page(body: bytes) -> Page:
    """A v2 response page; raises msgspec.DecodeError (not JSON) or ValidationError (shape)."""
    return _page.decode(body)


def retrieved_at(twarc: Raw | Mapping[str, Any] | None) -> dt.datetime | None:
    """When twarc read a page (or a flattened tweet) from the API: its `__twarc`
    `retrieved_at`, or None when it does not say (or says it in no readable form).

    The users a page includes are their profiles as of then, not as of their tweets: a
    full-archive search run in December shows November's authors as they are in December."""
    if twarc is None or twarc is NO_TWARC:
        return None
    try:
        value = (orjson.loads(bytes(twarc)) if isinstance(twarc, Raw) else twarc).get(
            "retrieved_at")
        return parse_time(value)
    except (AttributeError, ValueError):  # not an object, no time, or not one
        return None


# -- helpers ------------------------------------------------------------------------------


def snowflake_time(tweet_id: str) -> dt.datetime:
    """When a tweet id was minted (ids after late 2010 embed their creation time)."""
    ms = (int(tweet_id) >> 22) + X_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def snowflake_at(moment: dt.datetime) -> str:
    """The smallest tweet id minted at `moment`."""
    ms = int(moment.timestamp() * 1000) - X_EPOCH_MS
    return str(max(ms, 0) << 22)




def _tags(entities: Entities | None, text: str) -> list[str]:
    if entities is None:
        return hashtags_in(text)
    return [folded(h.tag) for h in entities.hashtags if h.tag]


def full_text(tweet: Tweet) -> tuple[str, Entities | None]:
    """A tweet's whole text (unescaped) and the entities that go with it.

    A long post (`note_tweet`) is cut at 280 characters in `text`, so a campaign hashtag at
    its end is only in `note_tweet`: without it the post would read as off-campaign. The
    note's entities cover the whole text; when they are missing, the tags are read from the
    text (entities None), the truncated text's mentions kept."""
    note = tweet.note_tweet
    if note is None or not note.text:
        return unescape(tweet.text), tweet.entities  # (no '&', no work)
    entities = note.entities
    if entities is None:
        return unescape(note.text), None
    if not entities.mentions and tweet.entities is not None:
        entities = Entities(hashtags=entities.hashtags, mentions=tweet.entities.mentions)
    return unescape(note.text), entities


def retweeted_author(text: str) -> str | None:
    """The screen name a retweet's text starts with ("RT @name: ..."), or None.

    The one reading of that prefix for every X importer (v2 pages whose original is missing,
    TAGS sheets, generic CSV rows), so a retweet is a repost however it arrived."""
    match = _RETWEET_TEXT.match(text)
    return match.group(1) if match else None


def _time(value: str | None, tid: str) -> dt.datetime:
    if not value:
        return snowflake_time(tid)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return parse_time(value)
    if moment.tzinfo is None or moment.year in (1, 9999):
        return parse_time(moment)  # naive means UTC; a time UTC cannot hold is refused
    return moment


def _as_text(raw: Raw | bytes) -> str:
    return bytes(raw).decode()  # msgspec.Raw is a buffer: bytes() copies it once


# -- users --------------------------------------------------------------------------------


def account_from_user(user: User, raw: str | None = None) -> AccountRecord:
    """An X v2 user to an account keyed by user id."""
    username = user.username
    followers = user.public_metrics.followers_count if user.public_metrics else None
    return AccountRecord(
        platform="x",
        key=user.id,
        platform_user_id=user.id,
        handle="@" + username.lower() if username else f"@id{user.id}",
        display_name=user.name,
        bio=user.description,
        followers=followers,
        url=f"https://x.com/{username}" if username else None,
        raw=raw,
    )


class UserCache:
    """Maps each distinct user payload once: the same author on every page costs a lookup."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._by_raw: dict[bytes, tuple[User, AccountRecord]] = {}

    def get(self, raw: Raw | bytes) -> tuple[User, AccountRecord]:
        key = bytes(raw)
        found = self._by_raw.get(key)
        if found is None:
            if len(self._by_raw) >= self.limit:
                self._by_raw.clear()
            user = _user.decode(key)
            found = self._by_raw[key] = (user, account_from_user(user, key.decode()))
        return found


# -- tweets -------------------------------------------------------------------------------


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(items) if len(items) < 2 else tuple(dict.fromkeys(items))


def _reference(refs: list[Reference] | None) -> tuple[str, str | None]:
    """The post kind and the tweet it refers to: a retweet over a quote over a reply."""
    if not refs:
        return "original", None
    if len(refs) == 1:
        kind = _KIND.get(refs[0].type)
        return (kind, refs[0].id) if kind else ("original", None)
    types = {r.type: r.id for r in refs}
    for name in ("retweeted", "quoted", "replied_to"):
        if name in types:
            return _KIND[name], types[name]
    return "original", None


def post_from_tweet(
    tweet: Tweet,
    raw: str,
    users: Mapping[str, User],
    included: Mapping[str, Tweet],
    *,
    context_only: bool = False,
) -> PostRecord:
    """An X v2 tweet to a post; `users` and `included` are its page's `includes`."""
    tid = tweet.id
    text, entities = full_text(tweet)
    kind, ref_id = _reference(tweet.referenced_tweets)
    tags = _tags(entities, text)
    if kind == "repost" and ref_id in included:
        original = included[ref_id]
        orig_text, orig_entities = full_text(original)
        orig_author = users.get(original.author_id or "")
        name = orig_author.username if orig_author else None
        if not name:
            name = retweeted_author(text)
        text = f"RT @{name}: {orig_text}" if name else orig_text
        tags = [*_tags(orig_entities, orig_text), *tags]
    elif not tags and entities is not None and "#" in text:
        tags = hashtags_in(text)
    metrics = tweet.public_metrics or _NO_METRICS
    author = users.get(tweet.author_id) if tweet.author_id else None
    mentions = entities.mentions if entities is not None else None
    history = tweet.edit_history_tweet_ids
    return PostRecord(
        platform="x",
        platform_id=tid,
        account_key=tweet.author_id,
        created_at=_time(tweet.created_at, tid),
        text=text,
        url=f"https://x.com/{author.username if author else 'i/web'}/status/{tid}",
        lang=tweet.lang,
        kind=kind,
        referenced_id=ref_id,
        conversation_id=tweet.conversation_id,
        hashtags=_unique(tags),
        mentions=_unique(["@" + m.username.lower() for m in mentions if m.username])
        if mentions else (),
        likes=metrics.like_count,
        reposts=metrics.retweet_count,
        replies=metrics.reply_count,
        quotes=metrics.quote_count,
        raw=raw,
        context_only=context_only,
        versions=tuple(history) if history and len(history) > 1 else (),
    )


_NO_METRICS = Metrics()


Known = Callable[[list[tuple[str, tuple[int, int, int, int]]]], set[str]]


def counts_of(tweet: Tweet | TweetKey) -> tuple[int, int, int, int]:
    m = tweet.public_metrics or _NO_METRICS
    return (m.like_count, m.retweet_count, m.reply_count, m.quote_count)


def is_retweet(tweet: Tweet | TweetKey) -> bool:
    return any(r.type == "retweeted" for r in tweet.referenced_tweets or ())


class Decoded(Struct):
    """A page's users and tweets decoded, not yet mapped: what is already stored can be
    asked about (for several pages at once) before any of it is mapped."""

    users: dict[str, User]
    accounts: list[AccountRecord]
    included: dict[str, tuple[Tweet, Raw]]
    data: list[tuple[Tweet, Raw]]

    def counted(self) -> list[tuple[str, tuple[int, int, int, int]]]:
        """(id, counts) of every tweet on the page, for `Known`."""
        return ([(t.id, counts_of(t)) for t, _ in self.data]
                + [(t.id, counts_of(t)) for t, _ in self.included.values()])


class TweetKey(Struct):
    """What says whether a stored tweet would change: decoded without the text, entities
    and the rest, so a re-import asks about a page at a fraction of the cost of mapping it."""

    id: str
    public_metrics: Metrics | None = None
    referenced_tweets: list[Reference] | None = None
    # An edited tweet's versions: a re-import skips the stored latest version, and must
    # still know that an earlier one on the page is superseded (`collectors.twarc2`).
    edit_history_tweet_ids: list[str] | None = None


_tweet_key = msgspec.json.Decoder(TweetKey)


def peek(raws: list[Raw], unread: list[Raw] | None = None) -> list[TweetKey | None]:
    """The key of each tweet (None for one that cannot be read: decoding it whole says why).

    Those are also added to `unread`, so that a caller learns of them without looking through
    the keys of every page (`collectors.twarc2` then tries the page with its ids as strings)."""
    keys: list[TweetKey | None] = []
    for raw in raws:
        try:
            keys.append(_tweet_key.decode(raw))
        except DecodeError:
            keys.append(None)
            if unread is not None:
                unread.append(raw)
    return keys


def decode_tweets(page: Page, errors: list[str] | None = None, *,
                  cache: UserCache | None = None,
                  skip: tuple[list[TweetKey | None], list[TweetKey | None], set[str], set[str]]
                  | None = None) -> Decoded:
    """Decode a page's users and tweets; one that cannot be read is described in `errors`.

    `skip` is (keys of `data`, keys of `includes.tweets`, ids of `data` to leave out, ids of
    included tweets to leave out): those are not decoded whole (an included tweet that a kept
    tweet refers to still is, since a retweet's text is built from its original's)."""
    cache = cache or UserCache()
    includes = page.includes or Includes()
    data_raws: list[Raw] = page.data
    included_raws: list[Raw] = includes.tweets
    if skip is not None:
        data_keys, included_keys, leave_data, leave_included = skip
        data_raws = [raw for raw, key in zip(page.data, data_keys, strict=True)
                     if key is None or key.id not in leave_data]
        needed = {r.id for keys, leave in ((data_keys, leave_data),
                                           (included_keys, leave_included))
                  for key in keys if key is not None and key.id not in leave
                  for r in key.referenced_tweets or ()}
        included_raws = [raw for raw, key in zip(includes.tweets, included_keys, strict=True)
                         if key is None or key.id not in leave_included or key.id in needed]
        if not data_raws and not included_raws:
            return Decoded({}, [], {}, [])
    users: dict[str, User] = {}
    accounts: list[AccountRecord] = []
    for raw in includes.users:
        try:
            user, account = cache.get(raw)
        except DecodeError as exc:
            _problem(errors, f"included user: {exc}")
            continue
        users[user.id] = user
        accounts.append(account)
    included: dict[str, tuple[Tweet, Raw]] = {}
    for raw in included_raws:
        try:
            tweet = _tweet.decode(raw)
        except DecodeError as exc:
            _problem(errors, f"included tweet: {exc}")
            continue
        included[tweet.id] = (tweet, raw)
    data: list[tuple[Tweet, Raw]] = []
    for raw in data_raws:
        try:
            data.append((_tweet.decode(raw), raw))
        except DecodeError as exc:
            _problem(errors, f"tweet: {describe(exc)}")
    return Decoded(users, accounts, included, data)


def map_decoded(decoded: Decoded, errors: list[str] | None = None, *,
                skip: set[str] | frozenset[str] = frozenset(),
                unchanged: list[str] | None = None,
                repeated: set[str] | frozenset[str] = frozenset(), raw_bytes: bool = False,
                ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A decoded page to posts and accounts, leaving out the tweets in `skip` (the skipped
    `data` ids are added to `unchanged`) and the included tweets in `repeated` (an earlier
    page of the same file brought them already). `raw_bytes` leaves each post's raw payload
    as the bytes received, for a reader that hands them on (`collectors.offload`)."""
    _text = bytes if raw_bytes else _as_text
    users = decoded.users
    by_id = {tid: t for tid, (t, _) in decoded.included.items()}
    posts: list[PostRecord] = []
    seen: set[str] = set()
    for tweet, raw in decoded.data:
        seen.add(tweet.id)
        if tweet.id in skip:
            if unchanged is not None:
                unchanged.append(tweet.id)
            continue
        try:
            posts.append(post_from_tweet(tweet, _text(raw), users, by_id))
        except MAPPING_ERRORS as exc:
            _problem(errors, f"tweet {tweet.id}: {describe(exc)}")
    for tid, (tweet, raw) in decoded.included.items():
        if tid not in seen and tid not in skip and tid not in repeated:
            try:
                posts.append(post_from_tweet(tweet, _text(raw), users, by_id,
                                             context_only=True))
            except MAPPING_ERRORS as exc:
                _problem(errors, f"included tweet {tid}: {describe(exc)}")
    return posts, decoded.accounts


def from_page(page: Page, errors: list[str] | None = None, *,
              cache: UserCache | None = None, known: Known | None = None,
              unchanged: list[str] | None = None
              ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A decoded v2 page (live search response or twarc2 line) to posts and accounts.

    Posts from `data` come first; tweets from `includes.tweets` follow as context posts. A
    tweet that cannot be read is left out and described in `errors` (raised without a list).
    `known`, given (id, counts) pairs, names the tweets already stored that this page would
    not change: they are not mapped again (a re-import costs a lookup, not a mapping), and
    the skipped `data` ids are added to `unchanged`.
    """
    decoded = decode_tweets(page, errors, cache=cache)
    skip: set[str] = set()
    if known is not None and (decoded.data or decoded.included):
        skip = known(decoded.counted())
    return map_decoded(decoded, errors, skip=skip, unchanged=unchanged)


def _problem(errors: list[str] | None, message: str) -> None:
    if errors is None:
        raise ValueError(message)
    errors.append(message)


# -- twarc2 flattened tweets and v1.1 tweets (dicts) --------------------------------------


def _convert(obj: Json, kind: type[Any]) -> Any:
    return msgspec.convert(obj, kind, strict=False)


def from_flat_tweet(tweet: Json, line: str | None = None
                    ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A twarc2 flattened tweet (one per line, `author` and referenced tweets inlined)."""
    users: dict[str, User] = {}
    accounts: list[AccountRecord] = []
    included: dict[str, Tweet] = {}
    raws: dict[str, str] = {}

    def add_user(obj: Any) -> None:
        if isinstance(obj, dict) and "id" in obj:
            user = _convert({**obj, "id": str(obj["id"])}, User)
            users[user.id] = user
            accounts.append(account_from_user(user, orjson.dumps(obj).decode()))

    add_user(tweet.get("author"))
    for ref in tweet.get("referenced_tweets") or ():
        if isinstance(ref, dict) and "text" in ref and "id" in ref:
            inner = _convert({**ref, "id": str(ref["id"])}, Tweet)
            included[inner.id] = inner
            raws[inner.id] = orjson.dumps(ref).decode()
            add_user(ref.get("author"))
    main = _convert({**tweet, "id": str(tweet["id"])}, Tweet)
    posts = [post_from_tweet(main, line or orjson.dumps(tweet).decode(), users, included)]
    posts.extend(post_from_tweet(t, raws[tid], users, included, context_only=True)
                 for tid, t in included.items())
    return posts, accounts


def _v1_text(tweet: Json) -> str:
    """The full text, unescaped: v1.1 escapes `&`, `<` and `>` as v2 does."""
    extended = tweet.get("extended_tweet") or {}
    return unescape(extended.get("full_text") or tweet.get("full_text") or tweet.get("text")
                    or "")


def _v1_entities(tweet: Json) -> Json:
    return (tweet.get("extended_tweet") or {}).get("entities") or tweet.get("entities") or {}


def _v1_tags(tweet: Json, text: str) -> list[str]:
    tags = [folded(h["text"]) for h in _v1_entities(tweet).get("hashtags") or ()
            if isinstance(h, dict) and h.get("text")]
    return tags or hashtags_in(text)


def _v1_account(user: Json) -> AccountRecord:
    uid = str(user.get("id_str") or user["id"])
    username = user.get("screen_name") or ""
    return AccountRecord(
        platform="x", key=uid, platform_user_id=uid,
        handle="@" + username.lower() if username else f"@id{uid}",
        display_name=user.get("name"), bio=user.get("description"),
        followers=user.get("followers_count"),
        url=f"https://x.com/{username}" if username else None,
        raw=orjson.dumps(user).decode(),
    )


def _v1_id(obj: Json, key: str) -> str | None:
    """An id field of a v1.1 object: `key_str`, or `key` when a re-export kept only the
    number (v1.1 sends both)."""
    value = obj.get(key + "_str") or obj.get(key)
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


_QUOTED_URL = re.compile(
    r"^https?://(?:(?:www|mobile)\.)?(?:twitter|x)\.com/\w+/status(?:es)?/(\d+)")


def quoted_in_links(entities: Any, tid: str) -> str | None:
    """The tweet a v1.1 tweet quotes, from its links alone: X appends a quote's permalink to
    its text, so the last link in `entities` to another tweet names it. For files that keep
    no quote fields (a TAGS sheet, an X account archive's tweets.js), whose quotes were
    stored as originals and, quoting a campaign post without its hashtag, left out."""
    links = entities.get("urls") if isinstance(entities, dict) else None
    for link in reversed(links if isinstance(links, list) else ()):
        if not isinstance(link, dict):
            continue
        match = _QUOTED_URL.search(str(link.get("expanded_url") or ""))
        if match and match.group(1) != tid:
            return match.group(1)
    return None


def _v1_quoted_id(tweet: Json) -> str | None:
    """The id of the tweet a v1.1 quote quotes: `quoted_status_id_str`, or the embedded
    `quoted_status` itself when an export kept only that (the quote was read as an
    original before)."""
    quoted = tweet.get("quoted_status")
    return _v1_id(tweet, "quoted_status_id") or (
        _v1_id(quoted, "id") if isinstance(quoted, dict) else None)


def _v1_time(value: Any, tid: str) -> dt.datetime:
    """A v1.1 `created_at` ('Tue Nov 05 09:30:00 +0000 2019'); an ISO 8601 time as some
    re-exports rewrite it is read too, and no time at all is the id's own."""
    if not value:
        return snowflake_time(tid)
    try:
        return dt.datetime.strptime(value, _V1_TIME)
    except (TypeError, ValueError):
        return _time(value if isinstance(value, str) else str(value), tid)


def _v1_post(tweet: Json, *, context_only: bool = False) -> PostRecord:
    tid = str(tweet.get("id_str") or tweet["id"])
    user = tweet.get("user") or {}
    screen = user.get("screen_name")
    text = _v1_text(tweet)
    tags = _v1_tags(tweet, text)
    kind, ref = "original", None
    original = tweet.get("retweeted_status")
    if isinstance(original, dict):
        kind, ref = "repost", str(original.get("id_str") or original.get("id"))
        orig_user = (original.get("user") or {}).get("screen_name")
        orig_text = _v1_text(original)
        text = f"RT @{orig_user}: {orig_text}" if orig_user else orig_text
        tags = [*_v1_tags(original, orig_text), *tags]
    elif tweet.get("is_quote_status") and (quoted := _v1_quoted_id(tweet)):
        kind, ref = "quote", quoted
    elif replied := _v1_id(tweet, "in_reply_to_status_id"):
        kind, ref = "reply", replied
    mentions = [m.get("screen_name") for m in _v1_entities(tweet).get("user_mentions") or ()
                if isinstance(m, dict) and m.get("screen_name")]
    return PostRecord(
        platform="x",
        platform_id=tid,
        account_key=str(user.get("id_str") or user.get("id")) if user else None,
        created_at=_v1_time(tweet.get("created_at"), tid),
        text=text,
        url=f"https://x.com/{screen or 'i/web'}/status/{tid}",
        lang=tweet.get("lang"),
        kind=kind,
        referenced_id=ref,
        hashtags=tuple(dict.fromkeys(tags)),
        mentions=tuple(dict.fromkeys("@" + m.lower() for m in mentions)),
        likes=int(tweet.get("favorite_count") or 0),
        reposts=int(tweet.get("retweet_count") or 0),
        replies=int(tweet.get("reply_count") or 0),
        quotes=int(tweet.get("quote_count") or 0),
        raw=orjson.dumps(tweet).decode(),
        context_only=context_only,
        versions=_v1_versions(tweet),
    )


def _v1_versions(tweet: Json) -> tuple[str, ...]:
    """An edited v1.1 tweet's versions, oldest first (`edit_history.edit_tweet_ids`, sent
    with `include_ext_edit_control`); () when it was never edited."""
    history = tweet.get("edit_history")
    ids = history.get("edit_tweet_ids") if isinstance(history, dict) else None
    if not isinstance(ids, list) or len(ids) < 2:
        return ()
    return tuple(str(i) for i in ids)


def from_v1_tweet(tweet: Json) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A v1.1 tweet (twarc 1, or older archives) with its retweeted / quoted original."""
    posts = [_v1_post(tweet)]
    accounts = []
    if isinstance(tweet.get("user"), dict):
        accounts.append(_v1_account(tweet["user"]))
    for key in ("retweeted_status", "quoted_status"):
        inner = tweet.get(key)
        if isinstance(inner, dict):
            posts.append(_v1_post(inner, context_only=True))
            if isinstance(inner.get("user"), dict):
                accounts.append(_v1_account(inner["user"]))
    return posts, accounts


def is_page(obj: Json) -> bool:
    """A v2 response page (`data`/`includes`/`meta`/`errors`) rather than a single tweet."""
    return "id" not in obj and bool({"data", "meta", "includes", "errors"} & obj.keys())


def is_v1(obj: Json) -> bool:
    """A v1.1 tweet: it carries its `user` object (v2 tweets, flattened, carry `author`).

    Not `id_str`: a re-export may keep only the numeric `id`, and such a tweet read as a v2
    one failed on its v1.1 `created_at` ('Tue Nov 05 09:30:00 +0000 2019')."""
    return isinstance(obj.get("user"), dict) and ("id_str" in obj or "id" in obj)
