"""One twarc2 JSONL file read in two halves: where `split_point` puts the second half, the
lines and line numbers each `Span` of the file reads, the records `twarc2.read` brings from
each, and, with KNOWVEMBER_IMPORT_PROCESSES=3 (two reading children for any file size), an
import that stores, records and fails as it does in one process, leaving no child behind.

An original repeated with lower counts in the second half is the one known difference from
one process: the run counts the first half's copy as an update, and keeps the earlier payload.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from collectors import offload, twarc2
from collectors.archive import LineError, Source, Span, json_values, split_point
from knowvember import ingest
from knowvember.config import Settings, parse_settings
from knowvember.db import Database
from knowvember.errors import DatabaseError
from tests import test_import_offload as offload_tests
from tests.fakeapi import FIXTURES, x_id, x_page, x_tweet, x_user
from tests.test_import_offload import (
    CAFE,
    CONFIG,
    LATER,
    NOV,
    PARENT,
    REPLY,
    env_processes,
    flat_and_v1,
    import_once,
    job,
    stored,
    summary,
)
from tests.test_import_twarc2 import recorded_lines, write
from tests.test_twarc2_repeats import USERS, original, retweet_page

other_url = offload_tests.other_url  # a second, empty database on the same backend


# -- the world ----------------------------------------------------------------------------


@pytest.fixture
def settings(campaign_dir: Path) -> Settings:
    """The campaign with the recorded payloads' hashtags too, so that `db` stores them."""
    return parse_settings(CONFIG, campaign_dir / "campaign.toml")


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every process `collectors.offload` starts, recorded as it starts."""
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    class Recorded(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **options: Any) -> None:
            super().__init__(*args, **options)
            started.append(self)

    monkeypatch.setattr(offload.subprocess, "Popen", Recorded)
    return started


# Another reply without a campaign hashtag (REPLY's twin, to the cafe).
ANSWER = x_tweet(x_id(LATER, 15), "Thanks for the cafe", "43", LATER,
                 refs=[("replied_to", CAFE["id"])])


def halves() -> tuple[list[bytes], list[bytes]]:
    """Lines taking every mapping path, as two halves: the first ends with the big recorded
    page, which holds the file's middle, so the second half starts right after it. Each half
    has a reply whose parent is in the other half."""
    recorded = recorded_lines()
    first = [
        orjson.dumps(x_page([CAFE], USERS)),
        retweet_page(0, original(likes=2)),
        retweet_page(1, original(likes=5)),
        orjson.dumps(x_page([REPLY], USERS)),  # its parent is in the second half
        recorded[0],
    ]
    flat, v1 = flat_and_v1(LATER)
    second = [
        orjson.dumps({"errors": [{"value": "1", "detail": "Could not find tweet"}],
                      "meta": {"result_count": 0}}),
        orjson.dumps(flat),
        orjson.dumps(x_page([PARENT], USERS)),
        orjson.dumps(x_page([ANSWER], USERS)),  # its parent is in the first half
        orjson.dumps(v1),
        recorded[1],
    ]
    return first, second


def split_file(path: Path) -> tuple[Path, int]:
    """The file of `halves()` and where its second half starts (checked)."""
    first, second = halves()
    write(path, first + second)
    at = split_point(path)
    assert at == sum(len(line) + 1 for line in first)
    return path, at


def read_first(monkeypatch: pytest.MonkeyPatch, half: int | None) -> None:
    """Make `read_beside` take every chunk of one half (0 or 1) before any of the other;
    None: as they are ready."""
    if half is None:
        return

    ready = offload._ready

    def only(frames: Any, pending: list[int]) -> int:
        return ready(frames, [half] if half in pending else pending)

    monkeypatch.setattr(offload, "_ready", only)


def line_starts(data: bytes) -> list[int]:
    return [0, *(n + 1 for n, byte in enumerate(data[:-1]) if byte == ord("\n"))]


# -- where the second half starts ---------------------------------------------------------


def test_split_point_is_none_for_a_gz_file(tmp_path: Path) -> None:
    path = tmp_path / "nov.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"n": 1}\n' * 1000))
    assert split_point(path) is None


@pytest.mark.parametrize("content", [
    pytest.param(json.dumps(json.loads(recorded_lines()[1]), indent=2).encode(), id="pretty"),
    pytest.param(json.dumps([{"n": 1}, {"n": 2}], indent=1).encode(), id="pretty list"),
    pytest.param(b"", id="empty"),
    pytest.param(b'{"n": 1, "text": "a long enough line to split"}\n', id="one line"),
    pytest.param(b'{"n": 1, "text": "a long enough line to split"}', id="no newline"),
])
def test_split_point_is_none_when_there_is_no_second_half(tmp_path: Path,
                                                           content: bytes) -> None:
    path = tmp_path / "nov.jsonl"
    path.write_bytes(content)
    assert split_point(path) is None


@pytest.mark.parametrize("content", [
    b'{"n": 1}\n{"n": 2, "x": "longer"}\n{"n": 3}\n',
    b'{"n": 1}\r\n\r\n{"n": 2}\r\n{"n": 3, "long": "xxxxxxxxxxxx"}\r\n{"n": 4}',
    b'{"n": 1, "the middle is in here": true}\n\n\n{"n": 2}\n',  # then blank lines
    b'{"n": 1}\n{"n": 2}\n{"n": 3, "the middle is in here": "yes, well past it"}\n{"n": 4}\n',
    b"\n".join(recorded_lines()) + b"\n",
])
def test_split_point_is_the_first_line_start_after_the_middle(tmp_path: Path,
                                                              content: bytes) -> None:
    path = tmp_path / "nov.jsonl"
    path.write_bytes(content)
    middle = len(content) // 2
    assert content[middle - 1:middle] != b"\n"  # (the middle itself is not a line start)
    at = split_point(path)
    assert at is not None and 0 < at < len(content)
    assert content[at - 1:at] == b"\n"
    assert at == min(s for s in line_starts(content) if s >= middle)


@pytest.mark.parametrize("content", [
    b'{"n": 1}\n{"n": 2}\n',
    b'{"n":1}\n{"n":2}\n{"n": 3, "a": 1}\n',
    b'{"n": 1, "a": 1}\n{"n": 2}\n{"n": 3}\n',
])
def test_split_point_takes_a_line_starting_exactly_at_the_middle(tmp_path: Path,
                                                                 content: bytes) -> None:
    path = tmp_path / "nov.jsonl"
    path.write_bytes(content)
    middle = len(content) // 2
    assert content[middle - 1:middle] == b"\n"
    assert split_point(path) == middle


# -- the lines of each half ---------------------------------------------------------------


AWKWARD = (b'{"n": 1}\n'
           b"\n"
           b"   \n"
           b"\t \x0b\x0c\r\n"  # white space only, with a CR
           b'{"n": 2}\r\n'
           b'  {"n": 3}  \n'
           b"\n"
           b'{"n": 4, "s": "a\\nb"}\r\n'
           b"\r\n"
           b'{"n": 5}')  # no newline at the end


def read_span(path: Path, span: Span | None) -> tuple[list[bytes], list[tuple[int, Any]], int]:
    """A span's lines, its (line number, value)s and its position at the end."""
    with Source(path, span) as source:
        lines = list(source.lines())
        end = source.position()
    with Source(path, span) as source:
        values = [(n, str(v) if isinstance(v, LineError) else v)
                  for n, v in json_values(source)]
    return lines, values, end


