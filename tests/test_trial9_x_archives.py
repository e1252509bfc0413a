"""The ninth trial of X archives, as a new coordinator met them: the files people hold after
a campaign (a TAGS sheet that went through R or pandas, twarc2 files of accounts or counts
given for tweets, ...)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from knowvember import ingest
from knowvember.config import parse_settings
from tests.conftest import BASE_CONFIG
from tests.conftest import stored_posts as stored
from tests.test_import_files import TAGS_HEADER, tags_row, write_csv


def run_import(db, fmt: str, path: Path):  # type: ignore[no-untyped-def]
    (record,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                    ingest.Hooks(lock_wait=0)).runs
    return record


def test_a_tags_sheet_saved_by_r_with_na_cells_reads_as_empty_cells(sqlite_db, tmp_path: Path
                                                                    ) -> None:  # type: ignore[no-untyped-def]
    """R's write.csv (tidytags) and pandas write an empty cell as NA: every row was a reply
    (in_reply_to_status_id_str 'NA'), its language 'NA', and a row with no follower count
    failed ("user_followers_count 'NA' is not a number")."""
    na = dict(geo_coordinates="NA", user_lang="NA", in_reply_to_user_id_str="NA",
              in_reply_to_screen_name="NA", in_reply_to_status_id_str="NA",
              user_friends_count="NA", entities_str="NA")
    path = write_csv(tmp_path / "tidytags.csv", TAGS_HEADER, [
        tags_row("1191672311587868672", "UHL_Library", "Peer assist #KNOWvember19",
                 **na, user_followers_count="NA"),
        tags_row("1191672311587868673", "NUHLibrary", "After action review #KNOWvember19",
                 **{**na, "user_lang": "en"}),
    ])
    record = run_import(sqlite_db, "tags", path)
    assert (record.status, record.new, record.error) == ("ok", 2, None)
    posts = stored(sqlite_db)
    assert {p.kind for p in posts.values()} == {"original"}
    assert [posts[t].lang for t in sorted(posts)] == [None, "en"]
    assert '"NA"' in posts["1191672311587868672"].raw  # the row as the sheet had it


TWARC = {"url": "https://api.twitter.com/2/users/99/followers", "version": "2.14.0",
         "retrieved_at": "2023-01-10T10:00:00+00:00"}


@pytest.mark.parametrize(("page", "named"), [
    ({"data": [{"id": "2837462", "username": "STH_Library", "name": "Sheffield Library",
                "created_at": "2012-03-05T10:00:00.000Z", "description": "#KNOWvember19"}],
      "meta": {"result_count": 1, "next_token": "ABC"}, "__twarc": TWARC},
     "a page of X accounts (twarc2 users, followers or following)"),
    ({"data": [{"end": "2019-11-02T00:00:00.000Z", "start": "2019-11-01T00:00:00.000Z",
                "tweet_count": 120}], "meta": {"total_tweet_count": 120}, "__twarc": TWARC},
     "a page of tweet counts (twarc2 counts)"),
])
def test_a_twarc2_file_of_accounts_or_counts_is_named_not_read_as_tweets(
        sqlite_db, tmp_path: Path, page: dict, named: str) -> None:  # type: ignore[no-untyped-def,type-arg]
    """`twarc2 followers` wrote pages of users: each was read as a tweet without text
    ("2 read, 2 skipped off-campaign", exit 0); `twarc2 counts` failed as "tweet: Object
    missing required field `id`"."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(page) + b"\n")
    record = run_import(sqlite_db, "twarc2", path)
    assert (record.status, record.fetched) == ("failed", 0)
    assert named in (record.error or ""), record.error
    assert stored(sqlite_db) == {}
