"""The ninth trial of X archives, as a new coordinator met them: the files people hold after
a campaign (a TAGS sheet that went through R or pandas, twarc2 files of accounts or counts
given for tweets, an X account archive's tweets.js, ...)."""

from __future__ import annotations

import datetime as dt
import json
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


# -- an X account archive's tweets.js ------------------------------------------------------


ACCOUNT_JS = """window.YTD.account.part0 = [
  {
    "account" : {
      "email" : "library@uhl-tr.nhs.uk",
      "createdVia" : "web",
      "username" : "UHL_Library",
      "accountId" : "2837462",
      "createdAt" : "2012-03-05T10:00:00.000Z",
      "accountDisplayName" : "UHL Libraries"
    }
  }
]"""


def _archived(tid: str, text: str, **extra: object) -> dict:  # type: ignore[type-arg]
    tags = [{"text": t, "indices": ["0", "1"]} for t in ("KNOWvember19",) if f"#{t}" in text]
    return {"tweet": {"retweeted": False, "source": "<a href=\"https://mobile.twitter.com\">Web</a>",
                      "entities": {"hashtags": tags, "symbols": [], "user_mentions": [],
                                   "urls": []},
                      "display_text_range": ["0", str(len(text))], "favorite_count": "4",
                      "id_str": tid, "truncated": False, "retweet_count": "2", "id": tid,
                      "created_at": "Tue Nov 05 09:30:00 +0000 2019", "favorited": False,
                      "full_text": text, "lang": "en", **extra}}


def _archive(folder: Path, items: list[dict], account: bool = True,  # type: ignore[type-arg]
             var: str = "tweets") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if account:
        (folder / "account.js").write_text(ACCOUNT_JS, encoding="utf-8")
    path = folder / "tweets.js"
    path.write_text(f"window.YTD.{var}.part0 = " + json.dumps(items, indent=2),
                    encoding="utf-8")
    return path


def test_an_x_account_archives_tweets_are_read_as_the_accounts_posts(sqlite_db, tmp_path: Path
                                                                    ) -> None:  # type: ignore[no-untyped-def]
    """The free account archive ("Download an archive of your data") is how a library can
    have its own posts of a campaign X's paid API no longer reaches: its tweets.js was
    refused ("which no import reads"). Read as v1.1 tweets by the account.js account."""
    edited = {"edit_info": {"edit": {"initialTweetId": "1191672311587868672",
                                     "editControlInitial": {"editTweetIds": [
                                         "1191672311587868672", "1191672311587868680"]}}}}
    path = _archive(tmp_path / "data", [
        _archived("1191672311587868680", "Peer assist session #KNOWvember19", **edited),
        _archived("1191672311587868690", "RT @NHS_HEE_KfH: Day 5 of #KNOWvember19 is…"),
        _archived("1191672311587868700", "@NUHLibrary lovely idea #KNOWvember19",
                  in_reply_to_status_id_str="1191672311587868000",
                  in_reply_to_screen_name="NUHLibrary"),
        _archived("1191672311587868710", "Off topic"),
    ])
    record = run_import(sqlite_db, "twarc2", path)
    assert (record.status, record.new, record.skipped) == ("ok", 3, 1), record.error
    posts = stored(sqlite_db)
    assert {t: p.kind for t, p in posts.items()} == {
        "1191672311587868680": "original", "1191672311587868690": "repost",
        "1191672311587868700": "reply"}
    first = posts["1191672311587868680"]
    assert (first.likes, first.reposts) == (4, 2)
    assert first.url == "https://x.com/UHL_Library/status/1191672311587868680"
    assert first.account_id is not None
    again = run_import(sqlite_db, "twarc2", path)
    assert (again.status, again.new, again.updated) == ("ok", 0, 0)


