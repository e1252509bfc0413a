"""Trial 9 (ops): `init --force` over last year's campaign folder."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from knowvember.cli import app

runner = CliRunner()


def test_init_force_keeps_the_edited_config_and_a_filled_env(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path), "--year", "2026"]).exit_code == 0
    config, env = tmp_path / "campaign.toml", tmp_path / ".env.example"
    edited = config.read_text() + '\n[[organisations]]\ncode = "UNI-LIB"\nname = "Uni Lib"\n'
    config.write_text(edited)
    env.write_text("KNOWVEMBER_X_BEARER_TOKEN=filled-in-by-mistake\n")
    env.chmod(0o600)
    (tmp_path / "knowvember.db").write_bytes(b"")

    result = runner.invoke(app, ["init", str(tmp_path), "--year", "2027", "--force"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "campaign.toml.bak").read_text() == edited
    assert (tmp_path / ".env.example.bak").read_text().startswith("KNOWVEMBER_X_BEARER")
    assert (tmp_path / ".env.example.bak").stat().st_mode & 0o777 == 0o600
    assert 'slug = "knowvember27"' in config.read_text()
    assert "Kept the old campaign.toml as" in result.output
    assert "database in this folder is kept" in result.output

    # Again: an unchanged file is not backed up; a changed one takes the next free name.
    config.write_text(config.read_text() + "# note\n")
    result = runner.invoke(app, ["init", str(tmp_path), "--year", "2027", "--force"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "campaign.toml.bak").read_text() == edited
    assert (tmp_path / "campaign.toml.bak.2").read_text().endswith("# note\n")
    assert not (tmp_path / ".env.example.bak.2").exists()
