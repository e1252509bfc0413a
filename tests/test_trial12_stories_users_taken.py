"""`users add NAME` with a name already taken says so before asking for the password.

It asked for the new coordinator's password, twice on a terminal, and only then said
"user 'alice' already exists": the password typed was for nothing, and a coordinator
adding "Alice" again (usernames ignore case) learnt late that she is there already.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowvember.errors import EXIT_USAGE


def test_a_taken_name_is_refused_before_the_password_is_asked(
        campaign_dir: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from knowvember.cli import web
    from tests.web_support import PASSWORD, cheap_hashing

    cheap_hashing(monkeypatch)
    added = cli("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.stderr

    def no_password(*args: object, **kwargs: object) -> str:
        raise AssertionError("the password was asked for")

    monkeypatch.setattr(web, "read_password", no_password)
    again = cli("users", "add", "Alice")
    assert again.exit_code == EXIT_USAGE, again.stderr
    assert "user 'alice' already exists" in again.stderr


def test_users_remove_names_the_user_as_listed(campaign_dir: Path, cli,
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """`users remove ALICE` said "Removed user ALICE.", a name `users list` never shows."""
    from tests.web_support import PASSWORD, cheap_hashing

    cheap_hashing(monkeypatch)
    assert cli("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    removed = cli("users", "remove", "ALICE")
    assert removed.exit_code == 0, removed.stderr
    assert "Removed user alice." in removed.stderr
