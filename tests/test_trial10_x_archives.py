"""The tenth session's trial of X archives: an X account archive's tweets.js keeps no quote
fields (`is_quote_status`, `quoted_status_id_str`), only the quoted tweet's link, so every
quote was an original, and a quote of a campaign post without the hashtag was left out as
off-campaign (a TAGS sheet's quotes were read from the same links already)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import stored_posts as stored
from tests.test_import_files import TAGS_HEADER, tags_row, write_csv
from tests.test_trial9_x_archives import _archive, _archived, run_import

ORIGINAL = "1191672311587868672"


def link(tid: str, user: str = "NUHLibrary") -> dict[str, object]:
    return {"url": "https://t.co/AbCdEf", "expanded_url": f"https://twitter.com/{user}/status/{tid}",
            "display_url": f"twitter.com/{user}/status/1…", "indices": ["40", "63"]}


def test_an_account_archives_quotes_are_quotes_of_what_they_link(sqlite_db, tmp_path: Path
                                                                 ) -> None:  # type: ignore[no-untyped-def]
    tags = write_csv(tmp_path / "tags.csv", TAGS_HEADER, [
        tags_row(ORIGINAL, "NUHLibrary", "Our first Peer Assist #KNOWvember19")])
    assert run_import(sqlite_db, "tags", tags).new == 1
    quote = _archived("1191672311587868690", "Well worth a read 👇 https://t.co/AbCdEf")
    quote["tweet"]["entities"]["urls"] = [link(ORIGINAL)]
    own_link = _archived("1191672311587868695", "Our thread #KNOWvember19 https://t.co/x")
    own_link["tweet"]["entities"]["urls"] = [link("1191672311587868695", "UHL_Library")]
    site = _archived("1191672311587868700", "Slides #KNOWvember19 https://t.co/y")
    site["tweet"]["entities"]["urls"] = [{"url": "https://t.co/y",
                                          "expanded_url": "https://www.uhl-library.nhs.uk/km"}]
    retweet = _archived("1191672311587868710",
                        "RT @NUHLibrary: Our first Peer Assist #KNOWvember19")
    retweet["tweet"]["entities"]["urls"] = [link(ORIGINAL)]
    path = _archive(tmp_path / "data", [quote, own_link, site, retweet])
    record = run_import(sqlite_db, "twarc2", path)
    assert (record.status, record.new, record.skipped) == ("ok", 4, 0), record.error
    posts = stored(sqlite_db)
    assert posts["1191672311587868690"].kind == "quote"
    assert posts["1191672311587868690"].referenced_id == ORIGINAL
    assert posts["1191672311587868695"].kind == "original"  # its own link: no quote
    assert posts["1191672311587868700"].kind == "original"
    assert posts["1191672311587868710"].kind == "repost"


def test_a_tags_sheet_re_saved_with_iso_times_is_dated_by_created_at_not_time(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`time` is the sheet's own time zone and locale: a US sheet re-saved by R or pandas
    (created_at ISO, time 11/01/2019 03:02:03) was dated by `time`, read day first: 11
    January, out of the campaign."""
    import datetime as dt

    path = write_csv(tmp_path / "tidytags.csv", TAGS_HEADER, [
        tags_row(ORIGINAL, "UHL_Library", "Peer assist #KNOWvember19",
                 created_at="2019-11-01T08:02:03Z", time="11/01/2019 03:02:03")])
    record = run_import(sqlite_db, "tags", path)
    assert (record.status, record.new) == ("ok", 1), record.error
    created = stored(sqlite_db)[ORIGINAL].created_at
    assert created.replace(tzinfo=dt.UTC) == dt.datetime(2019, 11, 1, 8, 2, 3, tzinfo=dt.UTC)
