"""Commands of this group are added by their issue; see knowvember/cli/setup.py for the pattern."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
