"""Mastodon statuses to records, in one place (live collector and file importer).

The same post reaches many instances under different local ids, so a post is keyed by its
status `uri` (its canonical ActivityPub id) and keeps the origin `url`. The same person seen
through several instances is one account, keyed by their home identity (the account `uri`, or
its `url` on servers that do not send one), never by the serving instance's `acct`, which has
no domain for that instance's own users. Content is HTML; it becomes plain text with hashtags
and mentions readable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import orjson

from collectors.base import MAPPING_ERRORS, describe, parse_time
from knowvember.hashtags import fold, hashtags_in
from knowvember.records import AccountRecord, PostRecord

Json = dict[str, Any]

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARA = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)
# Lists, headings, quotes and blocks that remote servers (Misskey, Akkoma, WordPress) send
# and Mastodon 4 keeps: each starts a line, or their words ran together ("Peer
# AssistRandomised Coffee Trial", and neither technique was found).
_BLOCK = re.compile(r"<(?:/?(?:p|div|ul|ol|h[1-6]|blockquote|pre)|li)(?:\s[^>]*)?>",
                    re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_TAG = re.compile(r"<[^>]+>")


def html_to_text(content: str) -> str:
    """Mastodon's HTML content as readable plain text (paragraphs, line breaks, links)."""
    if not content:
        return ""
    text = _PARA.sub("\n\n", content)
    text = _BREAK.sub("\n", text)
    if "<" in text:
        text = _BLANK_LINES.sub("\n\n", _BLOCK.sub("\n", text))
    text = _TAG.sub("", text)
    return html.unescape(text).strip()


def snowflake_at(moment: dt.datetime) -> str:
    """The smallest Mastodon status id minted at `moment` (milliseconds << 16)."""
    return str(int(moment.timestamp() * 1000) << 16)


def snowflake_time(status_id: str) -> dt.datetime | None:
    """When a Mastodon snowflake id was minted (None for non-numeric ids, e.g. Pleroma)."""
    if not status_id.isdigit():
        return None
    return dt.datetime.fromtimestamp((int(status_id) >> 16) / 1000, dt.UTC)


def handle_of(account: Json) -> str:
    """`@user@domain`: the acct's domain when it has one, else the home URL's host."""
    acct = account.get("acct") or account.get("username") or ""
    if "@" in acct:
        return "@" + acct.lower()
    host = urlsplit(account.get("url") or account.get("uri") or "").netloc or "unknown"
    return f"@{acct.lower()}@{host.lower()}"


_PROFILE_URL = re.compile(r"(https?://[^/?#]+)/@([A-Za-z0-9_.-]+)/?")


def account_key(account: Json) -> str:
    """The account's ActivityPub id (`uri`). Mastodon before 4.2 sends no `uri`, only the
    profile `url`; a Mastodon (or GoToSocial) profile `https://host/@name` belongs to the
    actor `https://host/users/name`, so that is the key, and the same person seen through an
    older and a newer instance is one account. Other `url`s are the key as they are."""
    uri = account.get("uri")
    if uri:
        return str(uri)
    url = account.get("url")
    if url:
        profile = _PROFILE_URL.fullmatch(str(url))
        return f"{profile[1]}/users/{profile[2]}" if profile else str(url)
    return handle_of(account)


def account_from_payload(account: Json) -> AccountRecord:
    """An account object as a record; one that `moved` (the person moved to another
    instance) names the account it moved to, so both count as one contributor."""
    key = account_key(account)
    moved = account.get("moved")
    return AccountRecord(
        platform="mastodon",
        key=key,
        # The key, not the raw `url`: a person seen through instances of both versions
        # would otherwise be rewritten at every sight, from one form to the other.
        platform_user_id=key if account.get("uri") or account.get("url") else None,
        handle=handle_of(account),
        display_name=display_name(account),
        bio=html_to_text(account.get("note") or ""),
        followers=account.get("followers_count"),
        url=account.get("url"),
        raw=orjson.dumps(account).decode(),
        moved_to=account_key(moved) if isinstance(moved, dict) and (
            moved.get("uri") or moved.get("url")) else None,
    )


