"""`knowvember import tags|csv|mastodon|bluesky`: TAGS sheets, the generic CSV, saved API
responses; bad rows named by file and line, nothing half-written, re-imports add nothing."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import open_database
from knowvember.errors import EXIT_FAILED, EXIT_PARTIAL, EXIT_USAGE, InputError
from knowvember.models import Account
from tests.conftest import BASE_CONFIG
from tests.conftest import stored_posts as posts
from tests.fakeapi import FIXTURES, bluesky_post, mastodon_account, mastodon_id, mastodon_status

TAGS_HEADER = ["id_str", "from_user", "text", "created_at", "time", "geo_coordinates",
               "user_lang", "in_reply_to_user_id_str", "in_reply_to_screen_name",
               "from_user_id_str", "in_reply_to_status_id_str", "source", "profile_image_url",
               "user_followers_count", "user_friends_count", "status_url", "entities_str"]


def tags_row(tid: str, user: str, text: str, **extra: str) -> dict[str, str]:
    row = dict.fromkeys(TAGS_HEADER, "")
    row.update(id_str=tid, from_user=user, text=text,
               created_at="Tue Nov 05 09:30:00 +0000 2019", time="05/11/2019 09:30:00",
               from_user_id_str="42", user_followers_count="321",
               status_url=f"http://twitter.com/{user}/statuses/{tid}", user_lang="en")
    row.update(extra)
    return row


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_import(db, fmt: str, *paths: Path):  # type: ignore[no-untyped-def]
    return ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, list(paths),
                               ingest.Hooks(lock_wait=0))


# -- TAGS ---------------------------------------------------------------------------------


def test_tags_sheet_imports_with_ids_recovered_and_bad_rows_named(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    entities = json.dumps({"hashtags": [{"text": "KNOWvember19"}],
                           "user_mentions": [{"screen_name": "NHS_HEE_KfH"}]})
    rows = [
        tags_row("1191672311587868672", "UHLLibraries",
                 "Peer Assist today @NHS_HEE_KfH #KNOWvember19", entities_str=entities),
        # Opened in Excel: the id became a number; the status URL still has it.
        tags_row("1.19167E+18", "UHLLibraries", "Knowledge Cafe #KNOWvember19",
                 status_url="http://twitter.com/UHLLibraries/statuses/1191672311587868999"),
        tags_row("1191672311587869000", "UHLLibraries", "no date #KNOWvember19",
                 created_at="yesterday", time="soon"),
        tags_row("1191672311587869001", "Someone", "RT @UHLLibraries: Peer Assist today "
                 "#KNOWvember19"),
        tags_row("1191672311587869002", "Other", "Thanks!",
                 in_reply_to_status_id_str="1191672311587868672"),
        tags_row("1191672311587869003", "Other", "Off topic #brexit"),
    ]
    path = write_csv(tmp_path / "TAGS - Archive.csv", TAGS_HEADER, rows)
    outcome = run_import(db, "tags", path)
    (run,) = outcome.runs
    assert run.status == "partial" and outcome.exit_code == EXIT_PARTIAL
    assert outcome.line_errors == [f"{path}:4: created_at 'yesterday' is not a date like "
                                   "'Fri Nov 01 08:02:03 +0000 2019'"]
    stored = posts(db)
    assert set(stored) == {"1191672311587868672", "1191672311587868999",
                           "1191672311587869001", "1191672311587869002"}
    assert stored["1191672311587869001"].kind == "repost"
    assert stored["1191672311587869002"].kind == "reply"
    assert stored["1191672311587868672"].mentions == "@nhs_hee_kfh"
    assert run.skipped == 1
    again = run_import(db, "tags", path)
    assert again.runs[0].new == 0 and len(posts(db)) == 4


def test_a_tags_file_without_its_columns_is_refused_before_anything_is_written(
        sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "wrong.csv"
    path.write_text("tweet,who\n1,me\n", encoding="utf-8")
    (run,) = run_import(sqlite_db, "tags", path).runs
    assert run.status == "failed"
    assert run.error.startswith(f"{path}:1: missing column(s) id_str, from_user")
    assert posts(sqlite_db) == {}


def test_an_archive_row_does_not_erase_a_fuller_profile(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from knowvember.hashtags import CampaignTags
    from knowvember.records import AccountRecord, PostRecord
    from knowvember.store import PostWriter

    # An earlier archive's profile (2019-11-04): the sheet's row (11-05) is newer. (A live
    # collection's profile is newer than any 2019 row: the sheet would only fill gaps.)
    PostWriter(sqlite_db, CampaignTags(["KNOWvember19"]), source="x", archive=True).write(
        [PostRecord("x", "1191672311587860000", "42", dt.datetime(2019, 11, 4, tzinfo=dt.UTC),
                    "#KNOWvember19", hashtags=("knowvember19",))],
        [AccountRecord("x", "42", "@uhllibraries", "42", "UHL Libraries",
                       "Library and Knowledge Service, University Hospitals of Leicester", 900)])
    path = write_csv(tmp_path / "tags.csv", TAGS_HEADER,
                     [tags_row("1191672311587868672", "UHLLibraries", "#KNOWvember19")])
    run_import(sqlite_db, "tags", path)
    with sqlite_db.session() as session:
        account = session.scalars(sa.select(Account)).one()
        assert account.bio.startswith("Library and Knowledge Service")
        assert account.display_name == "UHL Libraries"
        assert account.followers == 321  # what the sheet knew is still applied


# -- the generic CSV ----------------------------------------------------------------------

CSV_HEADER = ["platform", "id", "author_handle", "created_at", "text", "url", "likes",
              "reposts", "replies", "quotes", "author_name"]


def test_generic_csv_rows_from_several_platforms(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"platform": "twitter", "id": "1191672311587868672", "author_handle": "UHLLibraries",
         "created_at": "2019-11-05T09:30:00Z", "text": "Peer Assist #KNOWvember19",
         "likes": "4", "reposts": "2", "author_name": "UHL Libraries"},
        {"platform": "mastodon", "id": "https://nhs.social/users/lib/statuses/1",
         "author_handle": "@lib@nhs.social", "created_at": "2019-11-06 10:00:00",
         "text": "Knowledge Cafe #knowvember19", "url": "https://nhs.social/@lib/1"},
        {"platform": "bluesky", "id": "at://did:plc:abc/app.bsky.feed.post/3k1",
         "author_handle": "lib.bsky.social", "created_at": "2019-11-07",
         "text": "Retrospect #KNOWVEMBER"},
        {"platform": "myspace", "id": "7", "author_handle": "x", "created_at": "2019-11-07",
         "text": "#KNOWvember"},
        {"platform": "x", "id": "1.19E+18", "author_handle": "x", "created_at": "2019-11-07",
         "text": "#KNOWvember"},
        {"platform": "x", "id": "1191672311587868673", "author_handle": "x",
         "created_at": "2019-11-07", "text": "#KNOWvember", "likes": "lots"},
    ]
    path = write_csv(tmp_path / "posts.csv", CSV_HEADER, rows)
    outcome = run_import(db, "csv", path)
    assert outcome.exit_code == EXIT_PARTIAL
    assert [e.split(": ", 1)[0] for e in outcome.line_errors] == [
        f"{path}:5", f"{path}:6", f"{path}:7"]
    assert "platform" in outcome.line_errors[0] and "likes" in outcome.line_errors[2]
    stored = posts(db)
    assert {p.platform for p in stored.values()} == {"x", "mastodon", "bluesky"}
    assert stored["1191672311587868672"].likes == 4
    assert "window" in outcome.runs[0].details and "platform" not in outcome.runs[0].details
    assert run_import(db, "csv", path).runs[0].new == 0


def test_generic_csv_without_required_columns_is_refused(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "posts.csv", ["id", "text"], [{"id": "1", "text": "x"}])
    (run,) = run_import(sqlite_db, "csv", path).runs
    assert run.status == "failed" and "platform" in run.error and "author_handle" in run.error


def test_the_cli_refuses_a_missing_file_clearly(cli, write_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_config()
    result = cli("import", "csv", str(tmp_path / "nope.csv"))
    assert result.exit_code == EXIT_USAGE == InputError.exit_code
    assert "nope.csv: no such file" in " ".join(result.stderr.split())
    assert not (tmp_path / "knowvember.db").exists()  # refused before anything was opened


def test_the_cli_calls_a_folder_a_folder(cli, write_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_config()
    (tmp_path / "exports").mkdir()
    result = cli("import", "twarc2", str(tmp_path / "exports"))
    assert result.exit_code == EXIT_USAGE
    assert "exports: is a folder" in " ".join(result.stderr.split())
    assert not (tmp_path / "knowvember.db").exists()


# -- saved Mastodon and Bluesky responses -------------------------------------------------

FIXTURE_TAGS = BASE_CONFIG.replace(
    'hashtags = ["KNOWvember2019", "KNOWvember19", "KNOWvember"]',
    'hashtags = ["KNOWvember", "KITM", "fgiztsshwiaqqiztpmmjbtvmescsculuvmgjgopwoeidbcrixp"]')


def test_saved_mastodon_and_bluesky_responses_import(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = parse_settings(FIXTURE_TAGS)
    db = open_database(settings, url=db_url)
    hooks = ingest.Hooks(lock_wait=0)
    # The recorded pages as they are (whole JSON documents), and as JSONL pages.
    whole = [FIXTURES / f"mastodon_tag_timeline_{n}.json" for n in (4, 5)]
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_bytes(b"\n".join((FIXTURES / f"mastodon_tag_timeline_{n}.json").read_bytes()
                                 for n in (6, 7)) + b"\n")
    outcome = ingest.import_files(db, settings, "mastodon", [*whole, jsonl], hooks)
    assert [r.status for r in outcome.runs] == ["ok", "ok", "ok"]
    assert sum(r.new for r in outcome.runs) == 30
    bluesky = ingest.import_files(db, settings, "bluesky",
                                  [FIXTURES / "bluesky_search_posts_2.json"], hooks)
    (run,) = bluesky.runs
    assert run.status == "ok" and run.fetched == 23
    assert run.new >= 1 and run.skipped == 23 - 1  # only the #KITM post is on-campaign
    again = ingest.import_files(db, settings, "bluesky",
                                [FIXTURES / "bluesky_search_posts_2.json"], hooks)
    assert again.runs[0].new == 0
    db.dispose()


def test_mastodon_statuses_from_several_instances_are_one_post(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    created = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
    home = "https://nhs.social"
    person = mastodon_account("lib", home, note="Library team")
    status = mastodon_status(mastodon_id(created), home, 1,
                             "<p>Peer Assist <a>#<span>KNOWvember19</span></a></p>",
                             ["KNOWvember19"], person, created)
    remote = json.loads(json.dumps(status))
    remote["id"] = mastodon_id(created, 99)
    remote["account"].update(id="555", acct="lib@nhs.social")
    path = tmp_path / "pages.jsonl"
    path.write_bytes(orjson.dumps([status]) + b"\n" + orjson.dumps([remote]) + b"\n"
                     + b"[{broken\n")
    outcome = run_import(sqlite_db, "mastodon", path)
    assert outcome.exit_code == EXIT_PARTIAL and outcome.line_errors[0].startswith(
        f"{path}:3:")
    assert len(posts(sqlite_db)) == 1
    with sqlite_db.session() as session:
        (account,) = session.scalars(sa.select(Account)).all()
        assert account.handle == "@lib@nhs.social" and account.bio == "Library team"


def test_bluesky_jsonl_of_search_responses(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    created = dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
    pages = [{"posts": [bluesky_post(f"3k{n}{i}", "did:plc:lib", "lib.bsky.social",
                                     f"Knowledge Cafe {n}{i} #KNOWvember19", created)
                        for i in range(3)], "cursor": str(n)} for n in range(2)]
    path = tmp_path / "bsky.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(p) for p in pages) + b'\n{"nothing": 1}\n')
    outcome = run_import(sqlite_db, "bluesky", path)
    assert outcome.runs[0].new == 6
    assert outcome.line_errors == [f"{path}:3: not a Bluesky searchPosts response (expected "
                                   "an object with `posts`)"]


@pytest.mark.parametrize("fmt", ["mastodon", "bluesky"])
def test_a_file_that_is_not_json_at_all_is_refused_line_by_line(sqlite_db, tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n", encoding="utf-8")
    outcome = run_import(sqlite_db, fmt, path)
    assert outcome.runs[0].status == "failed" and outcome.error_count == 2


@pytest.mark.parametrize(("fmt", "content"), [
    ("mastodon", b"[]"), ("mastodon", b"[]\n[]\n"), ("bluesky", b'{"posts": [], "cursor": null}'),
    ("twarc2", b'{"data": []}')])
def test_the_cli_says_a_page_of_no_results_has_none_and_exits_0(cli, write_config, tmp_path, fmt,
                                                                content) -> None:  # type: ignore[no-untyped-def]
    write_config()
    path = tmp_path / "saved.json"
    path.write_bytes(content)
    result = cli("import", fmt, str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    (run,) = json.loads(result.stdout)
    assert (run["status"], run["fetched"], run["error"]) == ("ok", 0, None)
    assert run["details"]["warnings"] == [f"{path}: no posts in the file (an empty page of "
                                          "results)"]


@pytest.mark.parametrize("fmt", ["mastodon", "bluesky", "twarc2"])
def test_the_cli_says_an_empty_file_is_empty_and_fails(cli, write_config, tmp_path, fmt) -> None:  # type: ignore[no-untyped-def]
    write_config()
    path = tmp_path / "saved.json"
    path.write_bytes(b"")
    result = cli("import", fmt, str(path), "--format", "json")
    assert result.exit_code == EXIT_FAILED, result.stderr
    (run,) = json.loads(result.stdout)
    assert run["status"] == "failed" and run["fetched"] == 0
    assert run["error"] == f"{path}: the file is empty (no posts to import)"


def test_a_folder_of_mastodon_pages_ending_in_the_empty_last_page_imports_with_exit_0(
        cli, write_config) -> None:  # type: ignore[no-untyped-def]
    """The recorded pages 4-7 of one tag timeline: the last page is `[]`, as Mastodon ends."""
    write_config(base=FIXTURE_TAGS)
    pages = [str(FIXTURES / f"mastodon_tag_timeline_{n}.json") for n in (4, 5, 6, 7)]
    result = cli("import", "mastodon", *pages)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and all(": ok, " in line for line in lines)
    assert lines[-1].endswith(f"{pages[-1]}: ok, 0 read, 0 new, 0 updated, 0 skipped "
                              f"off-campaign - note: {pages[-1]}: no posts in the file (an "
                              "empty page of results)")


@pytest.mark.parametrize("fmt, header", [("csv", CSV_HEADER), ("tags", TAGS_HEADER)])
def test_a_csv_file_with_a_header_and_no_rows_fails_naming_the_file(
        cli, write_config, tmp_path, fmt, header) -> None:  # type: ignore[no-untyped-def]
    write_config()
    path = write_csv(tmp_path / "export.csv", header, [])
    result = cli("import", fmt, str(path), "--format", "json")
    assert result.exit_code == EXIT_FAILED, result.stderr
    (run,) = json.loads(result.stdout)
    assert run["status"] == "failed" and run["fetched"] == 0
    assert run["error"] == (f"{path}: no posts in the file (a header row, but no rows "
                            "under it: an empty export?)")
