"""The `knowvember` command: a typer app wiring the core, collectors and reports together.

This is the one place that imports from all three layers. Each command group lives in its own
module and imports heavy libraries inside its commands, so `knowvember --help` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from knowvember import __version__
from knowvember.cli import (
    collect,
    demo,
    orgs,
    privacy,
    reporting,
    setup,
    stories,
    web,
)
from knowvember.cli.common import AppState, end_by_pending_signal, reader_gone, setup_logging

app = typer.Typer(
    name="knowvember",
    help="Collect, review and report on the NHS KNOWvember knowledge mobilisation campaign.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"knowvember {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", help="campaign.toml to use (default: $KNOWVEMBER_CONFIG, "
        "then ./campaign.toml).", dir_okay=True,
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="Show debug messages."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only warnings and errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Collect, review and report on the NHS KNOWvember knowledge mobilisation campaign."""
    ctx.obj = AppState(config_path=config, verbose=verbose, quiet=quiet)
    ctx.call_on_close(ctx.obj.close)
    setup_logging(verbose, quiet)


for module in (setup, collect, orgs, stories, reporting, demo, privacy, web):
    module.register(app)


def utf8_streams() -> None:
    """Write stdout and stderr as UTF-8 whatever the system's code page.

    Redirected to a file on Windows (`summary --format json > s.json`), Python writes in the
    ANSI code page (cp1252), which has no Welsh "ŷ" and no Arabic or Chinese letters: a
    contributor named in one ended the command with "unexpected UnicodeEncodeError". JSON
    and CSV are UTF-8 by their own rules, and every file the tool writes itself is UTF-8
    already. A message on stderr never stops a command: what it cannot write is replaced.
    """
    import codecs
    import io

    for name, errors in (("stdout", None), ("stderr", "replace")):
        stream = getattr(sys, name)
        if not isinstance(stream, io.TextIOWrapper):  # None (pythonw), or swapped by a caller
            continue
        try:
            if codecs.lookup(stream.encoding).name == "utf-8" and errors in (None, stream.errors):
                continue
            stream.reconfigure(encoding="utf-8", errors=errors or stream.errors)
        except (LookupError, ValueError, OSError):  # an unknown codec, or a closed stream
            continue


def main() -> None:
    utf8_streams()
    try:
        app(prog_name="knowvember")
    except SystemExit:
        try:
            sys.stdout.flush()  # what is still buffered, while a closed pipe can be told
        except BrokenPipeError:
            raise SystemExit(reader_gone()) from None
        end_by_pending_signal()
        raise
