"""A sixth new-user trial of `init` for a new year: `init DIR --from last-year/campaign.toml`.

`init` for the new year wrote a starter: last year's organisations and their accounts, the
opted-out `exclude_accounts`, the enabled sources, the form columns and the database URL had
to be copied over by hand, and what was missed was lost without a word (people who had opted
out were back in the leaderboard). And the new folder's new database had no forgotten list:
accounts erased with `forget` were collected again the next November. `--from` keeps every
table but [campaign] and copies the forgotten list into the new database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from knowvember.config import load_settings_file
from knowvember.errors import EXIT_CONFIG, EXIT_OK, EXIT_USAGE
from knowvember.starter import render_campaign
from tests.fakeapi import saved_status

Invoke = Callable[..., Any]
INSTANCE = "https://med-mastodon.com"



def _last_year(root: Path) -> Path:
    """KNOWvember 2027's folder as a coordinator leaves it in December, edited for a month."""
    folder = root / "knowvember2027"
    folder.mkdir()
    text = render_campaign(2027)
    text = text.replace('"Knovember27"]', '"Knovember27", "NHSLibraries"]')
    text = text.replace('timezone = "Europe/London"', 'timezone = "Europe/Dublin"')
    text = text.replace("exclude_accounts = []", 'exclude_accounts = ["x:@optedout"]')
    text = text.replace("[sources.mastodon]\nenabled = false", "[sources.mastodon]\nenabled = true")
    text = text.replace('# title = "Title of your story"', 'title = "Title of your story"')
    text += ('\n[[organisations]]\ncode = "UNI-LIB"\nname = "University Health Library"\n'
             'region = "Midlands"\naccounts = ["x:@UoSHealthLib"]\n')
    (folder / "campaign.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("KNOWVEMBER_CONFIG", "KNOWVEMBER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_new_year_keeps_last_years_settings(cli: Invoke, clean_env: Path) -> None:
    old = _last_year(clean_env)
    result = cli("init", "knowvember2028", "--from", str(old / "campaign.toml"))
    assert result.exit_code == EXIT_OK, result.output
    new = load_settings_file(clean_env / "knowvember2028" / "campaign.toml")
    c = new.campaign
    assert (c.name, c.slug, str(c.start), str(c.end)) == (
        "KNOWvember 2028", "knowvember28", "2028-11-01", "2028-11-30")
    assert c.hashtags == ["KNOWvember2028", "KNOWvember28", "KNOWvember"]
    assert c.variants == ["Knowvmber28", "Knovember28", "NHSLibraries"]
    assert c.timezone == "Europe/Dublin"
    assert new.leaderboard.exclude_accounts == ["x:@optedout"]
    assert [o.code for o in new.organisations] == ["UNI-LIB"]
    assert new.sources.mastodon.enabled is True
    assert new.stories.form_columns == {"title": "Title of your story"}
    told = " ".join(result.stderr.split())
    assert "KNOWvember 2028 (knowvember28, 2028-11-01 to 2028-11-30) with the settings of " \
           "KNOWvember 2027" in told and "[[organisations]]" in told
    text = (clean_env / "knowvember2028" / "campaign.toml").read_text(encoding="utf-8")
    assert text.startswith("# knowvember campaign configuration for KNOWvember 2028.")
    assert "2027" not in text
    assert (old / "campaign.toml").read_text(encoding="utf-8").count("knowvember27") == 1


def test_accounts_forgotten_last_year_stay_uncollected(cli: Invoke, clean_env: Path) -> None:
    old = _last_year(clean_env)
    old_env = {"KNOWVEMBER_CONFIG": str(old / "campaign.toml")}
    assert cli("forget", f"mastodon:@erased@{INSTANCE.removeprefix('https://')}", "--yes",
               env=old_env).exit_code == EXIT_OK

    result = cli("init", "knowvember2028", "--year", "2028", "--from", str(old))
    assert result.exit_code == EXIT_OK, result.output
    assert "forgotten-list entr(ies) into the new database" in \
        " ".join(result.stderr.split())

    new = clean_env / "knowvember2028"
    statuses = new / "statuses.json"
    statuses.write_text(json.dumps([saved_status(n, user, "A Peer Assist", year=2028)
                                    for n, user in ((1, "erased"), (2, "kmlead"))]),
                        encoding="utf-8")
    new_env = {"KNOWVEMBER_CONFIG": str(new / "campaign.toml")}
    imported = cli("import", "mastodon", str(statuses), "--format", "json", env=new_env)
    assert imported.exit_code == EXIT_OK, imported.output
    engine = sa.create_engine(f"sqlite:///{new / 'knowvember.db'}")
    try:
        with engine.connect() as conn:
            handles = list(conn.execute(sa.text("SELECT handle FROM accounts")).scalars())
    finally:
        engine.dispose()
    assert handles == ["@kmlead@med-mastodon.com"]


def test_one_database_for_both_years_needs_no_copy(cli: Invoke, clean_env: Path) -> None:
    old = _last_year(clean_env)
    shared = clean_env / "shared.db"
    path = old / "campaign.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'url = "sqlite:///knowvember.db"', f'url = "sqlite:///{shared}"'), encoding="utf-8")
    assert cli("forget", "x:@erased", "--yes",
               env={"KNOWVEMBER_CONFIG": str(path)}).exit_code == EXIT_OK
    result = cli("init", "next", "--year", "2028", "--from", str(path))
    assert result.exit_code == EXIT_OK, result.output
    assert "Copied" not in result.stderr
    assert not (clean_env / "next" / "knowvember.db").exists()


def test_refusals_leave_nothing_written(cli: Invoke, clean_env: Path) -> None:
    missing = cli("init", "new", "--from", "nowhere/campaign.toml")
    assert missing.exit_code == EXIT_USAGE
    assert "--from: there is no file" in missing.output

    old = _last_year(clean_env)
    (old / "campaign.toml").write_text('[campaign]\nname = "x"\n', encoding="utf-8")
    invalid = cli("init", "new", "--from", str(old))
    assert invalid.exit_code == EXIT_CONFIG
    assert str(old / "campaign.toml") in invalid.output

    (clean_env / "again").mkdir()
    old = _last_year(clean_env / "again")
    (clean_env / "here").mkdir()
    (clean_env / "here" / "campaign.toml").write_text("# mine\n", encoding="utf-8")
    refused = cli("init", "here", "--from", str(old))
    assert refused.exit_code == EXIT_USAGE and "already exists; use --force" in refused.output
    assert (clean_env / "here" / "campaign.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (clean_env / "here" / "knowvember.db").exists()
