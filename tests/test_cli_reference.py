"""Docs that cannot drift: docs/cli.md is the commands' own --help, and every command has help."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from knowvember.cli import app
from knowvember.cli.reference import render, walk

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def test_every_command_and_option_has_help_text() -> None:
    missing = []
    for path, command, _ctx in walk(get_command(app)):
        name = " ".join(("knowvember", *path))
        if not (command.help or "").strip():  # type: ignore[attr-defined]
            missing.append(name)
        for param in command.params:  # type: ignore[attr-defined]
            if param.param_type_name == "option" and not (param.help or "").strip():
                missing.append(f"{name} {param.opts[0]}")
    assert missing == [], f"commands/options without help text: {missing}"


def test_docs_cli_md_is_generated_from_help(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERMINAL_WIDTH", "100")
    expected = render(app)
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/cli.md is out of date: run `python -m knowvember.cli.reference > docs/cli.md`"
    )
