"""twarc2 JSONL archives: X API v2 response pages, one per line, as `twarc2 search` writes them.

Also read: twarc2's flattened form (`twarc2 flatten`: one tweet per line with its `author` and
referenced tweets inlined) and v1.1 tweets (twarc 1, which is how 2018/2019 campaigns were
archived). A page's top-level `errors` (tweets the API could not return) are counted, not
failures. Mapping goes through `collectors.x_payload`, exactly as live collection does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from collectors.archive import CHUNK_POSTS, Chunk, LineError, Source, json_values
from collectors.base import MAPPING_ERRORS, describe
from collectors.x_payload import from_flat_tweet, from_page, from_v1_tweet, is_page, is_v1

PLATFORM = "x"


def read(path: Path, chunk_posts: int = CHUNK_POSTS) -> Iterator[Chunk]:
    with Source(path) as source:
        chunk = Chunk()
        for number, value in json_values(source):
            chunk.lines = number
            if isinstance(value, LineError):
                chunk.errors.append(value)
                continue
            problems: list[str] = []
            try:
                if isinstance(value, dict) and is_page(value):
                    posts, accounts = from_page(value, problems)
                    api_errors = value.get("errors")
                    if isinstance(api_errors, list):
                        chunk.api_errors += len(api_errors)
                elif isinstance(value, dict) and is_v1(value):
                    posts, accounts = from_v1_tweet(value)
                elif isinstance(value, dict) and "id" in value and "text" in value:
                    posts, accounts = from_flat_tweet(value)
                else:
                    chunk.errors.append(LineError(
                        source.label, number,
                        "not a twarc2 line (expected an API response page with data/includes/"
                        "meta, or a tweet)"))
                    continue
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
