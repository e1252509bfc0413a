"""Reading a big archive in other processes while this one writes.

An import does two kinds of work of about equal weight: reading, decoding, mapping and tagging
posts (pure Python), and storing them (mostly SQLite or PostgreSQL). One process does them one
after the other. Here child processes read the file and hand over ready records while the
parent writes: one child for a file of 32 MB or more, two for a twarc2 JSONL file of 64 MB or
more (each reads half, from a line boundary, numbering its lines as the whole file would).
At 1,000,000 posts on two cores, that took a first import from 45 s to 31 s and a re-import
from 12 s to 9 s (docs/performance.md).

The child is `python -m collectors.offload`. Its job (format, file or part of it, chunk size,
settings, the database to ask what is stored already) comes as a pickle on its stdin, so no
secret is ever on a command line. It answers on stdout in frames: an 8-byte length, then a
marshalled message: `("chunk", ...)` per chunk, `("error", pickled exception)` when the
reader raised (the parent raises the same exception, so a damaged file reads the same either
way), `("done",)` at the end. Records travel as plain tuples (marshal is several times faster
than pickling objects). Once a child has read enough payloads to train a dictionary on, it
sends each post's raw payload compressed (`knowvember.payloads`), with the dictionary in the
first chunk that needs it: a sixth of the bytes to send, store and keep.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import fcntl
import itertools
import logging
import marshal
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from collectors.archive import Chunk, LineError, Span, split_point
from knowvember.errors import KnowvemberError
from knowvember.payloads import Dictionary, Packer
from knowvember.records import AccountRecord, PostRecord

log = logging.getLogger(__name__)

OFFLOAD_MIN_BYTES = 32 * 1024 * 1024  # smaller files import in a second or two anyway
PROCESSES_ENV = "KNOWVEMBER_IMPORT_PROCESSES"  # 1, 2 or 3 processes (see `processes`)
# What a failed reading process's message tells the user to do.
_WAY_ROUND = (f"run the import again (nothing is doubled), or with {PROCESSES_ENV}=1 to read "
              f"it in one process")
_HEADER = struct.Struct("!Q")
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031
FRAMES_AHEAD = 3  # chunks a reading child may be ahead of the importing process, each
SPLIT_FORMATS = {"twarc2"}  # line-based readers that can read half a file (a `Span`)
SPLIT_MIN_BYTES = 64 * 1024 * 1024
RAW_BYTES = {"twarc2"}  # readers that can leave raw payloads as bytes (compressed here)


@dataclass(frozen=True)
class Job:
    """What the child reads, and how (pickled onto its stdin)."""

    fmt: str
    path: Path
    chunk_posts: int
    settings: Any  # knowvember.config.Settings
    database_url: str | None  # to ask what is stored already; None: do not ask
    platform: str | None
    span: Span | None = None  # only this part of the file
    compress: bool = True  # raw payloads compressed (knowvember.payloads); False to measure it


def processes() -> int | None:
    """KNOWVEMBER_IMPORT_PROCESSES: 1 (one process), 2 (one reading process beside the
    writing one), 3 (two, each reading half of a big JSONL file), or None (decide by size)."""
    setting = os.environ.get(PROCESSES_ENV, "").strip()
    return int(setting) if setting in ("1", "2", "3") else None


def wanted(path: Path) -> bool:
    """Whether to read `path` in a second process: a big file on a machine with two cores or
    more, unless KNOWVEMBER_IMPORT_PROCESSES says otherwise (1: never, 2 or 3: always)."""
    setting = processes()
    if setting is not None:
        return setting > 1
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return size >= OFFLOAD_MIN_BYTES and (os.cpu_count() or 1) >= 2


def readers(job: Job) -> list[Job]:
    """The reading jobs for `job`: one, or two halves of a big twarc2 JSONL file. Two readers
    beside the writer make a first import of 1,000,000 posts a tenth faster and a re-import
    (which is all reading) nearly twice as fast."""
    setting = processes()
    size = _size_of(job.path)
    split = (setting == 3 or (setting is None and size >= SPLIT_MIN_BYTES)) and (
        job.fmt in SPLIT_FORMATS)
    at = split_point(job.path) if split else None
    if at is None:
        return [job]
    return [dataclasses.replace(job, span=Span(0, at, 1)),
            dataclasses.replace(job, span=Span(at, size))]


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# -- the parent's side --------------------------------------------------------------------


@dataclass
class _Child:
    job: Job
    process: subprocess.Popen[bytes]
    errors: IO[bytes]
    done_bytes: int = 0


def read_beside(job: Job) -> Iterator[Chunk]:
    """The chunks `job`'s reader yields, read and mapped in one child process, or in two that
    read half the file each (see `readers`). With two, chunks come in whichever order they
    are ready; each chunk's position is then the bytes both have read.

    Each child's frames are taken off its pipe by a thread of this process as soon as they
    are written (`_Pump`), up to FRAMES_AHEAD chunks ahead: a child blocked on a full pipe
    while this process stored the chunk before had been idle for half the import."""
    children: list[_Child] = []
    frames = _Frames()
    pumps: list[_Pump] = []
    try:
        for part in readers(job):
            children.append(_start(part))
        for number, child in enumerate(children):
            pumps.append(_Pump(number, child, frames))
            pumps[-1].start()
        pending = list(range(len(children)))
        while pending:
            number = _ready(frames, pending)
            child, body = children[number], frames.take(number)
            pumps[number].ahead.release()
            if isinstance(body, BaseException):  # a garbled frame
                raise KnowvemberError(
                    f"{job.path}: the process reading the file sent a damaged message "
                    f"({body}); {_WAY_ROUND}") from body
            if body is None:
                raise KnowvemberError(_died(child.process, child.errors, job.path))
            try:
                message = marshal.loads(body)
            except (ValueError, EOFError, TypeError) as exc:
                raise KnowvemberError(
                    f"{job.path}: the process reading the file sent a damaged message "
                    f"({exc}); {_WAY_ROUND}") from exc
            del body
            if message[0] == "chunk":
                chunk = _chunk(message[1])
                if len(children) > 1:
                    start = child.job.span.start if child.job.span else 0
                    child.done_bytes = chunk.position - start
                    chunk.position = sum(c.done_bytes for c in children)
                yield chunk
            elif message[0] == "error":
                raise pickle.loads(message[1])
            else:
                pending.remove(number)
    finally:
        # A pump may be reading its pipe: end the children first (their pipes then end, and
        # each pump with them), and close the pipes only once no thread reads them.
        for pump in pumps:
            pump.stopping.set()
        for child in children:
            _end(child.process)
        for pump in pumps:
            pump.join(timeout=5)
        for child in children:
            _stop(child.process)
            child.errors.close()


Frame = bytes | BaseException | None


class _Frames:
    """The frames the pumps took off the children's pipes, per child, in arrival order."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._waiting: dict[int, collections.deque[tuple[int, Frame]]] = (
            collections.defaultdict(collections.deque))
        self._count = itertools.count()

    def put(self, number: int, frame: Frame) -> None:
        with self._ready:
            self._waiting[number].append((next(self._count), frame))
            self._ready.notify()

    def wait(self, among: list[int]) -> int:
        """The child among `among` whose waiting frame came first, once there is one."""
        with self._ready:
            while True:
                ready = [n for n in among if self._waiting[n]]
                if ready:
                    return min(ready, key=lambda n: self._waiting[n][0][0])
                self._ready.wait()

    def take(self, number: int) -> Frame:
        with self._ready:
            return self._waiting[number].popleft()[1]


