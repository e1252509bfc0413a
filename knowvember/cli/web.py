"""The web app from the command line: coordinator accounts (`users`) and `serve`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import typer

from knowvember.cli.common import TableOrJson, emit_json, err_console, handled, state
from knowvember.errors import InputError, KnowvemberError


def register(app: typer.Typer) -> None:
    users_app = typer.Typer(help="Coordinator accounts for the web app.", no_args_is_help=True)
    users_app.command("add")(users_add)
    users_app.command("list")(users_list)
    users_app.command("remove")(users_remove)
    users_app.command("set-password")(users_set_password)
    app.add_typer(users_app, name="users")
    app.command("serve")(serve)


def read_password(
    password_stdin: bool,
    *,
    isatty: Callable[[], bool] | None = None,
    prompt: Callable[..., str] | None = None,
    stdin_read: Callable[[], str] | None = None,
) -> str:
    """The new password: piped on stdin when asked, else typed twice on a terminal.

    Never from an option: command lines end up in shell history and `ps` output.
    """
    if password_stdin:
        text = (stdin_read or sys.stdin.readline)()
        password = text.rstrip("\r\n")
        if not password:
            raise InputError("--password-stdin: standard input held no password")
        return password
    if not (isatty or sys.stdin.isatty)():
        raise InputError(
            "not on a terminal, so there is nobody to type the password: pipe it in with "
            "--password-stdin (e.g. `printf '%s\\n' \"$PASSWORD\" | knowvember users add NAME "
            "--password-stdin`)"
        )
    ask = prompt or typer.prompt
    return ask("Password", hide_input=True, confirmation_prompt=True, err=True)  # type: ignore[no-any-return]


@handled
def users_add(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="Username (letters a-z without accents, digits and . _ @ -; e.g. siobhan)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
) -> None:
    """Add a coordinator who can sign in to the web app (asks for the password twice)."""
    from knowvember.users import add_user, check_new_username

    # Before asking for a password the name would make useless: a name already taken was
    # refused only after the password had been typed twice.
    check_new_username(state(ctx).db(), name)
    password = read_password(password_stdin)
    user = add_user(state(ctx).db(), name, password)
    err_console().print(f"Added user {user.username}. They can sign in at /login.")


@handled
def users_set_password(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Username."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
) -> None:
    """Change a coordinator's password (signs them out everywhere)."""
    from knowvember.users import require_user, set_password

    require_user(state(ctx).db(), name)  # before asking for a password it could not set
    password = read_password(password_stdin)
    user = set_password(state(ctx).db(), name, password)
    err_console().print(f"Changed the password of {user.username}.")


@handled
def users_list(
    ctx: typer.Context,
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="Output format."),
) -> None:
    """List the coordinators who can sign in."""
    from knowvember.users import list_users

    found = list_users(state(ctx).db())
    if format is TableOrJson.json:
        emit_json([user.to_json() for user in found])
        return
    if not found:
        err_console().print("No users yet: add one with `knowvember users add NAME`.")
        return
    width = max(len(user.username) for user in found)
    for user in found:
        typer.echo(f"{user.username:<{width}}  added {user.created_at:%Y-%m-%d %H:%M} UTC")


@handled
def users_remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Username."),
) -> None:
    """Remove a coordinator (their web sessions end at once)."""
    from knowvember.users import remove_user

    removed = remove_user(state(ctx).db(), name)
    err_console().print(f"Removed user {removed}.", markup=False)


@handled
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1", "--forwarded-allow-ips",
        help="Comma-separated proxy addresses whose X-Forwarded-For/-Proto headers are trusted.",
    ),
) -> None:
    """Run the web app (story form, review queue, dashboard) with uvicorn."""
    with _environ_restored():
        _serve(ctx, host, port, workers, forwarded_allow_ips)


@contextlib.contextmanager
def _environ_restored() -> Iterator[None]:
    """Put the environment back as it was once `serve` returns.

    With `--workers`, `serve` tells its workers the config file and the session key through
    the environment. In one process that ran it (the test suite, a script calling the CLI),
    the config stayed set after the server stopped, and every later command read that
    campaign's config instead of the one in its own folder.
    """
    import os

    saved = dict(os.environ)
    try:
        yield
    finally:
        for name in set(os.environ) - set(saved):
            os.environ.pop(name, None)
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


