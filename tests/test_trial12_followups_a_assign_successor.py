"""`orgs assign` to an ODS successor the catalogue leaves out says why, as `orgs show` does.

`orgs assign x:@jo_lib G6V2S` (North London NHS FT, the successor ODS names for Tavistock
and Portman and for Barnet, Enfield and Haringey) said only "no organisation with code
'G6V2S'", which sent a coordinator looking for a typing mistake.
"""

from __future__ import annotations

from typing import Any

from knowvember.errors import EXIT_NOT_FOUND
from knowvember.organisations import Catalogue
from tests.test_cli_orgs import populated  # noqa: F401  (the fixture)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_assign_to_a_missing_successor_says_whose_successor_and_how_to_add_it(
        cli: Any, populated: Any) -> None:  # noqa: F811
    result = cli("orgs", "assign", "x:@jo_lib", "g6v2s")
    assert result.exit_code == EXIT_NOT_FOUND
    said = _flat(result.stderr)
    assert "no organisation with code" not in said
    assert ("G6V2S is not in the organisations catalogue, though ODS gives it as the "
            "successor of RNK Tavistock and Portman NHS Foundation Trust") in said
    assert ('add it under [[organisations]] in campaign.toml (code = "G6V2S" and its name) '
            "to report them under it, then assign the account to it") in said


def test_assign_to_an_unknown_code_keeps_the_plain_message(cli: Any, populated: Any,  # noqa: F811
                                                           ) -> None:
    result = cli("orgs", "assign", "x:@jo_lib", "ZZZ9")
    assert result.exit_code == EXIT_NOT_FOUND
    assert "no organisation with code 'ZZZ9'" in _flat(result.stderr)


def test_only_a_successor_missing_from_the_catalogue_is_explained() -> None:
    catalogue = Catalogue.load()
    assert catalogue.missing_successor("ZZZ9") is None
    assert catalogue.missing_successor("RNK") is None  # in the catalogue, if closed
    assert catalogue.missing_successor(" g6v2s ") is not None
