"""A fifth new-user trial of the demo and sample: `$KNOWVEMBER_DATABASE_URL` set in the shell.

The README's PostgreSQL set-up exports `KNOWVEMBER_DATABASE_URL` for the real campaign, and
it overrides every config's `[database] url`. `demo` keeps to its own SQLite file, but the
commands it and `sample` suggest next did not: run as printed, they read the shared campaign
database (adding the demo's campaign to it) and imported made-up posts and accounts, which
carry real NHS library handles, into it. They now carry `KNOWVEMBER_DATABASE_URL=` in front
(the folder's own database), with a note saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from knowvember.config import load_settings_file

Invoke = Callable[..., Any]
SHARED = "postgresql+psycopg://knowvember@dbhost/knowvember"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_sample_suggests_imports_into_its_own_database_when_the_variable_is_set(
        cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", SHARED)
    result = cli("sample", "--out", str(tmp_path / "s"), "--posts", "30")
    assert result.exit_code == 0, result.stderr
    imports = [line for line in _lines(result.stderr) if " import " in line]
    assert imports and all(line.startswith("KNOWVEMBER_DATABASE_URL= knowvember --config ")
                           for line in imports), imports
    assert "is set in this shell" in " ".join(result.stderr.split())
    # Emptied, the variable gives way to the sample's own database.
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", "")
    settings = load_settings_file(tmp_path / "s" / "campaign.toml")
    assert settings.database_url.startswith("sqlite:///")


def test_sample_suggests_plain_commands_without_the_variable(
        cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KNOWVEMBER_DATABASE_URL", raising=False)
    result = cli("sample", "--out", str(tmp_path / "s"), "--posts", "30")
    assert result.exit_code == 0, result.stderr
    imports = [line for line in _lines(result.stderr) if " import " in line]
    assert imports and all(line.startswith("knowvember --config ") for line in imports)
    assert "is set in this shell" not in result.stderr


def test_demo_suggests_its_own_database_when_the_variable_is_set(
        cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL", SHARED)
    result = cli("demo", "--out", str(tmp_path / "d"), "--posts", "30")
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "Try next: KNOWVEMBER_DATABASE_URL= knowvember --config " in said
    assert "instead of the demo's own" in said


def test_a_sample_stopped_part_way_is_replaced_by_the_next(
        cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C on a big sample left its files without a manifest, and the next `sample`
    into the folder refused them as "not from a knowvember sample"."""
    import knowvember.sample as sample

    real = sample._generate

    def stopped(folder: Path, *args: Any) -> Any:
        (folder / "mastodon_mastodon.social.jsonl").write_text("{}\n", encoding="utf-8")
        (folder / ".spool-x").write_bytes(b"\0" * 64)
        raise KeyboardInterrupt

    monkeypatch.setattr(sample, "_generate", stopped)
    out = tmp_path / "s"
    assert cli("sample", "--out", str(out), "--posts", "30").exit_code == 130
    monkeypatch.setattr(sample, "_generate", real)
    result = cli("sample", "--out", str(out), "--posts", "30")
    assert result.exit_code == 0, result.stderr
    assert not (out / ".spool-x").exists()
    assert '"in_progress"' not in (out / "manifest.json").read_text(encoding="utf-8")
    assert (out / "x_search.jsonl").stat().st_size > 0


def test_a_folder_of_someone_elses_files_is_still_refused(
        cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "stories.csv").write_text("my,own\n", encoding="utf-8")
    result = cli("sample", "--out", str(out), "--posts", "30")
    assert result.exit_code == 2
    assert (out / "stories.csv").read_text(encoding="utf-8") == "my,own\n"
