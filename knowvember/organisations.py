"""The organisations catalogue: NHS trusts (open, closed, former names) plus config entries.

INTERFACE PLACEHOLDER: the organisations-and-techniques work replaces this body.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowvember.config import Settings
    from knowvember.db import Database


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    region: str | None
    region_code: str | None = None
    kind: str = "trust"  # trust | closed | custom
    aliases: tuple[str, ...] = ()
    former_names: tuple[tuple[str, str], ...] = ()  # (former name, seen_in)
    opened: dt.date | None = None
    closed: dt.date | None = None
    successor_codes: tuple[str, ...] = ()
    out_of_scope: bool = False


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    region: str | None
    confidence: float  # 0..1
    auto: bool  # confident enough to apply without review


class Catalogue:
    def __init__(self, organisations: list[Organisation]) -> None:
        self._by_code = {o.code.upper(): o for o in organisations}

    @classmethod
    def load(cls, settings: Settings | None = None) -> Catalogue:
        return cls([])

    def get(self, code: str) -> Organisation | None:
        return self._by_code.get(code.strip().upper())

    def match(self, text: str, *, limit: int = 5) -> list[Candidate]:
        """Best candidates for a bio, display name or typed organisation name."""
        return []

    def resolve(self, text: str) -> Organisation | None:
        """An ODS code or a confidently matched name -> organisation, else None."""
        return self.get(text)

    def name_as_of(self, code: str, date: dt.date) -> str:
        """The organisation's name at `date` (former names for earlier campaigns)."""
        org = self.get(code)
        return org.name if org else code

    def current_code(self, code: str, date: dt.date) -> str:
        """The code to report under at `date`: successors replace trusts closed before it."""
        return code

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self._by_code.values())


def sync_organisations(db: Database, catalogue: Catalogue) -> None:
    """Write the catalogue to the organisations table (so reports can join in SQL)."""
