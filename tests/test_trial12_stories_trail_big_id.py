"""`stories trail ID` with an id no story can have is "there is no story", not a crash.

Story ids are database integers; `stories show 99999999999999999999` said there is no such
story, but `stories trail 99999999999999999999` (a mistyped id, a pasted phone number) failed
with "unexpected OverflowError: Python int too large to convert to SQLite INTEGER", exit 1.
"""

from __future__ import annotations

from pathlib import Path

from knowvember.errors import EXIT_NOT_FOUND


def test_a_huge_id_is_no_story(campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("stories", "submit", "--title", "Journal club", "--body", "We met.", "--name",
               "Jane", "--email", "jane@nhs.net", "--consent").exit_code == 0
    result = cli("stories", "trail", "99999999999999999999", "1")
    assert result.exit_code == EXIT_NOT_FOUND, result.stderr
    assert "there is no story 99999999999999999999 in this campaign" in result.stderr
    assert "OverflowError" not in result.stderr


def test_the_core_reads_only_ids_a_story_can_have(settings, db) -> None:  # type: ignore[no-untyped-def]
    from knowvember import stories

    assert stories.list_stories(db, ids=[2**70, -1, 0]) == []
    assert stories.erased_trails(db, [2**70]) == {}
