"""What the archive importers share: streaming a file in chunks, line-numbered errors.

Every importer reads its file as a stream (plain or `.gz`) and yields `Chunk`s of a few
thousand posts, so a file of a million posts imports in constant memory. A line that cannot be
read becomes a `LineError` naming the file and line; the rest of the file still imports.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import gzip
import io
import itertools
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from knowvember.errors import InputError, excerpt
from knowvember.payloads import Dictionary
from knowvember.records import AccountRecord, PostRecord

CHUNK_POSTS = 5000
_BOM = codecs.BOM_UTF8  # Notepad and Excel start UTF-8 files with it


@dataclass(frozen=True)
class LineError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Chunk:
    """A few thousand records from one file, the lines that failed, and how far it got."""

    posts: list[PostRecord] = field(default_factory=list)
    accounts: list[AccountRecord] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    position: int = 0  # bytes of the (compressed) file read so far
    lines: int = 0  # lines read so far
    api_errors: int = 0  # `errors` entries inside twarc2 pages (not failures of the file)
    not_public: int = 0  # followers-only and direct posts left out (saved Mastodon answers)
    unchanged: int = 0  # posts already stored as they are: read, but not mapped again
    unchanged_span: tuple[dt.datetime, dt.datetime] | None = None  # their first and last
    # earlier versions of edited tweets left out: the file also holds a later version
    superseded: int = 0
    # zstd dictionaries the posts' compressed payloads (`raw_z`) need, each sent once
    dictionaries: list[Dictionary] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.posts)


Reader = Callable[[Path], Iterator[Chunk]]


@dataclass(frozen=True)
class Span:
    """Part of a plain line-based file: the lines from byte `start` (where a line starts) to
    `stop`, numbered from `first_line` (0: count the lines before `start`). Two processes can
    then read one big JSONL file half each (see `collectors.offload`)."""

    start: int
    stop: int
    first_line: int = 0


# A twarc2 page is a line of about 200 KB: split out of 8 KB reads it is copied over and
# over as it grows. Splitting a 390 MB file into lines took 0.38-0.47 CPU s so, 0.10 s out of
# 4 MiB reads (a second or two of a 2 GB import's reading, within its noise as a whole).
READ_BUFFER = 4 << 20


class CutShort(InputError):
    """A compressed file that ends before its end (a download or `twarc2 ... | gzip` that was
    stopped) or is damaged partway: what was read before the damage is imported first."""


def cut_short(label: str, line: int, exc: BaseException) -> CutShort:
    """The error for a compressed file found damaged after `line` complete lines."""
    return CutShort(
        f"{label}: the compressed file is damaged or incomplete ({exc}) after line {line:,}: "
        "the rest of the file could not be read (copy or download it again and import it "
        "again: nothing is doubled)")


class UntilCut:
    """The values of a reader's file, ended early, not broken off, when it is cut short.

    A reader finishes its chunk in hand the same way whether its file ended or was found
    cut short (a `.gz` download stopped partway): it iterates over this, finishes and
    yields its last chunk as at any end, then calls `raise_if_cut()`, so the posts read
    before the damage are stored before the run is told. Each reader had its own copy of
    that finishing in an `except CutShort` beside its normal end."""

    def __init__(self, values: Iterator[tuple[int, Any]]) -> None:
        self.values = values
        self.cut: CutShort | None = None

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        try:
            yield from self.values
        except CutShort as exc:
            self.cut = exc

    def raise_if_cut(self) -> None:
        """Raise the `CutShort` that ended the values, if one did."""
        if self.cut is not None:
            raise self.cut


class Source:
    """An open file, decompressed when it ends in `.gz`, with its byte position."""

    def __init__(self, path: Path, span: Span | None = None) -> None:
        self.path = path
        self.label = str(path)
        self.span = span
        self.first_line = 1
        try:
            self.raw: IO[bytes] = open(  # noqa: SIM115 - closed in close()
                path, "rb", buffering=READ_BUFFER)
        except OSError as exc:
            raise InputError(f"{path}: cannot open the file ({exc.strerror or exc})") from None
        self.size = _size(self.raw)
        self.compressed = _compressed(path, self.raw)
        if self.compressed:
            if span is not None:
                self.raw.close()
                raise ValueError(f"{path}: a compressed file cannot be read in parts")
            self.stream: IO[bytes] = gzip.GzipFile(fileobj=self.raw)  # type: ignore[assignment]
        else:
            self.stream = self.raw
        self._at = 0
        if span is not None:
            self.first_line = span.first_line or _lines_before(self.raw, span.start) + 1
            self.raw.seek(span.start)
            self._at = span.start

    def lines(self) -> Iterator[bytes]:
        """The file's lines (only those of its span, when it has one), newline included."""
        if self.span is None:
            return self._guarded() if self.compressed else iter(self.stream)
        return self._span_lines(self.span.stop)

    def _guarded(self) -> Iterator[bytes]:
        """The decompressed lines; a cut-short or damaged stream ends them with `CutShort`
        naming the last whole line (gzip's own EOFError or zlib.error named no line, and
        the reader's chunk in hand, up to 5,000 posts, was lost with it)."""
        line = self.first_line - 1
        try:
            for line_bytes in self.stream:
                line += 1
                yield line_bytes
        except (EOFError, zlib.error) as exc:
            raise cut_short(self.label, line, exc) from None

    def _span_lines(self, stop: int) -> Iterator[bytes]:
        for line in self.raw:
            if self._at >= stop:
                return
            self._at += len(line)
            yield line

    def position(self) -> int:
        if self.span is not None:
            return self._at
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def text(self, encoding: str = "utf-8-sig", errors: str = "strict") -> io.TextIOWrapper:
        return io.TextIOWrapper(self.stream, encoding=encoding, errors=errors, newline="")

    def close(self) -> None:
        self.stream.close()
        self.raw.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_GZIP_MAGIC = b"\x1f\x8b"


