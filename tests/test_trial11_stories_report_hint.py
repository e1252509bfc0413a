"""Unpublishing a story says when an earlier report may still show it.

A submitter withdrew consent after their story was approved and published; the tool said it
was "no longer published", yet the report made the day before (report/report.html, which the
dashboard offers for download) still held it, and nothing said to make the report again.
"""

from __future__ import annotations

import json
from pathlib import Path


def _published(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("stories", "submit", "--title", "Knowledge café", "--body", "We met.",
               "--name", "Siân", "--email", "sian@nhs.net", "--consent").exit_code == 0
    assert cli("stories", "approve", "1").exit_code == 0


def test_edit_no_consent_names_the_report_to_make_again(cli, campaign_dir: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch) -> None:
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    _published(cli)
    (campaign_dir / "report").mkdir()
    (campaign_dir / "report" / "report.html").write_text("<p>Knowledge café</p>")
    result = cli("stories", "edit", "1", "--no-consent")
    assert result.exit_code == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "Story 1 is no longer published" in message
    assert "was made before and may still show it: run `knowvember report` again" in message
    assert json.loads(cli("stories", "show", "1", "--format", "json").stdout)["consent"] is False


def test_no_report_no_hint(cli, campaign_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    _published(cli)
    result = cli("stories", "edit", "1", "--no-consent")
    assert "no longer published" in result.stderr and "knowvember report" not in result.stderr
