"""Bluesky post views to records, in one place (live collector and file importer).

A post is keyed by its `at://` URI; an account by its DID (handles change, DIDs do not).
Hashtags come from the record's tag facets, its `tags` field, and `#tag` in its text. A quoted
post arrives inside the embed view and comes along as a context post.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

import orjson

from collectors.base import MAPPING_ERRORS, describe, parse_time
from knowvember.hashtags import fold, hashtags_in
from knowvember.records import AccountRecord, PostRecord

Json = dict[str, Any]

TAG_FACET = "app.bsky.richtext.facet#tag"
MENTION_FACET = "app.bsky.richtext.facet#mention"
_QUOTE_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")


INVALID_HANDLE = "handle.invalid"


def account_from_author(author: Json) -> AccountRecord:
    """An author view as an account. A handle the service could not verify (its DNS record
    or well-known file gone or out of reach) is sent as `handle.invalid`, the same for
    everyone: it is no one's handle, so the DID stands in for it, as bsky.app links it."""
    did = author["did"]
    handle = (author.get("handle") or did).lower()
    if handle == INVALID_HANDLE:
        handle = did
    return AccountRecord(
        platform="bluesky",
        key=did,
        platform_user_id=did,
        handle=handle,
        # A profile (view) without a name is one whose name was cleared: "" replaces the
        # stored one (a name that said the trust the person has since left matched them
        # to it). An author known by DID alone says nothing of it (None keeps it).
        display_name=(author.get("displayName") or "").strip()
        if "handle" in author or "displayName" in author else None,
        bio=author.get("description"),
        followers=author.get("followersCount"),
        url=f"https://bsky.app/profile/{handle}",
        # An author known by DID alone (a Jetstream event, a listRecords answer) has no
        # profile to store: `{"did": ...}` replaced the stored one, and with it the
        # `!no-unauthenticated` label the report honours. None keeps what is stored.
        raw=None if set(author) <= {"did"} else orjson.dumps(author).decode(),
    )


def _facet_values(record: Json) -> tuple[list[str], list[str]]:
    tags: list[str] = []
    mentions: list[str] = []
    text_bytes: bytes | None = None
    for facet in record.get("facets") or ():
        for feature in facet.get("features") or ():
            kind = feature.get("$type")
            if kind == TAG_FACET and feature.get("tag"):
                tags.append(fold(feature["tag"]))
            elif kind == MENTION_FACET:
                index = facet.get("index") or {}
                if text_bytes is None:
                    text_bytes = (record.get("text") or "").encode()
                span = text_bytes[index.get("byteStart", 0):index.get("byteEnd", 0)]
                name = span.decode(errors="ignore").lstrip("@").lower()
                mentions.append(name or feature.get("did", ""))
    return tags, mentions


def _reference(record: Json) -> tuple[str, str | None]:
    embed = record.get("embed") or {}
    kind = embed.get("$type")
    if kind in _QUOTE_EMBEDS:
        inner = embed.get("record") or {}
        if kind == "app.bsky.embed.recordWithMedia":
            inner = inner.get("record") or {}
        uri = inner.get("uri")
        if uri and "/app.bsky.feed.post/" in uri:
            return "quote", uri
    reply = record.get("reply")
    if isinstance(reply, dict) and (reply.get("parent") or {}).get("uri"):
        return "reply", reply["parent"]["uri"]
    return "original", None


def post_url(uri: str) -> str:
    """The bsky.app address of an `at://did/app.bsky.feed.post/rkey` post, by the author's
    DID: a link by handle stops working when the handle changes (the account moves to its
    own domain), and a stored post's link is never rewritten."""
    parts = uri.removeprefix("at://").split("/")
    return f"https://bsky.app/profile/{parts[0]}/post/{parts[-1]}"


def post_from_view(view: Json, *, record_key: str = "record", context_only: bool = False
                   ) -> PostRecord:
    """A post view (searchPosts `posts[]`) or an embedded viewRecord (`record_key="value"`)."""
    record = view.get(record_key) or {}
    author = view.get("author") or {}
    text = record.get("text") or ""
    tags, mentions = _facet_values(record)
    tags.extend(fold(t) for t in record.get("tags") or () if isinstance(t, str))
    tags.extend(hashtags_in(text))
    kind, ref = _reference(record)
    langs = record.get("langs") or ()
    uri = view["uri"]
    return PostRecord(
        platform="bluesky",
        platform_id=uri,
        account_key=author.get("did"),
        created_at=_posted_at(record.get("createdAt"), view.get("indexedAt")),
        text=text,
        uri=uri,
        url=post_url(uri),
        lang=langs[0] if langs else None,
        kind=kind,
        referenced_id=ref,
        conversation_id=((record.get("reply") or {}).get("root") or {}).get("uri"),
        hashtags=tuple(dict.fromkeys(tags)),
        mentions=tuple(dict.fromkeys(m for m in mentions if m)),
        likes=int(view.get("likeCount") or 0),
        reposts=int(view.get("repostCount") or 0),
        replies=int(view.get("replyCount") or 0),
        quotes=int(view.get("quoteCount") or 0),
        raw=orjson.dumps(view).decode(),
        context_only=context_only,
    )


