"""A mapped form question is found when the form writes it with curly quotes or dashes.

Microsoft Forms and Word put typographic marks in a question ("What’s your role?", "Outcome –
impact"); a coordinator typing the question into `[stories.form_columns]` writes the
keyboard's "'" and "-". The import refused the file: "role = "What's your role?", but there
is no such column. The file's columns are: ... 'What’s your role?' ...", two headers that
look the same. Now they match; a mapped header that really is not there names the closest.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl

from tests.conftest import BASE_CONFIG

MAPPING = """
[stories.form_columns]
title = "What's the title of your story?"
body = "What happened - tell us in your own words"
role = "What's your role?"
consent = "May we publish your story?"
"""

HEADERS = ["ID", "Start time", "Completion time", "Email", "Name",
           "What’s the title of your story?\n", "What happened – tell us in your own words",
           "What’s your role?", "May we publish your story?:"]


def _export(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    sheet.append([1, dt.datetime(2019, 11, 4, 9), dt.datetime(2019, 11, 4, 9, 20),
                  "siobhan@nhs.net", "Siobhán Ní Bhriain", "Knowledge café on ward 12",
                  "We met.\nTwice.", "Clinical librarian", "Yes, I agree"])
    book.save(path)
    return path


def test_curly_quotes_and_dashes_match_the_keyboards(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (campaign_dir / "campaign.toml").write_text(BASE_CONFIG + MAPPING, encoding="utf-8")
    path = _export(campaign_dir / "KM stories(1-1).xlsx")
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["imported"] == 1
    story = json.loads(cli("stories", "show", "1", "--format", "json").stdout)
    assert story["title"] == "Knowledge café on ward 12"
    assert story["role"] == "Clinical librarian" and story["body"] == "We met.\nTwice."
    assert story["name"] == "Siobhán Ní Bhriain" and story["consent"] is True


def test_a_mapped_header_not_there_names_the_closest(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (campaign_dir / "campaign.toml").write_text(
        BASE_CONFIG + MAPPING.replace("What's your role?", "What is your role?"),
        encoding="utf-8")
    path = _export(campaign_dir / "KM stories(1-1).xlsx")
    result = cli("stories", "import", str(path))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert ("role = 'What is your role?', but there is no such column (the closest is "
            "'What’s your role?')") in message