def _ready(frames: _Frames, pending: list[int]) -> int:
    """Which child's frame to take next (the one that came first; a test may choose)."""
    return frames.wait(pending)


class _Pump(threading.Thread):
    """Takes one child's frames off its pipe into `frames`, at most FRAMES_AHEAD ahead of
    what this process has taken: the child then never waits on a full pipe, and memory
    stays bounded. Reading a pipe releases the GIL; decoding (marshal) is left to the
    importing thread. A frame is its body, None at the pipe's end (after "done", or when
    the child died), or the exception a garbled frame raised. It ends at the pipe's end, or
    when `stopping` is set."""

    def __init__(self, number: int, child: _Child, frames: _Frames) -> None:
        super().__init__(name=f"knowvember-reader-{number}", daemon=True)
        self.number = number
        self.child = child
        self.frames = frames
        self.stopping = threading.Event()
        self.ahead = threading.Semaphore(FRAMES_AHEAD)

    def run(self) -> None:
        stream = self.child.process.stdout
        assert stream is not None
        while not self.stopping.is_set():
            frame: Frame
            try:
                frame = _receive_body(stream)
            except (ValueError, EOFError, TypeError) as exc:
                frame = exc
            except OSError:
                return
            while not self.ahead.acquire(timeout=0.1):
                if self.stopping.is_set():
                    return
            self.frames.put(self.number, frame)
            if not isinstance(frame, bytes):
                return