def _quoted_view(view: Json) -> Json | None:
    """The quoted post's viewRecord inside a post view's embed, when it is a post."""
    embed = view.get("embed") or {}
    inner = embed.get("record")
    if embed.get("$type") == "app.bsky.embed.recordWithMedia#view" and isinstance(inner, dict):
        inner = inner.get("record")
    if (isinstance(inner, dict) and inner.get("$type") == "app.bsky.embed.record#viewRecord"
            and isinstance(inner.get("value"), dict) and inner.get("author")):
        return inner
    return None


def _posted_at(created: object, indexed: object) -> dt.datetime:
    """When a post was made: its `createdAt`, unless the service indexed it earlier.

    `createdAt` is whatever the client's clock said, and a wrong clock writes a date years
    ahead; the service sorts and filters by the earlier of the two (its `sortAt`), so a
    future date would put a November post outside the campaign in every report. A post
    backdated on purpose (imported from elsewhere) keeps its earlier `createdAt`. A
    `createdAt` that is no timestamp at all (records are not checked when written) is
    replaced by `indexedAt` too, as the service does, instead of losing the post.
    """
    times, problem = [], None
    for value in (created, indexed):
        try:
            times.append(parse_time(value))
        except ValueError as exc:
            problem = problem or (exc if value else None)
    if not times:
        raise problem or ValueError("no createdAt or indexedAt")
    return min(times)


def sort_time(view: Json) -> dt.datetime:
    """The time search sorts and filters by: the earlier of created and indexed."""
    return _posted_at((view.get("record") or {}).get("createdAt"), view.get("indexedAt"))


def from_posts(views: Iterable[Json], errors: list[str] | None = None
               ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A searchPosts `posts` array to posts and accounts (quoted posts as context)."""
    posts: list[PostRecord] = []
    accounts: dict[str, AccountRecord] = {}
    for view in views:
        try:
            found = [post_from_view(view)]
            authors = [view["author"]]
            quoted = _quoted_view(view)
            if quoted is not None:
                found.append(post_from_view(quoted, record_key="value", context_only=True))
                authors.append(quoted["author"])
            records = [account_from_author(a) for a in authors]
        except MAPPING_ERRORS as exc:
            if errors is None:
                raise
            uri = view.get("uri") if isinstance(view, dict) else None
            errors.append(f"post {uri!r}: {describe(exc)}")
            continue
        posts.extend(found)
        for record in records:
            accounts[record.key] = record
    return posts, list(accounts.values())


REPOST_REASON = "app.bsky.feed.defs#reasonRepost"


def repost_from_item(item: Json, original: PostRecord) -> PostRecord | None:
    """The repost a feed item shows (`reason` of `app.bsky.feed.defs#reasonRepost`): who
    reposted `original`, and when. Keyed by the repost record's own `at://` URI, which the
    service sends with the reason; without it (older answers) there is no key that a later
    copy would share, so only the original is kept."""
    reason = item.get("reason")
    if not isinstance(reason, dict) or reason.get("$type") != REPOST_REASON:
        return None
    by, uri = reason.get("by") or {}, reason.get("uri")
    if not uri or not by.get("did"):
        return None
    return PostRecord(
        platform="bluesky",
        platform_id=uri,
        account_key=by["did"],
        created_at=parse_time(reason.get("indexedAt") or original.created_at),
        text=original.text,
        uri=uri,
        url=original.url,
        lang=original.lang,
        kind="repost",
        referenced_id=original.platform_id,
        hashtags=original.hashtags,
        raw=orjson.dumps(reason).decode(),
    )


def from_feed(items: Iterable[Json], errors: list[str] | None = None
              ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A feed's items (`getAuthorFeed`, `getFeed`, `getTimeline`: `{"post": ..., "reason":
    ...}`) to posts and accounts: each post as `from_posts` reads it, and a repost by the
    feed's account as a post of its own (kind `repost`), as a reblog is on Mastodon."""
    posts: list[PostRecord] = []
    accounts: dict[str, AccountRecord] = {}
    for item in items:
        view = item.get("post")
        if not isinstance(view, dict):
            continue
        found, people = from_posts([view], errors)
        try:
            repost = repost_from_item(item, found[0]) if found else None
            if repost is not None:
                people.append(account_from_author(item["reason"]["by"]))
        except MAPPING_ERRORS as exc:
            if errors is None:
                raise
            errors.append(f"repost {item['reason'].get('uri')!r}: {describe(exc)}")
            repost = None
        if repost is not None:
            # The original matters here because the feed's account reposted it.
            found = [repost, *(dataclasses.replace(p, context_only=True) for p in found)]
        posts.extend(found)
        for record in people:
            accounts[record.key] = record
    return posts, list(accounts.values())