def quoted_status(status: Json) -> Json | None:
    """The status a status quotes, in the forms servers send it: Mastodon 4.4's
    `quote.quoted_status` (absent until the quote is accepted), the quoted status itself as
    `quote` (Fedibird, Akkoma, Misskey bridges), or Pleroma's `pleroma.quote`."""
    quote = status.get("quote")
    if isinstance(quote, dict) and isinstance(quote.get("quoted_status"), dict):
        return quote["quoted_status"]  # type: ignore[no-any-return]
    pleroma = status.get("pleroma")
    for candidate in (quote, pleroma.get("quote") if isinstance(pleroma, dict) else None):
        if isinstance(candidate, dict) and candidate.get("uri") and "content" in candidate:
            return candidate
    return None


def _is_unshown_quote(status: Json) -> bool:
    """Whether a status is a Mastodon 4.5 quote whose quoted post is not sent: the quote
    still awaits approval (`pending`), was refused or withdrawn, the post is deleted or not
    visible (`state`), or it is a quote inside a quote (`quoted_status_id` only). It was
    counted as an original post."""
    quote = status.get("quote")
    return isinstance(quote, dict) and (isinstance(quote.get("state"), str)
                                        or bool(quote.get("quoted_status_id")))


def _text_of(status: Json) -> str:
    """A status's plain text, its content warning (`spoiler_text`) first and a poll's
    options after it, one a line, as the apps show them: "Which will you try? (poll)" with
    the techniques only in its options was tagged with none of them."""
    text = _without_emoji_codes(html_to_text(status.get("content") or ""), status)
    if status.get("spoiler_text"):
        text = f"{_without_emoji_codes(str(status['spoiler_text']), status)}\n\n{text}"
    poll = status.get("poll")
    options = [str(o["title"]) for o in (poll.get("options") or ()) if isinstance(o, dict)
               and o.get("title")] if isinstance(poll, dict) else []
    if options:
        text = "\n".join([f"{text}\n", *options]) if text else "\n".join(options)
    return text


def display_name(account: Json) -> str | None:
    """The name as the apps show it: a custom emoji's `:shortcode:` (listed in the account's
    `emojis`, shown as a picture) left out, so "Alder Hey Library :nhs: :books:" is
    "Alder Hey Library" in a leaderboard."""
    name = _without_emoji_codes(account.get("display_name") or "", account)
    return name or account.get("username")


# As Mastodon finds them: a code of 2 or more not touching a letter or digit ("10:30:" is a
# time); codes side by side (":verified::nhs:") are each one.
_SHORTCODE = re.compile(r"(?<![^\W_]):([A-Za-z0-9_]{2,}):(?![^\W_])")


def _without_emoji_codes(text: str, owner: Json) -> str:
    """`text` without the `:shortcode:`s of the custom emoji its status or account lists in
    `emojis` (the apps show each as a picture): a report quoted "Thank you all
    :blobcatheart: :nhs_logo:". Other colons ("10:30:") stay; line breaks are kept."""
    codes = {e.get("shortcode") for e in owner.get("emojis") or () if isinstance(e, dict)}
    if not text or not codes or ":" not in text:
        return text
    text = _SHORTCODE.sub(lambda m: " " if m[1] in codes else m[0], text)
    return "\n".join(re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.split("\n")
                     ).strip()


