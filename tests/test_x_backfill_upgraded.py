"""A database whose first X runs predate the `:from` checkpoint (this year's, collected on
recent search before the back-fill existed) is read back too when the coordinator switches to
`endpoint = "all"`: where the first pass began is taken from the earliest ok run's window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from knowvember.models import CollectorState
from tests.conftest import stored_posts as stored
from tests.test_collect_x import KNOW_CAMPAIGN, NOW, hooks, run, setup
from tests.test_trial9_x_collect import strict
from tests.test_trial10_x_backfill import campaign_tweets

__all__ = ["strict"]


def test_an_upgraded_database_is_read_back_on_full_archive(strict, tmp_path: Path  # type: ignore[no-untyped-def]
                                                           ) -> None:
    ids = campaign_tweets(strict, 120, dt.timedelta(hours=4))
    url = f"sqlite:///{tmp_path / 'x.db'}"
    settings, db = setup(strict, url, campaign=KNOW_CAMPAIGN)
    assert run(settings, db).status == "ok"
    recent = len(stored(db))
    with db.begin() as conn:  # as a run before the back-fill existed left it
        gone = conn.execute(sa.delete(CollectorState).where(
            CollectorState.key.like("%:from"))).rowcount
    assert gone >= 1
    db.dispose()

    settings, db = setup(strict, url, 'endpoint = "all"', campaign=KNOW_CAMPAIGN)
    record = run(settings, db, hooks(now=NOW + dt.timedelta(minutes=30)))
    assert (record.status, record.new) == ("ok", len(ids) - recent), record.error
    assert set(stored(db)) == set(ids)
    db.dispose()


def test_without_any_ok_run_nothing_is_assumed(strict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from knowvember.ingest import _seed_x_coverage

    _, db = setup(strict, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    state: dict[str, str | None] = {"q1:since_id": "123"}
    _seed_x_coverage(db, state)
    assert state == {"q1:since_id": "123"}
    db.dispose()