def _compressed(path: Path, handle: IO[bytes]) -> bool:
    """Whether to read the file through gzip: its name ends in .gz (any case: `ARCHIVE.GZ`
    from Windows was read as text), or it starts as gzip data does whatever its name (a
    download saved without its .gz). A .gz name over plain text still says so, from gzip."""
    if path.suffix.lower() == ".gz":
        return True
    peek = getattr(handle, "peek", None)
    return callable(peek) and peek(2)[:2] == _GZIP_MAGIC


def _lines_before(handle: IO[bytes], offset: int, block: int = 1 << 24) -> int:
    """How many lines end before byte `offset` (counted in 16 MB blocks)."""
    handle.seek(0)
    count, left = 0, offset
    while left > 0:
        data = handle.read(min(block, left))
        if not data:
            break
        count += data.count(b"\n")
        left -= len(data)
    return count


def split_point(path: Path) -> int | None:
    """Where the second half of a JSONL file starts (the first line starting at or after its
    middle), or None when it is not worth splitting: a compressed file, or one whose first
    line is not a JSON value on its own (a pretty-printed document)."""
    if path.suffix.lower() == ".gz":
        return None
    try:
        with open(path, "rb") as handle:
            first = handle.readline().removeprefix(_BOM)
            if not first.strip() or not _parses(first):
                return None
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(size // 2 - 1, 0))
            handle.readline()  # to the end of the line holding the byte before the middle
            at = handle.tell()
    except OSError:
        return None
    return at if 0 < at < size else None


def _size(handle: IO[bytes]) -> int:
    try:
        return int(Path(handle.name).stat().st_size)  # type: ignore[arg-type]
    except (OSError, TypeError, ValueError):
        return 0


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def json_values(source: Source, parse: Callable[[bytes], Any] = orjson.loads
                ) -> Iterator[tuple[int, Any | LineError]]:
    """(line number, parsed value) for each line; a whole-file JSON document also works.

    API responses saved with a browser or `curl | jq` are one pretty-printed document; JSONL
    (one response or item per line) is the streaming form and the one to use for big files.
    A first line that is not JSON on its own is told apart by the second: in JSONL it is.
    `parse` turns a line's bytes into a value, raising ValueError when it cannot.
    """
    lines = ((n, line) for n, line in enumerate(source.lines(), start=source.first_line)
             if line.strip())
    head = next(lines, None)
    if head is not None and head[1].startswith(_BOM):
        rest = head[1][len(_BOM):]
        head = (head[0], rest) if rest.strip() else next(lines, None)
    if head is None:
        return
    number, line = head
    try:
        yield number, _parse_text(parse, line)
    except ValueError:
        second = next(lines, None)
        if source.span is None or source.span.start == 0:
            _refuse_other_kind(source.label, number, line, second)
        if (second is None or _parses(second[1]) or line.lstrip()[:1] not in (b"[", b"{")
                or (source.span is not None and source.span.start > 0)):
            # (A file's second half is JSONL, or it would not have been split.)
            yield from _unparsed(source, parse, number, line)
            if second is not None:
                yield from _values(source, parse, [second])
        else:
            # Blank lines were left out of `lines`: put them back, so that an error in the
            # document names the line it is on.
            parts, last = [line], number
            for at, part in itertools.chain([second], lines):
                parts += (b"\n" * (at - last - 1), part)
                last = at
            yield from _whole_document(source, parse, b"".join(parts), first=number)
            return
    yield from _values(source, parse, lines)


def _refuse_other_kind(label: str, number: int, line: bytes,
                       second: tuple[int, bytes] | None) -> None:
    """Refuse, naming what it is, a file that is no JSON at all: a ZIP archive, UTF-16
    text, an X account archive's `tweets.js`, or a CSV export given to a JSON import. Line
    by line, each was "not valid JSON" (3,001 of them for a TAGS sheet), which never said
    what to do. Asked only when the first line is not JSON; a CSV-like first line over JSON
    lines (a JSONL file with a stray first line) is left to be reported as that one line."""
    head = line.lstrip()
    if head.startswith(b"PK\x03\x04"):
        if label.lower().endswith((".xlsx", ".xlsm", ".ods")):  # a workbook is a ZIP too
            raise InputError(
                f"{label}: a spreadsheet workbook, not JSON: save the sheet as CSV (Google "
                "Sheets: File > Download > Comma-separated values; Excel: Save As > CSV "
                "UTF-8) and import that with `knowvember import tags` (a TAGS sheet) or "
                "`knowvember import csv`")
        raise InputError(f"{label}: a ZIP archive, not JSON: unzip it and import the .jsonl "
                         "or .json files inside")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{label}: UTF-16 text (Notepad's \"Unicode\"), not UTF-8: save it "
                         "as UTF-8 and import it again")
    if head.startswith((b"window.YTD.tweets.", b"window.YTD.tweet.")):
        raise InputError(f"{label}:{number}: an X account archive's tweets.js (\"Download an "
                         "archive of your data\"): `knowvember import twarc2` reads it, with "
                         "the archive's account.js beside it")
    if head.startswith(b"window.YTD."):
        raise InputError(f"{label}:{number}: a file from an X account archive (\"Download an "
                         "archive of your data\": JavaScript, not JSON) that holds no tweets; "
                         "`knowvember import twarc2` reads the archive's tweets.js (with its "
                         "account.js beside it)")
    if (mastodon_accounts_export(head.decode("utf-8", errors="replace").split(","))
            and not (second is not None and _parses(second[1]))):
        raise InputError(mastodon_accounts_message(label))
    if b"," not in head or head[:1] in (b"{", b"[", b"<"):
        return
    if second is not None and _parses(second[1]):
        return
    cells = {c.strip().strip('"').strip().lower()
             for c in head.decode("utf-8", errors="replace").split(",")}
    if {"public_metrics.like_count", "author.username"} & cells:
        # twarc-csv's columns: neither CSV import reads them (they would send it back here)
        raise InputError(f"{label}:{number}: this is twarc-csv's CSV export of a twarc2 "
                         "archive, not the archive: import the JSONL it was made from "
                         "(`knowvember import twarc2 FILE.jsonl`)")
    if {"id_str", "from_user"} <= cells:
        use = "use `knowvember import tags` for it (a TAGS sheet)"
    elif "author_handle" in cells:
        use = "use `knowvember import csv` for it"
    else:
        use = ("`knowvember import tags` reads a TAGS sheet, `knowvember import csv` the "
               "generic CSV")
    raise InputError(f"{label}:{number}: this looks like a CSV export, not JSON; {use}")


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _values(source: Source, parse: Callable[[bytes], Any],
            lines: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, Any | LineError]]:
    """(line number, parsed value) for each of `lines`; see `_unparsed` for those that do
    not parse as they are."""
    for number, line in lines:
        try:
            value = _parse_text(parse, line)
        except ValueError:
            yield from _unparsed(source, parse, number, line)
            continue
        yield number, value


