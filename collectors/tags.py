"""TAGS (Twitter Archiving Google Sheet) CSV exports, the archive many campaigns kept.

The sheet's `Archive` tab exported as CSV has the header `id_str, from_user, text, created_at,
time, geo_coordinates, user_lang, in_reply_to_user_id_str, in_reply_to_screen_name,
from_user_id_str, in_reply_to_status_id_str, source, profile_image_url, user_followers_count,
user_friends_count, status_url, entities_str`. A sheet that went through Excel may have its ids
turned into numbers like `1.19E+18`; the id is then recovered from `status_url`, and a row with
no usable id is reported, never stored under a wrong one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import orjson

from collectors.archive import (
    CHUNK_POSTS,
    TEXT_MENTIONS,
    Chunk,
    csv_chunks,
    excel_rounded,
    newest_accounts,
)
from collectors.base import parse_time
from collectors.x_payload import quoted_in_links, retweeted_author
from knowvember.errors import quoted
from knowvember.hashtags import fold, hashtags_in
from knowvember.records import AccountRecord, PostRecord

PLATFORM = "x"
REQUIRED = ("id_str", "from_user", "text", "created_at")
_V1_TIME = "%a %b %d %H:%M:%S %z %Y"
# The `time` column as Google Sheets writes it (UK locale first), or as Excel re-saves it
# (no seconds).
_SHEET_TIMES = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                "%m/%d/%Y %H:%M:%S")
_STATUS_ID = re.compile(r"/status(?:es)?/(\d+)")


class RowError(ValueError):
    """A row that cannot be stored; the message names the column."""


def _tweet_id(row: dict[str, str]) -> str:
    """The tweet id: `id_str`, unless `status_url` names another one (Excel keeps 15 digits
    of a number, so `1191672311587868672` may come back as `1191672311587860000`)."""
    value = (row.get("id_str") or "").strip()
    match = _STATUS_ID.search(row.get("status_url") or "")
    if match:
        return match.group(1)
    if value.isdigit():
        return value
    raise RowError(f"id_str {quoted(value)} is not a tweet id (did the sheet go through Excel? "
                   "export the CSV straight from Google Sheets)")


def _reply_id(value: str) -> str | None:
    """The id of the tweet a row replies to, or None when Excel spoiled it.

    Excel keeps 15 significant digits of a number: `1191672311587868672` comes back as
    `1.19167E+18` or `1191672311587870000`, and unlike the row's own id there is no
    `status_url` to recover it from. The row is still a reply; pointing it at a tweet that
    does not exist (or at another one) would be worse than not knowing which."""
    if not value.isdigit() or excel_rounded(value):
        return None
    return value


def _created(row: dict[str, str]) -> dt.datetime:
    value = (row.get("created_at") or "").strip()
    try:
        return dt.datetime.strptime(value, _V1_TIME)
    except ValueError:
        pass
    # `created_at` in any form it may have been re-saved in, before `time`: that is the
    # sheet's own time zone (a US sheet's 11/01/2019 03:02:03 read day first was January)
    for text in (value, (row.get("time") or "").strip()):
        for fmt in _SHEET_TIMES:
            try:
                return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
            except ValueError:
                continue
        # ISO 8601, as R (tidytags, rtweet) and pandas write a time back: 2019-11-05T09:30:00Z
        if len(text) >= 16 and text[4:5] == "-" and text[10:11] in ("T", " "):
            try:
                return parse_time(text)
            except ValueError:
                continue
    raise RowError(f"created_at {quoted(value)} is not a date like "
                   "'Fri Nov 01 08:02:03 +0000 2019'")


def _count(row: dict[str, str], column: str) -> int | None:
    value = (row.get(column) or "").strip().replace(",", "")  # Excel writes 2,345
    if not value:
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError):  # R writes an infinite value as `Inf`
        raise RowError(f"{column} {quoted(value)} is not a number") from None


# What a sheet re-saved by R (`write.csv`, tidytags) or pandas writes in an empty cell, and
# Google Sheets' error value: no value, not a reply id, a language or a count.
_NO_VALUE = frozenset(("NA", "N/A", "#N/A", "NaN", "nan", "NULL", "null", "None"))


def _without_markers(row: dict[str, str]) -> dict[str, str]:
    """`row` with its "NA"-like cells empty (every row of an R-saved sheet was a reply,
    language "NA", or failed on `user_followers_count 'NA' is not a number`)."""
    if not any(isinstance(v, str) and v.strip() in _NO_VALUE for v in row.values()):
        return row
    return {k: ("" if isinstance(v, str) and v.strip() in _NO_VALUE else v)
            for k, v in row.items()}


def from_row(row: dict[str, str]) -> tuple[PostRecord, AccountRecord]:
    """One TAGS row to a post and its author's account."""
    raw = orjson.dumps(row).decode()
    row = _without_markers(row)
    tid = _tweet_id(row)
    # TAGS keeps the v1.1 text as X sent it, `&`, `<` and `>` escaped (`&amp;`): unescaped
    # once, as every X import does; the raw row keeps it as the sheet had it.
    text = unescape(row.get("text") or "")
    handle = (row.get("from_user") or "").strip().lstrip("@")
    if not handle:
        raise RowError("from_user is empty")
    entities: dict[str, Any] = {}
    if row.get("entities_str"):
        try:
            parsed = orjson.loads(row["entities_str"])
            entities = parsed if isinstance(parsed, dict) else {}
        except orjson.JSONDecodeError:
            entities = {}
    tags = [fold(h["text"]) for h in entities.get("hashtags") or ()
            if isinstance(h, dict) and h.get("text")]
    tags.extend(hashtags_in(text))
    mentions = [m["screen_name"] for m in entities.get("user_mentions") or ()
                if isinstance(m, dict) and m.get("screen_name")
                ] or TEXT_MENTIONS["x"].findall(text)
    kind, ref = "original", None
    reply_to = (row.get("in_reply_to_status_id_str") or "").strip()
    if retweeted_author(text):
        kind = "repost"
    elif quoted := quoted_in_links(entities, tid):
        kind, ref = "quote", quoted
    elif reply_to:
        kind, ref = "reply", _reply_id(reply_to)
    user_id = (row.get("from_user_id_str") or "").strip()
    if excel_rounded(user_id):
        # an id Excel cut to 15 digits names no account (or another one): by handle, as a
        # sheet without the column
        user_id = ""
    key = user_id if user_id.isdigit() else "@" + handle.lower()
    post = PostRecord(
        platform="x",
        platform_id=tid,
        account_key=key,
        created_at=_created(row),
        text=text,
        url=(row.get("status_url") or "").strip() or f"https://x.com/{handle}/status/{tid}",
        lang=(row.get("user_lang") or None),
        kind=kind,
        referenced_id=ref,
        hashtags=tuple(dict.fromkeys(tags)),
        mentions=tuple(dict.fromkeys("@" + m.lower() for m in mentions)),
        raw=raw,
    )
    account = AccountRecord(
        platform="x",
        key=key,
        platform_user_id=user_id if user_id.isdigit() else None,
        handle="@" + handle.lower(),
        followers=_count(row, "user_followers_count"),
        url=f"https://x.com/{handle}",
    )
    return post, account


def read(path: Path, chunk_posts: int = CHUNK_POSTS) -> Iterator[Chunk]:
    return newest_accounts(csv_chunks(
        path, chunk_posts, required=REQUIRED, column=str.strip, from_row=from_row,
        row_errors=(RowError, ValueError, TypeError, KeyError)))
