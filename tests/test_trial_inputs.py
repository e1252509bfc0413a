"""Archives and form exports as librarians have them: saved by Notepad or Excel, re-exported
by other tools, pretty-printed by a browser. Each is read correctly, or refused naming the
file, line and field."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.errors import InputError
from tests.conftest import BASE_CONFIG, FIXTURES
from tests.conftest import stored_posts as stored
from tests.test_import_files import TAGS_HEADER, tags_row

ID_KEYS = ("id", "author_id", "conversation_id", "in_reply_to_user_id", "newest_id",
           "oldest_id")


def run_import(db, fmt: str, *paths: Path):  # type: ignore[no-untyped-def]
    return ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, list(paths),
                               ingest.Hooks(lock_wait=0))


def campaign_page() -> dict:  # type: ignore[type-arg]
    """The recorded two-tweet page with its hashtag changed to the campaign's."""
    text = (FIXTURES / "twitter_search_all_1.json").read_text(encoding="utf-8")
    return json.loads(text.replace("POIUYTREWQ", "KNOWvember19"))  # type: ignore[no-any-return]


def numbers_for_ids(value):  # type: ignore[no-untyped-def]
    """A page as some re-exports write it: every id a JSON number."""
    if isinstance(value, dict):
        return {k: int(v) if k in ID_KEYS and isinstance(v, str) and v.isdigit()
                else numbers_for_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [numbers_for_ids(v) for v in value]
    return value


# -- JSON archives ------------------------------------------------------------------------


def test_twarc2_jsonl_saved_with_a_bom_reads_its_first_line(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "knowvember19.jsonl"
    path.write_text(json.dumps(campaign_page()) + "\n", encoding="utf-8-sig")
    (run,) = run_import(sqlite_db, "twarc2", path).runs
    assert run.status == "ok", run.error
    assert len(stored(sqlite_db)) == 2


def test_pretty_printed_mastodon_page_saved_with_a_bom_is_one_document(
        sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = json.loads((FIXTURES / "mastodon_tag_timeline_4.json").read_text(encoding="utf-8"))
    for status in page:
        status["content"] += " #KNOWvember19"
        status["tags"] = [{"name": "KNOWvember19", "url": "http://localhost/tags/KNOWvember19"}]
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(page, indent=2), encoding="utf-8-sig")
    outcome = run_import(sqlite_db, "mastodon", path)
    assert outcome.error_count == 0, outcome.line_errors
    assert outcome.runs[0].new == 10


def test_an_error_in_a_pretty_printed_document_names_its_line(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = json.dumps(campaign_page(), indent=2).splitlines()
    lines[10] += " oops"
    path = tmp_path / "page.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = run_import(sqlite_db, "twarc2", path)
    assert outcome.line_errors[0].startswith(f"{path}:11: not valid JSON")


def test_twarc2_page_with_ids_as_numbers_reads_them_as_strings(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = campaign_page()
    path = tmp_path / "reexport.jsonl"
    path.write_text(json.dumps(numbers_for_ids(page)) + "\n", encoding="utf-8")
    outcome = run_import(sqlite_db, "twarc2", path)
    assert outcome.error_count == 0, outcome.line_errors
    assert set(stored(sqlite_db)) == {t["id"] for t in page["data"] + page["includes"]["tweets"]}


def test_flattened_tweets_with_ids_as_numbers_read_them_as_strings(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = campaign_page()
    users = {u["id"]: u for u in page["includes"]["users"]}
    flat = [{**t, "author": users[t["author_id"]]} for t in page["includes"]["tweets"]]
    path = tmp_path / "flat.jsonl"
    path.write_text("".join(json.dumps(numbers_for_ids(t)) + "\n" for t in flat),
                    encoding="utf-8")
    outcome = run_import(sqlite_db, "twarc2", path)
    assert outcome.error_count == 0, outcome.line_errors
    assert set(stored(sqlite_db)) == {t["id"] for t in flat}


# -- CSV archives -------------------------------------------------------------------------


def write_rows(path: Path, header: list[str], rows: list[list[str]], *,
               encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tags_rows(*rows: dict[str, str]) -> list[list[str]]:
    return [[row[c] for c in TAGS_HEADER] for row in rows]


def test_tags_sheet_saved_by_excel_as_windows_1252(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = "Peer Assist at the Trust’s café – #KNOWvember19"
    path = write_rows(tmp_path / "TAGS.csv", TAGS_HEADER,
                      tags_rows(tags_row("1191672311587868672", "UHLLibraries", text)),
                      encoding="cp1252")
    (run,) = run_import(sqlite_db, "tags", path).runs
    assert run.status == "ok", run.error
    assert stored(sqlite_db)["1191672311587868672"].text == text


def test_generic_csv_saved_by_excel_with_uk_dates_and_windows_1252(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ["platform", "id", "author_handle", "created_at", "text"]
    rows = [["x", "1191672311587868672", "@UHLLibraries", "05/11/2019 09:30", "Café #KNOWvember19"],
            ["x", "1191672311587868673", "@UHLLibraries", "13/11/2019 14:05:10", "#KNOWvember19"],
            ["x", "1191672311587868674", "@UHLLibraries", "14/11/2019", "#KNOWvember19"]]
    path = write_rows(tmp_path / "posts.csv", header, rows, encoding="cp1252")
    (run,) = run_import(sqlite_db, "csv", path).runs
    assert run.status == "ok", run.error
    posts = stored(sqlite_db)
    assert posts["1191672311587868672"].text == "Café #KNOWvember19"
    assert [posts[i].created_at.strftime("%Y-%m-%d %H:%M:%S") for i in sorted(posts)] == [
        "2019-11-05 09:30:00", "2019-11-13 14:05:10", "2019-11-14 00:00:00"]


def test_a_second_column_of_the_same_name_does_not_hide_the_first(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ["platform", "id", "author_handle", "created_at", "text", "Text"]
    rows = [["x", "1191672311587868672", "@UHLLibraries", "2019-11-05", "#KNOWvember19", ""]]
    path = write_rows(tmp_path / "posts.csv", header, rows)
    (run,) = run_import(sqlite_db, "csv", path).runs
    assert (run.status, run.new, run.skipped) == ("ok", 1, 0)
    assert stored(sqlite_db)["1191672311587868672"].text == "#KNOWvember19"


def test_tags_follower_counts_with_thousands_separators(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    row = tags_row("1191672311587868672", "UHLLibraries", "#KNOWvember19",
                   user_followers_count="2,345")
    path = write_rows(tmp_path / "TAGS.csv", TAGS_HEADER, tags_rows(row))
    (run,) = run_import(sqlite_db, "tags", path).runs
    assert (run.status, run.new) == ("ok", 1), run.error


def test_tags_time_as_excel_saves_it_without_seconds(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    row = tags_row("1191672311587868672", "UHLLibraries", "#KNOWvember19",
                   created_at="05/11/2019 09:30", time="05/11/2019 09:30")
    path = write_rows(tmp_path / "TAGS.csv", TAGS_HEADER, tags_rows(row))
    (run,) = run_import(sqlite_db, "tags", path).runs
    assert run.status == "ok", run.error
    assert stored(sqlite_db)["1191672311587868672"].created_at.day == 5


def test_tags_ids_rounded_by_excel_are_taken_from_status_url(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = ("1191672311587868672", "1191672311587869999")
    rows = [tags_row(tid, "UHLLibraries", "#KNOWvember19", id_str="1191672311587870000")
            for tid in ids]
    path = write_rows(tmp_path / "TAGS.csv", TAGS_HEADER, tags_rows(*rows))
    (run,) = run_import(sqlite_db, "tags", path).runs
    assert (run.status, run.new) == ("ok", 2)
    assert set(stored(sqlite_db)) == set(ids)


def test_generic_csv_id_that_disagrees_with_its_url_is_reported(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ["platform", "id", "author_handle", "created_at", "text", "url"]
    rows = [["x", "1191672311587870000", "@UHLLibraries", "2019-11-05", "#KNOWvember19",
             "https://x.com/UHLLibraries/status/1191672311587868672"]]
    path = write_rows(tmp_path / "posts.csv", header, rows)
    outcome = run_import(sqlite_db, "csv", path)
    assert outcome.runs[0].status == "failed"
    assert outcome.line_errors[0].startswith(f"{path}:2: id '1191672311587870000' is not")
    assert stored(sqlite_db) == {}


def test_a_semicolon_separated_csv_is_refused_saying_so(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ["platform", "id", "author_handle", "created_at", "text"]
    rows = [["x", "1191672311587868672", "@UHLLibraries", "2019-11-05", "#KNOWvember19"]]
    path = write_rows(tmp_path / "posts.csv", header, rows, delimiter=";")
    (run,) = run_import(sqlite_db, "csv", path).runs
    assert run.status == "failed"
    assert "not separated by commas" in run.error


# -- story form exports -------------------------------------------------------------------


def test_form_headers_match_the_mapping_ignoring_every_space(campaign_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from collectors.forms import read_form_export

    settings = parse_settings(BASE_CONFIG + '\n[stories.form_columns]\nbody = "What happened?"\n'
                              'consent = "May we publish your story?"\n',
                              campaign_dir / "campaign.toml")
    header = ["ID", "Completion time", "Email", "Name", "TITLE", "What happened ?",
              "May we publish\u00a0your story ?"]
    row = ["1", "05/11/2019 10:31:22", "jane@nhs.net", "Jane", "Coffee trials", "We met",
           "Yes"]
    path = write_rows(tmp_path / "forms.csv", header, [row])
    export = read_form_export(path, settings)
    assert export.errors == []
    assert export.stories[0].input.body == "We met"


# -- defects outside the importers (recorded, not fixed here) -----------------------------


def test_importing_a_folder_says_it_is_a_folder(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(InputError) as caught:
        run_import(sqlite_db, "twarc2", folder)
    message = str(caught.value).replace(str(folder), "PATH")
    assert "folder" in message or "directory" in message


def test_a_utf16_csv_is_refused_saying_so(sqlite_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ["platform", "id", "author_handle", "created_at", "text"]
    rows = [["x", "1191672311587868672", "@UHLLibraries", "2019-11-05", "#KNOWvember19"]]
    path = write_rows(tmp_path / "posts.csv", header, rows, encoding="utf-16")
    (run,) = run_import(sqlite_db, "csv", path).runs
    assert (run.status, run.error) == ("failed", f"{path}: the file is UTF-16 text (Excel's "
                                       "\"Unicode Text\"); save it as \"CSV UTF-8\" or "
                                       "\"CSV (Comma delimited)\"")