def _unparsed(source: Source, parse: Callable[[bytes], Any], number: int, line: bytes
              ) -> Iterator[tuple[int, Any | LineError]]:
    """What a line that is not one JSON value holds: the values joined onto it, or the
    error that names it."""
    if line.startswith(_BOM):
        # Files saved by Notepad and joined (`type a.jsonl b.jsonl > all.jsonl`) carry
        # a byte order mark at the start of each: that line was "not valid JSON".
        yield from _values(source, parse, [(number, line[len(_BOM):])])
        return
    joined = _joined(parse, line)
    if joined is None:
        yield number, LineError(source.label, number, _json_problem(line))
        return
    values, lost = joined
    if lost:
        yield number, LineError(
            source.label, number,
            f"the first {lost:,} bytes of the line are a value cut short (not valid JSON), "
            f"and the {len(values):,} value(s) joined onto the line after it were read: a "
            "file that ended mid-line had another put after it (`cat`, or `>>` after a "
            "stopped run); import the cut page again from its own copy if you have one")
    for value in values:
        yield number, value


_JOINED = "unexpected content after document"  # orjson's message for a value and more
# @-mentions read from a post's text where an archive gives no entities (CSV, a TAGS sheet
# without `entities_str`), as each platform writes them: an X @name (15 characters at most:
# a longer @word, or @lib@nhs.social, is no X mention), a Mastodon @user@instance (a bare
# @user names someone on an instance the text does not say), a Bluesky @handle.domain. Not
# inside a word or an email address (lib@nhs.net).
TEXT_MENTIONS = {
    "x": re.compile(r"(?<![\w@])@(\w{1,15})(?![\w@])"),
    "mastodon": re.compile(r"(?<![\w@])@(\w[\w.-]*@[\w-]+(?:\.[\w-]+)+)"),
    "bluesky": re.compile(r"(?<![\w@])@((?:[\w-]+\.)+[\w-]+)(?![\w@-])"),
}

