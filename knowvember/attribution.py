"""Attributing accounts to organisations.

INTERFACE PLACEHOLDER: the organisations-and-techniques work replaces this body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowvember.config import Settings
    from knowvember.db import Database


@dataclass
class AttributionSummary:
    checked: int = 0
    by_config: int = 0
    auto: int = 0
    queued: int = 0


def attribute_accounts(
    db: Database, settings: Settings, account_ids: Iterable[int] | None = None
) -> AttributionSummary:
    """Apply config mappings and confident automatic matches to accounts (None: all)."""
    return AttributionSummary()
