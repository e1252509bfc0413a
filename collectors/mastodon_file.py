"""Mastodon API responses saved to a file: tag timeline pages (JSON arrays of statuses).

One page per line (JSONL, the streaming form), single statuses per line, or one whole JSON
array all work, as the API sent them or as Mastodon.py's `to_json()` saved them; so does a
saved conversation (`/api/v1/statuses/ID/context`). Mapping
goes through `collectors.mastodon_payload`, as live collection does.

An account archive's `outbox.json` (ActivityPub: an OrderedCollection of the account's
activities) is read too, or a saved outbox page, or activities one per line: its public
posts, under the status URIs a collection stores them by (see `from_outbox`); so is the
archive's ZIP itself, as downloaded, whose outbox.json is read.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from collectors.archive import CHUNK_POSTS, Chunk, LineError, Source, UntilCut, json_values
from collectors.bluesky_file import is_car, keep_latest, not_a_page
from collectors.mastodon_payload import Words, account_from_payload, from_outbox, from_statuses
from knowvember.errors import InputError
from knowvember.records import AccountRecord

PLATFORM = "mastodon"


def read(path: Path, chunk_posts: int = CHUNK_POSTS) -> Iterator[Chunk]:
    member = _archive_outbox(path)
    if member == _CUT_SHORT:
        yield from _read_cut_short_archive(path, chunk_posts)
        return
    if member is not None:
        yield from _read_archive(path, member, chunk_posts)
        return
    yield from _read(path, chunk_posts)


_CUT_SHORT = "\0cut short"  # a ZIP without its directory (see _read_cut_short_archive)
_LOCAL_HEADER = struct.Struct("<4s2x2sH4x4xII2H")  # signature, flags, method, sizes, names
_DEFLATED, _STORED = 8, 0


def _read_cut_short_archive(path: Path, chunk_posts: int) -> Iterator[Chunk]:
    """An account archive whose download broke off: its ZIP lacks the directory at its
    end, so no ZIP reader opens it, but Mastodon writes outbox.json first, before the
    media (often gigabytes), so the posts are whole in the part that came. They are read
    from the members' own headers; the run is partial, naming the damage. The archive
    was refused as "a ZIP archive, not JSON: unzip it", which fails as well."""
    with tempfile.TemporaryDirectory(prefix="knowvember-") as folder:
        copy = Path(folder) / "outbox.json"
        with open(path, "rb") as handle, open(copy, "wb") as out:
            if not _copy_member(handle, "outbox.json", out):
                raise InputError(f"{path}: a ZIP archive cut short (a download that broke "
                                 "off?) before its outbox.json ends: download the archive "
                                 "again") from None
        yield from _read(copy, chunk_posts, label=f"{path}:outbox.json")
    raise InputError(f"{path}: the archive is cut short (a download that broke off?): its "
                     "posts were read from its outbox.json, which came whole; download the "
                     "archive again for the rest (importing it again doubles nothing)")


def _copy_member(handle: IO[bytes], name: str, out: IO[bytes]) -> bool:
    """Copy the member called `name` (in any folder) of a ZIP read from its start, member
    by member through their local headers, into `out`; False when the file ends (or is
    not readable so) before that member does."""
    while True:
        head = handle.read(_LOCAL_HEADER.size)
        if len(head) < _LOCAL_HEADER.size:
            return False
        signature, _flags, method, size, _full, name_length, extra = _LOCAL_HEADER.unpack(head)
        if signature != b"PK\x03\x04" or method not in (_DEFLATED, _STORED):
            return False
        member = handle.read(name_length).decode("utf-8", "replace")
        handle.seek(extra, 1)
        wanted = member.rsplit("/", 1)[-1] == name
        if method == _STORED:
            if not size:
                return False  # its size is only after it: where it ends is unknown
            data = handle.read(size)
            if len(data) < size:
                return False
            if wanted:
                out.write(data)
                return True
            continue
        if not _inflate(handle, out if wanted else None):
            return False
        if wanted:
            return True
        if _flags[0] & 0x08:  # sizes after the data: skip the data descriptor
            descriptor = handle.read(16)
            at = 0 if descriptor[:4] == b"PK\x07\x08" else -4
            handle.seek(at - len(descriptor) + 16, 1)


def _inflate(handle: IO[bytes], out: IO[bytes] | None) -> bool:
    """Inflate one deflated member from `handle` (left just after it) into `out`, or only
    past it; False when the file ends before the member does."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    while not inflater.eof:
        block = handle.read(1 << 20)
        if not block:
            return False
        try:
            data = inflater.decompress(block)
        except zlib.error:
            return False
        if out is not None:
            out.write(data)
    handle.seek(-len(inflater.unused_data), 1)
    return True


