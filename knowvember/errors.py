"""Domain errors and the exit codes the CLI maps them to.

Every error a user can cause is a `KnowvemberError`: the CLI prints its message (never a
traceback) and exits with its `exit_code`, so cron and scripts can tell failures apart.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # a run or operation failed
EXIT_USAGE = 2  # bad command-line usage (also typer's own code)
EXIT_CONFIG = 3  # campaign.toml missing or invalid
EXIT_PARTIAL = 4  # finished, but some records, rows or pages failed
EXIT_DATABASE = 5  # the database cannot be opened or written
EXIT_NOT_FOUND = 6  # a named story, account or organisation does not exist
EXIT_CONFLICT = 7  # the action does not fit the record's state (approving a rejected story)
EXIT_LOCKED = 75  # another run holds the lock (EX_TEMPFAIL: try again later)
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C, as a shell reports SIGINT
EXIT_TERMINATED = 143  # `schedule` stopped by SIGTERM: the process ends by that signal
EXIT_PIPE = 141  # the output's reader went away (`| head`), as for a tool killed by SIGPIPE


# `extra=` for a log record whose news the caller hands back and says itself (the CLI prints
# an import's skipped lines, an erasure, a re-tag): a log file keeps the record, the console
# leaves it out (unless -v), so nothing is said twice.
REPORTED = {"reported": True}


class KnowvemberError(Exception):
    """An error with a message meant for a coordinator, not a developer."""

    exit_code = EXIT_FAILED


class ConfigError(KnowvemberError):
    exit_code = EXIT_CONFIG


class InputError(KnowvemberError):
    """Bad input data: a file, a row, a field."""

    exit_code = EXIT_USAGE


class NotFoundError(KnowvemberError):
    exit_code = EXIT_NOT_FOUND


class ConflictError(KnowvemberError):
    """Refused because of the record's current state, e.g. approving an already rejected story."""

    exit_code = EXIT_CONFLICT


class DatabaseError(KnowvemberError):
    exit_code = EXIT_DATABASE


class AlreadyRunningError(KnowvemberError):
    exit_code = EXIT_LOCKED


class PartialError(KnowvemberError):
    """The work finished but some parts failed; what succeeded is stored."""

    exit_code = EXIT_PARTIAL


EXCERPT_CHARS = 100


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Text quoted from a user's file, made to fit a one-line message.

    What a message quotes can be huge (the "header" of a JSON page read as CSV is the whole
    page: 379 KB once) and it is kept in the run log too, so it is cut to `limit` characters
    with an ellipsis; line breaks and runs of spaces become one space, and other control
    characters are shown escaped, so the message stays one readable line.
    """
    flat = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in " ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def quoted(value: str, limit: int = 60) -> str:
    """A value from a user's file as a message quotes it: `repr` of a short excerpt."""
    return repr(excerpt(value, limit))
