"""A campaign folder whose name holds `?`, `#` or `%` keeps its database inside it.

The SQLite URL was made by pasting the folder's path after `sqlite:///`, so a folder named
`odd ?x` cut the path at the `?` (the rest read as the URL's query) and `50%41` was decoded
to `50A`: the first command made a new, empty database in the folder above, or in a folder
that does not exist, and said nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from knowvember.config import resolve_sqlite_url
from knowvember.db import redact_url, sqlite_url
from knowvember.errors import EXIT_OK

Invoke = Callable[..., Any]


@pytest.mark.parametrize("name", ["odd ?x", "KNOWvember #2026", "50%41 off", "a%3Fb"])
def test_the_resolved_url_names_the_file_in_that_folder(tmp_path: Path, name: str) -> None:
    base = tmp_path / name
    url = resolve_sqlite_url("sqlite:///knowvember.db", base)
    assert make_url(url).database == str((base / "knowvember.db").resolve())
    assert make_url(sqlite_url(base / "k.db")).database == str(base / "k.db")
    assert redact_url(url) == f"sqlite:///{(base / 'knowvember.db').resolve()}"


def test_a_query_on_a_relative_url_is_kept(tmp_path: Path) -> None:
    url = resolve_sqlite_url("sqlite:///knowvember.db?timeout=30", tmp_path / "x ?y")
    parsed = make_url(url)
    assert parsed.database == str((tmp_path / "x ?y" / "knowvember.db").resolve())
    assert dict(parsed.query) == {"timeout": "30"}


def test_commands_keep_the_database_in_a_folder_named_with_a_question_mark(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Invoke) -> None:
    folder = tmp_path / "KNOWvember ?2026" / "campaign"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    for name in [n for n in os.environ if n.startswith("KNOWVEMBER_")]:
        monkeypatch.delenv(name)  # the folder's own campaign.toml and database, nothing else
    assert cli("init", ".").exit_code == EXIT_OK
    result = cli("stories", "submit", "--title", "Peer Assist before the new ward opened",
                 "--body", "Two matrons shared what they learnt.", "--name", "Sam",
                 "--email", "sam@nhs.net", "--consent")
    assert result.exit_code == EXIT_OK, result.output
    assert (folder / "knowvember.db").is_file()
    assert sorted(p.name for p in (tmp_path / "KNOWvember ?2026").iterdir()) == ["campaign"]
    backup = cli("db", "backup", str(folder / "copy.db"), "--format", "json")
    assert backup.exit_code == EXIT_OK, backup.output
    assert json.loads(backup.stdout)["rows"]["stories"] == 1
