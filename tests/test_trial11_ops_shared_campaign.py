"""A sixth new-user trial of two machines sharing one database: their campaign.toml differ.

The laptop kept last year's copy of campaign.toml (without the variant added on the server,
with the old end date). Each machine collected and reported by its own file and rewrote the
campaign's row in the database as it started, so the two reports differed and nothing said
why. Each change of the campaign's dates, hashtags, name or time zone is now said, naming
the file that made it; the same file used again says nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASE_CONFIG


def _machine(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "campaign.toml").write_text(text, encoding="utf-8")
    return folder


def test_a_machine_with_another_campaign_toml_is_told(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KNOWVEMBER_CONFIG", "KNOWVEMBER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    server = _machine(tmp_path, "server", BASE_CONFIG)
    laptop = _machine(tmp_path, "laptop", BASE_CONFIG.replace(', "KNOWvember"]', "]")
                      .replace("end = 2019-11-30", "end = 2019-12-07"))
    env = {"KNOWVEMBER_DATABASE_URL": db_url}

    def run(folder: Path):  # type: ignore[no-untyped-def]
        result = cli("--config", str(folder / "campaign.toml"), "summary", env=env)
        assert result.exit_code == 0, result.output
        return " ".join(result.stderr.split())

    run(server)
    assert "changed by this file" not in run(server)  # the same file again: nothing to say
    told = run(laptop)
    assert (f"{laptop / 'campaign.toml'}: campaign knowvember19 in the database changed by "
            "this file (end 2019-11-30 -> 2019-12-07; hashtags -KNOWvember)") in told
    assert "every machine sharing the database must use the same campaign settings" in told
    assert "(end 2019-12-07 -> 2019-11-30; hashtags +KNOWvember)" in run(server)
