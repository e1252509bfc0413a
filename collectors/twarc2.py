"""twarc2 JSONL archives: X API v2 response pages, one per line, as `twarc2 search` writes them.

Also read: twarc2's flattened form (`twarc2 flatten`: one tweet per line with its `author` and
referenced tweets inlined), v1.1 tweets (twarc 1, which is how 2018/2019 campaigns were
archived), and a single saved response. A page's top-level `errors` (tweets the API could not
return) are counted, not failures. Ids that a re-export wrote as JSON numbers, all of them or
only some, are read as the strings they were. Mapping goes through `collectors.x_payload`,
exactly as live collection does.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import orjson
from msgspec import Raw

from collectors.archive import (
    CHUNK_POSTS,
    Chunk,
    LineError,
    Source,
    Span,
    UntilCut,
    as_utf8,
    file_size,
    json_values,
)
from collectors.base import MAPPING_ERRORS, describe
from collectors.x_payload import (
    Decoded,
    Known,
    Page,
    TweetKey,
    UserCache,
    counts_of,
    decode_page,
    decode_tweets,
    from_flat_tweet,
    from_page,
    from_v1_tweet,
    is_page,
    is_retweet,
    is_v1,
    map_decoded,
    peek,
    quoted_in_links,
    retrieved_at,
    retweeted_author,
    snowflake_time,
)
from knowvember.errors import InputError
from knowvember.records import AccountRecord, PostRecord

PLATFORM = "x"
_ID_KEYS = frozenset(("id", "author_id", "conversation_id", "in_reply_to_user_id",
                      "newest_id", "oldest_id"))
_NUMBER_ID = re.compile(rb'"(?:id|author_id|conversation_id|in_reply_to_user_id)"\s*:\s*\d')


def _decode(line: bytes) -> Page | Any:
    """A v2 page the fast way; anything else (flattened, v1.1, odd types) as plain JSON."""
    try:
        page = decode_page(line)
    except msgspec.ValidationError:
        return _normalised_page(orjson.loads(line))
    if page.data and (kind := _not_tweets(page.data[0])):
        raise _Unreadable(kind)
    if _ids_are_numbers(page):
        return _normalised_page(orjson.loads(line))
    if page.data or page.includes is not None or page.meta is not None or page.errors:
        return page
    return orjson.loads(line)


def _not_tweets(first: Raw) -> str | None:
    """What a page holds instead of tweets, from its first item (a tweet always has `text`),
    or None: `twarc2 users`, `followers` or `following` write pages of users, `twarc2 counts`
    pages of tweet counts. Their items were read as tweets without text ("2 read, 2 skipped
    off-campaign", exit 0, for a file of followers) or failed as tweets without an id."""
    item = bytes(first)
    if b'"text"' in item:
        return None
    if b'"username"' in item:
        return ("a page of X accounts (twarc2 users, followers or following), not tweets: "
                "no import reads accounts alone; import the tweets (twarc2 search or "
                "timeline)")
    if b'"tweet_count"' in item:
        return ("a page of tweet counts (twarc2 counts), not tweets: import the tweets "
                "(twarc2 search)")
    return None


def _ids_are_numbers(page: Page) -> bool:
    """Whether the page was re-exported with its ids as numbers: its first tweet and its first
    user both have one. Such a page is made whole at once; one where only some ids are
    numbers is made so when one of its tweets or users cannot be read (`_with_string_ids`)."""
    firsts = [raws[0] for raws in (page.data, page.includes.users if page.includes else ())
              if raws]
    return bool(firsts) and all(_NUMBER_ID.search(bytes(raw)) for raw in firsts)


def _string_ids(obj: Any) -> Any:
    """`obj` with the ids that came as numbers (some re-exports write them so) as strings."""
    if isinstance(obj, dict):
        return {k: (str(v) if k in _ID_KEYS and isinstance(v, int) else _string_ids(v))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_string_ids(v) for v in obj]
    return obj


def _normalised_page(value: Any) -> Page | Any:
    """A page whose ids came as numbers: ids become strings again. A single-tweet lookup
    (`GET /2/tweets/:id`, saved from a browser or curl) has one tweet as `data`, not a
    list of them: it reads as a page of one."""
    if not (isinstance(value, dict) and is_page(value)):
        return value
    if isinstance(value.get("data"), dict):
        value = {**value, "data": [value["data"]]}
    try:
        return decode_page(orjson.dumps(_string_ids(value)))
    except msgspec.ValidationError as exc:
        raise _Unreadable(f"not a twarc2 page ({exc})") from None


def _with_string_ids(page: Page) -> Page | None:
    """`page` again with its ids that came as numbers as strings; None if it has none.

    Asked only once a tweet or user of the page could not be read, so a page that reads
    costs nothing more: a re-export may have written any of its ids as numbers, not only
    the first tweet's and user's, and the page then reads as if they were strings. A page
    that is not UTF-8 (saved by Notepad as "ANSI") is read as Windows-1252 the same way."""
    includes = page.includes
    raws = itertools.chain(page.data, includes.users, includes.tweets) if includes else page.data
    body = msgspec.json.encode(page)
    utf8 = as_utf8(body)
    if utf8 is None and not any(_NUMBER_ID.search(bytes(raw)) for raw in raws):
        return None
    try:
        fixed = _normalised_page(orjson.loads(utf8 or body))
    except (_Unreadable, orjson.JSONDecodeError):
        return None
    return fixed if isinstance(fixed, Page) else None


def _decoded(page: Page, problems: list[str], cache: UserCache,
             skip: tuple[list[TweetKey | None], list[TweetKey | None], set[str], set[str]]
             | None = None) -> Decoded:
    """`decode_tweets`, once more with the ids as strings when a tweet or user could not be
    read and the page has ids written as numbers (its problems are then the second try's)."""
    one = decode_tweets(page, problems, cache=cache, skip=skip)
    if problems and (fixed := _with_string_ids(page)) is not None:
        problems.clear()
        one = decode_tweets(fixed, problems, cache=cache, skip=skip)
    return one


class _Unreadable(ValueError):
    pass


PROBE_TWEETS = 2_000  # tweets decoded before one look-up asks which are stored already
REPEATS_KEPT = 200_000  # tweets remembered per file, so a repeated original is mapped once


class _Repeats:
    """Tweets this file already brought, with their counts: a retweeted or quoted original
    comes again in the `includes` of page after page, and one no fresher than the copy
    already mapped would change nothing. Retweets are not remembered (their text is built
    from the page's includes)."""

    def __init__(self, limit: int = REPEATS_KEPT) -> None:
        self.limit = limit
        self.counts: dict[str, tuple[int, int, int, int]] = {}

    def of(self, included: Iterable[tuple[str, tuple[int, int, int, int], bool]]) -> set[str]:
        """Among a page's included tweets ((id, counts, is a retweet) each), those brought
        before (on an earlier page, waiting or mapped) with counts at least as high; the
        others are remembered from now on."""
        counts = self.counts
        self._trim()
        found = set()
        for tid, now, retweet in included:
            before = counts.get(tid)
            if before is not None and (now == before or all(
                    a <= b for a, b in zip(now, before, strict=True))):
                found.add(tid)
            elif not retweet:
                counts[tid] = now
        return found

    def _trim(self) -> None:
        """Forget the older half when full: an archive is in time order, so the originals
        still being retweeted are the recent ones."""
        if len(self.counts) >= self.limit:
            for tid in list(itertools.islice(self.counts, self.limit // 2)):
                del self.counts[tid]

    def remember(self, posts: list[PostRecord]) -> None:
        """Posts mapped from `data`: a later page may include them again."""
        self._trim()
        for p in posts:
            if p.kind != "repost" and not p.context_only:
                self.counts[p.platform_id] = (p.likes, p.reposts, p.replies, p.quotes)


class _Edits:
    """The versions of edited tweets this file brought: one post, the latest version.

    X gives each version of an edited tweet its own id and lists them all, oldest first, in
    `edit_history_tweet_ids`; an archive may hold two versions (a search run before and
    after the edit, a stream, or a search that returns each). Each would be a post of its
    own, counted twice. A version is left out once the file has brought a later one, and a
    reply or quote of it refers to that later one. Only this file is known: a version
    already stored by an earlier import or chunk stays (the store would have to merge)."""

    def __init__(self) -> None:
        self.latest: dict[str, tuple[int, str]] = {}  # earlier id -> (rank, later id)

    def note(self, tweet_id: str, history: list[str] | None) -> None:
        """A tweet read from the file, with its edit history (None or one id: not edited)."""
        if not history or len(history) < 2 or tweet_id not in history:
            return
        rank = history.index(tweet_id)
        for earlier in history[:rank]:
            known = self.latest.get(earlier)
            if known is None or known[0] < rank:
                self.latest[earlier] = (rank, tweet_id)

    def note_page(self, decoded: Decoded) -> None:
        for tweet, _ in decoded.data:
            self.note(tweet.id, tweet.edit_history_tweet_ids)
        for tid, (tweet, _) in decoded.included.items():
            self.note(tid, tweet.edit_history_tweet_ids)

    def note_value(self, value: Any) -> None:
        """A flattened tweet (its inlined referenced tweets too), or a list of them."""
        for item in value if isinstance(value, list) else (value,):
            if not isinstance(item, dict):
                continue
            history = item.get("edit_history_tweet_ids")
            if isinstance(history, list):
                self.note(str(item.get("id")), [str(i) for i in history])
            for ref in item.get("referenced_tweets") or ():
                if isinstance(ref, dict) and isinstance(ref.get("edit_history_tweet_ids"), list):
                    self.note(str(ref.get("id")), [str(i) for i in ref["edit_history_tweet_ids"]])

    def apply(self, chunk: Chunk) -> None:
        """Leave out the chunk's earlier versions; point references at the later one."""
        latest = self.latest
        if not latest:
            return
        kept = []
        for post in chunk.posts:
            if post.platform_id in latest:
                chunk.superseded += not post.context_only
                continue
            if post.referenced_id in latest:
                post.referenced_id = latest[post.referenced_id][1]
            kept.append(post)
        chunk.posts = kept


class _Waiting:
    """Pages waiting to be mapped, so that one look-up covers several pages.

    When the look-up will be made, each tweet is first decoded only as far as its id and
    counts (`x_payload.peek`), and only those not stored already are decoded whole: a
    re-import then costs little more than reading the file."""

    def __init__(self) -> None:
        self.pages: list[tuple[int, Page, list[str]]] = []
        self.tweets = 0

    def add(self, number: int, page: Page, problems: list[str]) -> None:
        self.pages.append((number, page, problems))
        self.tweets += len(page.data) + (len(page.includes.tweets) if page.includes else 0)

    def map_into(self, chunk: Chunk, label: str, known: Known | None, repeats: _Repeats,
                 raw_bytes: bool, cache: UserCache, edits: _Edits) -> None:
        if not self.pages:
            return
        # (before `_peeked`, which may put a page with its ids as strings in its place)
        seen = {number: when for number, page, _ in self.pages
                if (when := retrieved_at(page.twarc)) is not None}
        will_ask = known is not None and getattr(known, "will_ask", lambda: True)()
        if will_ask:
            decoded = self._peeked(known, repeats, cache, edits)
        else:
            if known is not None:
                known([])  # a probe resting between asks counts this batch
            decoded = []
            for number, page, problems in self.pages:
                try:
                    one = _decoded(page, problems, cache)
                except MAPPING_ERRORS as exc:
                    chunk.errors.append(LineError(label, number, describe(exc)))
                    continue
                repeated = repeats.of((tid, counts_of(t), is_retweet(t))
                                      for tid, (t, _) in one.included.items())
                decoded.append((number, one, problems, repeated, set(), []))
        for number, one, problems, repeated, skip, unchanged in decoded:
            edits.note_page(one)
            try:
                posts, accounts = map_decoded(one, problems, skip=skip, unchanged=unchanged,
                                              repeated=repeated, raw_bytes=raw_bytes)
            except MAPPING_ERRORS as exc:
                chunk.errors.append(LineError(label, number, describe(exc)))
                continue
            if unchanged:
                chunk.unchanged += len(unchanged)
                chunk.unchanged_span = _span(chunk.unchanged_span, unchanged)
            repeats.remember(posts)
            if number in seen:
                _seen_at(accounts, seen[number])
            chunk.errors.extend(LineError(label, number, p) for p in problems)
            chunk.posts.extend(posts)
            chunk.accounts.extend(accounts)
        self.pages = []
        self.tweets = 0

    def _peeked(self, known: Known, repeats: _Repeats, cache: UserCache, edits: _Edits
                ) -> list[tuple[int, Decoded, list[str], set[str], set[str], list[str]]]:
        """Ask once for the waiting pages' tweets, then decode only what must be mapped."""
        keyed = []
        asked: list[tuple[str, tuple[int, int, int, int]]] = []
        for number, page, problems in self.pages:
            unread: list[Raw] = []
            data_keys = peek(page.data, unread)
            included_keys = peek(page.includes.tweets if page.includes else [], unread)
            if unread and (fixed := _with_string_ids(page)) is not None:
                page = fixed  # asked about (and mapped) with the ids as strings
                data_keys = peek(page.data)
                included_keys = peek(page.includes.tweets if page.includes else [])
            for k in itertools.chain(data_keys, included_keys):
                if k is not None:  # (a stored version is not decoded whole below)
                    edits.note(k.id, k.edit_history_tweet_ids)
            repeated = repeats.of((k.id, counts_of(k), is_retweet(k))
                                  for k in included_keys if k is not None)
            asked.extend((k.id, counts_of(k)) for k in data_keys if k is not None)
            asked.extend((k.id, counts_of(k)) for k in included_keys
                         if k is not None and k.id not in repeated)
            keyed.append((number, page, problems, data_keys, included_keys, repeated))
        stored = known(asked) if asked else set()
        out = []
        for number, page, problems, data_keys, included_keys, repeated in keyed:
            leave = stored | repeated
            unchanged = [k.id for k in data_keys if k is not None and k.id in stored]
            one = _decoded(page, problems, cache,
                           skip=(data_keys, included_keys, stored, leave))
            out.append((number, one, problems, repeated, stored, unchanged))
        return out


def read(path: Path, chunk_posts: int = CHUNK_POSTS, *, known: Known | None = None,
         raw_bytes: bool = False, span: Span | None = None) -> Iterator[Chunk]:
    """Chunks of records; with `known` (see `x_payload.from_page`), tweets already stored
    unchanged are counted in `Chunk.unchanged` instead of being mapped again. `raw_bytes`:
    see `x_payload.map_decoded`; `span`: read only that part of the file."""
    if span is None and _account_archive(path):
        yield from _read_account_archive(path, chunk_posts)
        return
    cache = UserCache()
    repeats = _Repeats()
    waiting = _Waiting()
    edits = _Edits()
    with Source(path, span) as source:
        chunk = Chunk()
        values = UntilCut(json_values(source, _parse))
        for number, value in values:
            chunk.lines = number
            if isinstance(value, Page):
                chunk.api_errors += len(value.errors or ())
                waiting.add(number, value, [])
                if waiting.tweets < min(PROBE_TWEETS, chunk_posts - len(chunk.posts)):
                    continue
                waiting.map_into(chunk, source.label, known, repeats, raw_bytes, cache, edits)
            else:
                waiting.map_into(chunk, source.label, known, repeats, raw_bytes, cache, edits)
                edits.note_value(value)
                _other(value, chunk, source.label, number, cache)
            if len(chunk.posts) >= chunk_posts:
                edits.apply(chunk)
                chunk.position = source.position()
                yield chunk
                chunk = Chunk(lines=number)
        waiting.map_into(chunk, source.label, known, repeats, raw_bytes, cache, edits)
        edits.apply(chunk)
        chunk.position = source.position()
        yield chunk
        values.raise_if_cut()


def _other(value: Any, chunk: Chunk, label: str, number: int, cache: UserCache) -> None:
    """A line that is not a v2 page: an error, a list, a flattened or v1.1 tweet."""
    if isinstance(value, LineError):
        chunk.errors.append(value)
        return
    if _stream_notice(value):
        chunk.api_errors += 1
        return
    problems: list[str] = []
    try:
        if isinstance(value, _Bad):
            raise ValueError(value.message)
        if isinstance(value, list):
            posts, accounts = [], []
            for item in value:
                found = _item(item, problems, cache)
                posts.extend(found[0])
                accounts.extend(found[1])
        else:
            posts, accounts = _item(value, problems, cache)
    except MAPPING_ERRORS as exc:
        chunk.errors.append(LineError(label, number, describe(exc)))
        return
    if isinstance(value, dict) and (when := retrieved_at(value.get("__twarc"))) is not None:
        _seen_at(accounts, when)  # a flattened tweet (`twarc2 flatten` keeps `__twarc`)
    chunk.errors.extend(LineError(label, number, p) for p in problems)
    chunk.posts.extend(posts)
    chunk.accounts.extend(accounts)


def _seen_at(accounts: list[AccountRecord], when: dt.datetime) -> None:
    """Date the accounts' profiles by when twarc read them (`__twarc.retrieved_at`), not by
    their tweets: an account renamed after tweeting, in a full-archive search run after a
    collection, kept the handle the collection stored (the tweets were older than it), and
    `[[organisations]] accounts` naming the new handle matched nobody. A record the user
    cache hands to several pages is the same profile each time: it keeps the latest time."""
    for account in accounts:
        if account.seen_at is None or account.seen_at < when:
            account.seen_at = when


def _span(span: tuple[dt.datetime, dt.datetime] | None, ids: list[str]
          ) -> tuple[dt.datetime, dt.datetime]:
    """Widen a time span by tweets known only by id (their ids embed the time)."""
    low = snowflake_time(min(ids, key=int))
    high = snowflake_time(max(ids, key=int))
    return (low, high) if span is None else (min(span[0], low), max(span[1], high))


# What a v1.1 stream sends between tweets, which `twarc filter --warnings` (and stream
# listeners that save every message) write into the archive: not tweets, and not faults.
_STREAM_NOTICES = frozenset(("limit", "warning", "delete", "scrub_geo", "status_withheld",
                             "user_withheld", "disconnect"))


def _stream_notice(value: Any) -> bool:
    """Whether a line is a v1.1 stream notice (`{"limit": {"track": 42, ...}}`: 42 tweets
    the stream did not deliver; a stall warning; a deletion). Such lines were each a line
    that could not be read, and a 2018 `twarc filter` archive imported as partial (exit 4);
    they are counted with the API's errors instead (`details.api_errors`)."""
    return (isinstance(value, dict) and "id" not in value and "id_str" not in value
            and not _STREAM_NOTICES.isdisjoint(value))


class _Bad:
    """A line that is JSON but not something twarc2 writes."""

    def __init__(self, message: str) -> None:
        self.message = message


def _parse(line: bytes) -> Any:
    try:
        return _decode(line)
    except _Unreadable as exc:
        return _Bad(str(exc))


def _item(value: Any, problems: list[str], cache: UserCache) -> tuple[list[Any], list[Any]]:
    if isinstance(value, Page):
        return from_page(value, problems, cache=cache)
    if isinstance(value, dict) and is_page(value):
        page = _normalised_page(value)
        return from_page(page, problems, cache=cache)
    if isinstance(value, dict) and is_v1(value):
        return from_v1_tweet(value)
    if isinstance(value, dict) and isinstance(value.get("statuses"), list):
        # A v1.1 search response (`GET search/tweets`) as a script of 2018-2019 saved it:
        # `{"statuses": [...], "search_metadata": {...}}`.
        posts, accounts = [], []
        for item in value["statuses"]:
            found = _item(item, problems, cache)
            posts.extend(found[0])
            accounts.extend(found[1])
        return posts, accounts
    if isinstance(value, dict) and "id" in value and "text" in value:
        return from_flat_tweet(_string_ids(value) if isinstance(value["id"], int) else value)
    raise ValueError("not a twarc2 line (expected an API response page with data/includes/"
                     "meta, or a tweet)")


# -- an X account archive's tweets.js ----------------------------------------------------

# "Download an archive of your data" writes the account's tweets as JavaScript assigning a
# JSON array: `window.YTD.tweets.part0 = [{"tweet": {...}}, ...]` (`window.YTD.tweet.part0`
# in archives of 2019-2022, whose items may be the tweets themselves). The tweets are v1.1
# ones without their `user`: whose they are is in `account.js` beside them.
_TWEETS_JS = re.compile(rb"^window\.YTD\.(?:tweets?|community_tweet)\.part\d+\s*=\s*")
Json = dict[str, Any]
_ACCOUNT_JS = re.compile(rb"^window\.YTD\.account\.part\d+\s*=\s*")


def _account_archive(path: Path) -> bool:
    """Whether `path` is an account archive's tweets.js (asked once per file)."""
    try:
        with Source(path) as source:
            head = source.stream.read(64)
    except (InputError, OSError, EOFError, zlib.error):
        return False  # (the reader proper says why it cannot be read)
    return _TWEETS_JS.match(head.removeprefix(b"\xef\xbb\xbf")) is not None


def _script_json(path: Path, prefix: re.Pattern[bytes], label: str) -> Any:
    """The JSON a `window.YTD...` script assigns."""
    with Source(path) as source:
        body = source.stream.read().removeprefix(b"\xef\xbb\xbf")
    match = prefix.match(body)
    if match is None:
        raise InputError(f"{label}:1: not the file of an X account archive it is named as")
    try:
        return orjson.loads(body[match.end():].rstrip().removesuffix(b";"))
    except orjson.JSONDecodeError as exc:
        # (orjson counts its position in characters: as bytes, an archive's emoji and
        # accents named a line above the damage)
        after = body[match.end():].decode("utf-8", errors="replace")[:exc.pos]
        line = body[: match.end()].count(b"\n") + after.count("\n") + 1
        raise InputError(f"{label}:{line}: not valid JSON after `window.YTD...` ({exc.msg}): "
                         "the file is cut short or was changed") from None


def _archive_owner(path: Path) -> Json:
    """The v1.1 `user` of the account whose archive holds `path`, from its account.js."""
    account_js = path.with_name("account.js")
    if not account_js.is_file():
        raise InputError(
            f"{path}:1: a file from an X account archive (\"Download an archive of your "
            f"data\"): whose posts it holds is in the archive's account.js, which is not "
            f"beside it ({account_js}); import tweets.js from the archive's data folder as "
            "it was unzipped")
    value = _script_json(account_js, _ACCOUNT_JS, str(account_js))
    items = value if isinstance(value, list) else [value]
    for item in items:
        account = item.get("account") if isinstance(item, dict) else None
        if isinstance(account, dict) and account.get("accountId") and account.get("username"):
            return {"id_str": str(account["accountId"]), "screen_name": account["username"],
                    "name": account.get("accountDisplayName") or account["username"]}
    raise InputError(f"{account_js}:1: no account (accountId and username) in it")


def _read_account_archive(path: Path, chunk_posts: int) -> Iterator[Chunk]:
    """An account archive's tweets.js, its tweets by the archive's account (account.js)."""
    label = str(path)
    owner = _archive_owner(path)
    value = _script_json(path, _TWEETS_JS, label)
    if not isinstance(value, list):
        raise InputError(f"{label}:1: not a list of tweets after `window.YTD...`")
    chunk = Chunk(position=0)
    for number, item in enumerate(value, start=1):
        tweet = item.get("tweet", item) if isinstance(item, dict) else None
        try:
            if not isinstance(tweet, dict):
                raise ValueError("not a tweet")
            history = _edit_history(tweet)
            posts, accounts = from_v1_tweet({**tweet, "user": owner, **(
                {"edit_history": history} if history else {})})
        except MAPPING_ERRORS as exc:
            which = tweet.get("id_str") if isinstance(tweet, dict) else None
            chunk.errors.append(LineError(label, 1, f"tweet {number:,}"
                                          f"{f' ({which})' if which else ''}: {describe(exc)}"))
            continue
        for post in posts:
            # The archive keeps a retweet as its text only ("RT @name: ..."), cut short,
            # and a quote as its link only (no quote fields: it was stored as an original).
            if post.kind == "original" and retweeted_author(post.text):
                post.kind = "repost"
            elif (post.kind in ("original", "reply") and "is_quote_status" not in tweet
                  and (quoted := quoted_in_links(tweet.get("entities"), post.platform_id))):
                post.kind, post.referenced_id = "quote", quoted
        chunk.posts.extend(posts)
        chunk.accounts.extend(accounts)
        chunk.lines = number
        if len(chunk.posts) >= chunk_posts:
            yield chunk
            chunk = Chunk(lines=number)
    chunk.position = file_size(path)
    yield chunk


def _edit_history(tweet: Json) -> Json | None:
    """An archived tweet's versions (`edit_info`, as v1.1's `edit_history` has them): the
    first version lists them under `initial`, a later one under `edit.editControlInitial`."""
    info = tweet.get("edit_info")
    if not isinstance(info, dict):
        return None
    initial = info.get("initial")
    if not isinstance(initial, dict):
        edit = info.get("edit")
        initial = edit.get("editControlInitial") if isinstance(edit, dict) else None
    ids = initial.get("editTweetIds") if isinstance(initial, dict) else None
    return {"edit_tweet_ids": ids} if isinstance(ids, list) else None
