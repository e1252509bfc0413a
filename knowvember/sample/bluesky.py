"""Bluesky `app.bsky.feed.searchPosts` responses, `{"posts": [...], "cursor", "hitsTotal"}`,
one a line in `bluesky_search.jsonl`, newest first.

Post views as the AppView returns them: `at://` URIs under the author's DID with a TID record
key minted from the post's time, a CID, the author's basic profile (no bio, no follower count:
search results do not carry them), the record with `app.bsky.richtext.facet#tag`,
`#mention` and `#link` facets at UTF-8 byte offsets, `reply` refs and quote embeds.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from knowvember.sample import texts
from knowvember.sample.campaign import Campaign
from knowvember.sample.ids import mix16, tid
from knowvember.sample.people import People
from knowvember.sample.posts import (
    AUTHOR,
    KIND,
    METRICS,
    MS,
    PARTS,
    QUOTE,
    REF,
    REF_CORE,
    REPLY,
    ROOT,
    SEQ,
    Spool,
)
from knowvember.sample.render import iso_ms


def rkey(seq: int, ms: int) -> str:
    return tid(ms * 1000 + mix16(seq, 3) % 1000, mix16(seq, 5) & 0x3FF)


def post_cid(seq: int, seed: int) -> str:
    digest = hashlib.blake2b(f"{seed}:{seq}".encode(), digest_size=33).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower()[:52]


class BlueskyWriter:
    """Renders Bluesky records into searchPosts response pages."""

    def __init__(self, campaign: Campaign, people: People, seed: int) -> None:
        self.campaign = campaign
        self.seed = seed
        self.accounts = {a.idx: a for a in people.accounts}
        self._profiles: dict[int, orjson.Fragment] = {}
        self.with_quote_count = campaign.year >= 2024
        self.files: list[Path] = []
        self.posts = 0

    def uri(self, seq: int, ms: int, author: int) -> str:
        return f"at://{self.accounts[author].bluesky_did}/app.bsky.feed.post/{rkey(seq, ms)}"

    def profile(self, idx: int) -> orjson.Fragment:
        cached = self._profiles.get(idx)
        if cached is None:
            a = self.accounts[idx]
            body = {
                "did": a.bluesky_did,
                "handle": a.bluesky_handle,
                "displayName": a.display_name,
                "avatar": (f"https://cdn.bsky.app/img/avatar/plain/{a.bluesky_did}/"
                           f"bafkrei{a.avatar[:12]}@jpeg"),
                "viewer": {"muted": False, "blockedBy": False},
                "labels": [],
                "createdAt": iso_ms(int(max(a.created.timestamp(), 1_682_899_200) * 1000)),
            }
            cached = orjson.Fragment(orjson.dumps(body))
            self._profiles[idx] = cached
        return cached

    def record(self, core: tuple[Any, ...]) -> dict[str, Any]:
        text, facets = self.text(core[PARTS])
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": iso_ms(core[MS]),
                                  "langs": ["en"], "text": text}
        if facets:
            record["facets"] = facets
        ref = core[REF]
        if ref is not None and core[KIND] == REPLY:
            root = core[ROOT]
            record["reply"] = {
                "root": {"cid": post_cid(root[0], self.seed),
                         "uri": self.uri(root[0], root[1], root[2])},
                "parent": {"cid": post_cid(ref[1], self.seed),
                           "uri": self.uri(ref[1], ref[2], ref[3])},
            }
        elif ref is not None and core[KIND] == QUOTE:
            record["embed"] = {"$type": "app.bsky.embed.record",
                               "record": {"cid": post_cid(ref[1], self.seed),
                                          "uri": self.uri(ref[1], ref[2], ref[3])}}
        return record

    def text(self, parts: Iterable[Any]) -> tuple[str, list[dict[str, Any]]]:
        out: list[str] = []
        facets: list[dict[str, Any]] = []
        pos = 0
        for part in parts:
            feature: dict[str, Any] | None = None
            if isinstance(part, str):
                piece = part
            elif part[0] == texts.HASHTAG:
                piece = "#" + part[1]
                feature = {"$type": "app.bsky.richtext.facet#tag", "tag": part[1]}
            elif part[0] == texts.MENTION:
                a = self.accounts[part[1]]
                piece = "@" + (a.bluesky_handle or "")
                feature = {"$type": "app.bsky.richtext.facet#mention", "did": a.bluesky_did}
            else:
                url = part[1]
                bare = url.split("://", 1)[-1]
                piece = bare if len(bare) <= 30 else bare[:27] + "..."
                feature = {"$type": "app.bsky.richtext.facet#link", "uri": url}
            size = len(piece) if piece.isascii() else len(piece.encode("utf-8"))
            if feature is not None:
                facets.append({"index": {"byteStart": pos, "byteEnd": pos + size},
                               "features": [feature]})
            out.append(piece)
            pos += size
        return "".join(out), facets

    def post(self, record: tuple[Any, ...]) -> dict[str, Any]:
        seq, ms, author = record[SEQ], record[MS], record[AUTHOR]
        likes, reposts, replies, quotes = record[METRICS]
        view: dict[str, Any] = {
            "uri": self.uri(seq, ms, author),
            "cid": post_cid(seq, self.seed),
            "author": self.profile(author),
            "record": self.record(record),
            "replyCount": replies,
            "repostCount": reposts,
            "likeCount": likes,
            "indexedAt": iso_ms(ms + 150 + mix16(seq, 13) % 900),
            "viewer": {},
            "labels": [],
        }
        if self.with_quote_count:
            view["quoteCount"] = quotes
        target = record[REF_CORE]
        if record[KIND] == QUOTE and target is not None:
            view["embed"] = {
                "$type": "app.bsky.embed.record#view",
                "record": {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": self.uri(target[SEQ], target[MS], target[AUTHOR]),
                    "cid": post_cid(target[SEQ], self.seed),
                    "author": self.profile(target[AUTHOR]),
                    "value": self.record(target),
                    "labels": [],
                    "indexedAt": iso_ms(target[MS] + 150 + mix16(target[SEQ], 13) % 900),
                    "embeds": [],
                },
            }
        return view

    def write(self, spool: Spool, folder: Path, page_size: int = 100) -> list[Path]:
        """One response a line, newest first (`sort=latest`); all but the last have a cursor."""
        total = spool.count
        path = folder / "bluesky_search.jsonl"
        page: list[dict[str, Any]] = []
        number = 0
        with path.open("wb") as out:

            def flush(last: bool) -> None:
                nonlocal page, number
                number += 1
                body: dict[str, Any] = {"posts": page}
                if not last:
                    body["cursor"] = str(number * page_size)
                body["hitsTotal"] = total
                out.write(orjson.dumps(body) + b"\n")
                self.posts += len(page)
                page = []

            for written, record in enumerate(spool.newest_first(), start=1):
                page.append(self.post(record))
                if len(page) == page_size:
                    flush(written == total)
            if page or not number:
                flush(True)
        self.files = [path]
        return self.files
