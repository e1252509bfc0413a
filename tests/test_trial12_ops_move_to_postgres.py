"""A seventh new-user trial of moving a campaign begun on SQLite to PostgreSQL, as README
says: `KNOWVEMBER_DATABASE_URL=postgresql+psycopg://... knowvember db restore knowvember.db`.

The restore said only what it copied. campaign.toml still named the SQLite file, so the
crontab (which does not see the shell's variable) went on collecting into it, and the
campaign was split between the two databases with nothing said.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowvember.errors import EXIT_OK

STORY = ("stories", "submit", "--title", "A Knowledge Cafe on discharge",
         "--body", "Twenty ward staff shared what speeds up a safe discharge.",
         "--name", "Jo Librarian", "--email", "jo.librarian@nhs.net", "--consent")


def _said(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(result.stderr.split())


@pytest.mark.postgres
def test_a_move_to_postgresql_says_campaign_toml_still_names_the_sqlite_file(  # type: ignore[no-untyped-def]
        campaign_dir: Path, cli, write_config, pg_url: str) -> None:
    assert cli(*STORY).exit_code == EXIT_OK
    env = {"KNOWVEMBER_DATABASE_URL": pg_url}
    for args in (("db", "restore", "knowvember.db"),
                 ("db", "restore", "knowvember.db", "--replace", "--format", "json")):
        moved = cli(*args, env=env)
        assert moved.exit_code == EXIT_OK, moved.output
        assert (f"Next: campaign.toml still names sqlite:///{campaign_dir / 'knowvember.db'} "
                "in [database] url, and cron, systemd and any shell without "
                "$KNOWVEMBER_DATABASE_URL go on collecting into it") in _said(moved)

    # Once campaign.toml names the server, there is nothing left to say.
    write_config(base=f'[campaign]\nname = "KNOWvember 2019"\nslug = "knowvember19"\n'
                 'hashtags = ["KNOWvember19"]\nstart = 2019-11-01\nend = 2019-11-30\n\n'
                 f'[database]\nurl = "{pg_url}"\n')
    again = cli("db", "restore", str(campaign_dir / "knowvember.db"), "--replace")
    assert again.exit_code == EXIT_OK, again.output
    assert "Next:" not in again.stderr
