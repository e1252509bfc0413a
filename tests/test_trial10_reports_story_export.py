"""The tenth session's trial of `stories export` beside the campaign's report."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]


def test_a_story_of_a_merged_trust_is_exported_under_the_name_the_report_gives_it(
        campaign_dir: Path, cli: Cli) -> None:
    """A KNOWvember 2019 story for RQ6 (Royal Liverpool and Broadgreen, merged into
    Liverpool University Hospitals, REM, on 1 October 2019) was published by the report
    under REM's name and by `stories export` under RQ6's: one story, two trusts."""
    submitted = cli("stories", "submit", "--title", "Peer assist before the merger",
                    "--body", "We ran a peer assist.", "--technique", "Peer Assist",
                    "--org", "RQ6", "--name", "Ann", "--email", "ann@nhs.net", "--consent",
                    "--format", "json")
    assert submitted.exit_code == 0, submitted.stderr
    story = json.loads(submitted.stdout)["id"]
    assert cli("stories", "approve", str(story), "--reviewer", "coord").exit_code == 0
    assert cli("report", "--format", "md").exit_code == 0
    report = (campaign_dir / "report" / "report.md").read_text(encoding="utf-8")
    name = "Liverpool University Hospitals NHS Foundation Trust"
    assert name in report
    markdown = cli("stories", "export", "--format", "md")
    assert markdown.exit_code == 0, markdown.stderr
    assert name in markdown.stdout
    assert "Royal Liverpool and Broadgreen" not in markdown.stdout
    rows = list(csv.DictReader(io.StringIO(cli("stories", "export", "--format", "csv").stdout)))
    assert (rows[0]["organisation_code"], rows[0]["organisation"]) == ("REM", name)


def test_the_public_stories_page_names_a_merged_trust_as_the_report_does(
        campaign_dir: Path, cli: Cli) -> None:
    from fastapi.testclient import TestClient

    from knowvember.config import load_settings
    from knowvember.web.app import create_app

    submitted = cli("stories", "submit", "--title", "Peer assist before the merger",
                    "--body", "We ran a peer assist.", "--technique", "Peer Assist",
                    "--org", "RQ6", "--name", "Ann", "--email", "ann@nhs.net", "--consent",
                    "--format", "json")
    story = json.loads(submitted.stdout)["id"]
    assert cli("stories", "approve", str(story), "--reviewer", "coord").exit_code == 0
    with TestClient(create_app(load_settings(campaign_dir / "campaign.toml"))) as client:
        page = client.get("/stories").text
    assert "Liverpool University Hospitals NHS Foundation Trust" in page
    assert "Royal Liverpool and Broadgreen" not in page
