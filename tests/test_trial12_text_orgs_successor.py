"""The twelfth trial: `orgs show` of a successor the catalogue leaves out says so.

`orgs show RNK` says "Successor: G6V2S (not in the catalogue: reported as itself)", and
`orgs show G6V2S` then answered "no organisation with code 'G6V2S' (try `knowvember orgs
match 'G6V2S'` to search by name)", as for a typing mistake: a name search for a code finds
nothing. It now says whose successor it is and how to add it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowvember.errors import EXIT_NOT_FOUND


def test_a_successor_left_out_names_its_trusts_and_the_way_to_add_it(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(tmp_path)  # no campaign: the built-in catalogue
    result = cli("orgs", "show", "g6v2s")
    assert result.exit_code == EXIT_NOT_FOUND
    message = " ".join(result.stderr.split())
    assert "G6V2S is not in the organisations catalogue" in message
    assert "successor of RNK Tavistock and Portman NHS Foundation Trust" in message
    assert "TAF Camden and Islington NHS Foundation Trust" in message
    assert "add it under [[organisations]] in campaign.toml" in message
    assert "orgs match" not in message


def test_a_typing_mistake_still_points_to_the_name_search(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("orgs", "show", "ZZ9")
    assert result.exit_code == EXIT_NOT_FOUND
    assert "no organisation with code 'ZZ9'" in result.stderr
