"""Found in a fifth new-user trial of stories: form exports as Excel saves them again.

A coordinator opens the Microsoft Forms responses in Excel and saves them: as "Unicode Text"
(UTF-16, tab-separated), as an Excel 97-2003 workbook (.xls), or keeps the workbook but
gives it the name of a CSV file. Each was read as Windows-1252 text, and the import said
"no column for title, body, ..." listing columns of mojibake (`'ÿþI\\x00D\\x00'`) or zip
bytes (`'PK\\x03\\x04...'`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

HEADER = ["ID", "Completion time", "Email", "Name", "Title", "What happened?",
          "Consent to publish"]
ROWS = [
    ["1", "05/11/2019 10:31", "sian@nhs.net", "Siân Ní Bhriain", "Peer Assist 🤝 for EPR",
     "We ran a Peer Assist.\nZoë chaired it.", "Yes"],
    ["2", "06/11/2019 14:02", "bob@nhs.net", "Bob", "Retrospect", "We held one.", "No"],
]


def _import(cli, path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return cli("stories", "import", str(path), "--format", "json", *extra)


def _stories(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(cli("stories", "list", "--format", "json").stdout)  # type: ignore[no-any-return]


def _unicode_text(rows: list[list[str]]) -> str:
    """As Excel's "Unicode Text (*.txt)" writes it: tabs, CRLF, a cell with a line break
    quoted."""
    def cell(value: str) -> str:
        return f'"{value}"' if "\n" in value else value
    return "".join("\t".join(cell(v) for v in row) + "\r\n" for row in rows)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_sheet_saved_as_unicode_text_imports(campaign_dir, cli, encoding: str) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "KM stories.txt"
    text = _unicode_text([HEADER, *ROWS])
    path.write_bytes(("\ufeff" + text).encode(encoding) if encoding.endswith("be")
                     else text.encode(encoding))  # utf-16 writes its own BOM
    result = _import(cli, path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 2
    first = _stories(cli)[0]
    assert first["name"] == "Siân Ní Bhriain" and first["title"] == "Peer Assist 🤝 for EPR"
    shown = json.loads(cli("stories", "show", str(first["id"]), "--format", "json").stdout)
    assert shown["body"] == "We ran a Peer Assist.\nZoë chaired it."
    assert "Windows-1252" not in result.stderr


def _workbook(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append([int(row[0]), dt.datetime.strptime(row[1], "%d/%m/%Y %H:%M"), *row[2:]])
    book.save(path)


@pytest.mark.parametrize("name", ["KM stories.csv", "KM stories.xls"])
def test_a_workbook_under_another_name_is_read_as_a_workbook(campaign_dir, cli, name: str) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / name
    _workbook(path)
    result = _import(cli, path)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["imported"] == 2 and report["format"] == "xlsx"
    assert [s["title"] for s in _stories(cli)] == ["Peer Assist 🤝 for EPR", "Retrospect"]


@pytest.mark.parametrize("extra", [[], ["--input-format", "xlsx"], ["--input-format", "csv"]])
def test_an_excel_97_workbook_is_refused_saying_how_to_save_it(campaign_dir, cli, extra) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "KM stories.xls"
    # The Compound File header every .xls starts with, then what a reader must not parse.
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504 + b"Workbook" * 64)
    result = _import(cli, path, *extra)
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "Excel 97-2003 workbook" in said and "Excel Workbook (.xlsx)" in said
    assert "\\x00" not in said and "no column for" not in said
    assert _stories(cli) == []


def _zip(path: Path, files: dict[str, bytes]) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_google_forms_zip_of_the_csv_imports(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    """Google Forms' "Download responses (.csv)" saves `KM stories.csv.zip`."""
    csv_text = "Timestamp,Email address,Your name,Title,What happened?,Consent to publish\n"
    csv_text += ('2019/11/05 10:31:22 AM GMT,sian@nhs.net,Siân,Peer Assist,"We ran one.\n'
                 'It helped.",Yes\n')
    path = campaign_dir / "KM stories.csv.zip"
    _zip(path, {"KM stories.csv": csv_text.encode("utf-8")})
    result = _import(cli, path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 1
    assert _stories(cli)[0]["name"] == "Siân"
    again = _import(cli, path)
    assert json.loads(again.stdout)["already_imported"] == 1


@pytest.mark.parametrize(("files", "said"), [
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
     "is an OpenDocument spreadsheet (.ods)"),
    ({"a.csv": b"x", "b.csv": b"y"}, "is a ZIP archive of 2 file(s), not a form export"),
    ({"photo.jpg": b"x"}, "is a ZIP archive of 1 file(s), not a form export"),
], ids=["ods", "two-csvs", "no-csv"])
def test_other_zip_files_are_named(campaign_dir, cli, files, said: str) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "responses.ods"
    _zip(path, files)
    result = _import(cli, path)
    assert result.exit_code == 2
    assert said in " ".join(result.stderr.split())
    assert _stories(cli) == []


def test_a_summary_sheet_in_front_of_the_responses_is_passed_over(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    """A coordinator added a summary sheet and dragged it to the front of the workbook."""
    path = campaign_dir / "KM stories.xlsx"
    _workbook(path)
    from openpyxl import load_workbook

    book = load_workbook(path)
    summary = book.create_sheet("Summary", 0)
    summary.append(["Stories so far", 2])
    book.create_sheet("Notes").append(["Remember to chase Bob"])
    book.save(path)
    result = _import(cli, path)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["imported"] == 2
    assert any("read the sheet 'Sheet'; the sheet(s) before it ('Summary') have no story "
               "columns" in w for w in report["warnings"])


def test_a_workbook_without_story_columns_names_its_sheets(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    path = campaign_dir / "book.xlsx"
    book = Workbook()
    book.active.title = "Budget"
    book.active.append(["Item", "Cost"])
    book.create_sheet("Rota").append(["Day", "Who"])
    book.save(path)
    result = _import(cli, path)
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "The file's columns are: 'Item', 'Cost'" in said
    assert "(on the first sheet, 'Budget'; the other sheets, 'Rota', have no story columns" in said


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_blank_lines_above_the_header_are_passed_over(campaign_dir, cli, delimiter: str) -> None:  # type: ignore[no-untyped-def]
    """A sheet saved as CSV with empty rows above its header: the import listed no columns
    at all ("The file's columns are: "), and a `;` file was read as one column."""
    path = campaign_dir / "responses.csv"
    lines = [delimiter.join(HEADER), *(delimiter.join([*r[:5], r[5].replace("\n", " "), r[6]])
                                        for r in ROWS)]
    path.write_text("\n" + delimiter * 6 + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    result = _import(cli, path)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["imported"] == 2
    shown = json.loads(cli("stories", "show", str(report["story_ids"][0]), "--format",
                           "json").stdout)
    assert shown["title"] == "Peer Assist 🤝 for EPR"


def test_a_csv_of_blank_lines_is_empty(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "responses.csv"
    path.write_text("\n\n,,,\n", encoding="utf-8")
    result = _import(cli, path)
    assert result.exit_code == 2
    assert "the file is empty (no header row)" in " ".join(result.stderr.split())
