"""The tenth session's trial of X collection on a laptop whose clock is wrong (WSL's clock
runs behind or ahead after a sleep): a 429's `x-rate-limit-reset` is X's clock, and waiting
for it by this machine's clock retried at once (and gave up) or waited minutes too long."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fakeapi import FakeAPI
from tests.test_collect_x import Sleeps, brexit_tweets, hooks, run, setup


@pytest.mark.parametrize("skew", [-600.0, 600.0])
def test_a_rate_limit_waits_until_the_reset_by_xs_clock(tmp_path: Path, skew: float) -> None:
    with FakeAPI(clock=lambda: time.time() + skew).load_fixtures() as api:
        settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}")
        api.fail("/2/tweets/search", "429", reset_in=30)
        sleeps = Sleeps()
        record = run(settings, db, hooks(sleeps))
        assert record.status == "ok", record.error
        assert record.fetched == len(brexit_tweets())
        assert 29 <= sum(sleeps) <= 33, sleeps  # 30 s on X's clock, plus a second
        db.dispose()