_SPACE = re.compile("[\\s\ufeff]*")  # (and the BOM of each file joined by Windows)


def _text_of(data: bytes) -> str:
    """`data` as text whose offsets orjson's errors give (in characters, not bytes), and
    from which `_bytes_of` gives the same bytes back, UTF-8 or not."""
    return data.decode("utf-8", errors="surrogateescape")


def _bytes_of(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def _first_value_end(text: str) -> int | None:
    """Where the JSON value `text` starts with ends, when it is one whole value (followed
    by nothing or by more); None when it is not valid JSON up to there."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return exc.pos if exc.msg == _JOINED else None
    return len(text)


def _joined(parse: Callable[[bytes], Any], line: bytes) -> tuple[list[Any], int] | None:
    """The values of a line that holds several JSON values one after another, and the bytes
    lost to one cut short before the next began; None when the line is no such line.

    API answers saved with curl (or a browser) end without a line break, so `cat
    page1.json page2.json > pages.jsonl` puts them all on one line, and a JSONL file cut
    off mid-line (a run stopped, a full disk) then joined to the next runs its last line
    into the other's first. Each such line was "not valid JSON" and every page on it was
    lost: the whole file, for the saved answers. The values are found where the line's own
    start comes again (`{"data":` for twarc2 pages, `[{"id":` for Mastodon ones) after a
    value cut short: such a place counts only when a whole value starts there and ends at
    the line's end or where the start comes again, so an object nested in a page is never
    taken for one. Right after a whole value, any value that follows counts (a page of
    results, then one of errors only)."""
    head = _text_of(line.strip())
    colon = head.find(":")
    if head[:1] not in ("{", "[") or not 2 <= colon <= 40:
        return None
    start = head[:colon + 1]
    values: list[Any] = []
    lost, rest = 0, head
    trusted = True  # `rest` starts where a value does: the line's, or right after one
    while rest:
        end = _first_value_end(rest)
        # (`copy a+b` and `type a b` join files saved by Notepad with each one's BOM)
        after = rest[end:].lstrip().removeprefix("\ufeff").lstrip() if end is not None else ""
        if end is not None and (not after or after.startswith(start) or (
                trusted and after[:1] in ("{", "["))):
            piece = _bytes_of(rest[:end])
            try:
                values.append(_parse_text(parse, piece))
            except ValueError:
                lost += len(piece)
            rest, trusted = after, True
            continue
        at = rest.find(start, 1)
        if at < 0:
            lost += len(_bytes_of(rest))
            break
        lost, rest, trusted = lost + len(_bytes_of(rest[:at])), rest[at:], False
    return (values, lost) if values and (len(values) > 1 or lost) else None


def _documents(data: bytes) -> tuple[list[tuple[int, bytes]], tuple[int, str] | None]:
    """The JSON documents written one after another in `data` (`jq . page1.json page2.json`,
    or `curl ... | jq . >> pages.json` run for each page), each as (lines before it,
    its bytes), and where and why what follows the last of them is not JSON (None when
    nothing does)."""
    text = _text_of(data)
    found: list[tuple[int, bytes]] = []
    at, lines = 0, 0
    while True:
        skipped = _SPACE.match(text, at)
        ahead = skipped.end() if skipped else at
        lines += text.count("\n", at, ahead)
        at = ahead
        if at >= len(text):
            return found, None
        rest = text[at:]
        try:
            orjson.loads(rest)
            end = len(rest)
        except orjson.JSONDecodeError as exc:
            if exc.msg != _JOINED:  # (its line and column would be counted from `at`)
                return found, (lines + rest.count("\n", 0, exc.pos), exc.msg)
            end = exc.pos
        found.append((lines, _bytes_of(rest[:end])))
        lines += rest.count("\n", 0, end)
        at += end


def _whole_document(source: Source, parse: Callable[[bytes], Any], data: bytes,
                    first: int = 1) -> Iterator[tuple[int, Any | LineError]]:
    """The document `data` is, or the documents written one after another in it (each
    was lost with the file: "not valid JSON (unexpected content after document)")."""
    try:
        yield first, _parse_text(parse, data)
        return
    except ValueError as exc:
        failure = exc
    documents, rest = _documents(data)
    if not documents or (len(documents) == 1 and rest is None):
        line = _text_of(data)[: _error_position(failure, data)].count("\n") + first
        yield line, LineError(source.label, line, f"not valid JSON ({failure})")
        return
    for before, document in documents:
        try:
            yield first + before, _parse_text(parse, document)
        except ValueError as exc:
            at = first + before + _text_of(document)[: _error_position(exc, document)].count(
                "\n")
            yield at, LineError(source.label, at, f"not valid JSON ({exc})")
    if rest is not None:
        yield first + rest[0], LineError(source.label, first + rest[0],
                                         f"not valid JSON ({rest[1]})")


def _error_position(exc: ValueError, data: bytes) -> int:
    """Where in `data` (in characters, as `_text_of` reads it) parsing failed: msgspec's
    errors carry no position, orjson's do. A position in characters taken for one in bytes
    named a line above the error in a file with accented letters or emoji."""
    pos = getattr(exc, "pos", None)
    if pos is None:
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError as again:
            pos = again.pos
    return pos or 0


def _parse_text(parse: Callable[[bytes], Any], data: bytes) -> Any:
    """`parse(data)`; if that fails and `data` is not UTF-8, once more read as Windows-1252
    (`as_utf8`). Tried only when the first parse failed."""
    try:
        return parse(data)
    except ValueError:
        fixed = as_utf8(data)
        if fixed is None:
            raise
        return parse(fixed)


def as_utf8(data: bytes) -> bytes | None:
    """`data` made UTF-8 from Windows-1252 where it is not UTF-8, or None when it is:
    Notepad's "ANSI" save (and Excel's) writes `café` so, and each line holding such a
    character was "not valid JSON". The bytes that are UTF-8 stay as they are."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors=_CP1252).encode("utf-8")
    return None


