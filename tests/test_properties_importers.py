"""Property tests over every importer: whatever the file holds, no traceback; every record
that cannot be read is reported with file and line and leaves nothing behind; every good
record next to it is stored exactly.

Each example writes a file mixing good records, broken ones (a field of the wrong type, an
impossible date, a missing author), odd but legal ones (huge counts, far dates, any Unicode)
and plain garbage (random text, random bytes, random JSON), imports it into SQLite, and
checks the database and the reported errors against what went in.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from collectors.archive import formats
from knowvember.db import Database, open_database
from knowvember.errors import KnowvemberError
from knowvember.ingest import import_files
from tests.fakeapi import bluesky_post, mastodon_account, mastodon_status
from tests.reliability_support import snowflake

EXAMPLES = 30
PROPERTY = hypothesis_settings(
    max_examples=EXAMPLES, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
WHEN = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
TAG = "#KNOWvember19"

# Text as people and APIs send it: any Unicode but lone surrogates (not text at all).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
GARBAGE = st.one_of(
    st.text(max_size=80).map(lambda s: s.replace("\n", " ").replace("\r", " ")),
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                 | TEXT, lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(TEXT, inner, max_size=4), max_leaves=8).map(json.dumps),
)
ODD_COUNT = st.one_of(st.integers(0, 10), st.integers(2**62, 2**70), st.integers(-2**70, -1))
ODD_TIME = st.sampled_from([
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59+14:00",
    "2019-11-05T09:30:00.123456789Z", "2019-11-05 09:30:00", "2019-02-30T00:00:00Z",
])


@dataclass
class Case:
    """A generated file: its lines, and what each line must become."""

    lines: list[bytes] = field(default_factory=list)
    valid: dict[str, str | None] = field(default_factory=dict)  # id -> exact text (or None)
    broken: dict[int, str] = field(default_factory=dict)  # line number -> marker


def _kinds() -> st.SearchStrategy[list[tuple[str, Any]]]:
    return st.lists(st.one_of(
        st.tuples(st.just("valid"), TEXT),
        st.tuples(st.just("broken"), st.integers(0, 3)),
        st.tuples(st.just("odd"), st.tuples(TEXT, ODD_COUNT, ODD_TIME)),
        st.tuples(st.just("garbage"), GARBAGE),
    ), min_size=1, max_size=12)


def _line(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)).encode()


# -- one builder per format: good, broken and odd records ----------------------------------


def _twarc2(kinds: list[tuple[str, Any]]) -> Case:
    case = Case()
    user = {"id": "77", "username": "lib", "name": "Lib", "public_metrics": {
        "followers_count": 3}}
    for number, (kind, data) in enumerate(kinds, start=1):
        tid = snowflake(WHEN + dt.timedelta(minutes=number), number)
        tweet: dict[str, Any] = {"id": tid, "author_id": "77", "text": f"V{number} {TAG}",
                                 "created_at": "2019-11-05T09:30:00.000Z"}
        if kind == "valid":
            tweet["text"] = f"V{number} {data} {TAG}"
            case.valid[tid] = tweet["text"]
        elif kind == "broken":
            tweet["text"] = f"BROKEN{number} {TAG}"
            key, bad = [("id", {"no": 1}), ("public_metrics", "lots"), ("entities", 5),
                        ("text", ["a list"])][data]
            tweet[key] = bad
            case.broken[number] = f"BROKEN{number}"
        elif kind == "odd":
            text, count, when = data
            tweet.update(text=f"O{number} {text} {TAG}", created_at=when,
                         public_metrics={"like_count": count, "retweet_count": count})
        else:
            case.lines.append(_line(data))
            continue
        case.lines.append(_line({"data": [tweet], "includes": {"users": [user]}}))
    return case


def _mastodon(kinds: list[tuple[str, Any]]) -> Case:
    case = Case()
    home = "https://nhs.social"
    person = mastodon_account("lib", home)
    for number, (kind, data) in enumerate(kinds, start=1):
        status = mastodon_status(str(number), home, number, f"<p>V{number} {TAG}</p>",
                                 ["KNOWvember19"], person, WHEN)
        if kind == "valid":
            status["content"] = f"<p>V{number} {TAG}</p><p>{json.dumps(data)}</p>"
            case.valid[status["uri"]] = None  # HTML made text: checked by marker only
        elif kind == "broken":
            status["content"] = f"<p>BROKEN{number} {TAG}</p>"
            key, bad = [("created_at", "not a time"), ("created_at", None),
                        ("account", "nobody"), ("tags", 7)][data]
            status[key] = bad
            case.broken[number] = f"BROKEN{number}"
        elif kind == "odd":
            text, count, when = data
            status.update(content=f"<p>O{number} {TAG} {text}</p>", created_at=when,
                          favourites_count=count, reblogs_count=count)
        else:
            case.lines.append(_line(data))
            continue
        case.lines.append(_line([status]))
    return case


def _bluesky(kinds: list[tuple[str, Any]]) -> Case:
    case = Case()
    for number, (kind, data) in enumerate(kinds, start=1):
        post = bluesky_post(f"3k{number:06d}", "did:plc:lib000000000000000000000",
                            "lib.bsky.social", f"V{number} {TAG}", WHEN)
        if kind == "valid":
            post["record"]["text"] = f"V{number} {TAG} {data}"
            case.valid[post["uri"]] = post["record"]["text"]
        elif kind == "broken":
            post["record"]["text"] = f"BROKEN{number} {TAG}"
            if data == 0:
                post["record"]["createdAt"] = "not a time"
                post["indexedAt"] = "nor this"
            elif data == 1:
                post["author"] = 7
            elif data == 2:
                post["uri"] = {"not": "a uri"}
            else:
                post["record"] = "a string"
            case.broken[number] = f"BROKEN{number}"
        elif kind == "odd":
            text, count, when = data
            post["record"].update(text=f"O{number} {TAG} {text}", createdAt=when)
            post.update(likeCount=count, repostCount=count, indexedAt=when)
        else:
            case.lines.append(_line(data))
            continue
        case.lines.append(_line({"posts": [post]}))
    return case


def _csv_case(kinds: list[tuple[str, Any]], header: list[str],
              row: Callable[[int, str, str], dict[str, str]],
              breakers: list[tuple[str, str]], id_of: Callable[[int], str]) -> Case:
    """CSV formats: each record one row (line numbers are the reader's, after the header)."""
    case = Case()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)  # "\r\n", as spreadsheets write it
    writer.writeheader()
    for number, (kind, data) in enumerate(kinds, start=1):
        if kind == "valid":
            values = row(number, f"V{number} {data} {TAG}", "2019-11-05T09:30:00Z")
            case.valid[id_of(number)] = values["text"]
        elif kind == "broken":
            values = row(number, f"BROKEN{number} {TAG}", "2019-11-05T09:30:00Z")
            column, bad = breakers[data % len(breakers)]
            values[column] = bad
        elif kind == "odd":
            text, _count, when = data
            values = row(number, f"O{number} {text} {TAG}", when)
        else:
            garbage = data if isinstance(data, str) else repr(data)
            values = dict.fromkeys(header, garbage[:40])
        writer.writerow(values)
        if kind == "broken":  # the reader names a row's last line, counting as it reads
            case.broken[len(re.findall(r"\r\n|\r|\n", out.getvalue()))] = f"BROKEN{number}"
    case.lines = [out.getvalue().encode().removesuffix(b"\r\n")]
    return case