def _serve(ctx: typer.Context, host: str, port: int, workers: int,
           forwarded_allow_ips: str) -> None:
    import os
    import secrets

    import uvicorn

    from knowvember.config import ENV_CONFIG

    host = host.strip()  # pasted from a runbook with a space after it
    check_host_shape(host)
    settings = state(ctx).settings()
    common = {
        "host": host, "port": port, "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips, "server_header": False,
        "log_level": "warning" if state(ctx).quiet else "info",
    }
    if workers > 1:
        if settings.path is None:
            raise InputError("--workers needs the settings in a campaign.toml file")
        secret_env = settings.web.secret_key_env
        if not os.environ.get(secret_env):
            err_console().print(
                f"Warning: {secret_env} is not set; using one random session key for these "
                "workers (everyone is signed out when the server restarts)."
            )
            os.environ[secret_env] = secrets.token_urlsafe(48)
    from knowvember.web import create_app

    # The app (its secret key, then the database: reachable, at this release's schema) before
    # saying it is served: "Serving ... on http://..." came first, then the error, and with
    # --workers each worker failed on its own with a traceback, restarted by uvicorn in a loop.
    app = create_app(settings)
    if settings.web.secure_cookies and host not in ("127.0.0.1", "::1", "localhost"):
        err_console().print("Note: secure_cookies is on; serve this behind an HTTPS proxy.")
    shown = f"[{host}]" if ":" in host else host  # http://::1:8000/ is no web address
    err_console().print(f"Serving {settings.campaign.name} on http://{shown}:{port}/ "
                        "(Ctrl+C to stop)", markup=False)
    if workers == 1:
        with _started_or_said_why(host, port):
            uvicorn.run(app, **common)
        return
    # Several processes: each builds its own app from the same config file and secret.
    app.state.kv.db.dispose()  # this one was the check; each worker opens its own
    os.environ[ENV_CONFIG] = str(settings.path)
    with _worker_failure_file() as failure:
        with _started_or_said_why(host, port):
            uvicorn.run("knowvember.web:create_app_from_env", factory=True, workers=workers,
                        **common)
        if failure is not None:
            _raise_worker_failure(failure)


@contextlib.contextmanager
def _worker_failure_file() -> Iterator[Path | None]:
    """A temporary file the workers are told of, to write why one of them could not start;
    None where no temporary folder can be written (the workers then start all the same)."""
    import os
    import tempfile

    from knowvember.web.app import WORKER_FAILURE_FILE_ENV

    try:
        descriptor, name = tempfile.mkstemp(prefix="knowvember-serve-", suffix=".txt")
    except OSError:
        yield None
        return
    os.close(descriptor)
    os.environ[WORKER_FAILURE_FILE_ENV] = name
    try:
        yield Path(name)
    finally:
        os.environ.pop(WORKER_FAILURE_FILE_ENV, None)
        Path(name).unlink(missing_ok=True)


def _raise_worker_failure(failure: Path) -> None:
    """The error a worker recorded when it could not start (uvicorn then stopped the server
    and returned as after Ctrl+C), with the exit code that error has."""
    try:
        text = failure.read_text(encoding="utf-8")
    except OSError:
        return
    code, _, message = text.partition("\n")
    if not message:
        return
    error = KnowvemberError(f"the web server stopped: a worker could not start ({message})")
    error.exit_code = int(code) if code.isdigit() else error.exit_code
    raise error


@contextlib.contextmanager
def _started_or_said_why(host: str, port: int) -> Iterator[None]:
    """uvicorn that could not start the server exits 3 (one worker; this CLI's code for a
    bad campaign.toml) or 1, having only logged why: the reason as an error of ours."""
    try:
        yield
    except SystemExit as exc:
        if exc.code in (0, None):
            raise
        check_can_listen(host, port)
        raise KnowvemberError(f"the web server did not start on {host}:{port} (uvicorn's "
                              "error above says why)") from None


def check_host_shape(host: str) -> None:
    """Refuse a web address or `host:port` given as --host, saying what to write instead.

    Both were "not an address or name this machine can look up ([Errno -2] Name or service
    not known)", after the line saying the app was being served there.
    """
    from urllib.parse import urlsplit

    if "://" in host:
        parts = urlsplit(host)
        try:
            given = f" --port {parts.port}" if parts.port else ""
        except ValueError:
            given = ""
        raise InputError(f"--host {host}: give the address alone, not a web address: "
                         f"--host {parts.hostname or '0.0.0.0'}{given}")
    if host.startswith("[") and "]" in host:  # an IPv6 address as a web address writes it
        name, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":")
        given = f" --port {port}" if port.isdigit() else ""
        raise InputError(f"--host {host}: give the address without brackets: "
                         f"--host {name}{given}")
    name, colon, port = host.rpartition(":")
    if colon and name and ":" not in name and port.isdigit():  # not an IPv6 address
        raise InputError(f"--host {host}: give the port with --port, not in --host: "
                         f"--host {name} --port {port}")


def check_can_listen(host: str, port: int) -> None:
    """Refuse, naming the address, a host this machine does not have or a port in use.

    Asked after uvicorn failed to start, so a running server holds no probe socket.
    """
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"--host {host}: not an address or name this machine can look up "
                         f"({exc})") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise KnowvemberError(
                    f"cannot listen on {host}:{port}: another program (perhaps another "
                    "`knowvember serve`) is using that port; stop it or choose another "
                    "with --port") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise InputError(f"--host {host}: this machine has no such address (use "
                                 "127.0.0.1, or 0.0.0.0 for every address)") from None
            if exc.errno == errno.EACCES:
                raise KnowvemberError(
                    f"cannot listen on {host}:{port}: not allowed (ports below 1024 need "
                    "administrator rights; use --port 8000 behind a proxy)") from None
            raise KnowvemberError(f"cannot listen on {host}:{port} ({exc})") from None
