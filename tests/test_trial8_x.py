"""The eighth trial of X collection and archives, as a new coordinator met them.

The live collector against the local fake X API v2 (the monthly usage cap's 429), and the
archive imports with the shapes coordinators really hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowvember import ingest
from knowvember.config import parse_settings
from tests.conftest import BASE_CONFIG
from tests.conftest import stored_posts as stored
from tests.fakeapi import FakeAPI, Fault, _Answer, _dump
from tests.test_collect_x import KNOW_CAMPAIGN, Sleeps, hooks, know_api, run, setup
from tests.test_import_files import TAGS_HEADER, tags_row

# -- the monthly usage cap ----------------------------------------------------------------


class CappedAPI(FakeAPI):
    """The fake X API, also answering a fault "usage-cap" as X does when the app's monthly
    post cap is used up: 429, a body titled UsageCapExceeded, and rate-limit headers that
    show plenty left in the 15-minute window (the cap is not a rate limit)."""

    def _fault_answer(self, fault: Fault, path: str) -> _Answer:
        if fault.kind != "usage-cap":
            return super()._fault_answer(fault, path)
        return _Answer(429, _dump({
            "account_id": 1234567890, "product_name": "standard-basic",
            "title": "UsageCapExceeded", "period": "Monthly", "scope": "Product",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.twitter.com/2/problems/usage-capped"}), {
            "x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
            "x-rate-limit-reset": str(int(self.clock()) + 600)})


@pytest.fixture
def capped() -> Iterator[CappedAPI]:
    with CappedAPI().load_fixtures() as server:
        yield server


def test_the_monthly_usage_cap_stops_the_run_at_once_saying_so(capped, tmp_path: Path
                                                              ) -> None:  # type: ignore[no-untyped-def]
    """X's 429 UsageCapExceeded is not a rate limit: waiting for the window's reset and
    asking again (five times, up to 15 minutes each) reads nothing and holds the run (and
    the next cron run, "already running") for over an hour. The run stops at once, keeps
    the pages it read, and says what happened."""
    ids = know_api(capped, 150)
    settings, db = setup(capped, f"sqlite:///{tmp_path / 'x.db'}", "max_wait_seconds = 900",
                         campaign=KNOW_CAMPAIGN)
    capped.fail("/2/tweets/search", "usage-cap", times=10, after=1)
    sleeps = Sleeps()
    record = run(settings, db, hooks(sleeps))
    assert sleeps == []  # no wait for a reset that does not lift the cap
    assert len(capped.seen("/2/tweets/search")) == 2
    assert record.status == "partial"
    assert "monthly usage cap" in record.error and "UsageCapExceeded" in record.error
    assert "Monthly product cap" in record.error, record.error
    assert len(stored(db)) == 100
    # the next run, once the cap is lifted, goes on where this one stopped
    capped.faults.clear()
    again = run(settings, db, hooks(now=dt.datetime(2021, 9, 23, 12, 30, tzinfo=dt.UTC)))
    assert again.status == "ok", again.error
    assert set(stored(db)) == set(ids)
    db.dispose()


# -- spreadsheets: rows Excel leaves empty ------------------------------------------------


def run_import(db, fmt: str, path: Path):  # type: ignore[no-untyped-def]
    (record,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                    ingest.Hooks(lock_wait=0)).runs
    return record


@pytest.mark.parametrize("fmt", ["tags", "csv"])
def test_rows_excel_left_with_only_empty_cells_are_not_errors(db, tmp_path: Path, fmt: str
                                                              ) -> None:  # type: ignore[no-untyped-def]
    """Excel saves `,,,,` rows below the data wherever a cell was once formatted or
    cleared: they were each reported as a row that failed ("id_str '' is not a tweet id",
    "unknown platform ''"), and a complete import was partial (exit 4)."""
    if fmt == "tags":
        header = ",".join(TAGS_HEADER)
        row = ",".join(tags_row("1191672311587868672", "UHL_Library",
                                "Our first Peer Assist #KNOWvember19").values())
    else:
        header = "platform,id,author_handle,created_at,text,likes"
        row = "x,1191672311587868672,@UHL_Library,05/11/2019 09:30,Peer Assist #KNOWvember19,4"
    blank = "," * (header.count(","))
    path = tmp_path / f"{fmt}.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([header, row, blank, blank, " ," + blank[1:]])
                      + "\r\n").encode())
    record = run_import(db, fmt, path)
    assert (record.status, record.new, record.error) == ("ok", 1, None)
    assert set(stored(db)) == {"1191672311587868672"}


def test_a_row_with_something_in_it_is_still_reported(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_text("platform,id,author_handle,created_at,text\n"
                    "x,1191672311587868672,@UHL_Library,05/11/2019 09:30,#KNOWvember19\n"
                    ",,,,stray note\n", encoding="utf-8")
    record = run_import(db, "csv", path)
    assert record.status == "partial" and "posts.csv:3" in record.error
