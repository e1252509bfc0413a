"""Bluesky API responses saved to a file: `app.bsky.feed.searchPosts` responses.

One response per line (JSONL, the streaming form), single post views per line, or one whole
JSON response all work; feed responses (`{"feed": [{"post": ...}]}`), saved threads
(`getPostThread`: `{"thread": ...}`) and an account's posts listed with
`com.atproto.repo.listRecords` (`{"records": ...}`) are read too. Mapping
goes through `collectors.bluesky_payload`, as live collection does.

A repository export (`repo.car`: the app's Settings > Account > Export my data, or
`com.atproto.sync.getRepo`) is read too: a CAR file of DAG-CBOR blocks whose commit names the
account's DID and whose Merkle search tree names each record's key, so each post is stored
under the `at://` URI it has on the service.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from collectors.archive import (
    CHUNK_POSTS,
    Chunk,
    LineError,
    Source,
    UntilCut,
    json_import_hint,
    json_values,
)
from collectors.bluesky_payload import from_feed, from_posts
from knowvember.errors import InputError, excerpt
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
    if isinstance(value.get("thread"), dict):
        return _thread_posts(value["thread"])
    if isinstance(value.get("records"), list):
        return _listed_posts(value["records"])
    if "uri" in value and "record" in value:
        return [value]
    return None


def _listed_posts(records: list[Any]) -> list[Any]:
    """The posts of a saved `com.atproto.repo.listRecords` answer (`?repo=HANDLE&collection=
    app.bsky.feed.post`: the usual way to save an account's own posts without signing in),
    as post views: each record's author is the DID in its URI (the answer names no handle;
    one stored from search is kept), dated as a repository export's posts are. Records of
    other collections (likes, follows) are no posts. It was refused as "not a searchPosts
    response"."""
    views: list[Any] = []
    for item in records:
        uri = item.get("uri") if isinstance(item, dict) else None
        if not isinstance(uri, str) or f"/{POST_COLLECTION}" not in uri:
            continue
        view: dict[str, Any] = {"uri": uri, "cid": item.get("cid"),
                                "author": {"did": uri.removeprefix("at://").split("/")[0]},
                                "record": item.get("value")}
        written = tid_time(uri.rsplit("/", 1)[-1])
        if written is not None:
            view["indexedAt"] = written
        views.append(view)
    return views


THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"


def _thread_posts(thread: dict[str, Any]) -> list[Any]:
    """The post views of a saved thread (`app.bsky.feed.getPostThread`: the post, its
    parents and its replies, nested): a conversation under a campaign post, saved to keep
    it, was refused as "not a searchPosts response". A deleted or blocked post in it
    (`#notFoundPost`, `#blockedPost`) holds no post and is passed over. Walked without
    recursion: a long thread nests as deep as it is long."""
    views: list[Any] = []
    stack: list[Any] = [thread]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        if node.get("$type", THREAD_VIEW) != THREAD_VIEW:
            continue
        if isinstance(node.get("post"), dict):
            views.append(node["post"])
        stack.append(node.get("parent"))
        stack.extend(reversed(node.get("replies") or ()))
    return views


def _sdk_dump(value: Any) -> bool:
    """Whether a line was saved from the atproto SDK's models with `model_dump_json()` (or
    `model_dump()`), which writes the Python field names (`indexed_at`, `created_at`,
    `py_type`) instead of the lexicon's (`indexedAt`, `createdAt`, `$type`): every post
    was refused as having 'no createdAt or indexedAt'."""
    if isinstance(value, dict):
        first = next(iter(value.get("posts") or value.get("feed") or [value]), None)
        if isinstance(first, dict) and isinstance(first.get("post"), dict):
            first = first["post"]
        return isinstance(first, dict) and ("py_type" in first or "indexed_at" in first)
    if isinstance(value, list):
        return bool(value) and _sdk_dump(value[0])
    return False


def _lexicon_names(value: Any) -> Any:
    """An SDK model dump with the lexicon's names again (`py_type` is `$type`, snake_case
    is camelCase: no lexicon field has an underscore)."""
    if isinstance(value, dict):
        return {_lexicon_name(k): _lexicon_names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lexicon_names(v) for v in value]
    return value