def _start(job: Job) -> _Child:
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by read_beside
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    process = subprocess.Popen(
        [sys.executable, "-m", "collectors.offload"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=errors, env=env, bufsize=0)
    assert process.stdin is not None and process.stdout is not None
    _widen(process.stdout)
    try:
        process.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
        process.stdin.close()
    except BrokenPipeError:
        pass  # it died at once: said when its output ends
    return _Child(job, process, errors)


def _died(child: subprocess.Popen[bytes], errors: IO[bytes], path: Path) -> str:
    try:
        code = child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        code = None
    errors.seek(0)
    said = errors.read()[-2000:].decode(errors="replace").strip().splitlines()
    last = said[-1] if said else "it said nothing"
    return (f"{path}: the process reading the file stopped unexpectedly (exit code {code}: "
            f"{last}); {_WAY_ROUND}")


def _end(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()  # it only reads (and ignores SIGTERM): nothing of it to save
        child.wait()


def _stop(child: subprocess.Popen[bytes]) -> None:
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    if child.poll() is None:
        child.kill()  # it only reads (and ignores SIGTERM): nothing of it to save
        child.wait()


def _chunk(data: tuple[Any, ...]) -> Chunk:
    (posts, accounts, errors, position, lines, api_errors, unchanged, span, dictionaries,
     superseded, not_public) = data
    fromiso = dt.datetime.fromisoformat
    return Chunk(
        posts=[PostRecord(r[0], r[1], r[2], fromiso(r[3]), *r[4:17],
                          r[17].decode() if isinstance(r[17], bytes) else r[17], *r[18:22],
                          r[22] and fromiso(r[22]))
               for r in posts],
        accounts=[AccountRecord(*r[:9], seen_at=r[9] and fromiso(r[9]), moved_to=r[10])
                  for r in accounts],
        errors=[LineError(*e) for e in errors],
        position=position, lines=lines, api_errors=api_errors, unchanged=unchanged,
        unchanged_span=(fromiso(span[0]), fromiso(span[1])) if span else None,
        dictionaries=[Dictionary(i, d) for i, d in dictionaries],
        superseded=superseded, not_public=not_public,
    )


# -- the child's side ---------------------------------------------------------------------


def _encode(chunk: Chunk) -> tuple[Any, ...]:
    posts = [(p.platform, p.platform_id, p.account_key, p.created_at.isoformat(), p.text,
              p.uri, p.url, p.lang, p.kind, p.referenced_id, p.conversation_id,
              tuple(p.hashtags), tuple(p.mentions), p.likes, p.reposts, p.replies, p.quotes,
              p.raw, p.context_only,
              None if p.techniques is None else tuple(p.techniques), p.raw_z, p.versions,
              p.edited_at and p.edited_at.isoformat())
             for p in chunk.posts]
    unique = {(a.platform, a.key): a for a in chunk.accounts}
    accounts = [(a.platform, a.key, a.handle, a.platform_user_id, a.display_name, a.bio,
                 a.followers, a.url, a.raw, a.seen_at and a.seen_at.isoformat(), a.moved_to)
                for a in unique.values()]
    errors = [(e.file, e.line, e.message) for e in chunk.errors]
    span = chunk.unchanged_span
    return (posts, accounts, errors, chunk.position, chunk.lines, chunk.api_errors,
            chunk.unchanged, (span[0].isoformat(), span[1].isoformat()) if span else None,
            [(d.id, d.data) for d in chunk.dictionaries], chunk.superseded, chunk.not_public)


def _compress(packer: Packer, chunk: Chunk) -> None:
    """Compress the chunk's raw payloads (once the packer has a dictionary): a sixth of
    the bytes to send, to write and to keep (see knowvember.payloads)."""
    posts = [p for p in chunk.posts if p.raw is not None]
    frames = packer.pack([p.raw if isinstance(p.raw, bytes) else p.raw.encode()  # type: ignore[union-attr]
                          for p in posts])
    if frames is None:
        return
    for post, frame in zip(posts, frames, strict=True):
        post.raw, post.raw_z = None, frame
    chunk.dictionaries = packer.take_new()


def _tagger(job: Job) -> Any:
    """Tags the posts that may be stored (a campaign hashtag, or a reference to follow), so
    the parent does not have to; the others are left to the store, as in one process."""
    from knowvember.hashtags import CampaignTags
    from knowvember.ingest import remembered
    from knowvember.techniques import Taxonomy

    tag = remembered(Taxonomy.load(job.settings).tag)
    campaign = CampaignTags(job.settings.campaign.all_tags)

    def apply(posts: list[PostRecord]) -> None:
        for p in posts:
            if p.techniques is None and (p.referenced_id or campaign.matches(p.hashtags)):
                p.techniques = tag(p.text)

    return apply


def _known(job: Job) -> Any:
    if job.database_url is None:
        return None
    from knowvember.db import create_db_engine, translate_errors
    from knowvember.ingest import Probe
    from knowvember.store import unchanged_posts

    engine = create_db_engine(job.database_url)
    platform = job.platform or "x"

    def ask(items: list[tuple[str, tuple[int, int, int, int]]]) -> set[str]:
        with translate_errors(engine), engine.connect() as conn:
            return unchanged_posts(conn, platform, items, archive=True)

    return Probe(ask)


def _run(job: Job, out: IO[bytes]) -> None:
    from collectors.archive import formats

    reader, _ = formats()[job.fmt]
    options: dict[str, Any] = {"chunk_posts": job.chunk_posts}
    if job.span is not None:
        options["span"] = job.span
    if job.fmt in RAW_BYTES:
        options["raw_bytes"] = True
    known = _known(job)
    if known is not None:
        options["known"] = known
    tag = _tagger(job)
    packer = Packer() if job.compress else None
    for chunk in reader(job.path, **options):
        tag(chunk.posts)
        if packer is not None:
            _compress(packer, chunk)
        _send(out, ("chunk", _encode(chunk)))
    _send(out, ("done",))


def main() -> int:
    import gc
    import signal

    # Ctrl-C and a service manager's SIGTERM reach the whole process group (or cgroup): the
    # importing process decides how to stop (after the chunk it is writing) and ends this one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    gc.set_threshold(50_000, 10, 10)  # millions of short-lived objects, no cycles
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    out = sys.stdout.buffer
    try:
        job = pickle.load(sys.stdin.buffer)
        _run(job, out)
    except BrokenPipeError:
        return 0  # the parent stopped reading: it stopped the import
    except Exception as exc:  # sent, to be raised again by the parent
        try:
            payload = pickle.dumps(exc)
            pickle.loads(payload)
        except Exception:
            payload = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
        try:
            _send(out, ("error", payload))
        except BrokenPipeError:
            return 0
    return 0


# -- frames -------------------------------------------------------------------------------


def _send(out: IO[bytes], message: tuple[Any, ...]) -> None:
    body = marshal.dumps(message)
    out.write(_HEADER.pack(len(body)))
    out.write(body)
    out.flush()


def _receive_body(stream: IO[bytes]) -> bytes | None:
    """One frame's body (still marshalled), None at the pipe's end."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    return _read_exactly(stream, _HEADER.unpack(header)[0])


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    """`size` bytes from a pipe (unbuffered: a read takes what the pipe holds), None at its
    end."""
    data = stream.read(size)
    if data is None or len(data) == size:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            return None
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _widen(stream: IO[bytes]) -> None:
    """A 1 MiB pipe instead of 64 KiB: fewer switches between the two processes (Linux)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fcntl.fcntl(stream.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)


if __name__ == "__main__":
    raise SystemExit(main())
