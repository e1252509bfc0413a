"""Coordinator accounts: the users core and the `users` commands."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from knowvember import users
from knowvember.cli.web import read_password
from knowvember.errors import InputError, NotFoundError
from knowvember.models import User

PASSWORD = "correct horse battery"


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs: the same code paths, milliseconds instead of a second."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", lambda: hasher)


def test_add_verify_list_remove(db, cheap_hashing) -> None:  # type: ignore[no-untyped-def]
    added = users.add_user(db, "Alice", PASSWORD)
    assert added.username == "alice"  # one coordinator whatever the case
    assert users.verify(db, "ALICE", PASSWORD) == added
    assert users.verify(db, "alice", PASSWORD + "x") is None
    assert users.verify(db, "nobody", PASSWORD) is None
    assert [u.username for u in users.list_users(db)] == ["alice"]
    users.remove_user(db, "alice")
    assert users.list_users(db) == []
    assert users.verify(db, "alice", PASSWORD) is None


def test_password_is_stored_as_argon2_hash_only(db) -> None:  # type: ignore[no-untyped-def]
    users.add_user(db, "bob", PASSWORD)
    with db.begin() as conn:
        stored = conn.execute(sa.select(User.__table__.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_refusals(db, cheap_hashing) -> None:  # type: ignore[no-untyped-def]
    users.add_user(db, "carol", PASSWORD)
    with pytest.raises(InputError, match="already exists"):
        users.add_user(db, "Carol", PASSWORD)
    with pytest.raises(InputError, match="at least 12"):
        users.add_user(db, "dave", "short")
    with pytest.raises(InputError, match="not valid"):
        users.add_user(db, "has space", PASSWORD)
    with pytest.raises(InputError, match="not valid"):
        users.add_user(db, "<script>", PASSWORD)
    # á is a letter to its owner: the refusal says which letters are meant.
    with pytest.raises(InputError, match=r"'Siobhán' is not valid: use 1-100 letters a-z "
                                         r"\(without accents\)"):
        users.add_user(db, "Siobhán", PASSWORD)
    with pytest.raises(NotFoundError):
        users.remove_user(db, "nobody")
    with pytest.raises(NotFoundError):
        users.set_password(db, "nobody", PASSWORD)
    assert users.verify(db, "carol", "x" * 5000) is None  # no megabyte hashing


def test_set_password_changes_fingerprint(db, cheap_hashing) -> None:  # type: ignore[no-untyped-def]
    before = users.add_user(db, "erin", PASSWORD)
    after = users.set_password(db, "erin", "another good password")
    assert after.fingerprint != before.fingerprint
    assert users.verify(db, "erin", PASSWORD) is None
    assert users.verify(db, "erin", "another good password") == after


def test_old_parameters_are_rehashed_on_login(sqlite_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", lambda: weak)
    users.add_user(sqlite_db, "frank", PASSWORD)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(users, "_hasher", lambda: stronger)
    assert users.verify(sqlite_db, "frank", PASSWORD) is not None
    with sqlite_db.begin() as conn:
        stored = conn.execute(sa.select(User.__table__.c.password_hash)).scalar_one()
    assert "m=2048,t=2" in stored


def test_cli_add_with_password_stdin_then_list_and_remove(cli, campaign_dir, cheap_hashing) -> None:  # type: ignore[no-untyped-def]
    result = cli("users", "add", "grace", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.stderr
    assert "Added user grace" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr

    listed = cli("users", "list", "--format", "json")
    assert listed.exit_code == 0
    data = json.loads(listed.stdout)
    assert [u["username"] for u in data] == ["grace"]
    assert "password" not in json.dumps(data).lower()
    assert "grace" in cli("users", "list").stdout

    again = cli("users", "add", "grace", "--password-stdin", input=PASSWORD + "\n")
    assert again.exit_code == 2 and "already exists" in again.stderr

    assert cli("users", "remove", "grace").exit_code == 0
    missing = cli("users", "remove", "grace")
    assert missing.exit_code == 6 and "no user" in missing.stderr


def test_cli_add_without_terminal_or_stdin_flag_fails(cli, campaign_dir) -> None:  # type: ignore[no-untyped-def]
    result = cli("users", "add", "heidi", input=PASSWORD + "\n")
    assert result.exit_code == 2
    assert "--password-stdin" in result.stderr
    assert cli("users", "list", "--format", "json").stdout.strip() == "[]"


def test_cli_refuses_empty_stdin_and_weak_password(cli, campaign_dir, cheap_hashing) -> None:  # type: ignore[no-untyped-def]
    empty = cli("users", "add", "ivan", "--password-stdin", input="")
    assert empty.exit_code == 2 and "no password" in empty.stderr
    weak = cli("users", "add", "ivan", "--password-stdin", input="abc\n")
    assert weak.exit_code == 2 and "at least 12" in weak.stderr


def test_cli_set_password(cli, campaign_dir, cheap_hashing) -> None:  # type: ignore[no-untyped-def]
    cli("users", "add", "judy", "--password-stdin", input=PASSWORD + "\n")
    result = cli("users", "set-password", "judy", "--password-stdin",
                 input="a brand new password\n")
    assert result.exit_code == 0, result.stderr


def test_read_password_prompts_twice_on_a_terminal() -> None:
    calls: list[dict[str, object]] = []

    def prompt(text: str, **kwargs: object) -> str:
        calls.append({"text": text, **kwargs})
        return PASSWORD

    assert read_password(False, isatty=lambda: True, prompt=prompt) == PASSWORD
    assert calls == [{"text": "Password", "hide_input": True, "confirmation_prompt": True,
                      "err": True}]


def test_read_password_from_stdin_keeps_inner_spaces() -> None:
    assert read_password(True, stdin_read=lambda: "  two  words \r\n") == "  two  words "
    with pytest.raises(InputError, match="not on a terminal"):
        read_password(False, isatty=lambda: False)