def post_from_status(status: Json, *, context_only: bool = False,
                     local_uris: dict[str, str] | None = None) -> PostRecord:
    """One status; `local_uris` maps the serving instance's local ids to uris (replies)."""
    text = _text_of(status)
    tags = [fold(t["name"]) for t in status.get("tags") or () if t.get("name")]
    mentions = tuple(dict.fromkeys(
        "@" + (m.get("acct") if "@" in (m.get("acct") or "") else
               f"{m.get('username') or m.get('acct')}@{urlsplit(m.get('url') or '').netloc}"
               ).lower()
        for m in status.get("mentions") or () if m.get("acct") or m.get("username")))
    kind, ref = "original", None
    reblog = status.get("reblog")
    quoted = quoted_status(status)
    if isinstance(reblog, dict):
        kind, ref = "repost", reblog.get("uri")
        # A reblog's own content is empty: it reads as, and carries the hashtags of, its
        # original, including those the original names only in its HTML.
        text = _text_of(reblog)
        tags.extend(fold(t["name"]) for t in reblog.get("tags") or () if t.get("name"))
    elif quoted is not None:
        kind, ref = "quote", quoted.get("uri")
    elif _is_unshown_quote(status):
        kind = "quote"
        quoted_id = status["quote"].get("quoted_status_id")
        ref = (local_uris or {}).get(str(quoted_id)) if quoted_id else None
    elif status.get("in_reply_to_id"):
        kind = "reply"
        ref = (local_uris or {}).get(str(status["in_reply_to_id"]))
    tags.extend(hashtags_in(text))
    account = status.get("account") or {}
    return PostRecord(
        platform="mastodon",
        platform_id=str(status.get("uri") or status["url"]),
        account_key=account_key(account) if account else None,
        created_at=parse_time(status["created_at"]),
        text=text,
        uri=status.get("uri"),
        url=status.get("url") or status.get("uri"),
        lang=status.get("language"),
        kind=kind,
        referenced_id=ref,
        hashtags=tuple(dict.fromkeys(tags)),
        mentions=mentions,
        likes=int(status.get("favourites_count") or 0),
        reposts=int(status.get("reblogs_count") or 0),
        replies=int(status.get("replies_count") or 0),
        quotes=int(status.get("quotes_count") or 0),
        raw=orjson.dumps(status).decode(),
        context_only=context_only,
        edited_at=_edited_at(status),
    )


def _edited_at(status: Json) -> dt.datetime | None:
    """When the status was last edited (Mastodon 3.5+), None when never or not readable: an
    odd value only costs the store the chance to replace an older text."""
    value = status.get("edited_at")
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


# Visibilities of statuses only some people may see (Mastodon's private and direct, the
# `limited` of circles and Hometown, GoToSocial's `mutuals_only`).
NOT_PUBLIC = frozenset({"private", "direct", "limited", "mutuals_only"})


