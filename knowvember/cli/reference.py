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


def walk(command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:  # type: ignore[no-untyped-def]
    """Every command and group, depth first, in the order --help lists them."""
    import click

    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=" ".join(("knowvember", *path)))
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, (*path, name))


def help_text(command, path: tuple[str, ...]) -> str:  # type: ignore[no-untyped-def]
    import click

    parent = None
    for depth in range(len(path) + 1):
        parent = click.Context(
            command if depth == len(path) else click.Group(),
            info_name="knowvember" if depth == 0 else path[depth - 1],
            parent=parent,
            terminal_width=100,
            max_content_width=100,
        )
    return command.get_help(parent).rstrip()


def render(app: typer.Typer) -> str:
    root = get_command(app)
    parts = [HEADER]
    for path, command in walk(root):
        title = " ".join(("knowvember", *path))
        parts.append(f"## `{title}`\n\n```text\n{help_text(command, path)}\n```\n")
    return "\n".join(parts)


def main() -> None:
    import os

    os.environ.setdefault("COLUMNS", "100")
    os.environ["TERMINAL_WIDTH"] = "100"
    from knowvember.cli import app

    sys.stdout.write(render(app))


if __name__ == "__main__":
    main()