def _archive_outbox(path: Path) -> str | None:
    """The name of the `outbox.json` inside `path` when it is a Mastodon account archive
    as downloaded (a ZIP: Settings > Import and export > Request your archive); None for
    any other file. The archive was refused as "a ZIP archive, not JSON"."""
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"PK\x03\x04":
                return None
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "outbox.json"]
    except zipfile.BadZipFile:
        return _CUT_SHORT  # its start is a ZIP's: a download that broke off
    except OSError:
        return None  # reading it as a file says what is wrong with it
    return min(names, key=len) if names else None


def _read_archive(path: Path, member: str, chunk_posts: int) -> Iterator[Chunk]:
    """The archive's outbox.json, copied out of the ZIP (the media beside it can be
    gigabytes; only this member is read), with lines named `ARCHIVE.zip:outbox.json:N`."""
    with tempfile.TemporaryDirectory(prefix="knowvember-") as folder:
        copy = Path(folder) / "outbox.json"
        try:
            with zipfile.ZipFile(path) as archive:
                with archive.open(member) as inside, open(copy, "wb") as out:
                    shutil.copyfileobj(inside, out, 1 << 20)
                profile = _actor(archive, member)
        except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise InputError(f"{path}: the archive's {member} cannot be read ({exc}): "
                             "download the archive again") from None
        scale = path.stat().st_size / max(1, copy.stat().st_size)
        for chunk in _read(copy, chunk_posts, label=f"{path}:{member}"):
            chunk.position = int(chunk.position * scale)  # progress through the ZIP
            if profile is not None:
                for account in chunk.accounts:
                    if account.key == profile.key:
                        account.display_name = profile.display_name or account.display_name
                        account.bio = profile.bio or account.bio
            yield chunk


def _actor(archive: zipfile.ZipFile, outbox: str) -> AccountRecord | None:
    """The account's name and bio from the archive's actor.json (beside its outbox.json),
    so a library known only from its archive is named in a leaderboard, not only by its
    handle; None when the file is missing or unreadable (the posts import all the same)."""
    name = f"{outbox[:-len('outbox.json')]}actor.json"
    try:
        actor = orjson.loads(archive.read(name))
    except (KeyError, orjson.JSONDecodeError, OSError, zipfile.BadZipFile, zlib.error):
        return None
    if not isinstance(actor, dict) or not isinstance(actor.get("id"), str):
        return None
    emojis = [{"shortcode": str(t.get("name") or "").strip(":")} for t in actor.get("tag") or ()
              if isinstance(t, dict) and t.get("type") == "Emoji"]
    record = account_from_payload({"uri": actor["id"], "username": actor.get("preferredUsername"),
                                   "display_name": actor.get("name") or None,
                                   "note": actor.get("summary") or "", "emojis": emojis})
    if not actor.get("name"):
        record.display_name = None  # not the username: a name stored before is kept
    record.bio = record.bio or None
    return record