@pytest.mark.parametrize("content", [
    AWKWARD,
    AWKWARD + b"\n",
    b'{"n": 1}\r\n{"n": 2}\r\n\r\n\r\n{"n": 3}\r\n',
    b"\n".join(recorded_lines()),
])
def test_two_spans_read_the_lines_of_the_whole_file_numbered_as_in_it(tmp_path: Path,
                                                                      content: bytes) -> None:
    path = tmp_path / "nov.jsonl"
    path.write_bytes(content)
    size = len(content)
    lines, values, end = read_span(path, None)
    assert end == size
    for at in line_starts(content)[1:]:  # every split, blank lines at it included
        head, head_values, head_end = read_span(path, Span(0, at, 1))
        tail, tail_values, tail_end = read_span(path, Span(at, size))
        assert head + tail == lines, at
        assert (head_end, tail_end) == (at, size)
        assert head_values + tail_values == values, at


def test_a_blank_line_at_the_split_keeps_the_numbers(tmp_path: Path) -> None:
    content = b'{"n": 1}\n{"n": 2}\n\n\n{"n": 5}\n{"n": 6}\n'
    path = tmp_path / "nov.jsonl"
    path.write_bytes(content)
    at = content.index(b"\n\n") + 1
    assert read_span(path, Span(0, at, 1))[1] == [(1, {"n": 1}), (2, {"n": 2})]
    assert read_span(path, Span(at, len(content)))[1] == [(5, {"n": 5}), (6, {"n": 6})]
    assert read_span(path, Span(at, len(content), 30))[1] == [(32, {"n": 5}), (33, {"n": 6})]


