"""The review trail's CSV has one writer, on the reporting side, for the CLI and the web app.

`/review/trail.csv` imported `trail_csv` from the CLI module (`knowvember.cli.stories`): the
web app depended on the command line's code, the wrong way round (the CLI is what wires the
rest together; nothing else should need it). The writer is `reports.story_trail` now.
"""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("folder", ["knowvember/web", "reports", "collectors"])
def test_nothing_outside_the_cli_imports_the_stories_command(folder: str) -> None:
    users = [path.name for path in sorted((REPO / folder).glob("*.py"))
             if "knowvember.cli.stories" in _imports(path)]
    assert users == []


def test_the_web_page_serves_the_shared_writer_s_trail(settings, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from knowvember import stories
    from reports.story_trail import CSV_FILE_BOM, trail_csv
    from tests.web_support import review_app, sign_in

    data = stories.StoryInput.parse({"title": "Journal club for F1s", "body": "We met.",
                                     "name": "Siân Jones", "email": "Sian.Jones@nhs.net",
                                     "consent": True}, settings)
    story_id = stories.submit_story(db, settings, data, source="web")[0].id
    stories.request_changes(db, story_id, reviewer="Ann", note="+ add the outcome")
    client = TestClient(review_app(settings, db, monkeypatch, "coordinator"))
    sign_in(client)
    served = client.get("/review/trail.csv").content.decode("utf-8")
    rows = stories.trail_rows(stories.list_stories(db, with_events=True))
    assert served == CSV_FILE_BOM + trail_csv(rows, settings)
    table = list(csv.DictReader(io.StringIO(served.removeprefix(CSV_FILE_BOM))))
    assert [(r["action"], r["by"], r["note"]) for r in table] == [
        ("submitted", "", ""), ("changes_requested", "Ann", "'+ add the outcome")]
    assert "Sian.Jones@nhs.net" not in served
