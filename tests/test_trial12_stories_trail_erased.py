"""The review trail keeps a story erased on request: who did what, and when, nothing more.

`stories trail` (and the web app's /review/trail.csv) read only the stories still there, so
a governance check of the trail ("who deleted story 2, and when?") found no trace of an
erasure, and `stories trail 2` said "there is no story 2 in this campaign", while
`stories show 2` said it was deleted. What is left of an erased story (the steps, who took
them and when, without title, notes or earlier versions) is in the trail now, under status
`deleted`.
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
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann Coordinator")
    for title in ("Peer assist before the EPR go-live", "Knowledge café on ward 12"):
        assert cli("stories", "submit", "--title", title, "--body", "We met.", "--name",
                   "Siân Jones", "--email", "Sian.Jones@nhs.net", "--consent").exit_code == 0
    assert cli("stories", "request-changes", "2", "--note",
               "Please add Siân's outcome").exit_code == 0
    assert cli("stories", "approve", "1").exit_code == 0
    assert cli("stories", "delete", "2", "--yes", "--reviewer", "Bob DPO").exit_code == 0
    return cli


def test_the_trail_keeps_who_erased_a_story_and_when(campaign) -> None:  # type: ignore[no-untyped-def]
    result = campaign("stories", "trail", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["story_id"], r["action"], r["reviewer"]) for r in rows] == [
        (1, "submitted", None), (2, "submitted", None),
        (2, "changes_requested", "Ann Coordinator"), (1, "approved", "Ann Coordinator"),
        (2, "deleted", "Bob DPO")]
    erased = [r for r in rows if r["story_id"] == 2]
    assert {r["status"] for r in erased} == {"deleted"}
    assert {r["title"] for r in erased} == {None} and {r["note"] for r in erased} == {None}
    assert "Siân" not in result.stdout and "café" not in result.stdout.casefold()


def test_one_erased_story_or_every_erased_story(campaign) -> None:  # type: ignore[no-untyped-def]
    one = campaign("stories", "trail", "2", "--format", "json")
    assert one.exit_code == 0, one.stderr
    assert [r["action"] for r in json.loads(one.stdout)] == [
        "submitted", "changes_requested", "deleted"]
    only = json.loads(campaign("stories", "trail", "--status", "deleted", "--format",
                               "json").stdout)
    assert {r["story_id"] for r in only} == {2}
    approved = json.loads(campaign("stories", "trail", "--status", "approved", "--format",
                                   "json").stdout)
    assert {r["story_id"] for r in approved} == {1}
    missing = campaign("stories", "trail", "7")
    assert missing.exit_code == EXIT_NOT_FOUND and "no story 7" in missing.stderr


def test_the_spreadsheet_of_the_web_app_has_the_erasure(settings, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from knowvember import stories
    from tests.web_support import review_app, sign_in

    data = stories.StoryInput.parse({"title": "Journal club", "body": "We met.",
                                     "name": "Zoë", "email": "zoe@nhs.net",
                                     "consent": True}, settings)
    story_id = stories.submit_story(db, settings, data, source="web")[0].id
    stories.reject_story(db, story_id, reviewer="Ann", note="Zoë asked us to take it down")
    stories.delete_story(db, story_id, reviewer="Bob")
    client = TestClient(review_app(settings, db, monkeypatch, "coordinator"))
    sign_in(client)
    served = client.get("/review/trail.csv").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(served)))
    assert [(r["action"], r["by"], r["status_now"], r["title"], r["note"]) for r in table] == [
        ("submitted", "", "deleted", "", ""), ("rejected", "Ann", "deleted", "", ""),
        ("deleted", "Bob", "deleted", "", "")]
    assert "Zoë" not in served and "zoe@nhs.net" not in served


def test_another_campaign_s_erasures_stay_out(settings, db) -> None:  # type: ignore[no-untyped-def]
    """A database shared by two campaigns: the trail of one tells nothing of the other's
    erased stories, as `stories show` does not."""
    from knowvember import stories
    from tests.test_stories import new, other_campaign

    elsewhere, other_settings = other_campaign(db, settings)
    try:
        theirs = new(elsewhere, other_settings).id
        stories.delete_story(elsewhere, theirs, reviewer="Their coordinator")
        ours = new(db, settings).id
        stories.delete_story(db, ours, reviewer="Ann")
        assert list(stories.erased_trails(db)) == [ours]
        assert list(stories.erased_trails(elsewhere)) == [theirs]
        assert stories.erased_trails(db, [theirs]) == {}
    finally:
        elsewhere.dispose()


def test_an_unknown_status_names_deleted_among_the_statuses(campaign) -> None:  # type: ignore[no-untyped-def]
    result = campaign("stories", "trail", "--status", "erased")
    assert result.exit_code == 2
    assert ("unknown status 'erased'; statuses are submitted, approved, rejected, "
            "changes_requested, deleted") in " ".join(result.stderr.split())