def test_positions_in_a_span_grow_with_each_line(tmp_path: Path) -> None:
    lines = [b'{"n": 1}\n', b"\n", b'{"n": 3, "more": true}\r\n', b'{"n": 4}\n', b"\n",
             b'{"n": 6}\n', b'{"n": 7}']
    path = tmp_path / "nov.jsonl"
    path.write_bytes(b"".join(lines))
    ends = [len(b"".join(lines[:n + 1])) for n in range(len(lines))]
    at = ends[2]
    with Source(path, Span(0, at, 1)) as source:
        assert source.position() == 0
        assert [source.position() for _ in source.lines()] == ends[:3]
    with Source(path, Span(at, ends[-1])) as source:
        assert source.position() == at
        assert [source.position() for _ in source.lines()] == ends[3:]


def test_a_span_of_a_gz_file_raises_value_error(tmp_path: Path) -> None:
    path = tmp_path / "nov.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"n": 1}\n{"n": 2}\n'))
    with pytest.raises(ValueError, match="cannot be read in parts"):
        Source(path, Span(0, 5, 1))
    with Source(path) as source:  # whole, it reads
        assert [n for n, _ in json_values(source)] == [1, 2]


# -- the records of each half -------------------------------------------------------------


def records(path: Path, **options: Any) -> tuple[list[str], list[Any], list[str]]:
    chunks = list(twarc2.read(path, chunk_posts=7, **options))
    return (sorted(repr(p) for c in chunks for p in c.posts),
            sorted({(a.platform, a.key) for c in chunks for a in c.accounts}),
            [str(e) for c in chunks for e in c.errors])


def test_the_two_halves_bring_the_records_of_the_whole_file(tmp_path: Path) -> None:
    path, at = split_file(tmp_path / "nov.jsonl")
    size = path.stat().st_size
    posts, accounts, errors = records(path)
    head = records(path, span=Span(0, at, 1))
    tail = records(path, span=Span(at, size))
    assert head[0] and tail[0]
    assert sorted(head[0] + tail[0]) == posts  # ids, context flags, counts, raw: all of it
    assert sorted(set(head[1]) | set(tail[1])) == accounts
    assert head[2] + tail[2] == errors == []
    flags = Counter((p.platform_id, p.context_only) for c in twarc2.read(path) for p in c.posts)
    assert flags[(original()["id"], True)] == 2  # the original, and again when it grew
    assert flags[(CAFE["id"], False)] == 1


