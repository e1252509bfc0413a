"""Form export import: Microsoft Forms XLSX and Google Forms CSV, the column mapping, good and
bad rows with row numbers, and re-imports that add nothing (even after an erasure)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from collectors.forms import (
    import_form_export,
    parse_timestamp,
    read_form_export,
)
from knowvember.config import parse_settings
from knowvember.errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, InputError
from knowvember.stories import delete_story, get_story, list_stories
from tests.conftest import BASE_CONFIG

LONDON = ZoneInfo("Europe/London")

# Microsoft Forms: fixed columns first, then one column per question (its full text).
MS_HEADER = ["ID", "Start time", "Completion time", "Email", "Name",
             "Title of your story", "What happened?", "What was the outcome?",
             "Which techniques did you use?", "Your organisation", "Links",
             "May we publish your story?", "Your role"]
MS_MAPPING = """
[stories.form_columns]
title = "Title of your story"
body = "What happened?"
outcome = "What was the outcome?"
techniques = "Which techniques did you use?"
organisation = "Your organisation"
consent = "May we publish your story?"
role = "Your role"
"""


def ms_row(n: int, **changes: Any) -> list[Any]:
    values: dict[str, Any] = {
        "ID": n, "Start time": dt.datetime(2019, 11, 4 + n, 10, 0),
        "Completion time": dt.datetime(2019, 11, 4 + n, 10, 12),
        "Email": f"person{n}@nhs.net", "Name": f"Person {n}",
        "Title of your story": f"Story number {n}",
        "What happened?": "We ran an After Action Review with F1 doctors.",
        "What was the outcome?": "Teaching changed.",
        "Which techniques did you use?": "After Action Review;Peer Assist;",
        "Your organisation": "RWE", "Links": "https://example.org/a",
        "May we publish your story?": "Yes", "Your role": "Librarian",
    }
    values.update(changes)
    return [values[h] for h in MS_HEADER]


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[Any]], *,
              encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def ms_settings(campaign_dir: Path):  # type: ignore[no-untyped-def]
    return parse_settings(BASE_CONFIG + MS_MAPPING, campaign_dir / "campaign.toml")


def test_microsoft_forms_xlsx_good_and_bad_rows_then_reimport(db, ms_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "KNOWvember stories.xlsx", MS_HEADER, [
        ms_row(1),
        ms_row(2, **{"Email": "not an email"}),
        ms_row(3, **{"May we publish your story?": None}),
        ms_row(4, **{"May we publish your story?": "No", "Links": "javascript:alert(1)"}),
        [None] * len(MS_HEADER),  # an empty row is not a response
        ms_row(5, **{"May we publish your story?": "No"}),
    ])
    result = import_form_export(db, ms_settings, path)
    assert (result.rows, result.imported, result.already_imported, result.failed) == (5, 2, 0, 3)
    assert result.status == "partial" and result.exit_code == EXIT_PARTIAL
    errors = {e.row: e.reason for e in result.errors}
    assert set(errors) == {3, 4, 5}  # spreadsheet rows: the header is row 1
    assert "email (Email): 'not an email' is not an email address" in errors[3]
    assert "consent (May we publish your story?): required" in errors[4]
    assert "not an http(s) link" in errors[5]

    first, fifth = (get_story(db, i) for i in result.story_ids)
    assert first.source == "form" and first.status == "submitted"
    assert first.title == "Story number 1" and first.role == "Librarian"
    assert first.chosen_techniques == ("After Action Review", "Peer Assist")
    assert first.links == ("https://example.org/a",)
    assert first.submitted_at == dt.datetime(2019, 11, 5, 10, 12, tzinfo=LONDON)
    assert first.consent is True and fifth.consent is False
    assert first.external_key == "form:knowvember19:id:1"

    again = import_form_export(db, ms_settings, path)
    assert (again.imported, again.already_imported, again.failed) == (0, 2, 3)
    assert len(list_stories(db)) == 2

    # A later export of the same form holds the old responses and new ones.
    path2 = write_xlsx(tmp_path / "later.xlsx", MS_HEADER, [ms_row(1), ms_row(5, **{
        "May we publish your story?": "No"}), ms_row(6)])
    later = import_form_export(db, ms_settings, path2)
    assert (later.imported, later.already_imported, later.failed) == (1, 2, 0)
    assert later.exit_code == EXIT_OK
    assert len(list_stories(db)) == 3


def test_google_forms_csv_without_response_ids(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ["Timestamp", "Email address", "name", "title", "body", "outcome", "techniques",
              "organisation", "links", "consent"]
    rows = [
        ["2019/11/05 10:31:22 AM GMT", "a@nhs.net", "Ann", "Coffee trials", "We paired staff.",
         "", "Randomised Coffee Trials, Knowledge Café", "Leicester", "", "Yes"],
        ["2019/11/06 2:05:00 PM GMT", "b@nhs.net", "Bob", "Peer assist", "We met.", "",
         "Peer Assist", "", "https://a.org https://b.org", "No"],
        ["2019/11/07 9:00:00 AM GMT", "c@nhs.net", "", "No name", "Body", "", "", "", "",
         "Yes"],
    ]
    path = write_csv(tmp_path / "responses.csv", header, rows)
    result = import_form_export(db, settings, path)
    assert (result.imported, result.failed) == (2, 1)
    assert result.errors[0].row == 4 and "name" in result.errors[0].reason
    ann, bob = (get_story(db, i) for i in result.story_ids)
    assert ann.submitted_at == dt.datetime(2019, 11, 5, 10, 31, 22, tzinfo=dt.UTC)
    assert ann.chosen_techniques == ("Randomised Coffee Trial", "Knowledge Café")
    assert bob.links == ("https://a.org", "https://b.org")
    assert ann.external_key and ann.external_key.startswith("form:knowvember19:sha256:")
    again = import_form_export(db, settings, path)
    assert (again.imported, again.already_imported) == (0, 2)


def test_reimport_does_not_bring_an_erased_story_back(db, ms_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "export.xlsx", MS_HEADER, [ms_row(1), ms_row(2)])
    first = import_form_export(db, ms_settings, path)
    delete_story(db, first.story_ids[0], reviewer="Ann")
    again = import_form_export(db, ms_settings, path)
    assert (again.imported, again.already_imported) == (0, 2)
    assert [s.title for s in list_stories(db)] == ["Story number 2"]


def test_form_name_keeps_two_forms_response_ids_apart(db, ms_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "export.xlsx", MS_HEADER, [ms_row(1)])
    assert import_form_export(db, ms_settings, path).imported == 1
    other = write_xlsx(tmp_path / "other.xlsx", MS_HEADER, [ms_row(1, **{
        "Title of your story": "A different form's response 1"})])
    assert import_form_export(db, ms_settings, other, form="events").imported == 1


def test_default_columns_cover_field_names_and_microsoft_forms(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Title", "Body",
              "Consent"]
    path = write_csv(tmp_path / "ms.csv", header, [
        ["7", "11/5/2019 10:00:00", "11/5/2019 10:20:00", "x@nhs.net", "X", "T", "B", "yes"],
        ["8", "11/25/2019 10:00:00", "11/25/2019 10:20:00", "y@nhs.net", "Y", "T2", "B", "no"],
    ])
    export = read_form_export(path, settings)
    assert export.columns["submitted_at"] == "Completion time"
    assert export.columns["id"] == "ID"
    assert not export.errors
    # "11/25/2019" can only be month-first, so the whole file is read month-first
    assert export.stories[0].submitted_at == dt.datetime(2019, 11, 5, 10, 20, tzinfo=LONDON)
    assert export.stories[1].submitted_at == dt.datetime(2019, 11, 25, 10, 20, tzinfo=LONDON)


def test_missing_required_columns_are_a_file_error(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "odd.csv", ["When", "Who", "What"], [["1", "2", "3"]])
    with pytest.raises(InputError) as caught:
        read_form_export(path, settings)
    message = str(caught.value)
    assert "no column for title, body, name, email, consent" in message
    assert "[stories.form_columns]" in message and "'When', 'Who', 'What'" in message


def test_a_mapped_header_that_is_not_there_is_named(campaign_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = parse_settings(BASE_CONFIG + '[stories.form_columns]\nbody = "Your story"\n')
    path = write_csv(tmp_path / "x.csv", ["title", "body", "name", "email", "consent"], [])
    with pytest.raises(InputError, match="body = 'Your story', but there is no such column"):
        read_form_export(path, settings)


def test_csv_encodings_and_delimiters(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ["title", "body", "name", "email", "consent"]
    row = ["Café de la connaissance", "Réunion", "Zoë", "z@nhs.net", "Yes"]
    bom = write_csv(tmp_path / "bom.csv", header, [row], encoding="utf-8-sig")
    assert read_form_export(bom, settings).stories[0].input.title == row[0]
    excel = write_csv(tmp_path / "excel.csv", header, [row], encoding="cp1252", delimiter=";")
    export = read_form_export(excel, settings)
    assert export.stories[0].input.name == "Zoë"
    assert any("Windows-1252" in w for w in export.warnings)


def test_file_errors(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="no such file"):
        read_form_export(tmp_path / "missing.csv", settings)
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_form_export(tmp_path / "empty.csv", settings)
    (tmp_path / "fake.xlsx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError, match="not an XLSX workbook"):
        read_form_export(tmp_path / "fake.xlsx", settings)
    (tmp_path / "export.dat").write_text("title,body\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"--input-format csv\|xlsx"):
        read_form_export(tmp_path / "export.dat", settings)


def test_bad_timestamp_is_a_row_error(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "t.csv", ["Timestamp", "title", "body", "name", "email",
                                          "consent"],
                     [["yesterday-ish", "T", "B", "N", "n@nhs.net", "yes"]])
    export = read_form_export(path, settings)
    assert export.errors[0].row == 2 and "cannot read 'yesterday-ish'" in export.errors[0].reason


def test_all_rows_failing_is_a_failed_import(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "bad.csv", ["title", "body", "name", "email", "consent"],
                     [["", "", "", "", ""], ["T", "B", "N", "bad", "yes"]])
    result = import_form_export(db, settings, path)
    assert result.status == "failed" and result.exit_code == EXIT_FAILED
    assert list_stories(db) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("2019-11-05T10:31:22Z", dt.datetime(2019, 11, 5, 10, 31, 22, tzinfo=dt.UTC)),
    ("2019-11-05 10:31", dt.datetime(2019, 11, 5, 10, 31, tzinfo=LONDON)),
    ("05/11/2019 10:31:22", dt.datetime(2019, 11, 5, 10, 31, 22, tzinfo=LONDON)),
    ("2019/11/05 10:31:22 AM GMT+1", dt.datetime(2019, 11, 5, 9, 31, 22, tzinfo=dt.UTC)),
    ("2019/11/05 1:02:03 pm GMT", dt.datetime(2019, 11, 5, 13, 2, 3, tzinfo=dt.UTC)),
    ("5.11.2019", dt.datetime(2019, 11, 5, tzinfo=LONDON)),
])
def test_timestamps(text: str, expected: dt.datetime) -> None:
    assert parse_timestamp(text, LONDON) == expected
