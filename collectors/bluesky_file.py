"""Bluesky API responses saved to a file: `app.bsky.feed.searchPosts` responses.

One response per line (JSONL, the streaming form), single post views per line, or one whole
JSON response all work; feed responses (`{"feed": [{"post": ...}]}`) are read too. Mapping
goes through `collectors.bluesky_payload`, as live collection does.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from collectors.archive import CHUNK_POSTS, Chunk, LineError, Source, json_import_hint, json_values
from collectors.bluesky_payload import from_feed, from_posts
from knowvember.errors import excerpt
from knowvember.records import AccountRecord, PostRecord

PLATFORM = "bluesky"


def _views(value: Any) -> list[Any] | None:
    """The post views of a searchPosts answer (or a bare list, or one post view)."""
    if isinstance(value, list):
        if any(isinstance(v, dict) and "content" in v and "record" not in v for v in value):
            return None  # Mastodon statuses: each read as a post view lacked `createdAt`
        return value
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("posts"), list):
        return value["posts"]  # type: ignore[no-any-return]
    if "uri" in value and "record" in value:
        return [value]
    return None


def _records(value: Any, problems: list[str]
             ) -> tuple[list[PostRecord], list[AccountRecord]] | None:
    """A line's posts and accounts; None when it is no answer this importer reads. A feed's
    items keep their `reason`, so a repost in it is stored as one."""
    if isinstance(value, dict) and isinstance(value.get("feed"), list):
        return from_feed([i for i in value["feed"] if isinstance(i, dict)], problems)
    views = _views(value)
    if views is None:
        return None
    return from_posts([v for v in views if isinstance(v, dict)], problems)


def not_a_page(path: Path, mine: str, expected: str, value: object = None) -> str:
    """Why a line is no page of this import: an error the server answered, saved in place of
    results, or a file of another API, named with the import that reads it when its keys
    tell (a Mastodon page given to `import bluesky`, or the other way round)."""
    if isinstance(value, dict) and isinstance(value.get("error"), str):
        said = ": ".join(str(v) for v in (value["error"], value.get("message")) if v)
        return (f"an error answer saved in place of results ({excerpt(said)}); save the "
                "page again (signed in, if the server asked for that)")
    hint = _hint(path)
    if f"import {mine}`" in hint or "whichever" in hint:
        return f"not a {expected}"
    return f"not a {expected}: {hint}"


def _hint(path: Path) -> str:
    """The import a file's keys name, read once per file (not for each line of it)."""
    try:
        stat = path.stat()
    except OSError:
        return json_import_hint(None)
    return _hint_of(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _hint_of(path: Path, mtime: int, size: int) -> str:
    return json_import_hint(path)


def read(path: Path, chunk_posts: int = CHUNK_POSTS) -> Iterator[Chunk]:
    with Source(path) as source:
        chunk = Chunk()
        for number, value in json_values(source):
            chunk.lines = number
            if isinstance(value, LineError):
                chunk.errors.append(value)
                continue
            problems: list[str] = []
            found = _records(value, problems)
            if found is None:
                chunk.errors.append(LineError(source.label, number, not_a_page(
                    path, "bluesky",
                    "Bluesky searchPosts response (expected an object with `posts`)", value)))
                continue
            posts, accounts = found
            chunk.errors.extend(LineError(source.label, number, p) for p in problems)
            chunk.posts.extend(posts)
            chunk.accounts.extend(accounts)
            if len(chunk.posts) >= chunk_posts:
                chunk.position = source.position()
                yield chunk
                chunk = Chunk(lines=number)
        chunk.position = source.position()
        yield chunk
