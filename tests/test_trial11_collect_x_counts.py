"""`collect --dry-run` against X counts that send a `next_token` again: the dry run asked
for the same page of counts for ever (X's rate limit spent and waited for, again and again),
where a run's search stops on a repeated token."""

from __future__ import annotations

from pathlib import Path

from knowvember import ingest
from tests.fakeapi import FakeAPI, Seen, _Answer, _dump
from tests.test_collect_x import KNOW_CAMPAIGN, Sleeps, hooks, know_api, setup


class LoopingCounts(FakeAPI):
    """Counts whose every page names a next page, the same one from the second on."""

    def _route(self, seen: Seen) -> _Answer:
        if seen.path.startswith("/2/tweets/counts/"):
            if len(self.seen("/2/tweets/counts/")) > 10:  # (a dry run that loops fails)
                return _Answer(400, _dump({"title": "Invalid Request", "errors": [
                    {"message": "asked the same page of counts again and again"}]}))
            token = "b" if seen.param("next_token") else "a"
            return _Answer(200, _dump({
                "data": [{"start": "2021-09-22T00:00:00.000Z", "end": "2021-09-23T00:00:00.000Z",
                          "tweet_count": 7}],
                "meta": {"total_tweet_count": 7, "next_token": token}}), self._x_headers())
        return super()._route(seen)


def test_a_repeated_counts_token_ends_the_dry_run_with_a_warning(tmp_path: Path) -> None:
    with LoopingCounts() as api:
        know_api(api, 20)
        settings, db = setup(api, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
        sleeps = Sleeps()
        (estimate,) = ingest.estimate(db, settings, ["x"], hooks(sleeps))
        asked = api.seen("/2/tweets/counts/recent")
        db.dispose()
    assert estimate.status == "ok", estimate.error
    assert len(asked) == 3  # the first page, "a", then "b" again names "b"
    assert estimate.details["estimated_posts"] == 21
    assert any("repeated a pagination token of its counts" in w
               for w in estimate.details.get("warnings", []))
