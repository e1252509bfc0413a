"""Knowledge mobilisation techniques: taxonomy and matching.

INTERFACE PLACEHOLDER: the organisations-and-techniques work replaces this body; the
signatures below are the contract other modules code against.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowvember.config import Settings


@dataclass(frozen=True)
class Technique:
    name: str  # canonical name, e.g. "Peer Assist"
    phases: tuple[str, ...]  # subset of ("before", "during", "after")
    synonyms: tuple[str, ...] = ()


class Taxonomy:
    def __init__(self, techniques: list[Technique]) -> None:
        self.techniques = techniques

    @classmethod
    def load(cls, settings: Settings | None = None) -> Taxonomy:
        return cls([])

    def tag(self, text: str) -> list[str]:
        """Canonical names of the techniques `text` mentions."""
        return []

    def get(self, name: str) -> Technique | None:
        """A technique by canonical name, synonym or abbreviation (case-insensitive)."""
        return None

    def __iter__(self) -> Iterator[Technique]:
        return iter(self.techniques)
