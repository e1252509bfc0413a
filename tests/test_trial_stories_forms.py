"""Found in a coordinator's trial of KM stories from the command line and form exports:
piped answers to `stories review` read as one answer per line (a note is never read as
keys), and re-exports of a form whose respondents changed their answers after review."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_stories_cli import SUBMIT, flat


def _submitted(cli: Any, count: int) -> list[int]:
    return [int(json.loads(cli(*SUBMIT, "--format", "json").stdout)["id"])
            for _ in range(count)]


def _trail(cli: Any, story_id: int) -> list[tuple[str, str | None]]:
    shown = json.loads(cli("stories", "show", str(story_id), "--format", "json").stdout)
    return [(e["action"], e["note"]) for e in shown["events"]]


@pytest.mark.parametrize("answers", [
    "s\nr\nSpam\na\n",          # keys, the note on the line after the r
    "skip\nreject\nSpam\napprove\n",  # the words instead of the keys
])
def test_a_piped_note_is_the_line_after_the_key_never_keys(
        campaign_dir, cli, monkeypatch, answers: str) -> None:  # type: ignore[no-untyped-def]
    """`printf 's\\nr\\nSpam\\na\\n' | stories review`: skip the first, reject the second with
    the note "Spam", approve the third. Read a key at a time, the newline after the r was
    the (empty) note, and then the `a` of "Spam" approved the second story."""
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    first, second, third = _submitted(cli, 3)
    result = cli("stories", "review", input=answers)
    assert result.exit_code == 0, result.stderr
    assert "Decided 2 of 3: 1 approved, 1 rejected, 0 sent back for changes, 1 skipped" in (
        flat(result.stderr))
    assert _trail(cli, first) == [("submitted", None)]
    assert _trail(cli, second) == [("submitted", None), ("rejected", "Spam")]
    assert _trail(cli, third) == [("submitted", None), ("approved", None)]


def test_a_piped_line_that_is_not_an_answer_decides_nothing(
        campaign_dir, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A line such as "approve it, ok" is not taken letter by letter (its `r` would reject):
    it is named as not an answer and the next line is read."""
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    (only,) = _submitted(cli, 1)
    result = cli("stories", "review", input="a\n")
    assert _trail(cli, only)[-1] == ("approved", None)
    (second,) = _submitted(cli, 1)
    result = cli("stories", "review", input="c\n\nq\n")
    assert "A note is needed" in flat(result.stderr)
    result = cli("stories", "review", input="request changes, ok\napprove it\nq\n")
    assert "Not an answer: 'request changes, ok'" in flat(result.stderr)
    assert "Not an answer: 'approve it'" in flat(result.stderr)
    assert _trail(cli, second) == [("submitted", None)]
    result = cli("stories", "review", input="request changes\nAdd the outcome\n")
    assert _trail(cli, second)[-1] == ("changes_requested", "Add the outcome")
    assert "Note (why? the trail keeps it): Add the outcome" in flat(result.stderr)


def test_keystrokes_sent_without_newlines_still_work(
        campaign_dir, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Input that does not start with an answer on its own line is read key by key, the
    note being the rest of the key's line, as before."""
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    first, second = _submitted(cli, 2)
    result = cli("stories", "review", input="arNot a KM story\n")
    assert result.exit_code == 0, result.stderr
    assert _trail(cli, first)[-1] == ("approved", None)
    assert _trail(cli, second)[-1] == ("rejected", "Not a KM story")