def _json_problem(line: bytes) -> str:
    """Why a line is not JSON. The file's last line (no line break after it) that stops
    partway through its JSON is a file cut short, and is named as one, with what to do: it
    was "cut short or malformed", which left a coordinator to guess that the file itself
    was incomplete (a download or `twarc2 search` stopped, a disk that filled up)."""
    stripped = line.strip()
    if stripped[:1] == b"<":
        return "not JSON (an HTML page?)"
    if stripped[:1] in (b"{", b"["):
        if not line.endswith(b"\n") and _ends_early(stripped):
            return ("not valid JSON (cut short or malformed): the file ends partway through "
                    "this line, so it is incomplete (a download, or the run saving it, that "
                    "stopped; a full disk); the lines before it are stored: import the "
                    "complete file again when you have it (nothing is doubled)")
        return "not valid JSON (cut short or malformed)"
    return "not valid JSON"


def _ends_early(data: bytes) -> bool:
    """Whether `data` is JSON that stops before its value is complete."""
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return exc.msg == "unexpected end of data"
    return False


def csv_chunks(path: Path, chunk_posts: int, *, required: tuple[str, ...],
               column: Callable[[str], str],
               from_row: Callable[[dict[str, Any]], tuple[PostRecord, AccountRecord]],
               row_errors: tuple[type[Exception], ...]) -> Iterator[Chunk]:
    """Chunks of records from a CSV file with a header row, for the CSV importers.

    `column` normalises a header cell; a file lacking a `required` column is refused before
    anything is written. A row `from_row` cannot map (raising one of `row_errors`) becomes a
    line error naming the file and line, and the rest of the file still imports. Bytes that
    are not UTF-8 are read as Windows-1252 (Excel's "CSV (Comma delimited)"); of two columns
    with one name, the first is read.
    """
    with Source(path) as source:
        rows = _Rows(source.text(errors=_CP1252), source.label)
        named = [column(h or "") for h in (rows.header() or [])]
        header = _first_of_each(named)
        check_header(source.label, header, required, path=path)
        rows.reader.fieldnames = header
        chunk = Chunk()
        for line, row in rows:
            chunk.lines = line
            if isinstance(row, LineError):  # rows a quote left open ran together
                chunk.errors.append(row)
                continue
            try:
                post, account = from_row(row)
            except row_errors as exc:
                if not (_blank(row) or _header_again(row, header, named, column)):
                    chunk.errors.append(LineError(source.label, line, str(exc)))
                continue
            chunk.posts.append(post)
            chunk.accounts.append(account)
            if len(chunk.posts) >= chunk_posts:
                chunk.position = source.position()
                yield chunk
                chunk = Chunk(lines=line)
        if rows.unclosed is not None:
            chunk.errors.append(rows.unclosed)
        chunk.position = source.position()
        yield chunk
        if rows.error is not None:
            raise rows.error


