"""The ninth trial of X collection, as a new coordinator met it: the live collector against the
local fake X API v2 with the shapes X sends in the wild (a pagination token that loops)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowvember.store import load_state
from tests.conftest import stored_posts as stored
from tests.fakeapi import FakeAPI, Seen, _Answer, _dump
from tests.test_collect_x import KNOW_CAMPAIGN, NOW, hooks, know_api, run, setup


class LoopingAPI(FakeAPI):
    """The fake X API, sending the second page's token again on the third page (n100 ->
    n200 -> n100) while `looping`: X has been seen to hand back a token already used."""

    looping = True

    def _x_search(self, seen: Seen, full_archive: bool) -> _Answer:
        answer = super()._x_search(seen, full_archive)
        if not (self.looping and seen.param("next_token") == "n200"):
            return answer
        body = json.loads(answer.body)
        body["meta"]["next_token"] = "n100"
        return _Answer(answer.status, _dump(body), answer.headers)


@pytest.fixture
def looping() -> Iterator[LoopingAPI]:
    with LoopingAPI() as server:
        yield server


def test_a_looping_token_leaves_the_pass_unfinished_for_the_next_run(looping, tmp_path: Path
                                                                     ) -> None:  # type: ignore[no-untyped-def]
    """A repeated next_token stopped the paging, but saved the pass as done: the next run
    began after the newest post, and the 150 posts below the loop were never read (the run
    after said "ok")."""
    ids = know_api(looping, 450)
    settings, db = setup(looping, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    first = run(settings, db)
    assert (first.status, first.fetched) == ("partial", 300)
    assert "repeated a pagination token" in (first.error or "")
    state = load_state(db, "x")
    assert any(k.endswith(":until_id") and v for k, v in state.items()), state
    looping.looping = False
    second = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=5)))
    assert (second.status, second.new) == ("ok", 150), second.error
    assert set(stored(db)) == set(ids)
    db.dispose()