def _generic_csv(kinds: list[tuple[str, Any]]) -> Case:
    header = ["platform", "id", "author_handle", "created_at", "text", "likes"]

    def row(number: int, text: str, when: str) -> dict[str, str]:
        return {"platform": "x", "id": str(5000 + number), "author_handle": "@lib",
                "created_at": when, "text": text, "likes": "3"}

    return _csv_case(kinds, header, row,
                     [("likes", "many"), ("created_at", "yesterday-ish"),
                      ("platform", "myspace"), ("author_handle", "")],
                     lambda n: str(5000 + n))


TAGS_HEADER = ["id_str", "from_user", "text", "created_at", "time", "geo_coordinates",
               "user_lang", "in_reply_to_user_id_str", "in_reply_to_screen_name",
               "from_user_id_str", "in_reply_to_status_id_str", "source", "profile_image_url",
               "user_followers_count", "user_friends_count", "status_url", "entities_str"]


def _tags(kinds: list[tuple[str, Any]]) -> Case:
    def row(number: int, text: str, when: str) -> dict[str, str]:
        tid = snowflake(WHEN + dt.timedelta(minutes=number), number)
        created = "Tue Nov 05 09:30:00 +0000 2019" if when.startswith("2019-11-05T09") else when
        return {"id_str": tid, "from_user": "UHLLibraries", "text": text, "created_at": created,
                "time": "", "user_lang": "en", "from_user_id_str": "42",
                "user_followers_count": "10", "user_friends_count": "1"}

    return _csv_case(kinds, TAGS_HEADER, row,
                     [("created_at", "last Tuesday"), ("from_user", ""),
                      ("user_followers_count", "a lot")],
                     lambda n: snowflake(WHEN + dt.timedelta(minutes=n), n))