def newest_accounts(chunks: Iterable[Chunk]) -> Iterator[Chunk]:
    """`chunks` with each account's record as of its newest post in the file.

    A sheet row names its author as they were then: the rows before an account was renamed
    hold the old handle (and follower count). The store keeps an account's last record, and
    a TAGS sheet lists the newest row first, so importing a month's sheet gave a renamed
    account back its old handle, which `[[organisations]] accounts` and `exclude_accounts`
    no longer name. Keyed by user id only: an account keyed by handle is one per handle."""
    newest: dict[tuple[str, str], tuple[dt.datetime, AccountRecord]] = {}
    for chunk in chunks:
        for number, (post, account) in enumerate(zip(chunk.posts, chunk.accounts,
                                                     strict=True)):
            if account.key != account.platform_user_id:
                continue
            key = (account.platform, account.key)
            seen = newest.get(key)
            if seen is None or post.created_at >= seen[0]:
                newest[key] = (post.created_at, account)
            elif seen[1] != account:
                chunk.accounts[number] = _without_loss(seen[1], account)
        yield chunk


def _without_loss(newest: AccountRecord, older: AccountRecord) -> AccountRecord:
    """The newest record, with what only the older one knew (a follower count the newest
    row left empty): the store keeps a value a record lacks, so an older row's was kept."""
    gaps = {f.name: getattr(older, f.name) for f in dataclasses.fields(newest)
            if getattr(newest, f.name) is None and getattr(older, f.name) is not None}
    return dataclasses.replace(newest, **gaps) if gaps else newest


