"""Raw payloads stored compressed: zstd frames against a dictionary trained on the import.

Every post keeps the payload it arrived in, so a mapping can be redone later from what was
received. A tweet's JSON is about 800 bytes and nearly all of it is the same keys in the same
order; compressed alone it keeps three fifths of its size, but against a dictionary trained
on a few thousand of its neighbours it shrinks sixfold, at about 400 MB/s. At 1,000,000
posts the payloads are 790 MB of the database's 1.4 GB. So a big import
(`collectors.offload`) compresses in its reading processes: each trains a dictionary on the
first payloads it reads, and the posts keep `raw_z` (the frame) instead of `raw` (the JSON
text). Small files and live collection keep the text, where size and speed do not matter.

A frame names its dictionary by id (zstd writes the id into every frame), and the
dictionaries are rows of `raw_dictionaries`, stored in the same transaction as the first
post that needs one, so every frame can always be read back. `Unpacker` reads either form.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from knowvember.records import PostRecord

log = logging.getLogger(__name__)

DICTIONARY_BYTES = 64 * 1024  # more gave under 1% more (measured on tweets)
TRAIN_MIN = 500  # fewer payloads than this train a poor dictionary: leave them as text
TRAIN_MAX = 5_000  # training on more took longer and gave no better ratio
LEVEL = 3
NAMING_MIN = 5  # see `naming`


def _zstd():  # type: ignore[no-untyped-def]
    import zstandard  # imported only where payloads are compressed or read back

    return zstandard


@dataclass(frozen=True)
class Dictionary:
    """A trained dictionary: its id (as every frame made with it says) and its bytes."""

    id: int
    data: bytes


class Packer:
    """Compresses raw payloads once it has seen enough of them to train a dictionary.

    `pack` takes a batch of payloads (bytes, or None) and returns them compressed, or None
    while no batch has been big enough to train on; `take_new` gives the dictionary to send
    with the first compressed batch (and nothing afterwards).
    """

    def __init__(self) -> None:
        self._compressor = None
        self.dictionary: Dictionary | None = None
        self._sent = False
        self._failed = False  # training failed: payloads stay text

    def pack(self, payloads: Sequence[bytes | None]) -> list[bytes | None] | None:
        """The frames for `payloads`, or None when there is no dictionary (too few yet, or
        none could be trained from these payloads)."""
        if self._compressor is None:
            samples = [p for p in payloads if p]
            if self._failed or len(samples) < TRAIN_MIN:
                return None
            if not self.train(samples[:TRAIN_MAX]):
                return None
        compress = self._compressor.compress  # type: ignore[union-attr]
        return [compress(p) if p else None for p in payloads]

    def compress(self, payload: bytes) -> bytes:
        """One payload's frame (after `train`)."""
        return self._compressor.compress(payload)  # type: ignore[union-attr]

    def train(self, samples: list[bytes]) -> bool:
        """Train the dictionary on `samples`; False when zstd cannot learn from them."""
        zstd = _zstd()
        try:
            trained = zstd.train_dictionary(DICTIONARY_BYTES, samples, level=LEVEL)
        except zstd.ZstdError as exc:  # payloads too alike or too small to learn from
            log.info("raw payloads kept as text: no dictionary could be trained (%s)", exc)
            self._failed = True
            return False
        self.dictionary = Dictionary(trained.dict_id(), trained.as_bytes())
        self._compressor = zstd.ZstdCompressor(level=LEVEL, dict_data=trained,
                                               write_content_size=True, write_dict_id=True)
        return True

    def take_new(self) -> list[Dictionary]:
        """The dictionary the receiver has not had yet (once), for the batch being sent."""
        if self.dictionary is None or self._sent:
            return []
        self._sent = True
        return [self.dictionary]


def frame_dictionary(frame: bytes) -> int:
    """The id of the dictionary a frame was made with (0: none)."""
    return int(_zstd().get_frame_parameters(frame).dict_id)


def store(conn: Connection, dictionaries: Iterable[Dictionary]) -> set[int]:
    """Store dictionaries not stored yet; return the ids already taken by another one.

    Ids are zstd's own (random 32-bit), so two imports' dictionaries clash about once in
    four billion; a clashing dictionary is not stored, and the caller keeps the text of the
    payloads made with it instead (`inflate`).
    """
    from knowvember.models import RawDictionary, utcnow

    table = RawDictionary.__table__
    clashes: set[int] = set()
    for dictionary in dictionaries:
        stored = conn.execute(sa.select(table.c.data).where(
            table.c.id == dictionary.id)).scalar()
        if stored is None:
            conn.execute(table.insert().values(id=dictionary.id, data=dictionary.data,
                                               created_at=utcnow()))
        elif bytes(stored) != dictionary.data:
            log.warning("a payload dictionary's id %d is taken; its payloads are kept as text",
                        dictionary.id)
            clashes.add(dictionary.id)
    return clashes


def inflate(posts: Iterable[PostRecord], dictionaries: Iterable[Dictionary],
            ids: set[int]) -> None:
    """Give back the text of the payloads compressed with the dictionaries `ids` (which could
    not be stored), so that no post keeps a frame nobody can read."""
    if not ids:
        return
    unpacker = Unpacker(None, dictionaries)
    for post in posts:
        if post.raw_z is not None and frame_dictionary(post.raw_z) in ids:
            post.raw, post.raw_z = unpacker.text(None, post.raw_z), None


