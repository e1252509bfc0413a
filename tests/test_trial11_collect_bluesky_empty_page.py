"""Bluesky search leaves out of a page the hits it cannot show (deleted, taken down, from
blocked or deactivated accounts), so a page can come back empty with a cursor to more. The
empty page was taken for the end of the results: the pass was closed and every page after
it was never read, run after run."""

from __future__ import annotations

from pathlib import Path

from tests.fakeapi import FakeAPI, Seen, _Answer, _dump
from tests.test_collect_bluesky import know_posts, run, setup


class HiddenPage(FakeAPI):
    """Search whose second page of hits could all not be shown: `posts` empty, the cursor to
    the third page given as usual; `empties` such pages in a row."""

    def __init__(self, empties: int = 1) -> None:
        super().__init__()
        self.empties = empties

    def _route(self, seen: Seen) -> _Answer:
        cursor = seen.param("cursor")
        if seen.path == "/xrpc/app.bsky.feed.searchPosts" and cursor and (
                int(cursor) < 100 * (1 + self.empties)):
            return _Answer(200, _dump({"posts": [], "cursor": str(int(cursor) + 100)}))
        return super()._route(seen)


def test_an_empty_page_with_a_cursor_is_not_the_end(tmp_path: Path) -> None:
    with HiddenPage() as api:
        api.add_bluesky(know_posts(250))
        settings, db = setup(api, f"sqlite:///{tmp_path / 'b.db'}")
        record = run(settings, db)
        db.dispose()
    assert record.status == "ok", record.error
    assert record.new == 150  # the first page and the third: the second's were hidden


def test_empty_pages_in_a_row_are_followed_only_so_far(tmp_path: Path) -> None:
    with HiddenPage(empties=20) as api:
        api.add_bluesky(know_posts(2500))
        settings, db = setup(api, f"sqlite:///{tmp_path / 'b.db'}")
        record = run(settings, db)
        asked = [r for r in api.seen("/xrpc/app.bsky.feed.searchPosts")
                 if r.param("q") == "#knowvember"]
        db.dispose()
    assert record.new == 100 and len(asked) == 4  # the first page, then 3 empty ones
    assert any("3 empty pages in a row for #knowvember" in w
               for w in record.details.get("warnings", []))
