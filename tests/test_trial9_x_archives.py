"""The ninth trial of X archives, as a new coordinator met them: the files people hold after
a campaign (a TAGS sheet that went through R or pandas, ...)."""

from __future__ import annotations

from pathlib import Path

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