def test_line_errors_in_either_half_name_the_same_file_and_line(tmp_path: Path) -> None:
    good = [orjson.dumps(x_page([x_tweet(x_id(NOV, n), f"Peer Assist {n} #KNOWvember19",
                                         "42", NOV)], USERS)) for n in range(8)]
    bad_tweet = x_page([], USERS)
    bad_tweet["data"] = [{"id": None, "text": "an id that is null"}]
    lines = [good[0], b"<html>502 Bad Gateway</html>", good[1], b"", good[2],
             orjson.dumps(bad_tweet), good[3], good[4], b'{"data": [{"id": "1", "text": "cut',
             good[5], b"\r", b"not json", good[6], orjson.dumps({"unknown": True}), good[7]]
    path = write(tmp_path / "nov.jsonl", lines)
    at = split_point(path)
    assert at is not None
    posts, _, errors = records(path)
    assert [e.split(": ", 1)[0] for e in errors] == [
        f"{path}:{n}" for n in (2, 6, 9, 12, 14)]
    head = records(path, span=Span(0, at, 1))
    tail = records(path, span=Span(at, path.stat().st_size))
    assert head[2] and tail[2]
    assert head[2] + tail[2] == errors
    assert sorted(head[0] + tail[0]) == posts


# -- an import in two halves --------------------------------------------------------------


def import_split(db: Database, settings: Settings, path: Path, **options: Any
                 ) -> tuple[Any, list[int]]:
    """The run of importing `path` into `db`, and each progress position reported."""
    positions: list[int] = []
    totals: set[int] = set()

    def seen(progress: ingest.Progress) -> None:
        positions.append(progress.done_bytes)
        totals.add(progress.total_bytes)

    hooks = ingest.Hooks(lock_wait=0, progress=seen)
    (run,) = ingest.import_files(db, settings, "twarc2", [path], hooks, **options).runs
    assert totals == {path.stat().st_size}
    return run, positions


def url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("first", [None, 0, 1], ids=["as ready", "first half first",
                                                    "second half first"])
def test_an_import_in_two_halves_stores_and_records_the_same(  # type: ignore[no-untyped-def]
        db, settings, other_url, tmp_path, monkeypatch, children, first) -> None:
    path, _ = split_file(tmp_path / "nov.jsonl")
    env_processes(monkeypatch, "1")
    (alone,) = import_once(other_url, settings, "twarc2", path, chunk_posts=7).runs
    assert children == []
    env_processes(monkeypatch, "3")
    read_first(monkeypatch, first)
    split, positions = import_split(db, settings, path, chunk_posts=7)
    assert len(children) == 2
    assert alone.status == "ok" and alone.fetched > 101 and alone.details["api_errors"] == 1
    assert alone.details["lines"] == 11 and "window" in alone.details
    assert summary(split) == summary(alone)
    here, there = stored(url_of(db), settings), stored(other_url, settings)
    assert here == there
    assert here["techniques"] and here["hashtags"]
    for reply in (REPLY, ANSWER):  # each kept, its parent in the other half
        assert here["posts"][("x", reply["id"])][7] == reply["referenced_tweets"][0]["id"]
    assert here["posts"][("x", original()["id"])][10] == 5  # the highest likes
    assert len(positions) > 3
    assert positions == sorted(positions) and positions[-1] == path.stat().st_size


def test_a_reimport_in_two_halves_adds_nothing(  # type: ignore[no-untyped-def]
        db, settings, other_url, tmp_path, monkeypatch, children) -> None:
    path, _ = split_file(tmp_path / "nov.jsonl")
    env_processes(monkeypatch, "1")
    import_once(other_url, settings, "twarc2", path, chunk_posts=7)
    (alone,) = import_once(other_url, settings, "twarc2", path, chunk_posts=7).runs
    env_processes(monkeypatch, "3")
    first, _ = import_split(db, settings, path, chunk_posts=7)
    before = stored(url_of(db), settings)
    again, positions = import_split(db, settings, path, chunk_posts=7)
    assert len(children) == 4
    assert (again.status, again.new, again.updated) == ("ok", 0, 0)
    assert again.fetched == first.fetched
    assert summary(again) == summary(alone)
    assert stored(url_of(db), settings) == before
    assert positions == sorted(positions) and positions[-1] == path.stat().st_size