def from_statuses(statuses: Iterable[Json], *, local_uris: dict[str, str] | None = None,
                  errors: list[str] | None = None, hidden: list[Json] | None = None
                  ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """A tag timeline page (a JSON array of statuses) to posts and accounts.

    Reblogged and quoted originals come along as context posts. A status that cannot be read
    is left out and described in `errors` (raised when no list is given). A followers-only
    or direct status (in pages saved with a token: a home timeline, an account's statuses)
    is left out: only what anyone may see is published in a report. Those left out so are
    added to `hidden`, when given, so an import can say how many there were.
    """
    statuses = [s for s in statuses if isinstance(s, dict)]
    if any(s.get("visibility") in NOT_PUBLIC for s in statuses):
        if hidden is not None:
            hidden.extend(s for s in statuses if s.get("visibility") in NOT_PUBLIC)
        statuses = [s for s in statuses if s.get("visibility") not in NOT_PUBLIC]
    # The caller's map grows in place: copying it for every page made reading a file
    # quadratic (a 200,000-entry map copied twice a page, half of an import's time).
    uris = local_uris if local_uris is not None else {}
    uris.update({str(s["id"]): s["uri"] for s in statuses if s.get("id") and s.get("uri")})
    posts: list[PostRecord] = []
    accounts: dict[str, AccountRecord] = {}
    for status in statuses:
        try:
            post = post_from_status(status, local_uris=uris)
            inner = status.get("reblog")
            if not isinstance(inner, dict):
                inner = quoted_status(status)
            authors = [a for a in (status.get("account"), (inner or {}).get("account"))
                       if isinstance(a, dict) and a]
            # The accounts they moved to come too, for the store to link them to.
            authors += [a["moved"] for a in authors if isinstance(a.get("moved"), dict)
                        and (a["moved"].get("uri") or a["moved"].get("url"))]
            found = [account_from_payload(a) for a in authors]
            context = (post_from_status(inner, context_only=True, local_uris=uris)
                       if isinstance(inner, dict) and inner.get("created_at") else None)
        except MAPPING_ERRORS as exc:
            if errors is None:
                raise
            errors.append(f"status {status.get('id') or status.get('uri')!r}: {describe(exc)}")
            continue
        posts.append(post)
        if context is not None:
            posts.append(context)
        for record in found:
            accounts[record.key] = record
    return posts, list(accounts.values())


def is_origin(status: Json, instance: str) -> bool:
    """Whether `instance` is the status's home server (its counts are the full ones)."""
    return urlsplit(status.get("uri") or "").netloc == urlsplit(instance).netloc


# -- an account archive's outbox.json (ActivityPub) -----------------------------------------

PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
_NOTES = ("Note", "Question", "Article", "Page")
_QUOTE_KEYS = ("quote", "quoteUri", "quoteUrl", "_misskey_quote")


def _addressed(value: object) -> set[str]:
    items = value if isinstance(value, list) else [value]
    return {i for i in items if isinstance(i, str)}


def is_public(activity: Json, thing: Json | None = None) -> bool:
    """Whether an activity is public or unlisted (the Public collection in `to` or `cc`):
    followers-only and direct posts are in an account archive too, and are no campaign
    posts to publish in a report."""
    found = _addressed(activity.get("to")) | _addressed(activity.get("cc"))
    if thing is not None:
        found |= _addressed(thing.get("to")) | _addressed(thing.get("cc"))
    return not found.isdisjoint(PUBLIC)


def _id_of(value: object) -> str | None:
    """An ActivityPub reference: a URI, or an object (or the first of a list) with an `id`."""
    if isinstance(value, list):
        value = next(iter(value), None)
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    return value if isinstance(value, str) and value else None


def _archive_account(actor: str) -> AccountRecord:
    """The archive's account, known by its actor URI only (`actor.json` is another file):
    the handle from the URI; name, bio and followers None, so that what a collection stored
    for them is kept (the store keeps a stored value where a record has None)."""
    parts = urlsplit(actor)
    username = parts.path.rstrip("/").rsplit("/", 1)[-1].lstrip("@")
    return dataclasses.replace(
        account_from_payload({"uri": actor, "username": username,
                              "acct": f"{username}@{parts.netloc}"}),
        display_name=None, bio=None, url=None)


def _status_of_note(activity: Json, note: Json, actor: str) -> Json:
    """A Note as the status the API would send for it, for `post_from_status`."""
    content_map = note.get("contentMap") if isinstance(note.get("contentMap"), dict) else {}
    tags = [{"name": str(t["name"]).lstrip("#")} for t in note.get("tag") or ()
            if isinstance(t, dict) and t.get("type") == "Hashtag" and t.get("name")]
    mentions = []
    for tag in note.get("tag") or ():
        if isinstance(tag, dict) and tag.get("type") == "Mention" and tag.get("name"):
            acct = str(tag["name"]).lstrip("@")
            mentions.append({"acct": acct, "username": acct.split("@")[0],
                             "url": tag.get("href") or ""})

    def total(key: str) -> int:
        value = note.get(key)
        return int(value.get("totalItems") or 0) if isinstance(value, dict) else 0

    return {
        "uri": note.get("id"),
        "url": _id_of(note.get("url")) or note.get("id"),
        "created_at": note.get("published") or activity.get("published"),
        "edited_at": note.get("updated"),
        "content": note.get("content") or next(iter(content_map.values()), ""),
        "spoiler_text": note.get("summary") or "",
        "language": next(iter(content_map), None),
        "tags": tags,
        "mentions": mentions,
        "favourites_count": total("likes"),
        "reblogs_count": total("shares"),
        "replies_count": total("replies"),
        "account": {"uri": actor},
        "poll": {"options": [{"title": o.get("name")} for o in
                             (note.get("oneOf") or note.get("anyOf") or ())
                             if isinstance(o, dict)]},
    }


# An outbox post's words by its URI: (text, hashtags, language), for the boosts of it.
Words = dict[str, tuple[str, tuple[str, ...], str | None]]


def _boosted_words(thing: object, ref: str | None, words: Words | None
                   ) -> tuple[str, tuple[str, ...], str | None]:
    """A boost's text, hashtags and language: its original's, as a collected reblog reads,
    when the original is in the same outbox (a library boosting its own campaign post) or
    sent inside the Announce; else none (the original is known by its URI only)."""
    if isinstance(thing, dict) and thing.get("content") and ref:
        actor = _id_of(thing.get("attributedTo")) or ref
        post = post_from_status(_status_of_note({}, thing, actor))
        return post.text, post.hashtags, post.lang
    if words is not None and ref in words:
        return words[ref]
    return "", (), None


def from_outbox(activities: Iterable[Json], errors: list[str] | None = None,
                hidden: list[Json] | None = None, words: Words | None = None
                ) -> tuple[list[PostRecord], list[AccountRecord]]:
    """The public posts and boosts of an outbox's activities (an account archive's
    `outbox.json`, Settings > Import and export > Request your archive).

    A post (`Create` of a Note, or of a poll's Question) is keyed by its `id`, the status
    `uri` a collection keys it by; a boost (`Announce`) is a repost keyed by its own `id`,
    as a collected reblog is, and names its original by URI only: it is kept when that
    original is a campaign post stored already. The raw payload is the activity. Activities
    that are not public (followers-only, direct) are left out, and added to `hidden`.
    """
    posts: list[PostRecord] = []
    accounts: dict[str, AccountRecord] = {}
    # Boosts after posts, so a boost finds its original's words in a page that lists the
    # newest first (a server's outbox pages do; an archive lists the oldest first).
    for activity in sorted(activities, key=lambda a: isinstance(a, dict)
                           and a.get("type") == "Announce"):
        if not isinstance(activity, dict):
            continue
        kind = activity.get("type")
        thing = activity.get("object")
        try:
            if kind == "Create" and isinstance(thing, dict) and thing.get("type") in _NOTES:
                if not is_public(activity, thing):
                    if hidden is not None:
                        hidden.append(activity)
                    continue
                actor = _id_of(thing.get("attributedTo")) or _id_of(activity.get("actor"))
                if not actor:
                    raise KeyError("attributedTo")
                post = post_from_status(_status_of_note(activity, thing, actor))
                quoted = next((_id_of(thing.get(k)) for k in _QUOTE_KEYS if thing.get(k)),
                              None)
                reply = _id_of(thing.get("inReplyTo"))
                if quoted:
                    post = dataclasses.replace(post, kind="quote", referenced_id=quoted)
                elif reply:
                    post = dataclasses.replace(post, kind="reply", referenced_id=reply)
            elif kind == "Announce" and _id_of(thing):
                if not is_public(activity):
                    if hidden is not None:
                        hidden.append(activity)
                    continue
                actor = _id_of(activity.get("actor"))
                if not actor or not activity.get("id"):
                    raise KeyError("actor" if not actor else "id")
                ref = _id_of(thing)
                text, tags, lang = _boosted_words(thing, ref, words)
                post = PostRecord(
                    platform="mastodon", platform_id=str(activity["id"]), account_key=actor,
                    created_at=parse_time(activity.get("published")), text=text,
                    uri=str(activity["id"]), url=str(activity["id"]), kind="repost",
                    referenced_id=ref, hashtags=tags, lang=lang)
            else:
                continue  # a Like, Follow, Delete...: not a post
            if words is not None and post.kind != "repost" and post.uri:
                words[post.uri] = (post.text, post.hashtags, post.lang)
            account = _archive_account(actor)
        except MAPPING_ERRORS as exc:
            if errors is None:
                raise
            errors.append(f"activity {activity.get('id')!r}: {describe(exc)}")
            continue
        posts.append(dataclasses.replace(post, raw=orjson.dumps(activity).decode()))
        accounts.setdefault(account.key, account)
    return posts, list(accounts.values())
