"""A story's typed organisation answer is read as a name whatever its case (fifth trial).

A story form's "Organisation" question gets "ltht", "Gosh" or "uhl library": the whole
answer is the organisation, but an acronym counted only when written in capitals (as it must
in a bio, where "gosh" is a word), so these stories were kept unattributed and left out of
their trust's story count.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from knowvember.organisations import Catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize(("text", "code"), [
    ("ltht", "RR8"), ("Ltht", "RR8"), ("gosh", "RP4"), ("Gosh", "RP4"), ("uhl", "RWE"),
    ("uhl library", "RWE"), ("Ltht Library", "RR8"), ("nuh", "RX1"), ("mft", "R0A"),
    ("UHL", "RWE"), ("rwe", "RWE"), ("Leeds teaching hospitals", "RR8"),
])
def test_a_short_typed_answer_resolves_in_any_case(
    catalogue: Catalogue, text: str, code: str
) -> None:
    org = catalogue.resolve(text)
    assert org is not None and org.code == code, text


@pytest.mark.parametrize("text", [
    "nhs", "Nhs", "lks", "Library", "leeds", "st georges", "The library", "uhl leeds",
    # A sentence is no short answer: its words keep their case rules.
    "we are the gosh of the north west library",
])
def test_what_names_no_one_organisation_still_resolves_to_none(
    catalogue: Catalogue, text: str
) -> None:
    assert catalogue.resolve(text) is None, text


def test_a_bio_still_needs_capitals(catalogue: Catalogue) -> None:
    """Only the typed answer is read in any case: "gosh" in a bio is still a word."""
    assert not any(c.auto for c in catalogue.match("gosh what a day at the library"))


def test_a_story_submitted_with_a_lower_case_acronym_is_attributed(
    cli: Callable[..., object], campaign_dir: Path
) -> None:
    result = cli("stories", "submit", "--title", "Our first peer assist", "--body",
                 "We ran a peer assist with the ward team.", "--org", "ltht", "--name",
                 "A Librarian", "--email", "a.librarian@nhs.net", "--consent",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    story = json.loads(result.stdout)  # type: ignore[attr-defined]
    shown = json.loads(cli("stories", "show", str(story["id"]),  # type: ignore[attr-defined]
                           "--format", "json").stdout)
    assert shown["organisation_code"] == "RR8", shown
