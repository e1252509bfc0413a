"""Trial 9 (ops): `demo --posts N` for the sizes a new user tries first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowvember.cli import app
from knowvember.config import parse_settings

runner = CliRunner()


@pytest.mark.parametrize("posts", [0, 50])
def test_a_small_demo_warns_of_nothing(tmp_path: Path, posts: int) -> None:
    """The opted-out person had no post in a small sample, and the demo's own config then
    warned "exclude_accounts: x:@... matches no account in the database; check its spelling"."""
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--posts", str(posts)])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert "matches no account" not in result.output



def test_the_usual_demo_still_excludes_the_opted_out_person(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--posts", "3000"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    folder = tmp_path / "d"
    config = folder / "campaign.toml"
    excluded = parse_settings(config.read_text(encoding="utf-8"), config
                              ).leaderboard.exclude_accounts
    assert excluded
    manifest = json.loads(next(folder.rglob("manifest.json")).read_text(encoding="utf-8"))
    assert manifest["accounts"]["opted_out"] == excluded