class _Rows:
    """A CSV file's rows with the line each ends on, and what the csv module read wrong.

    A quote left open runs a cell on to the end of the file. Past the module's 131,072
    characters it stops reading: `error` then says where, for after the rows before it are
    stored (it was an "unexpected Error, please report it", and the run said the file had
    no rows). Short of that, the rows after the quote became one post's text, silently:
    the last row, when it ends inside a quote, is left out and described in `unclosed`.
    """

    def __init__(self, text: Iterable[str], label: str) -> None:
        self.lines: list[str] = []  # the physical lines of the row being read
        self.reader = csv.DictReader(self._kept(text), restkey="_extra")
        self.label = label
        self.error: InputError | None = None
        self.unclosed: LineError | None = None

    def _kept(self, text: Iterable[str]) -> Iterator[str]:
        for line in text:
            self.lines.append(line)
            yield line

    def header(self) -> list[str] | None:
        try:
            return list(self.reader.fieldnames or []) or None
        except csv.Error as exc:
            raise InputError(self._problem(1, exc)) from None

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
        last: tuple[int, dict[str, Any] | LineError] | None = None
        last_start, last_lines, kept = 0, 0, []
        while True:
            start = self.reader.line_num + 1
            self.lines = []
            try:
                row = next(self.reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self.error = InputError(self._problem(start, exc) + "; the rows before it "
                                        "are stored, the rest of the file was not read")
                break
            except (EOFError, zlib.error) as exc:  # a cut-short .gz: the rows before it count
                self.error = cut_short(self.label, start - 1, exc)
                break
            if last is not None:
                yield last
            last, last_start, last_lines = (self.reader.line_num, row), start, len(self.lines)
            if last_lines > 1:
                kept = self.lines
                if (merged := self._merged(start, kept)) is not None:
                    last = (self.reader.line_num, merged)
        if last is None:
            return
        if self.error is None and last_lines > 1 and _ends_in_quote("".join(kept)):
            self.unclosed = LineError(
                self.label, last_start,
                f"a quote (\") opened in this row is never closed, so the {last_lines - 1:,} "
                "line(s) after it were read into one cell; the row was left out: close the "
                "quote and import the file again")
            return
        yield last

    def _merged(self, start: int, lines: list[str]) -> LineError | None:
        """The error for a row of several lines that only a lenient reading makes one: a
        quote opened in a cell and not closed at its end runs the cell on into the rows
        below, up to the next quote, and the text after that quote is added to the cell.
        Two or more posts became one, stored under the last one's id with the first one's
        text and the rest of the rows in it; nothing said so. Excel and Google Sheets
        double a quote inside a cell, and their files read strictly as they read leniently.
        """
        try:
            for _ in csv.reader(io.StringIO("".join(lines), newline=""), strict=True):
                pass
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return None  # the file's last row, ending inside a quote (`unclosed`)
            end = start + len(lines) - 1
            return LineError(
                self.label, start,
                f"a quote (\") opened in this row is not closed where its cell ends, so "
                f"lines {start:,}-{end:,} were read as one row; they were left out: close "
                "the quote (or write a quote inside a cell as two, \"\") and import the "
                "file again")
        return None

    def _problem(self, line: int, exc: csv.Error) -> str:
        if "field larger than field limit" in str(exc):
            return (f"{self.label}:{line}: a cell runs on for more than "
                    f"{csv.field_size_limit():,} characters: a quote (\") opened there is "
                    "probably never closed, so the rest of the file reads as one cell")
        return f"{self.label}:{line}: not readable as CSV ({exc})"


def _header_again(row: dict[str, Any], header: list[str], named: list[str],
                  column: Callable[[str], str]) -> bool:
    """Whether a row repeats the header (`named`, as read; `header`, the row's keys): two
    exports put one after the other (`cat a.csv b.csv`, or pasted below in a spreadsheet)
    hold it twice, and that row is no failed post. Asked only of a row that failed."""
    return any(named) and all(
        isinstance(value := row.get(key), str) and column(value.lstrip("\ufeff")) == name
        for key, name in zip(header, named, strict=True) if name)


def _ends_in_quote(text: str) -> bool:
    """Whether a row's text ends inside a quoted cell (read strictly, the csv module says
    so: read leniently, as the importers read, it takes the rest of the file as the cell)."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _blank(row: dict[str, Any]) -> bool:
    """Whether a row has nothing in any cell (`,,,,`): Excel saves such rows below the data
    wherever a cell was once formatted or cleared. They are not posts that failed, and
    reporting them made a whole import partial (exit 4). Asked only of a row that failed."""
    return not any((v.strip() if isinstance(v, str) else any(str(x).strip() for x in v))
                   for v in row.values() if v is not None)


def _as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    """The bytes UTF-8 could not read, read as Windows-1252 instead."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start:exc.end].decode("cp1252", errors="replace"), exc.end


_CP1252 = "knowvember-cp1252"
codecs.register_error(_CP1252, _as_cp1252)


def _first_of_each(header: list[str]) -> list[str]:
    """The header with a repeated column name renamed (`text (2)`), so that the first column
    of that name is the one read, not the last."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        out.append(f"{name} ({seen[name]})" if name and seen[name] > 1 else name)
    return out


def check_header(label: str, header: list[str] | None, required: tuple[str, ...],
                 path: Path | None = None) -> None:
    """Refuse a CSV whose header lacks required columns, before anything is written.

    The message quotes the header only as a short excerpt: a file of the wrong kind (a JSON
    page read as CSV) has a "header" as long as the page, and the message goes to stderr and
    the run log. A JSON file is named as one, with the import that reads it (`path` lets the
    file's start be read for that).
    """
    if not header:
        raise InputError(f"{label}: the file is empty (no header row)")
    missing = [c for c in required if c not in header]
    if missing:
        if header[0][:2] in ("ÿþ", "þÿ"):  # a UTF-16 byte order mark, read as Windows-1252
            raise InputError(f"{label}: the file is UTF-16 text (Excel's \"Unicode Text\"); "
                             "save it as \"CSV UTF-8\" or \"CSV (Comma delimited)\"")
        # (a ZIP container, or an Excel 97-2003 .xls, its bytes read as Windows-1252)
        if header[0][:4].upper() == "PK\x03\x04" or header[0][:3].upper() == "ÐÏ\x11":
            if header[0][:1].upper() != "P" or (
                    path is not None and path.suffix.lower() in (".xlsx", ".xlsm", ".ods")):
                raise InputError(
                    f"{label}: a spreadsheet workbook, not a CSV file: save the sheet as CSV "
                    "(Google Sheets: File > Download > Comma-separated values; Excel: Save As "
                    "> CSV UTF-8) and import that")
            raise InputError(f"{label}: a ZIP archive, not a CSV file: unzip it and import "
                             "the CSV inside")
        if header[0].lstrip().lower().startswith("window.ytd."):
            raise InputError(f"{label}:1: a file from an X account archive (\"Download an "
                             "archive of your data\": JavaScript, not CSV): `knowvember import "
                             "twarc2` reads the archive's tweets.js (with its account.js "
                             "beside it)")
        if starts_like_json(header[0]):
            raise InputError(f"{label}:1: this looks like a JSON file, not a CSV export; "
                             f"{json_import_hint(path)}")
        if mastodon_accounts_export(header):
            raise InputError(mastodon_accounts_message(label))
        hint = ""
        lowered = {h.strip().lower() for h in header}
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            hint = "; its columns are not separated by commas: save it as CSV (comma delimited)"
        elif {"public_metrics.like_count", "author.username"} & {h.lower() for h in header}:
            # twarc-csv's columns: a twarc2 archive flattened to CSV, which loses what the
            # import needs (the whole payload); the JSONL it was made from is read as it is.
            hint = ("; this looks like twarc-csv's export of a twarc2 archive: import the "
                    "JSONL it was made from with `knowvember import twarc2`, or add the "
                    "generic CSV's columns (docs/collectors.md)")
        elif "id_str" in missing or "platform" in missing:
            # A TAGS sheet is a CSV too: given to `import csv` (or the generic CSV to `import
            # tags`), the missing columns alone did not say which import reads the file.
            hint = _other_csv_import(lowered, "id_str" in missing)
        shown = excerpt(", ".join(h for h in header if h)) or "nothing"
        raise InputError(
            f"{label}:1: missing column(s) {', '.join(missing)} (the header has {shown}){hint}")


def _other_csv_import(header: set[str], tags_wanted: bool) -> str:
    """The hint naming the other CSV import when `header` (lower case) is its file's."""
    if tags_wanted and {"platform", "id", "author_handle"} <= header:
        return "; this is the generic CSV: import it with `knowvember import csv`"
    if not tags_wanted and {"id_str", "from_user"} <= header:
        return ("; this is a TAGS sheet (Twitter Archiving Google Sheet): import it with "
                "`knowvember import tags`")
    return ""


# A fediverse account address as Mastodon's CSV exports write it: `user@instance.social`.
_ACCOUNT_ADDRESS = re.compile(r"@?[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mastodon_accounts_export(first_row: list[str]) -> bool:
    """Whether a CSV's first row is one of Mastodon's exports of accounts (Preferences >
    Import and export > Data export): follows and mutes start with the header `Account
    address,`, lists (`list name,address`) and blocks (`address`) have no header. They hold
    no posts; read as posts they were "missing column(s) id_str, ..." or a CSV export to
    give to the other CSV import, which sent a librarian round the imports."""
    cells = [str(c or "").strip().strip('"').strip().lstrip("\ufeff") for c in first_row]
    if not cells:
        return False
    if cells[0].lower() == "account address":
        return True
    return len(cells) <= 2 and bool(_ACCOUNT_ADDRESS.fullmatch(cells[-1]))


def mastodon_accounts_message(label: str) -> str:
    """What to do with one of Mastodon's exports of accounts (see above)."""
    return (f"{label}:1: this looks like Mastodon's export of accounts (follows, lists, mutes or "
            "blocks: account addresses), which holds no posts. For a library's own toots, "
            "request its account archive (Preferences > Import and export > Data export > "
            "Request your archive) and import the ZIP it sends: `knowvember import mastodon "
            "ARCHIVE.zip`; the campaign's hashtags are collected by `knowvember collect` "
            "with [sources.mastodon] enabled")


def excel_rounded(digits: str) -> bool:
    """Whether an id of more than 15 digits has only zeros after the 15th, as Excel leaves
    it (a real id ends so once in 10,000 for 19 digits: that id is then not trusted)."""
    return len(digits) > 15 and not digits[15:].strip("0")


def starts_like_json(first_cell: object) -> bool:
    """Whether a table's first header cell is the start of a JSON document (a JSON file
    given to an import or form reader that wants a CSV or XLSX export)."""
    return str(first_cell or "").lstrip()[:1] in ("{", "[")


# Keys only one platform's API responses hold, to name the import a JSON file needs.
_JSON_MARKS = (
    ("twarc2", (b'"author_id"', b'"edit_history_tweet_ids"', b'"conversation_id"',
                b'"newest_id"')),
    ("mastodon", (b'"spoiler_text"', b'"reblogs_count"', b'"in_reply_to_account_id"',
                  b'"orderedItems"')),  # and an account archive's outbox.json
    ("bluesky", (b'"indexedAt"', b"app.bsky.", b'"hitsTotal"')),
)
_SNIFF_BYTES = 1 << 16


def json_import_hint(path: Path | None) -> str:
    """Which `knowvember import` reads a JSON file, from the API's keys in its first 64 KB;
    all three JSON imports when they do not tell."""
    start = b""
    if path is not None:
        try:
            with Source(path) as source:
                start = source.stream.read(_SNIFF_BYTES)
        except (InputError, OSError, EOFError, zlib.error):  # a hint: no reason to fail
            start = b""
    for name, marks in _JSON_MARKS:
        if any(mark in start for mark in marks):
            return f"use `knowvember import {name}` for it"
    return ("use `knowvember import twarc2` (X), `import mastodon` or `import bluesky`, "
            "whichever API it came from")


def formats() -> dict[str, tuple[Reader, str | None]]:
    """Import format name -> (reader, platform it holds; None when rows say)."""
    from collectors import bluesky_file, csvfile, mastodon_file, tags, twarc2

    return {
        "twarc2": (twarc2.read, twarc2.PLATFORM),
        "tags": (tags.read, tags.PLATFORM),
        "csv": (csvfile.read, csvfile.PLATFORM),
        "mastodon": (mastodon_file.read, mastodon_file.PLATFORM),
        "bluesky": (bluesky_file.read, bluesky_file.PLATFORM),
    }


FORMAT_NAMES = ("twarc2", "tags", "csv", "mastodon", "bluesky")
JSON_FORMATS = ("twarc2", "mastodon", "bluesky")  # read by json_values: JSONL or one document
