"""Changes a coordinator asked for, sent back as a new form response, are named as such.

A coordinator asked for a better title; the respondent edited their Google Forms response
and changed the title. Google Forms writes an edited response with a new Timestamp, so the
row is matched to its story by email and title, and the title had changed: the import said
"1 imported", the new version became a story of its own in the queue, and the story sent
back waited for changes for ever, without a word. Now the import names both stories and
says how to join them (both are kept: it may be another story).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BASE_CONFIG

MAPPING = """
[stories.form_columns]
title = "Give your story a title"
body = "Tell us what happened"
consent = "Can we share your story?"
"""
HEADER = ('"Timestamp","Email address","Your name","Give your story a title",'
          '"Tell us what happened","Can we share your story?"\n')


def _row(when: str, email: str, title: str, body: str) -> str:
    return f'"2019/11/{when} AM GMT","{email}","Jane Smith","{title}","{body}","Yes"\n'


@pytest.fixture
def imported(cli, campaign_dir: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann Coordinator")
    (campaign_dir / "campaign.toml").write_text(BASE_CONFIG + MAPPING, encoding="utf-8")

    def run(name: str, *rows: str):  # type: ignore[no-untyped-def]
        path = campaign_dir / name
        path.write_text(HEADER + "".join(rows), encoding="utf-8")
        result = cli("stories", "import", str(path), "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    first = run("responses.csv", _row("04 9:12:45", "jane.smith@nhs.net", "Lunch and learn",
                                      "We ran six sessions."))
    assert first["story_ids"] == [1]
    return run


def test_a_new_title_sent_after_a_request_for_changes_is_named(imported, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("stories", "request-changes", "1", "--note", "A clearer title, please"
               ).exit_code == 0
    summary = imported("responses (1).csv", _row(
        "06 8:00:00", "Jane.Smith@NHS.net", "Lunch and learn: evidence summaries for ward "
        "sisters", "We ran six sessions for 48 ward sisters."))
    assert summary["story_ids"] == [2]
    assert summary["warnings"] == [
        "row 2: imported as story 2; its respondent's story 1 waits for the changes asked "
        "for. If story 2 is those changes (the form sent again, or edited with a new "
        "title), copy them into story 1 (`knowvember stories edit 1 ...`) and erase the "
        "copy (`knowvember stories delete 2 --yes`)"]


def test_another_story_of_a_respondent_with_none_waiting_is_not_named(imported) -> None:  # type: ignore[no-untyped-def]
    summary = imported("responses (1).csv", _row(
        "04 9:12:45", "jane.smith@nhs.net", "Lunch and learn", "We ran six sessions."),
        _row("06 8:00:00", "jane.smith@nhs.net", "Journal club", "We read a paper."))
    assert summary["story_ids"] == [2] and summary["warnings"] == []
