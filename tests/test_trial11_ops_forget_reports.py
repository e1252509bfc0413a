"""A sixth new-user trial of `forget`: the report written before the erasure.

`forget x:@someone --yes` said "Forgot x:@someone" while report/posts.csv, the workbook and
the HTML written the day before (the folder a coordinator shares) still held the person's
handle and posts, with nothing said. It now names the report folder to write again (and that
backups made before still hold the account), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowvember.errors import EXIT_OK
from tests.fakeapi import saved_status

Invoke = Callable[..., Any]



def _campaign(cli: Invoke, folder: Path, db_url: str) -> dict[str, str]:
    text = (folder / "campaign.toml").read_text(encoding="utf-8")
    (folder / "campaign.toml").write_text(text + '\n[reports]\nformats = ["md"]\n', "utf-8")
    env = {"KNOWVEMBER_DATABASE_URL": db_url}
    path = folder / "statuses.json"
    path.write_text(json.dumps([saved_status(1, "deborahreads", "Our journal club"),
                                saved_status(2, "kmlead", "A Peer Assist today")]), "utf-8")
    result = cli("import", "mastodon", str(path), env=env)
    assert result.exit_code == EXIT_OK, result.output
    return env


def test_forget_names_the_report_written_before(cli: Invoke, campaign_dir: Path,  # type: ignore[no-untyped-def]
                                                db_url: str) -> None:
    env = _campaign(cli, campaign_dir, db_url)
    written = cli("report", env=env)
    assert written.exit_code == EXIT_OK, written.output
    written_md = campaign_dir / "report" / "report.md"
    assert "deborahreads" in written_md.read_text(encoding="utf-8")

    preview = cli("forget", "mastodon:@deborahreads@med-mastodon.com", "--dry-run", env=env)
    assert preview.exit_code == EXIT_OK, preview.output
    assert "shows the account and will after forget too" in " ".join(preview.stderr.split())

    result = cli("forget", "mastodon:@deborahreads@med-mastodon.com", "--yes", "--format",
                 "json", env=env)
    assert result.exit_code == EXIT_OK, result.output
    report = json.loads(result.stdout)
    assert report["posts"] == 1
    assert report["reports_written_before"] == [str(campaign_dir / "report")]
    told = " ".join(result.stderr.split())
    assert f"The report in {campaign_dir / 'report'} was written before this" in told
    assert "write it again (`knowvember report`)" in told and "Backups made before" in told
    assert "a pg_restore does not" in told

    # Written again, it no longer holds the person, and forget has nothing more to say.
    assert cli("report", env=env).exit_code == EXIT_OK
    assert "deborahreads" not in written_md.read_text(encoding="utf-8")
    again = cli("forget", "mastodon:@deborahreads@med-mastodon.com", "--yes", env=env)
    assert again.exit_code == EXIT_OK and "The report in" not in again.stderr


def test_no_word_of_a_report_for_an_account_without_posts(cli: Invoke, campaign_dir: Path,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    env = _campaign(cli, campaign_dir, f"sqlite:///{tmp_path / 'knowvember.db'}")
    assert cli("report", env=env).exit_code == EXIT_OK
    result = cli("forget", "mastodon:@nobody@med-mastodon.com", "--yes", "--format", "json",
                 env=env)
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout)["reports_written_before"] == []
    assert "The report in" not in result.stderr