def _read(path: Path, chunk_posts: int, label: str | None = None) -> Iterator[Chunk]:
    with Source(path) as source:
        if label is not None:
            source.label = label
        if is_car(source):  # every line of it was "not valid JSON"
            raise InputError(f"{path}: a Bluesky repository export (CAR file), not saved "
                             "Mastodon answers; use `knowvember import bluesky` for it")
        chunk = Chunk()
        local_uris: dict[str, str] = {}
        words: Words = {}  # an outbox's posts, for the boosts of them further on
        values = UntilCut(json_values(source))
        for number, value in values:
            chunk.lines = number
            if isinstance(value, LineError):
                chunk.errors.append(value)
                continue
            if isinstance(value, dict) and "_mastopy_data" in value:
                # Mastodon.py 2's own way to save what it returned (`to_json()`): the
                # statuses as the API sent them, inside a wrapper naming their type.
                value = value["_mastopy_data"]
            if isinstance(value, dict) and "uri" in value and "content" in value:
                value = [value]
            value = _context_statuses(value)
            activities = _activities(value)
            problems: list[str] = []
            hidden: list[Any] = []
            if activities is not None:
                posts, accounts = from_outbox(activities, problems, hidden, words)
            elif not isinstance(value, list) or any(
                    isinstance(v, dict) and "record" in v and "content" not in v for v in value):
                # Not statuses (Bluesky post views were each "missing field 'created_at'").
                chunk.errors.append(LineError(source.label, number, _not_a_page(path, value)))
                continue
            else:
                posts, accounts = from_statuses(value, local_uris=local_uris, errors=problems,
                                                hidden=hidden)
            chunk.not_public += len(hidden)
            chunk.errors.extend(LineError(source.label, number, p) for p in problems)
            chunk.posts.extend(posts)
            chunk.accounts.extend(accounts)
            if len(local_uris) > 200_000:
                local_uris.clear()  # constant memory; only nearby replies are linked
            if len(words) > 50_000:
                words.clear()
            if len(chunk.posts) >= chunk_posts:
                keep_latest(chunk)
                chunk.position = source.position()
                yield chunk
                chunk = Chunk(lines=number)
        keep_latest(chunk)
        chunk.position = source.position()
        yield chunk
        values.raise_if_cut()


def _context_statuses(value: object) -> object:
    """A saved conversation (`/api/v1/statuses/ID/context`: `ancestors` and `descendants`,
    the toot itself in neither) as its statuses, oldest first as the replies name their
    parents, and a saved search answer (`/api/v2/search`: `statuses` beside `accounts` and
    `hashtags`) as its statuses; both were refused as "not a Mastodon tag timeline page".
    Anything else as it is."""
    if (isinstance(value, dict) and isinstance(value.get("ancestors"), list)
            and isinstance(value.get("descendants"), list)):
        return [*value["ancestors"], *value["descendants"]]
    if (isinstance(value, dict) and isinstance(value.get("statuses"), list)
            and ("accounts" in value or "hashtags" in value)):
        return value["statuses"]  # a search answer (/api/v2/search?type=statuses)
    return value


_ACTIVITYPUB = ("OrderedCollection", "OrderedCollectionPage", "Create", "Note")
_ACTIVITIES = ("Create", "Announce")
_ACTORS = ("Person", "Service", "Group", "Organization", "Application")


def _activities(value: object) -> list[Any] | None:
    """The activities of an outbox (or one of its pages, or one activity on a line); None
    when the value is no ActivityPub outbox content."""
    if not isinstance(value, dict):
        return None
    items = value.get("orderedItems")
    if value.get("type") in ("OrderedCollection", "OrderedCollectionPage") and isinstance(
            items, list):
        if items and not any(isinstance(i, dict) for i in items):
            return None  # addresses only: likes.json or bookmarks.json (see _not_a_page)
        return items
    if value.get("type") in _ACTIVITIES and "actor" in value:
        return [value]
    return None


def _not_a_page(path: Path, value: object) -> str:
    """Why a line is no tag timeline page, naming what it is when that is known: the
    outbox.json of an account archive (Settings > Import and export > Request your
    archive) is what a user is most likely to have, and is ActivityPub, not API answers."""
    if isinstance(value, dict) and value.get("type") in _ACTORS:
        return ("an ActivityPub profile (an account archive's actor.json), which holds no "
                "posts: import the archive's outbox.json, or the archive's ZIP itself")
    items = value.get("orderedItems") if isinstance(value, dict) else None
    if isinstance(items, list) and items and all(isinstance(i, str) for i in items):
        # It imported as "ok, no posts in the file (an empty page of results)".
        return (f"a list of {len(items):,} post addresses and no posts (an account "
                "archive's likes.json or bookmarks.json): the account's own posts are in "
                "the archive's outbox.json; import that, or the archive's ZIP itself")
    if isinstance(value, dict) and (value.get("type") in _ACTIVITYPUB
                                    or "orderedItems" in value):
        what = (f"{value['type']!r} " if isinstance(value.get("type"), str) else "")
        return (f"an ActivityPub {what}document without the activities `import mastodon` "
                "reads (an account archive's outbox.json, a page of an outbox with "
                "`orderedItems`, or Create and Announce activities one per line)")
    return not_a_page(path, "mastodon",
                      "Mastodon tag timeline page (expected a JSON array of statuses)", value)