def _lexicon_name(key: str) -> str:
    if key == "py_type":
        return "$type"
    if "_" not in key or key.startswith("$"):
        return key
    first, *rest = key.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _records(value: Any, problems: list[str]
             ) -> tuple[list[PostRecord], list[AccountRecord]] | None:
    """A line's posts and accounts; None when it is no answer this importer reads. A feed's
    items keep their `reason`, so a repost in it is stored as one."""
    if _sdk_dump(value):
        value = _lexicon_names(value)
    if isinstance(value, dict) and "time_us" in value and "kind" in value:
        return _jetstream(value, problems)
    if isinstance(value, dict) and isinstance(value.get("feed"), list):
        return from_feed([i for i in value["feed"] if isinstance(i, dict)], problems)
    views = _views(value)
    if views is None:
        return None
    return from_posts([v for v in views if isinstance(v, dict)], problems)


def _jetstream(event: dict[str, Any], problems: list[str]
               ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A Jetstream event (`wss://jetstream*.bsky.network/subscribe`, one JSON event a line,
    as hashtag trackers save the network's posts): a post made or edited is read as a
    post view, by its author's DID and the time Jetstream saw it (`time_us`, standing in
    for `indexedAt`). Identity and account events, likes, follows and deletions hold no
    post: they are passed over, as a capture of the whole stream has many."""
    commit = event.get("commit")
    if (event.get("kind") != "commit" or not isinstance(commit, dict)
            or commit.get("collection") != POST_COLLECTION.rstrip("/")
            or commit.get("operation") not in ("create", "update")
            or not isinstance(commit.get("record"), dict)):
        return [], []
    did, rkey = event.get("did"), commit.get("rkey")
    if not isinstance(did, str) or not isinstance(rkey, str):
        problems.append(f"a Jetstream post without {'did' if not isinstance(did, str) else 'rkey'}")
        return [], []
    view: dict[str, Any] = {"uri": f"at://{did}/{POST_COLLECTION}{rkey}",
                            "cid": commit.get("cid"), "author": {"did": did},
                            "record": commit["record"]}
    if isinstance(event.get("time_us"), int):
        try:
            seen = dt.datetime.fromtimestamp(event["time_us"] / 1_000_000, dt.UTC)
            view["indexedAt"] = seen.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            pass
    return from_posts([view], problems)


def not_a_page(path: Path, mine: str, expected: str, value: object = None) -> str:
    """Why a line is no page of this import: an error the server answered, saved in place of
    results, or a file of another API, named with the import that reads it when its keys
    tell (a Mastodon page given to `import bluesky`, or the other way round)."""
    if isinstance(value, dict) and isinstance(value.get("error"), str):
        said = ": ".join(str(v) for v in (value["error"], value.get("message")) if v)
        return (f"an error answer saved in place of results ({excerpt(said)}); save the "
                "page again (signed in, if the server asked for that)")
    if mine != "mastodon" and isinstance(value, dict) and (
            "orderedItems" in value or "activitystreams" in str(value.get("@context"))):
        return (f"not a {expected}: an ActivityPub document (a Mastodon account archive's "
                "outbox.json?); use `knowvember import mastodon` for it")
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


def keep_latest(chunk: Chunk) -> None:
    """One copy of each post a chunk holds several times (pages a script saved every half
    hour and appended to one file, or files joined out of order: `cat` puts toots-10 before
    toots-2), as a second import would merge them: the latest edit's text (`edited_at`),
    each count the highest any copy shows. The store kept the last copy in the file, so a
    file holding the newest copy first lost the edit and lowered the counts. The copies
    left out are read, not offered: an earlier edit is `superseded`, a repeat `unchanged`.
    Context copies (an original inside a boost or quote) are the store's to merge."""
    best: dict[str, PostRecord] = {}
    repeated = False
    for post in chunk.posts:
        if post.context_only:
            continue
        before = best.get(post.platform_id)
        if before is None:
            best[post.platform_id] = post
            continue
        repeated = True
        if _edited_rank(post) >= _edited_rank(before):
            post, before = before, post  # `before` is the copy kept
        _raise_counts(before, post)
        if _edited_rank(post) < _edited_rank(before):
            chunk.superseded += 1
        else:
            chunk.unchanged += 1
        best[post.platform_id] = before
    if not repeated:
        return
    for post in chunk.posts:  # a context copy also raises the counts of the post itself
        kept = best.get(post.platform_id) if post.context_only else None
        if kept is not None:
            _raise_counts(kept, post)
    seen: set[str] = set()
    posts: list[PostRecord] = []
    for post in chunk.posts:
        if post.context_only:
            posts.append(post)
        elif post.platform_id not in seen:
            seen.add(post.platform_id)
            posts.append(best[post.platform_id])
    chunk.posts = posts


def _edited_rank(post: PostRecord) -> dt.datetime:
    """A copy's place among a post's versions: never edited first, then by `edited_at`."""
    return post.edited_at or dt.datetime.min.replace(tzinfo=dt.UTC)


def _raise_counts(post: PostRecord, other: PostRecord) -> None:
    """`post` with the higher of each of its counts and `other`'s: counts only rise."""
    post.likes, post.reposts = max(post.likes, other.likes), max(post.reposts, other.reposts)
    post.replies, post.quotes = max(post.replies, other.replies), max(post.quotes, other.quotes)


def read(path: Path, chunk_posts: int = CHUNK_POSTS) -> Iterator[Chunk]:
    with Source(path) as source:
        if is_car(source):
            yield from _read_car(source, chunk_posts)
            return
        chunk = Chunk()
        values = UntilCut(json_values(source))
        for number, value in values:
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
                keep_latest(chunk)
                chunk.position = source.position()
                yield chunk
                chunk = Chunk(lines=number)
        keep_latest(chunk)
        chunk.position = source.position()
        yield chunk
        values.raise_if_cut()


# -- repository exports (CAR files) ---------------------------------------------------------

POST_COLLECTION = "app.bsky.feed.post/"
PROFILE_KEY = "app.bsky.actor.profile/self"


def is_car(source: Source) -> bool:
    """Whether the file is a CAR (v1): a varint length, then the DAG-CBOR header map of
    `roots` and `version` (keys sorted by length: `roots` first)."""
    peek = getattr(source.stream, "peek", None)
    head = bytes(peek(64)[:64]) if peek is not None else b""
    at = 0
    while at < len(head) and head[at] & 0x80:
        at += 1
    return head[at + 1:at + 2] == b"\xa2" and head[at + 2:at + 8] == b"\x65roots"


def _read_car(source: Source, chunk_posts: int) -> Iterator[Chunk]:
    """A repository export's posts, by the author's DID (the export holds no handle: a
    handle stored from the service is kept; see `knowvember.store`)."""
    import libipld

    data = source.stream.read()
    try:
        header, blocks = libipld.decode_car(data)
        roots = header.get("roots") or []
        commit = blocks.get(roots[0]) if roots else None
        if not isinstance(commit, dict) or not isinstance(commit.get("did"), str):
            raise ValueError("its root is not a repository commit (no `did`)")
        did: str = commit["did"]
        records = dict(_mst_leaves(blocks, commit.get("data")))
    except (ValueError, KeyError, TypeError, IndexError, RecursionError) as exc:
        raise InputError(
            f"{source.label}: a CAR file that is not a readable Bluesky repository export "
            f"({excerpt(str(exc))}); export it again (Settings > Account > Export my "
            "data)") from None
    profile = blocks.get(records.get(PROFILE_KEY, b""))
    author: dict[str, Any] = {"did": did}
    if isinstance(profile, dict):
        author.update(displayName=profile.get("displayName"),
                      description=profile.get("description"))
    labels = _self_labels(did, profile)
    chunk = Chunk(lines=1)
    for key, cid in records.items():
        if not key.startswith(POST_COLLECTION):
            continue  # likes, follows, reposts (which name their post only by URI)...
        record = blocks.get(cid)
        uri = f"at://{did}/{key}"
        if not isinstance(record, dict):
            chunk.errors.append(LineError(source.label, 1, f"post {uri!r}: its record is "
                                          "missing from the file"))
            continue
        view = {"uri": uri, "cid": _cid_text(cid), "author": author,
                "record": _json_form(record)}
        written = tid_time(key.rsplit("/", 1)[-1])
        if written is not None:
            view["indexedAt"] = written
        problems: list[str] = []
        posts, accounts = from_posts([view], problems)
        for account in accounts:
            if account.key == did:
                account.raw = _profile_raw(author, labels)
        chunk.errors.extend(LineError(source.label, 1, p) for p in problems)
        chunk.posts.extend(posts)
        chunk.accounts.extend(accounts)
        if len(chunk.posts) >= chunk_posts:
            chunk.position = source.position()
            yield chunk
            chunk = Chunk(lines=1)
    chunk.position = source.position()
    yield chunk


def _self_labels(did: str, profile: object) -> list[dict[str, Any]]:
    """The profile record's self-labels (`labels.values`, com.atproto.label.defs#selfLabels)
    as the service's profile views show them (`labels`: `src`, `uri`, `val`), so the
    report reads `!no-unauthenticated` from an export as from a search."""
    labels = profile.get("labels") if isinstance(profile, dict) else None
    values = labels.get("values") if isinstance(labels, dict) else None
    return [{"src": did, "uri": f"at://{did}/{PROFILE_KEY}", "val": v["val"]}
            for v in values or () if isinstance(v, dict) and isinstance(v.get("val"), str)]


def _profile_raw(author: dict[str, Any], labels: list[dict[str, Any]]) -> str | None:
    """The export's account as stored: with its self-labels when it has some, else None,
    which keeps the profile a search stored (an export may be older than the label the
    person set since; dropping it would name them in the report again)."""
    return orjson.dumps({**author, "labels": labels}).decode() if labels else None


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid_time(rkey: str) -> str | None:
    """When a record key that is a TID (13 base32-sortable characters: microseconds since
    1970, then a clock id) was made, as the service's JSON writes a time; None for other
    keys. The export holds no `indexedAt`; the key's time, which the account's server
    made, stands in for it, so a post whose client clock wrote a `createdAt` years ahead
    is dated as a search answer dates it (see `bluesky_payload._posted_at`)."""
    if len(rkey) != 13 or rkey[0] not in _TID_ALPHABET[:16]:
        return None
    number = 0
    for char in rkey:
        digit = _TID_ALPHABET.find(char)
        if digit < 0:
            return None
        number = number * 32 + digit
    micros = number >> 10
    try:
        moment = dt.datetime.fromtimestamp(micros / 1_000_000, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _mst_leaves(blocks: dict[Any, Any], root: object) -> Iterator[tuple[str, bytes]]:
    """(record key, record CID) of every leaf of the repository's Merkle search tree: each
    node has a left subtree `l` and entries `e` whose key is the previous entry's first `p`
    bytes and then `k`, with the record `v` and a subtree `t` to its right."""
    pending = [root]
    seen: set[bytes] = set()
    while pending:
        link = pending.pop()
        if link is None:
            continue
        if not isinstance(link, bytes):
            raise ValueError("a tree node's link is not a CID")
        if link in seen:
            raise ValueError("a tree node is linked twice")
        seen.add(link)
        node = blocks.get(link)
        if not isinstance(node, dict):
            raise ValueError(f"the tree node {_cid_text(link)} is missing from the file")
        pending.append(node.get("l"))
        key = b""
        for entry in node.get("e") or ():
            key = key[:entry["p"]] + entry["k"]
            yield key.decode(), entry["v"]
            pending.append(entry.get("t"))


def _cid_text(cid: bytes) -> str:
    import libipld

    return str(libipld.encode_cid(cid))


def _json_form(value: Any) -> Any:
    """A DAG-CBOR value as the service's JSON shows it: a link (a blob's `ref`) as
    `{"$link": "bafy..."}`, so the stored raw record can be written as JSON."""
    if isinstance(value, dict):
        return {k: _json_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_form(v) for v in value]
    if isinstance(value, bytes):
        try:
            return {"$link": _cid_text(value)}
        except ValueError:
            import base64

            return {"$bytes": base64.b64encode(value).decode()}
    return value
