"""Coordinator accounts for the web app: add, list, remove, verify a password.

Passwords are hashed with Argon2id (argon2-cffi's recommended parameters); the plain password
is never stored, logged or put in an error. `verify` spends the same hashing time whether or
not the user exists, so response times do not reveal which usernames are real, and it
re-hashes a password whose stored hash uses older parameters.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlalchemy as sa

from knowvember.errors import InputError, NotFoundError
from knowvember.models import User, utcnow

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from knowvember.db import Database

log = logging.getLogger(__name__)

users_t = User.__table__

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # hashing a megabyte "password" is a cheap denial of service
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


@dataclass(frozen=True)
class UserInfo:
    """A coordinator as the CLI and the web app see one (never the hash itself)."""

    id: int
    username: str
    created_at: dt.datetime
    # A short digest of the stored hash: a web session remembers it, so changing the password
    # or removing the user ends every session opened before.
    fingerprint: str

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "username": self.username, "created_at": self.created_at}


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a real password, only for equal timing")


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def _info(row: sa.Row[tuple[int, str, str, dt.datetime]]) -> UserInfo:
    return UserInfo(
        id=int(row.id),
        username=row.username,
        created_at=row.created_at,
        fingerprint=_fingerprint(row.password_hash),
    )


def normalise_username(username: str) -> str:
    """Usernames compare case-insensitively: `Alice` and `alice` are one coordinator."""
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise InputError(
            f"username {username!r} is not valid: use 1-100 letters a-z (without accents), "
            "digits and . _ @ -, starting with a letter or digit"
        )
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InputError(f"the password must have at most {MAX_PASSWORD_CHARS} characters")
    if not password.strip():
        raise InputError("the password must not be only spaces")


def _select() -> sa.Select[tuple[int, str, str, dt.datetime]]:
    return sa.select(users_t.c.id, users_t.c.username, users_t.c.password_hash,
                     users_t.c.created_at)


def _taken(name: str) -> InputError:
    return InputError(f"user {name!r} already exists (use `users set-password` to change "
                      "the password)")


def check_new_username(db: Database, username: str) -> str:
    """The username a new coordinator would have, or InputError when it is not valid or is
    taken: asked before a password is typed (twice) for an account that cannot be added."""
    name = check_username(username)
    with db.begin() as conn:
        if conn.execute(sa.select(users_t.c.id).where(users_t.c.username == name)).first():
            raise _taken(name)
    return name


def add_user(db: Database, username: str, password: str) -> UserInfo:
    """Create a coordinator account; refuses an existing name or a weak password."""
    name = check_username(username)
    check_password(password)
    password_hash = _hasher().hash(password)
    with db.begin() as conn:
        if conn.execute(sa.select(users_t.c.id).where(users_t.c.username == name)).first():
            raise _taken(name)
        conn.execute(users_t.insert().values(username=name, password_hash=password_hash,
                                             created_at=utcnow()))
        row = conn.execute(_select().where(users_t.c.username == name)).one()
    log.debug("Added user %s", name)
    return _info(row)


def set_password(db: Database, username: str, password: str) -> UserInfo:
    """Replace a coordinator's password (their open web sessions end)."""
    name = normalise_username(username)
    check_password(password)
    password_hash = _hasher().hash(password)
    with db.begin() as conn:
        result = conn.execute(users_t.update().where(users_t.c.username == name)
                              .values(password_hash=password_hash))
        if result.rowcount == 0:
            raise NotFoundError(f"no user {name!r} (see `knowvember users list`)")
        row = conn.execute(_select().where(users_t.c.username == name)).one()
    log.debug("Changed the password of user %s", name)
    return _info(row)


def list_users(db: Database) -> list[UserInfo]:
    with db.begin() as conn:
        rows = conn.execute(_select().order_by(users_t.c.username)).all()
    return [_info(row) for row in rows]


def get_user(db: Database, user_id: int) -> UserInfo | None:
    with db.begin() as conn:
        row = conn.execute(_select().where(users_t.c.id == user_id)).first()
    return _info(row) if row else None


def require_user(db: Database, username: str) -> UserInfo:
    """The coordinator called `username`, or NotFoundError naming the command that lists them
    (asked before a new password is typed for a name that is not there)."""
    name = normalise_username(username)
    with db.begin() as conn:
        row = conn.execute(_select().where(users_t.c.username == name)).first()
    if row is None:
        raise NotFoundError(f"no user {name!r} (see `knowvember users list`)")
    return _info(row)


def remove_user(db: Database, username: str) -> str:
    """Delete a coordinator account; their web sessions stop working at once. Returns the
    username removed (as stored: `users remove Alice` removes alice)."""
    name = normalise_username(username)
    with db.begin() as conn:
        result = conn.execute(users_t.delete().where(users_t.c.username == name))
    if result.rowcount == 0:
        raise NotFoundError(f"no user {name!r} (see `knowvember users list`)")
    log.debug("Removed user %s", name)
    return name


def verify(db: Database, username: str, password: str) -> UserInfo | None:
    """The user when the password is right, else None (same work either way)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    name = normalise_username(username)
    if len(password) > MAX_PASSWORD_CHARS:
        return None
    with db.begin() as conn:
        row = conn.execute(_select().where(users_t.c.username == name)).first()
    hasher = _hasher()
    if row is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(), password)
        return None
    try:
        hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(row.password_hash):
        new_hash = hasher.hash(password)
        with db.begin() as conn:
            conn.execute(users_t.update().where(users_t.c.id == row.id)
                         .values(password_hash=new_hash))
            row = conn.execute(_select().where(users_t.c.id == row.id)).one()
        log.info("Re-hashed the password of user %s with current parameters", name)
    return _info(row)
