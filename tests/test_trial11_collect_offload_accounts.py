"""A reading process hands accounts over whole: when their profile was shown (`seen_at`) and
the account a Mastodon account moved to (`moved_to`) cross the pipe too. They were dropped, so
a big Mastodon file (read in another process from 32 MB) lost every move: the person who
moved counted as two contributors, as before the move was linked."""

from __future__ import annotations

import datetime as dt

from collectors.archive import Chunk
from collectors.offload import _chunk, _encode
from knowvember.records import AccountRecord


def test_accounts_cross_the_pipe_with_their_profile_time_and_move() -> None:
    seen = dt.datetime(2024, 11, 5, 9, 30, tzinfo=dt.UTC)
    moved = AccountRecord(platform="mastodon", key="https://old.social/users/lib",
                          handle="@lib@old.social", display_name="Library", seen_at=seen,
                          moved_to="https://nhs.social/users/lib")
    plain = AccountRecord(platform="mastodon", key="https://nhs.social/users/lib",
                          handle="@lib@nhs.social")
    chunk = Chunk(posts=[], accounts=[moved, plain], errors=[])
    back = _chunk(_encode(chunk)).accounts
    assert back == [moved, plain]
    assert back[0].seen_at == seen and back[0].moved_to == "https://nhs.social/users/lib"
    assert back[1].seen_at is None and back[1].moved_to is None
