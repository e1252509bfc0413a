"""The tenth session's trial of `summary --org` as a librarian types it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

HEADER = ("platform,id,author_handle,author_name,author_followers,created_at,text,"
          "likes,reposts,replies,quotes\n")


def test_a_name_given_to_org_is_answered_with_its_code(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    """`summary --org "University Hospitals of Leicester"` said only that no organisation
    has that code; the message now names the code to use (and does not guess for the
    coordinator: the wrong trust's numbers would be published as right)."""
    write_config('\n[[organisations]]\ncode = "RWE"\naccounts = ["x:@uhl"]\n')
    (campaign_dir / "posts.csv").write_text(
        HEADER + "x,1,@uhl,UHL,10,2019-11-05T10:00:00Z,#KNOWvember19 hi,0,0,0,0\n",
        encoding="utf-8")
    assert cli("import", "csv", "posts.csv").exit_code == 0
    result = cli("summary", "--org", "University Hospitals of Leicester")
    assert result.exit_code == 6
    assert ("--org takes an ODS code: did you mean --org RWE (University Hospitals of "
            "Leicester NHS Trust)?") in result.stderr
    unknown = cli("summary", "--org", "XYZ")
    assert unknown.exit_code == 6
    assert "knowvember orgs list" in unknown.stderr
    assert cli("summary", "--org", "rwe").exit_code == 0
