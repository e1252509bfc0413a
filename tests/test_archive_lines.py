"""Reading an archive's lines: numbers as in the file, blank and white-space-only lines
skipped, CRLF, a last line without its newline, the byte position, a whole pretty-printed
document, and `.gz` files read as a stream.

021f166 read big plain files through a memory map and 876247b went back to reading them as a
stream; any way of reading lines must give what these tests pin down.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import orjson
import pytest

from collectors import twarc2
from collectors.archive import LineError, Source, json_values
from tests.fakeapi import FIXTURES
from tests.test_import_twarc2 import recorded_lines


def values(path: Path) -> list[tuple[int, object]]:
    with Source(path) as source:
        return list(json_values(source))


def values_and_positions(path: Path) -> tuple[list[tuple[int, object]], list[int], int]:
    """Each (line, value), the position when it was handed out, and the position at the end."""
    found, positions = [], []
    with Source(path) as source:
        for item in json_values(source):
            found.append(item)
            positions.append(source.position())
        return found, positions, source.position()


AWKWARD = (b'{"n": 1}\n'
           b"\n"
           b"   \n"
           b"\t \x0b\x0c\r\n"  # white space only, with a CR
           b'{"n": 2}\r\n'
           b'  {"n": 3}  \n'  # white space around a value is not a blank line
           b"\n"
           b'{"n": 4}')  # no newline at the end


def test_lines_keep_their_numbers_around_blank_and_white_space_only_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    path.write_bytes(AWKWARD)
    found, positions, end = values_and_positions(path)
    assert found == [(1, {"n": 1}), (5, {"n": 2}), (6, {"n": 3}), (8, {"n": 4})]
    ends = [len(b"".join(AWKWARD.splitlines(keepends=True)[:n])) for n, _ in found]
    assert positions == ends  # the bytes read when each value is handed out
    assert end == len(AWKWARD)


@pytest.mark.parametrize("content", [b"", b"\n", b"\n\n  \r\n\t\n"])
def test_a_file_of_nothing_but_blank_lines_has_no_values(tmp_path, content) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    path.write_bytes(content)
    assert values_and_positions(path) == ([], [], len(content))


def test_bad_lines_are_named_by_their_number_in_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"n": 1}\r\n\r\n<html>502</html>\r\n{"n": 2\r\n\r\n{"n": 3}')
    label = str(path)
    assert values(path) == [
        (1, {"n": 1}),
        (3, LineError(label, 3, "not JSON (an HTML page?)")),
        (4, LineError(label, 4, "not valid JSON (cut short or malformed)")),
        (6, {"n": 3}),
    ]


def test_crlf_and_a_missing_last_newline_read_like_the_plain_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = recorded_lines()
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(b"\n".join(lines) + b"\n")
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(b"\r\n\r\n".join(lines))  # a blank line between, none at the end

    def posts(path: Path) -> list[tuple[object, ...]]:
        return [(p.platform_id, p.text, p.hashtags, p.likes, p.raw)
                for chunk in twarc2.read(path) for p in chunk.posts]

    assert posts(crlf) == posts(plain) and len(posts(plain)) > 100
    *_, last = list(twarc2.read(crlf))
    assert (last.lines, last.position) == (3, crlf.stat().st_size)


def test_a_pretty_printed_document_is_read_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    saved = FIXTURES / "mastodon_tag_timeline_4.json"
    assert values(saved) == [(1, orjson.loads(saved.read_bytes()))]
    page = json.loads((FIXTURES / "twitter_search_all_1.json").read_text())
    pretty = tmp_path / "page.json"
    pretty.write_text(json.dumps(page, indent=2).replace("\n", "\r\n"), encoding="utf-8")
    assert values(pretty) == [(1, page)]
    assert [p.platform_id for c in twarc2.read(pretty) for p in c.posts if not p.context_only] \
        == [t["id"] for t in page["data"]]


def test_a_broken_pretty_printed_document_names_the_broken_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "page.json"
    path.write_bytes(b'{\n  "data": [\n    {"id": "1"},\n    oops\n  ]\n}\n')
    ((number, error),) = values(path)
    assert isinstance(error, LineError) and (number, error.line) == (4, 4)


def test_a_broken_document_with_blank_lines_names_the_broken_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "page.json"
    path.write_bytes(b'\n{\n  "data": [\n\n    {"id": "1"},\n    oops\n  ]\n}\n')
    ((_, error),) = values(path)
    assert isinstance(error, LineError) and error.line == 6


def incompressible_lines(count: int) -> list[bytes]:
    return [orjson.dumps({"n": n, "pad": hashlib.sha256(str(n).encode()).hexdigest() * 4})
            for n in range(count)]


@pytest.mark.parametrize("name", ["big.jsonl", "big.jsonl.gz"])
def test_plain_and_gzip_files_are_read_as_they_go(tmp_path, name) -> None:  # type: ignore[no-untyped-def]
    lines = incompressible_lines(3000)  # about 800 KB, 400 KB compressed
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    size = path.stat().st_size
    with Source(path) as source:
        found = json_values(source)
        assert next(found) == (1, {"n": 0, "pad": orjson.loads(lines[0])["pad"]})
        assert source.position() < size // 2  # not read (or decompressed) whole
        rest = list(found)
        assert source.position() == size  # the position counts the file's bytes
    assert [n for n, _ in rest] == list(range(2, 3001))
    assert [v for _, v in rest] == [orjson.loads(line) for line in lines[1:]]