def test_an_original_repeated_lower_in_the_second_half_keeps_the_highest_counts(  # type: ignore[no-untyped-def]
        settings, db_url, other_url, tmp_path, monkeypatch, children) -> None:
    """Each half remembers repeated originals on its own, so the second half's lower copy is
    mapped too and, read first, stored first. What is kept is the same (the highest counts);
    what differs, and docs/collectors.md says so, is that the first half's copy then counts
    as an update and the raw payload kept is the earlier one (a stored payload is never
    rewritten: `forget` may have cleared it)."""
    first = [retweet_page(0, original(likes=5)), recorded_lines()[0]]
    path = write(tmp_path / "nov.jsonl", [*first, retweet_page(1, original(likes=2))])
    assert split_point(path) == sum(len(line) + 1 for line in first)
    env_processes(monkeypatch, "1")
    (alone,) = import_once(db_url, settings, "twarc2", path, chunk_posts=7).runs
    env_processes(monkeypatch, "3")
    read_first(monkeypatch, 1)
    (split,) = import_once(other_url, settings, "twarc2", path, chunk_posts=7).runs
    assert len(children) == 2
    assert (alone.updated, split.updated) == (0, 1)
    assert (split.fetched, split.new, split.skipped) == (alone.fetched, alone.new, alone.skipped)

    def without_raw(url: str) -> dict[str, object]:
        found = stored(url, settings)
        found["posts"] = {key: row[:-1] for key, row in found["posts"].items()}
        return found

    assert without_raw(other_url) == without_raw(db_url)


def test_readers_split_only_a_plain_twarc2_file_and_only_under_3(settings, tmp_path,  # type: ignore[no-untyped-def]
                                                                  monkeypatch) -> None:
    path, at = split_file(tmp_path / "nov.jsonl")
    size = path.stat().st_size
    whole = job(settings, path)
    env_processes(monkeypatch, "3")
    parts = offload.readers(whole)
    assert [p.span for p in parts] == [Span(0, at, 1), Span(at, size)]
    assert [dataclasses.replace(p, span=None) for p in parts] == [whole, whole]
    gz = tmp_path / "nov.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert offload.readers(job(settings, gz)) == [job(settings, gz)]
    for fmt, name in (("mastodon", "mastodon_tag_timeline_4.json"),
                      ("bluesky", "bluesky_search_posts_2.json")):
        one = job(settings, FIXTURES / name, fmt)
        assert offload.readers(one) == [one]
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads(recorded_lines()[1]), indent=2))
    assert offload.readers(job(settings, pretty)) == [job(settings, pretty)]
    for value in ("1", "2"):
        env_processes(monkeypatch, value)
        assert offload.readers(whole) == [whole]
    monkeypatch.delenv(offload.PROCESSES_ENV)
    assert offload.readers(whole) == [whole]  # small: one reader
    monkeypatch.setattr(offload, "SPLIT_MIN_BYTES", size)
    assert len(offload.readers(whole)) == 2  # big enough


# -- failures under =3 --------------------------------------------------------------------


def both_ways(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Path
              ) -> tuple[ingest.ImportOutcome, ingest.ImportOutcome]:
    """The outcome in one process, then read in two halves (each into a new SQLite file)."""
    outcomes = []
    for value in ("1", "3"):
        env_processes(monkeypatch, value)
        url = f"sqlite:///{tmp_path / f'processes-{value}.db'}"
        outcomes.append(import_once(url, settings, "twarc2", path, chunk_posts=3))
    return outcomes[0], outcomes[1]


def numbered_pages(count: int) -> list[bytes]:
    return [orjson.dumps(x_page([x_tweet(x_id(NOV, n), f"Peer Assist {n} #KNOWvember19",
                                         "42", NOV)], USERS)) for n in range(count)]


