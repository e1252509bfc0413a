"""Found in a fifth new-user trial of stories: `stories list --org Leeds` (a name several
trusts share) or `--technique coffee` listed no story, without a word on why."""

from __future__ import annotations

import json


def _submit(cli, org: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("stories", "submit", "--title", "Coffee roulette", "--body", "We paired staff.",
                 "--name", "Jo", "--email", "jo@nhs.net", "--consent", "--org", org,
                 "--technique", "Randomised Coffee Trials")
    assert result.exit_code == 0, result.stderr


def test_an_organisation_filter_that_names_no_organisation_says_so(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    _submit(cli, "RR8")
    result = cli("stories", "list", "--org", "Leeds")
    assert result.exit_code == 0
    said = " ".join(result.stderr.split())
    assert "--org 'Leeds' is no ODS code or organisation name known for sure" in said
    assert "RR8 (Leeds Teaching Hospitals NHS Trust)" in said and "0 stories." in said
    assert json.loads(cli("stories", "list", "--org", "RR8", "--format", "json").stdout)
    found = cli("stories", "list", "--org", "Leeds Teaching Hospitals")
    assert "known for sure" not in found.stderr


def test_a_technique_filter_the_taxonomy_does_not_know_says_so(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    _submit(cli, "RR8")
    result = cli("stories", "list", "--technique", "coffee", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert "--technique 'coffee' is no technique the taxonomy knows" in " ".join(
        result.stderr.split())
    known = cli("stories", "list", "--technique", "RCT", "--format", "json")
    assert len(json.loads(known.stdout)) == 1 and "taxonomy" not in known.stderr