BUILDERS = {"twarc2": _twarc2, "mastodon": _mastodon, "bluesky": _bluesky,
            "csv": _generic_csv, "tags": _tags}
SUFFIX = {"twarc2": ".jsonl", "mastodon": ".jsonl", "bluesky": ".jsonl", "csv": ".csv",
          "tags": ".csv"}


@pytest.fixture
def sqlite(settings, tmp_path) -> Database:  # type: ignore[no-untyped-def]
    db = open_database(settings, url=f"sqlite:///{tmp_path / 'props.db'}")
    yield db
    db.dispose()


def _empty(db: Database) -> None:
    with db.begin() as conn:
        for table in ("post_hashtags", "post_techniques", "posts", "accounts", "runs",
                      "collector_state"):
            conn.execute(sa.text(f"DELETE FROM {table}"))


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
def test_any_file_imports_its_good_records_and_names_its_bad_ones(
        fmt, settings, sqlite, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reader, _ = formats()[fmt]
    path = tmp_path / f"input{SUFFIX[fmt]}"

    @PROPERTY
    @given(kinds=_kinds())
    def check(kinds: list[tuple[str, Any]]) -> None:
        case = BUILDERS[fmt](kinds)
        path.write_bytes(b"\n".join(case.lines) + b"\n")
        _empty(sqlite)
        errors = [str(e) for chunk in reader(path) for e in chunk.errors]
        outcome = import_files(sqlite, settings, fmt, [path])  # raises nothing
        [run] = outcome.runs
        assert run.status in ("ok", "partial", "failed") and run.finished_at
        lines = len(re.findall(rb"\r\n|\r|\n", path.read_bytes()))
        for error in errors:
            match = re.match(rf"^{re.escape(str(path))}:(\d+): \S", error)
            assert match and 1 <= int(match.group(1)) <= lines, error
            assert "Traceback" not in error
        reported = {int(re.match(r"^.*?:(\d+): ", e).group(1)) for e in errors}  # type: ignore[union-attr]
        for number, marker in case.broken.items():
            assert number in reported, (marker, errors)
        with sqlite.begin() as conn:
            stored = dict(conn.execute(sa.text("SELECT platform_id, text FROM posts")).all())
        for pid, text in case.valid.items():
            assert pid in stored, (pid, errors, run.error)
            if text is not None:
                assert stored[pid] == text.replace("\x00", "\ufffd")
        assert not [t for t in stored.values() if "BROKEN" in t], "a rejected record stored"

    check()


def test_a_file_the_reader_cannot_open_is_one_clear_error(settings, sqlite, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nowhere.jsonl"
    with pytest.raises(KnowvemberError, match="no such file"):
        import_files(sqlite, settings, "twarc2", [missing])
    folder = tmp_path / "a-folder.jsonl"
    folder.mkdir()
    with pytest.raises(KnowvemberError):
        import_files(sqlite, settings, "twarc2", [folder])
    garbled = tmp_path / "garbled.csv.gz"
    garbled.write_bytes(b"\x1f\x8b\x08 this is not gzip at all")
    outcome = import_files(sqlite, settings, "csv", [garbled])
    assert outcome.runs[0].status == "failed" and "garbled.csv.gz" in outcome.runs[0].error
    whole = gzip.compress(b"platform,id,author_handle,created_at,text\n" + b"".join(
        f"x,{n},@lib,2019-11-05T09:00:00Z,Post {n} #KNOWvember19\n".encode()
        for n in range(1, 2000)))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    outcome = import_files(sqlite, settings, "csv", [cut])
    assert "cut.csv.gz" in outcome.runs[0].error and outcome.runs[0].finished_at
