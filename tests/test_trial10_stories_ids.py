"""Found in a fifth new-user trial of stories: a story id too large for the database (a
pasted response id, a phone number) is "no such story", not "unexpected OverflowError ...
please report it" (SQLite) or a driver's error (PostgreSQL)."""

from __future__ import annotations

import pytest

from knowvember import stories
from knowvember.errors import EXIT_NOT_FOUND, NotFoundError

TOO_BIG = ["2147483648", "99999999999999999999"]


@pytest.mark.parametrize("story_id", TOO_BIG)
@pytest.mark.parametrize("command", [
    ["show"], ["approve"], ["reject", "--note", "No"], ["request-changes", "--note", "More"],
    ["edit", "--title", "New"], ["delete", "--yes"],
])
def test_an_id_beyond_the_database_s_integers_is_no_such_story(  # type: ignore[no-untyped-def]
        campaign_dir, cli, monkeypatch, command: list[str], story_id: str) -> None:
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    result = cli("stories", command[0], story_id, *command[1:])
    assert result.exit_code == EXIT_NOT_FOUND, result.stderr
    said = " ".join(result.stderr.split())
    assert f"there is no story {story_id} in this campaign" in said
    assert "unexpected" not in said


def test_on_each_database_too(db, settings) -> None:  # type: ignore[no-untyped-def]
    for story_id in (2**31, 2**63, 0):
        with pytest.raises(NotFoundError, match=f"there is no story {story_id} "):
            stories.get_story(db, story_id)
        with pytest.raises(NotFoundError):
            stories.transition(db, story_id, "approve", reviewer="Ann")
        with pytest.raises(NotFoundError):
            stories.delete_story(db, story_id, reviewer="Ann")
        assert stories.story_events(db, story_id) == []


@pytest.mark.parametrize("folder", [".", "site"])
def test_export_out_a_folder_asks_for_a_file_name(campaign_dir, cli, folder: str) -> None:  # type: ignore[no-untyped-def]
    (campaign_dir / "site").mkdir()
    result = cli("stories", "export", "--format", "html", "--out", folder)
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert f"--out {folder}: is a folder; give the file to write" in said
    assert "Errno" not in said
    assert sorted(p.name for p in (campaign_dir / "site").iterdir()) == []