def with_second_half(tmp_path: Path, second: list[bytes]) -> tuple[Path, int]:
    """A file whose first half is five pages and the big recorded page (which holds the
    middle), then `second`; and the number of the second half's first line (checked)."""
    first = [*numbered_pages(5), recorded_lines()[0]]
    path = write(tmp_path / "nov.jsonl", first + second)
    assert split_point(path) == sum(len(line) + 1 for line in first)
    return path, len(first) + 1


@pytest.mark.parametrize("bad", [
    b"<html>502 Bad Gateway</html>",
    b'{"data": [{"id": "1", "text": "cut',
])
@pytest.mark.parametrize("where", [0, 3])  # the second half's first line, or further on
def test_a_line_that_is_not_json_in_the_second_half_names_its_line_in_the_file(  # type: ignore[no-untyped-def]
        settings, tmp_path, monkeypatch, children, bad, where) -> None:
    second = [orjson.dumps(x_page([x_tweet(x_id(LATER, n), f"Retrospect {n} #KNOWvember19",
                                           "43", LATER)], USERS)) for n in range(6)]
    second.insert(where, bad)
    path, first_number = with_second_half(tmp_path, second)
    alone, split = both_ways(settings, tmp_path, monkeypatch, path)
    assert len(children) == 2
    assert [e.split(": ", 1)[0] for e in alone.line_errors] == [f"{path}:{first_number + where}"]
    assert split.line_errors == alone.line_errors
    assert split.error_count == alone.error_count == 1
    assert summary(split.runs[0]) == summary(alone.runs[0])
    assert alone.runs[0].status == "partial" and alone.runs[0].new > 11


def test_two_broken_lines_starting_the_second_half_lose_nothing_else(  # type: ignore[no-untyped-def]
        settings, tmp_path, monkeypatch, children) -> None:
    second = [b'{"data": [{"id": "1", "text": "cut', b"<html>502 Bad Gateway</html>",
              *(orjson.dumps(x_page([x_tweet(x_id(LATER, n), f"Retrospect {n} #KNOWvember19",
                                             "43", LATER)], USERS)) for n in range(6))]
    path, number = with_second_half(tmp_path, second)
    alone, split = both_ways(settings, tmp_path, monkeypatch, path)
    assert [e.split(": ", 1)[0] for e in alone.line_errors] == [
        f"{path}:{number}", f"{path}:{number + 1}"]
    assert split.runs[0].new == alone.runs[0].new  # the six pages after them
    assert split.line_errors == alone.line_errors
    assert summary(split.runs[0]) == summary(alone.runs[0])


def test_closing_early_leaves_no_child_running(settings, tmp_path, monkeypatch,  # type: ignore[no-untyped-def]
                                               children) -> None:
    env_processes(monkeypatch, "3")
    users = [x_user("42", "UHLLibraries")]
    lines = [orjson.dumps(x_page([x_tweet(x_id(NOV, n * 50 + i), f"#KNOWvember19 {'x' * 200}",
                                          "42", NOV) for i in range(50)], users))
             for n in range(200)]
    path = write(tmp_path / "big.jsonl", lines)  # each half far more than a pipe holds
    chunks = offload.read_beside(job(settings, path, chunk_posts=100))
    first = next(chunks)
    assert len(first.posts) == 100
    assert len(children) == 2
    assert all(child.poll() is None for child in children)  # both still writing
    chunks.close()
    assert all(child.poll() is not None for child in children)


def test_a_failing_half_stops_both_children(settings, tmp_path, monkeypatch, children  # type: ignore[no-untyped-def]
                                            ) -> None:
    env_processes(monkeypatch, "3")
    path, _ = split_file(tmp_path / "nov.jsonl")
    url = "postgresql+psycopg://kv:secret@127.0.0.1:1/nowhere"  # refuses at once
    with pytest.raises(DatabaseError):
        list(offload.read_beside(job(settings, path, database_url=url)))
    assert len(children) == 2
    assert all(child.poll() is not None for child in children)
