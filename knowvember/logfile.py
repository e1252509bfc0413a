"""The campaign's log file (`[logging] file`): shared by the CLI and the web app's workers.

A library module, not the CLI's: a web worker started by uvicorn (`create_app_from_env`) sets
up the same log file, and the web app must not depend on the command line to do it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowvember.config import Settings


def configure_log_file(settings: Settings) -> None:
    """Also log to `[logging] file` when set (full detail, timestamps)."""
    if settings.logging.file is None:
        return
    path = settings.resolve(settings.logging.file)
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_knowvember_file", None) == str(path):
            return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Watched: reopened when the file is moved or deleted (logrotate, or a coordinator
        # clearing a big log) while `schedule` runs for a month; a plain FileHandler went on
        # writing into the moved or deleted file, and the new log stayed empty.
        from logging.handlers import WatchedFileHandler

        handler = WatchedFileHandler(path, encoding="utf-8")
    except OSError as exc:
        from knowvember.errors import ConfigError

        # Named like every other config error (file: key: what is wrong), and the folder
        # a log file needs said plainly: "[Errno 2] No such file or directory: '/x'" was all.
        reason = ("it is a folder" if path.is_dir()
                  else exc.strerror or str(exc))
        raise ConfigError(f"{settings.path}: logging.file: cannot write {path} "
                          f"({reason})") from exc
    handler._knowvember_file = str(path)  # type: ignore[attr-defined]
    handler.setLevel(getattr(logging, settings.logging.level))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