class Unpacker:
    """Reads a post's payload back, from `raw` (text) or `raw_z` (a frame), fetching each
    dictionary once."""

    def __init__(self, conn: Connection | None, extra: Iterable[Dictionary] = ()) -> None:
        self.conn = conn
        self._decompressors: dict[int, object] = {}
        self._extra = {d.id: d.data for d in extra}

    def text(self, raw: str | None, raw_z: bytes | None) -> str | None:
        if raw is not None or raw_z is None:
            return raw
        frame = bytes(raw_z)
        dict_id = frame_dictionary(frame)
        decompressor = self._decompressors.get(dict_id)
        if decompressor is None:
            decompressor = self._decompressors[dict_id] = self._decompressor(dict_id)
        return decompressor.decompress(frame).decode()  # type: ignore[attr-defined]

    def _decompressor(self, dict_id: int) -> object:
        zstd = _zstd()
        if not dict_id:
            return zstd.ZstdDecompressor()
        data = self._extra.get(dict_id)
        if data is None and self.conn is not None:
            from knowvember.models import RawDictionary

            table = RawDictionary.__table__
            data = self.conn.execute(sa.select(table.c.data).where(
                table.c.id == dict_id)).scalar()
        if data is None:
            raise LookupError(f"raw payload dictionary {dict_id} is missing from the database")
        return zstd.ZstdDecompressor(dict_data=zstd.ZstdCompressionDict(bytes(data)))


def holds(data: bytes, forms: Iterable[str]) -> bool:
    """Whether a dictionary's bytes hold one of `forms` (lower-case handles, ids). A
    fragment may start or end inside a value: a form long enough to identify is looked for
    anywhere, a short one only as a whole JSON string."""
    text = data.decode("utf-8", "replace").lower()
    return any(f'"{form}"' in text or (len(form) >= NAMING_MIN and form in text)
               for form in forms if form)


def naming(conn: Connection, forms: Iterable[str]) -> list[int]:
    """The dictionaries holding any of `forms`: a dictionary is made of fragments of the
    payloads it was trained on, so it may hold a frequent poster's id or handle, and
    `forget` must not leave that behind (see `retrain`)."""
    from knowvember.models import RawDictionary

    table = RawDictionary.__table__
    wanted = list(forms)
    return [int(dict_id) for dict_id, data in conn.execute(sa.select(table.c.id, table.c.data))
            if holds(bytes(data), wanted)]


def retrain(conn: Connection, ids: Iterable[int], forms: Iterable[str],
            batch: int = 5_000) -> int:
    """Compress again, against a dictionary that cannot hold `forms`, the payloads made with
    the dictionaries `ids`, then delete those; returns how many posts were rewritten.

    The new dictionary is trained on those payloads with every form masked, so it holds
    none of them (checked; if it did, or none could be trained, the payloads are written
    back as text instead). Reads every frame's header once, decompresses and compresses
    only the affected payloads: about 10 s for half a million of them.
    """
    import re

    from knowvember.models import Post, RawDictionary

    doomed = set(ids)
    if not doomed:
        return 0
    wanted = sorted({f for f in forms if f}, key=len, reverse=True)
    pattern = re.compile(b"|".join(re.escape(f.encode()) for f in wanted), re.IGNORECASE)

    def masked(payload: bytes) -> bytes:
        return pattern.sub(lambda m: b"0" * len(m.group(0)), payload) if wanted else payload

    posts = Post.__table__
    old = Unpacker(conn)
    affected: list[int] = []
    samples: list[bytes] = []
    last = 0
    while True:  # which posts, and what to train on
        rows = conn.execute(sa.select(posts.c.id, posts.c.raw_z)
                            .where(posts.c.id > last, posts.c.raw_z.is_not(None))
                            .order_by(posts.c.id).limit(batch)).all()
        if not rows:
            break
        last = rows[-1][0]
        for post_id, frame in rows:
            if frame_dictionary(bytes(frame)) in doomed:
                affected.append(post_id)
                if len(samples) < TRAIN_MAX:
                    samples.append(masked((old.text(None, bytes(frame)) or "").encode()))
    packer = Packer()
    compress = None
    if (len(samples) >= TRAIN_MIN and packer.train(samples) and packer.dictionary is not None
            and not holds(packer.dictionary.data, wanted)):
        clashed = store(conn, [packer.dictionary])
        compress = None if clashed else packer.compress
    for start in range(0, len(affected), batch):
        chunk = affected[start:start + batch]
        values = []
        for post_id, frame in conn.execute(sa.select(posts.c.id, posts.c.raw_z)
                                           .where(posts.c.id.in_(chunk))):
            text = old.text(None, bytes(frame)) or ""
            values.append({"b_id": post_id, "b_raw": None if compress else text,
                           "b_raw_z": compress(text.encode()) if compress else None})
        if values:
            conn.execute(posts.update().where(posts.c.id == sa.bindparam("b_id"))
                         .values(raw=sa.bindparam("b_raw"), raw_z=sa.bindparam("b_raw_z")),
                         values)
    table = RawDictionary.__table__
    conn.execute(table.delete().where(table.c.id.in_(sorted(doomed))))
    return len(affected)