def test_an_older_archives_tweet_js_of_bare_tweets_is_read(sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _archive(tmp_path / "data", [_archived("1191672311587868680", "#KNOWvember19 café")
                                        ["tweet"]], var="tweet")
    record = run_import(sqlite_db, "twarc2", path)
    assert (record.status, record.new) == ("ok", 1), record.error


def test_tweets_js_without_its_account_js_is_refused_naming_it(sqlite_db, tmp_path: Path
                                                              ) -> None:  # type: ignore[no-untyped-def]
    path = _archive(tmp_path, [_archived("1191672311587868680", "#KNOWvember19")],
                    account=False)
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "failed"
    assert "account.js" in record.error and str(tmp_path / "account.js") in record.error
    assert stored(sqlite_db) == {}


@pytest.mark.parametrize(("fmt", "name", "said"), [
    ("twarc2", "like.js", "that holds no tweets; `knowvember import twarc2` reads the archive's "
     "tweets.js"),
    ("mastodon", "tweets.js", "`knowvember import twarc2` reads it"),
])
def test_other_account_archive_files_name_the_import_for_tweets_js(
        sqlite_db, tmp_path: Path, fmt: str, name: str, said: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    var = name.removesuffix(".js")
    path.write_text(f'window.YTD.{var}.part0 = [\n  {{"{var}": {{"tweetId": "1"}}}}\n]\n',
                    encoding="utf-8")
    record = run_import(sqlite_db, fmt, path)
    assert record.status == "failed"
    assert said in (record.error or ""), record.error


@pytest.mark.parametrize(("created_at", "time"), [
    ("2019-11-05T09:30:00Z", "NA"), ("2019-11-05T09:30:00.000Z", ""),
    ("yesterday", "2019-11-05T09:30:00Z"), ("2019-11-05 09:30:00+00:00", ""),
])
def test_a_tags_time_written_back_as_iso_8601_is_read(sqlite_db, tmp_path: Path,
                                                      created_at: str, time: str) -> None:  # type: ignore[no-untyped-def]
    """R (tidytags, rtweet) and pandas write times back as ISO 8601: each row failed as
    "created_at '2019-11-05T09:30:00Z' is not a date like 'Fri Nov 01 08:02:03 +0000 2019'"."""
    path = write_csv(tmp_path / "tags.csv", TAGS_HEADER, [
        tags_row("1191672311587868672", "UHL_Library", "#KNOWvember19", created_at=created_at,
                 time=time)])
    record = run_import(sqlite_db, "tags", path)
    assert (record.status, record.new) == ("ok", 1), record.error
    (post,) = stored(sqlite_db).values()
    assert post.created_at.replace(tzinfo=None) == dt.datetime(2019, 11, 5, 9, 30)


def test_a_saved_v1_search_response_reads_its_statuses(sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A 2018-2019 script saved each `GET search/tweets` response whole, its tweets under
    `statuses`: every line was "not a twarc2 line"."""
    user = {"id": 2837462, "id_str": "2837462", "screen_name": "STH_Library",
            "name": "Sheffield Teaching Hospitals Library", "followers_count": 1534}
    statuses = [{"created_at": "Fri Nov 02 11:00:00 +0000 2018", "id": 1058300000000000000 + i,
                 "id_str": str(1058300000000000000 + i), "full_text": f"Knowledge café {i} "
                 "#KNOWvember19", "entities": {"hashtags": [{"text": "KNOWvember19"}]},
                 "user": user, "retweet_count": 1, "favorite_count": 2} for i in range(3)]
    response = {"statuses": statuses, "search_metadata": {
        "completed_in": 0.05, "max_id": 1058300000000000002, "count": 100,
        "query": "%23KNOWvember19", "since_id": 0}}
    path = tmp_path / "search_2018-11-02.json"
    path.write_bytes(orjson.dumps(response, option=orjson.OPT_INDENT_2))
    record = run_import(sqlite_db, "twarc2", path)
    assert (record.status, record.new) == ("ok", 3), record.error
    assert {p.url for p in stored(sqlite_db).values()} == {
        f"https://x.com/STH_Library/status/{1058300000000000000 + i}" for i in range(3)}


def test_an_author_id_excel_cut_to_15_digits_is_not_taken_for_the_account(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Excel keeps 15 digits of a number: a newer account's 19-digit id came back as
    1191672311587870000 and was stored as the account's X id, which no later collection
    of the same account matches."""
    from knowvember.models import Account

    path = write_csv(tmp_path / "tags.csv", TAGS_HEADER, [
        tags_row("1191672311587868672", "NewTrustLibrary", "#KNOWvember19",
                 from_user_id_str="1191672311587870000")])
    record = run_import(sqlite_db, "tags", path)
    assert (record.status, record.new) == ("ok", 1), record.error
    with sqlite_db.session() as session:
        (account,) = session.query(Account).all()
        assert account.platform_user_id is None and account.handle == "@newtrustlibrary"


@pytest.mark.parametrize("fmt", ["twarc2", "mastodon", "bluesky"])
def test_a_workbook_given_to_a_json_import_is_named_a_workbook_not_a_zip(
        sqlite_db, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """A TAGS sheet downloaded as Excel and given to `import twarc2` was "a ZIP archive,
    not JSON: unzip it", which leads nowhere (an .xlsx is a ZIP inside)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id_str", "from_user", "text", "created_at"])
    path = tmp_path / "TAGS KNOWvember19.xlsx"
    book.save(path)
    record = run_import(sqlite_db, fmt, path)
    assert record.status == "failed"
    assert "a spreadsheet workbook, not JSON" in record.error, record.error
    assert "import tags" in record.error and "unzip" not in record.error
