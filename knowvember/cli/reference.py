"""The CLI reference in docs/cli.md, generated from the commands' own --help.

Run `python -m knowvember.cli.reference > docs/cli.md` after changing a command;
tests/test_cli_reference.py fails when the file is out of date or a command lacks help.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import typer
from typer.main import get_command

HEADER = """# knowvember command reference

Generated from `knowvember --help` by `python -m knowvember.cli.reference > docs/cli.md`;
do not edit by hand (a test fails when it drifts).
"""


def _context(command, info_name: str, parent=None):  # type: ignore[no-untyped-def]
    """A context of the command's own click flavour (typer vendors click).

    The command's own context settings apply, as they do when it runs: the root's
    `help_option_names` give every command its `-h, --help`.
    """
    settings = {**command.context_settings, "terminal_width": 100, "max_content_width": 100}
    return command.context_class(command, info_name=info_name, parent=parent, **settings)


def walk(  # type: ignore[no-untyped-def]
    command, path: tuple[str, ...] = (), ctx=None
) -> Iterator[tuple[tuple[str, ...], object, object]]:
    """Every command and group with its context, depth first, in --help order."""
    ctx = ctx or _context(command, "knowvember")
    yield path, command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, (*path, name), _context(sub, name, ctx))


def render(app: typer.Typer) -> str:
    root = get_command(app)
    parts = [HEADER]
    for path, command, ctx in walk(root):
        title = " ".join(("knowvember", *path))
        parts.append(f"## `{title}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
    return "\n".join(parts)


def main() -> None:
    import os

    os.environ.setdefault("COLUMNS", "100")
    os.environ["TERMINAL_WIDTH"] = "100"
    from knowvember.cli import app

    sys.stdout.write(render(app))


if __name__ == "__main__":
    main()
