"""Identifiers in each platform's own format, minted from a post's time so they sort like
the real ones: X snowflakes, Mastodon snowflakes, Bluesky TIDs, DIDs and CIDs.

Importers read creation times back out of X ids and order Mastodon pages by id, so the
sample's ids must encode the same instants as its `created_at` fields.
"""

from __future__ import annotations

import base64
import random

X_EPOCH_MS = 1288834974657  # the Twitter snowflake epoch (2010-11-04T01:42:54.657Z)
_S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as atproto TIDs use


def x_snowflake(ms: int, worker: int, sequence: int) -> int:
    """An X id: 41 bits of milliseconds since the X epoch, 10 bits worker, 12 bits sequence."""
    return ((ms - X_EPOCH_MS) << 22) | ((worker & 0x3FF) << 12) | (sequence & 0xFFF)


def x_snowflake_ms(tweet_id: int) -> int:
    return (tweet_id >> 22) + X_EPOCH_MS


def mastodon_snowflake(ms: int, low: int) -> int:
    """A Mastodon id: milliseconds since the Unix epoch, shifted 16 bits, plus 16 low bits."""
    return (ms << 16) | (low & 0xFFFF)


def mix16(a: int, b: int, c: int = 0) -> int:
    """A stable 16-bit mix of integers (Python's hash() is salted per process; this is not)."""
    h = ((a * 2654435761) ^ (b * 40503 + c * 2246822519 + 0x9E3779B1)) & 0xFFFFFFFFFFFF
    return ((h * 0x5BD1E995) >> 20) & 0xFFFF


def tid(us: int, clock: int) -> str:
    """An atproto TID: 53 bits of microseconds and 10 bits of clock id, 13 characters."""
    value = (us << 10) | (clock & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_S32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def tid_us(text: str) -> int:
    value = 0
    for char in text:
        value = (value << 5) | _S32.index(char)
    return value >> 10


def did_plc(rng: random.Random) -> str:
    """A `did:plc:` identifier: 24 characters of lower-case base32."""
    return "did:plc:" + base64.b32encode(rng.randbytes(15)).decode().lower()[:24]


def cid(rng: random.Random) -> str:
    """A CIDv1 (dag-cbor, sha-256) as Bluesky shows them: `bafyrei` + 52 base32 characters."""
    return "bafyrei" + base64.b32encode(rng.randbytes(33)).decode().lower()[:52]


def blob_cid(rng: random.Random) -> str:
    """A raw-codec CID, the kind avatars and images use (`bafkrei...`)."""
    return "bafkrei" + base64.b32encode(rng.randbytes(33)).decode().lower()[:52]


def token(rng: random.Random, length: int = 45) -> str:
    """An opaque pagination token shaped like X's `next_token`."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[rng.randrange(36)] for _ in range(length))
