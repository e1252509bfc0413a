"""The ninth session's trial of organisations: `orgs unmatched` after `orgs unassign`.

With every other account attributed, an account a coordinator unassigned ("this one is no
organisation") made `orgs unmatched` say "Every active account has an organisation.",
which it has not: the coordinator's list of who is counted under no organisation was out
of sight, with no hint that `--all` shows it.
"""

from __future__ import annotations

from tests.test_cli_orgs import populated  # noqa: F401  (the fixture)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_unassigned_accounts_are_said_to_be_left_out(  # type: ignore[no-untyped-def]
    cli, populated,  # noqa: F811
) -> None:
    assert cli("orgs", "assign", "mastodon:@kls@nhs.social", "RR8").exit_code == 0
    assert cli("orgs", "unassign", "x:@jo_lib").exit_code == 0
    result = cli("orgs", "unmatched")
    assert result.exit_code == 0, result.stderr
    said = _flat(result.stderr)
    assert "Every active account has an organisation" not in said
    assert ("No active account is waiting for an organisation; 1 account has none because a "
            "coordinator said so (orgs unassign): `knowvember orgs unmatched --all` lists "
            "them.") in said
    listed = cli("orgs", "unmatched", "--all")
    assert "x:@jo_lib" in listed.stdout and "Not shown" not in listed.stderr


def test_a_table_says_how_many_unassigned_it_leaves_out(  # type: ignore[no-untyped-def]
    cli, populated,  # noqa: F811
) -> None:
    assert cli("orgs", "unassign", "x:@uhllibraries").exit_code == 0
    result = cli("orgs", "unmatched")
    assert result.exit_code == 0 and "x:@jo_lib" in result.stdout
    assert "x:@uhllibraries" not in result.stdout
    assert ("Not shown: 1 account a coordinator marked as having no organisation (orgs "
            "unassign)") in _flat(result.stderr)


def test_nothing_unassigned_says_every_account_has_one(  # type: ignore[no-untyped-def]
    cli, populated,  # noqa: F811
) -> None:
    assert cli("orgs", "assign", "mastodon:@kls@nhs.social", "RR8").exit_code == 0
    assert cli("orgs", "assign", "x:@jo_lib", "RWE").exit_code == 0
    result = cli("orgs", "unmatched")
    assert _flat(result.stderr) == "Every active account has an organisation."
    json_out = cli("orgs", "unmatched", "--format", "json")
    assert json_out.stdout.strip().startswith("{") and '"accounts": []' in json_out.stdout
