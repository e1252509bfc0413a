"""twarc2 JSONL archives: X API v2 response pages, one per line, as `twarc2 search` writes them.

Also read: twarc2's flattened form (`twarc2 flatten`: one tweet per line with its `author` and
referenced tweets inlined), v1.1 tweets (twarc 1, which is how 2018/2019 campaigns were
archived), and a single saved response. A page's top-level `errors` (tweets the API could not
return) are counted, not failures. Mapping goes through `collectors.x_payload`, exactly as
live collection does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import orjson

from collectors.archive import CHUNK_POSTS, Chunk, LineError, Source, json_values
from collectors.base import MAPPING_ERRORS, describe
from collectors.x_payload import (
    Known,
    Page,
    UserCache,
    decode_page,
    from_flat_tweet,
    from_page,
    from_v1_tweet,
    is_page,
    is_v1,
    snowflake_time,
)

PLATFORM = "x"
_ID_KEYS = ("id", "author_id", "conversation_id", "in_reply_to_user_id")


def _decode(line: bytes) -> Page | Any:
    """A v2 page the fast way; anything else (flattened, v1.1, odd types) as plain JSON."""
    try:
        page = decode_page(line)
    except msgspec.ValidationError:
        return _normalised_page(orjson.loads(line))
    if page.data or page.includes is not None or page.meta is not None or page.errors:
        return page
    return orjson.loads(line)


def _normalised_page(value: Any) -> Page | Any:
    """A page whose ids came as numbers (some re-exports do): ids become strings again."""
    if not (isinstance(value, dict) and is_page(value)):
        return value

    def fix(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: (str(v) if k in _ID_KEYS and isinstance(v, int) else fix(v))
                    for k, v in obj.items()}
        if isinstance(obj, list):
            return [fix(v) for v in obj]
        return obj

    try:
        return decode_page(orjson.dumps(fix(value)))
    except msgspec.ValidationError as exc:
        raise _Unreadable(f"not a twarc2 page ({exc})") from None


class _Unreadable(ValueError):
    pass


def read(path: Path, chunk_posts: int = CHUNK_POSTS, *, known: Known | None = None
         ) -> Iterator[Chunk]:
    """Chunks of records; with `known` (see `x_payload.from_page`), tweets already stored
    unchanged are counted in `Chunk.unchanged` instead of being mapped again."""
    cache = UserCache()
    with Source(path) as source:
        chunk = Chunk()
        for number, value in json_values(source, _parse):
            chunk.lines = number
            if isinstance(value, LineError):
                chunk.errors.append(value)
                continue
            problems: list[str] = []
            try:
                if isinstance(value, _Bad):
                    raise ValueError(value.message)
                if isinstance(value, Page):
                    unchanged: list[str] = []
                    posts, accounts = from_page(value, problems, cache=cache, known=known,
                                                unchanged=unchanged)
                    if unchanged:
                        chunk.unchanged += len(unchanged)
                        chunk.unchanged_span = _span(chunk.unchanged_span, unchanged)
                    if value.errors:
                        chunk.api_errors += len(value.errors)
                elif isinstance(value, list):
                    posts, accounts = [], []
                    for item in value:
                        found = _item(item, problems, cache)
                        posts.extend(found[0])
                        accounts.extend(found[1])
                else:
                    posts, accounts = _item(value, problems, cache)
            except MAPPING_ERRORS as exc:
                chunk.errors.append(LineError(source.label, number, describe(exc)))
                continue
            chunk.errors.extend(LineError(source.label, number, p) for p in problems)
            chunk.posts.extend(posts)
            chunk.accounts.extend(accounts)
            if len(chunk.posts) >= chunk_posts:
                chunk.position = source.position()
                yield chunk
                chunk = Chunk(lines=number)
        chunk.position = source.position()
        yield chunk


def _span(span: tuple[dt.datetime, dt.datetime] | None, ids: list[str]
          ) -> tuple[dt.datetime, dt.datetime]:
    """Widen a time span by tweets known only by id (their ids embed the time)."""
    low = snowflake_time(min(ids, key=int))
    high = snowflake_time(max(ids, key=int))
    return (low, high) if span is None else (min(span[0], low), max(span[1], high))


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
    if isinstance(value, dict) and "id" in value and "text" in value:
        return from_flat_tweet(value)
    raise ValueError("not a twarc2 line (expected an API response page with data/includes/"
                     "meta, or a tweet)")
