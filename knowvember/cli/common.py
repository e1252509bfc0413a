"""What every command shares: the app state, error handling and output helpers.

Commands stay thin: parse options, call one core function, print. Errors from the core are
`KnowvemberError`s; `handled` turns them into a clear message on stderr and the error's exit
code, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from knowvember.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PIPE,
    EXIT_TERMINATED,
    EXIT_USAGE,
    KnowvemberError,
)
from knowvember.logfile import configure_log_file  # here too, where it used to live

if TYPE_CHECKING:
    from rich.console import Console

    from knowvember.config import Settings
    from knowvember.db import Database

log = logging.getLogger("knowvember")

F = TypeVar("F", bound=Callable[..., Any])


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


@dataclass
class AppState:
    """Global options and the lazily opened config and database."""

    config_path: Path | None = None
    verbose: int = 0
    quiet: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _db: Database | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from knowvember.config import load_settings

            self._settings = load_settings(self.config_path)
            configure_log_file(self._settings)
        return self._settings

    def db(self) -> Database:
        if self._db is None:
            from knowvember.db import open_database

            self._db = open_database(self.settings())
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = AppState()
    return root.obj  # type: ignore[no-any-return]


_console: Console | None = None


def err_console() -> Console:
    """Rich console on stderr: messages, progress and tables meant for people.

    On a terminal a long message wraps at the terminal's width. Anywhere else (cron mail, a
    log file, a pipe) there is no width to fit, and rich's 80-column default would cut one
    message into lines that grep and log readers take apart, so each message stays one line
    (tables still keep rich's width). Checked on every call: stderr can be swapped while
    the process runs (tests, embedding).
    """
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True, highlight=False)
    _console.soft_wrap = not _console.is_terminal
    return _console


def out_console() -> Console:
    """The console for data on stdout (tables). Its reader going away mid-table
    (`knowvember orgs list | head -1`) ends the command as every command's output does (exit
    141, quietly), not with the exit 1 rich gives, which cron and scripts take for a failure."""
    from rich.console import Console

    class DataConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return DataConsole(highlight=False, soft_wrap=True)


def emit_json(data: Any) -> None:
    """Data on stdout, one JSON document, so `| jq` works."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))
    sys.stdout.write("\n")
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err_console().print(f"[bold red]Error:[/] {_escape(message)}")
    return typer.Exit(code)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# A path that does not exist, is the wrong kind or may not be written: bad input (exit 2).
_PATH_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES,
                          errno.EPERM, errno.EROFS, errno.EEXIST})


def reader_gone() -> int:
    """stdout's reader went away (`knowvember runs --format json | head`): nothing is wrong
    with the command, so stop quietly, with the exit code of a tool killed by SIGPIPE, and
    point stdout at /dev/null so that Python's last flush does not complain either."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_PIPE


_end_by_signal: int | None = None


def terminated(signum: int | None = None) -> typer.Exit:
    """A command that stopped cleanly because SIGTERM (or SIGHUP) asked it to (systemd
    stopping the service, the terminal it ran in closing): once everything is closed, `main`
    ends the process by that signal itself.

    A service manager tells a stop it asked for from a failure by how the process ended:
    systemd counts death by SIGTERM as a clean stop of a service, but any exit code other
    than 0 (130, or 143 from `exit(143)`) as a failure, leaving the unit `failed`. Its
    documentation asks programs that catch the signal to clean up and then kill themselves
    with it. In-process (tests, embedding) the command just exits 128 + the signal's number
    (143 for SIGTERM, 129 for SIGHUP), as a shell reports a process the signal ended.
    """
    global _end_by_signal
    import signal

    _end_by_signal = signal.SIGTERM if signum is None else signum
    return typer.Exit(EXIT_TERMINATED if _end_by_signal == signal.SIGTERM
                      else 128 + _end_by_signal)


def detach_hung_up_terminal() -> None:
    """Point stdout and stderr at /dev/null where they are a terminal that has hung up.

    A terminal that closes (an SSH session dropped, the window shut) sends SIGHUP, and from
    then on every write to it fails with EIO: the clean stop SIGHUP asks for ended in
    "unexpected OSError" instead of recording the run and the stop. The kernel marks the
    terminal hung up before it sends the signal, so asking it (tcgetattr answers EIO) tells
    a closed terminal from a `kill -HUP` sent while the terminal is still there.
    """
    import termios

    for fd in (1, 2):
        try:
            termios.tcgetattr(fd)
        except termios.error as exc:
            if exc.args and exc.args[0] == errno.EIO:
                with contextlib.suppress(OSError):
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, fd)
                    os.close(devnull)
        except (OSError, ValueError):  # closed, or not a real descriptor (embedded use)
            continue


def end_by_pending_signal() -> None:
    """Called by `main` last: end the process by the signal `terminated` recorded, if any."""
    global _end_by_signal
    signum, _end_by_signal = _end_by_signal, None
    if signum is None:
        return
    import signal

    logging.shutdown()
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def handled(fn: F) -> F:
    """Run a command, turning domain errors into a message and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KnowvemberError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            err_console().print("Interrupted.")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            raise typer.Exit(reader_gone()) from None
        except OSError as exc:  # a folder that cannot be made, a file that cannot be written
            if exc.filename is None:
                raise fail(f"unexpected {type(exc).__name__}: {exc} (run with -v for "
                           "details, and please report it)") from None
            log.debug("file error", exc_info=True)
            where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 else "")
            code = EXIT_USAGE if exc.errno in _PATH_ERRNOS else EXIT_FAILED
            raise fail(f"{where}: {exc.strerror or exc}", code) from None
        except Exception as exc:  # a bug, not a user error: short message, details with -v
            log.debug("unexpected error", exc_info=True)
            raise fail(
                f"unexpected {type(exc).__name__}: {exc} (run with -v for details, and please "
                "report it)"
            ) from None

    return wrapper  # type: ignore[return-value]


def setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_knowvember", False):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler._knowvember = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for noisy in ("urllib3", "requests_oauthlib", "httpx", "httpcore", "matplotlib", "PIL",
                  "alembic", "fontTools", "tweepy"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.INFO)


class _StderrHandler(logging.Handler):
    """Log records as short lines on stderr (through rich when it is a terminal)."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "reported", False) and self.level > logging.DEBUG:
            return  # the command says it itself (knowvember.errors.REPORTED)
        try:
            message = record.getMessage()
            if record.exc_info and self.level <= logging.DEBUG:
                import traceback

                message += "\n" + "".join(traceback.format_exception(*record.exc_info))
            prefix = {logging.WARNING: "Warning: ", logging.ERROR: "Error: ",
                      logging.CRITICAL: "Error: "}.get(record.levelno, "")
            sys.stderr.write(f"{prefix}{message}\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def write_atomically(path: Path, text: str, example: str) -> None:
    """Write `--out`'s whole file or nothing: a spreadsheet or web server reading it never
    sees half an export or board, and a failed run leaves the last one as it was.

    `example` is a file name to suggest when `path` is a folder (`os.replace` onto a folder
    said "[Errno 16] Device or resource busy" and named a temporary file).
    """
    import tempfile

    from knowvember.errors import InputError, KnowvemberError

    if path.is_dir():
        raise InputError(f"--out {path}: is a folder; give the file to write, e.g. "
                         f"--out {path / example}")
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        # mkstemp makes the file private (0600); an export is for sharing and publishing,
        # so it gets the mode any new file would (a web server must read km-stories.html).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise KnowvemberError(f"--out {path}: cannot write it: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
