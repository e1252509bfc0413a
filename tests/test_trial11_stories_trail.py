"""`stories trail`: the review trail of every story as one table, CSV or JSON.

The trail was only to be read one story at a time (`stories show ID`); a coordinator asked
"who approved what, and when, this November" (a governance check, the end-of-campaign
write-up) had to run it per story. Now `stories trail` lists every step, oldest first.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from knowvember.errors import EXIT_NOT_FOUND


@pytest.fixture
def campaign(campaign_dir: Path, monkeypatch: pytest.MonkeyPatch, cli):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Siân Coordinator")
    for title, name in (("Café-style journal club", "Zoë"), ("=HYPERLINK(1)", "Björn")):
        assert cli("stories", "submit", "--title", title, "--body", "We met.", "--name", name,
                   "--email", "a@nhs.net", "--consent").exit_code == 0
    assert cli("stories", "request-changes", "1", "--note", "Outcome, please").exit_code == 0
    assert cli("stories", "edit", "1", "--outcome", "Two teams now meet").exit_code == 0
    assert cli("stories", "approve", "1").exit_code == 0
    assert cli("stories", "reject", "2", "--note", "Not about KM").exit_code == 0
    return cli


def test_json_lists_every_step_oldest_first(campaign) -> None:  # type: ignore[no-untyped-def]
    result = campaign("stories", "trail", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["story_id"], r["action"]) for r in rows] == [
        (1, "submitted"), (2, "submitted"), (1, "changes_requested"), (1, "edited"),
        (1, "approved"), (2, "rejected")]
    edited = rows[3]
    assert edited["changed"] == ["outcome"] and edited["reviewer"] == "Siân Coordinator"
    assert edited["from_status"] == "changes_requested" and edited["to_status"] == "submitted"
    assert rows[2]["note"] == "Outcome, please" and rows[2]["at"].endswith("Z")
    assert "a@nhs.net" not in result.stdout and "previous" not in rows[0]


def test_one_story_or_a_status(campaign) -> None:  # type: ignore[no-untyped-def]
    one = json.loads(campaign("stories", "trail", "2", "--format", "json").stdout)
    assert [r["action"] for r in one] == ["submitted", "rejected"]
    approved = json.loads(campaign("stories", "trail", "--status", "approved",
                                   "--format", "json").stdout)
    assert {r["story_id"] for r in approved} == {1}
    missing = campaign("stories", "trail", "7")
    assert missing.exit_code == EXIT_NOT_FOUND and "no story 7" in missing.stderr


def test_a_csv_file_opens_in_a_spreadsheet(campaign, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    out = campaign_dir / "trail.csv"
    result = campaign("stories", "trail", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads "Siân" as UTF-8 only with a BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 6
    assert rows[1]["title"] == "'=HYPERLINK(1)"  # not a formula when opened
    assert rows[3]["changed"] == "outcome" and rows[3]["by"] == "Siân Coordinator"
    assert rows[0]["at_local (Europe/London)"] and rows[0]["status_now"] == "approved"


def test_the_table_names_the_changed_fields(campaign) -> None:  # type: ignore[no-untyped-def]
    result = campaign("stories", "trail", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Outcome, please" in result.stdout and "(changed: outcome)" in result.stdout
    assert "6 step(s) of 2 stories." in " ".join(result.stderr.split())


def test_the_review_queue_offers_the_trail_as_a_spreadsheet(settings, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from knowvember import stories
    from knowvember.web import create_app
    from tests.web_support import SECRET, add_coordinator, cheap_hashing, sign_in

    cheap_hashing(monkeypatch)
    add_coordinator(db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    client = TestClient(create_app(settings, db))
    data = stories.StoryInput.parse({"title": "Café", "body": "We met.", "name": "Siân",
                                     "email": "sian@nhs.net", "consent": True}, settings)
    story_id = stories.submit_story(db, settings, data, source="web")[0].id
    stories.reject_story(db, story_id, reviewer="Siân Coordinator", note="=not KM")
    assert client.get("/review/trail.csv", follow_redirects=False).status_code == 303  # login
    sign_in(client)
    assert 'href="/review/trail.csv"' in client.get("/review").text
    response = client.get("/review/trail.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="knowvember19-review-trail.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["action"], r["by"], r["note"]) for r in rows] == [
        ("submitted", "", ""), ("rejected", "Siân Coordinator", "'=not KM")]
    assert "sian@nhs.net" not in response.text
