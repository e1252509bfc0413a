"""`summary --org` with an ODS successor the catalogue leaves out says what it is.

`summary --org G6V2S` (North London NHS FT, formed from RNK, RRP and TAF) said only that no
organisation with that code took part or is in the catalogue, as for a typing mistake;
`orgs show` and `orgs assign` already said whose successor it is and how to add it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from knowvember.errors import EXIT_NOT_FOUND


def test_a_successor_left_out_of_the_catalogue_is_explained(campaign_dir: Path,
                                                             cli: Any) -> None:
    result = cli("summary", "--org", "G6V2S")
    assert result.exit_code == EXIT_NOT_FOUND
    said = " ".join(result.output.split())
    assert "ODS gives it as the successor of RNK" in said
    assert "add it under [[organisations]]" in said


def test_a_code_nobody_has_still_points_to_the_list(campaign_dir: Path, cli: Any) -> None:
    result = cli("summary", "--org", "RXX1")
    assert result.exit_code == EXIT_NOT_FOUND
    assert "knowvember orgs list" in result.output
