"""Campaign configuration: find `campaign.toml`, parse it, validate it into typed settings.

Errors name the file, the key and what is wrong, because the people editing the file are
librarians and the message is all they will see. Unknown keys are errors: a typo in a key
name must not silently turn a setting off.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import unquote_plus, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from knowvember.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

CONFIG_FILENAME = "campaign.toml"
ENV_CONFIG = "KNOWVEMBER_CONFIG"
ENV_DATABASE_URL = "KNOWVEMBER_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///knowvember.db"
MAX_DURATION_DAYS = 366  # the longest `[schedule] every` or `grace_days`

STORY_FIELDS = (
    "id",
    "submitted_at",
    "email",
    "name",
    "role",
    "title",
    "body",
    "outcome",
    "techniques",
    "organisation",
    "links",
    "consent",
)

# The leaderboard score's terms and their weights where `[leaderboard] weights` is silent
# (reports.leaderboard scores with them; see docs/reports.md).
DEFAULT_LEADERBOARD_WEIGHTS: dict[str, float] = {
    "contributors": 2.0,
    "posts": 1.0,
    "reposts": 0.25,
    "techniques": 1.0,
    "stories": 3.0,
    "engagement": 0.5,
}
LEADERBOARD_WEIGHTS = tuple(DEFAULT_LEADERBOARD_WEIGHTS)

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A value that looks like a credential rather than the name of a variable holding one:
# long, no spaces, mixing character classes (X bearer tokens, app passwords, JWTs).
_TOKEN_LIKE = re.compile(r"^[A-Za-z0-9%+/=_.\-:]{20,}$")


class _Section(BaseModel):
    # TOML has `inf` and `nan`: an infinite price_per_read made every run's estimated_cost
    # inf or NaN (0 reads x inf), which `--format json` writes as `Infinity`/`NaN`, JSON no
    # reader accepts; a `nan` weight passed "must not be negative" and broke the ranking.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              allow_inf_nan=False)


def _looks_like_secret(value: str) -> bool:
    if not _TOKEN_LIKE.match(value):
        return False
    classes = sum(
        bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[%+/=_.\-:]")
    )
    return classes >= 3 or len(value) >= 40


def _env_name(value: str | None) -> str | None:
    """Validate a `*_env` setting: it must name a variable, never hold the secret itself."""
    if value is None:
        return None
    if _ENV_NAME.match(value) and not (_looks_like_secret(value) and not value.isupper()):
        return value
    if _looks_like_secret(value):
        raise ValueError(
            "looks like a secret itself; put the secret in an environment variable and "
            "write that variable's name here"
        )
    # The value is not repeated: what is written in a *_env key by mistake is often the
    # secret itself in a shape no pattern knows (a Bluesky app password `abcd-efgh-ijkl-mnop`,
    # a short password), and the message goes to a terminal, cron mail or the journal.
    raise ValueError("is not an environment variable name (letters, digits and '_'): write "
                     f"the name of the variable that holds the value; {SECRET_REFUSAL}")


_URL = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.\-]*://")
# Query or fragment parameter names that carry a credential, compared lowercased with `-`
# as `_`; also any name containing one of _CREDENTIAL_PARTS (`oauth_token`, `x_api_key`).
_CREDENTIAL_NAMES = frozenset({
    "key", "apikey", "api_key", "auth", "authorization", "sig", "signature", "pass", "passwd",
    "pwd", "password", "secret", "client_secret", "app_password", "token", "access_token",
    "bearer_token",
})
# A user name that is a token: long, one word, mixing cases and digits (`ghp_...`); a
# login such as `svc_knowvember_reports` is none of these.
_TOKEN_USER = re.compile(r"^[A-Za-z0-9_.~%\-]{20,}$")
_CREDENTIAL_PARTS = ("token", "secret", "password", "passwd", "apikey", "api_key", "credential",
                     "signature")
SECRET_REFUSAL = "secrets are never written in the config file"
_DATABASE_ADVICE = (f"keep it in ~/.pgpass or PGPASSWORD, or set the whole URL in "
                    f"${ENV_DATABASE_URL} instead")
_URL_ADVICE = "set it in an environment variable named by the section's *_env key instead"
# Where the secret of a URL under a table belongs instead, by dotted key prefix.
_URL_ADVICE_BY_TABLE = {
    "database.": _DATABASE_ADVICE,
    "sources.x.": "set the token in the variable named by sources.x.bearer_token_env instead",
    "sources.mastodon.": "set the token in the variable named by "
                         "sources.mastodon.access_token_env (or instance_token_env) instead",
    "sources.bluesky.": "set the login in the variables named by sources.bluesky.handle_env "
                        "and app_password_env instead",
}


def _credential_name(name: str) -> bool:
    name = name.strip().lower().replace("-", "_")
    return name in _CREDENTIAL_NAMES or name.endswith("_key") or any(
        part in name for part in _CREDENTIAL_PARTS)


def url_credential(url: str) -> str | None:
    """What in `url` is a credential ("the password", "the 'access_token' parameter"), or None.

    Never the credential itself, so the answer can go into an error message. A user name
    alone is allowed: it says who connects, not how they prove it
    (`postgresql+psycopg://knowvember@dbhost/...`), unless it looks like a token pasted as
    the user (`https://ghp_...@host`). Parameters are judged by name, not value: database
    URLs carry long file paths (`sslrootcert=...`) that a value test would take for tokens.
    """
    try:
        parts = urlsplit(url.strip())
        user, password = parts.username, parts.password
        query, fragment = parts.query, parts.fragment
    except ValueError:  # a malformed host such as "http://[::1": find user:password@ by hand
        match = re.match(r"^[^:/]*://([^/?#@]*)@", url.strip())
        user, _, password = (match.group(1) if match else "").partition(":")
        query = fragment = ""
    if password:
        return "the password"
    if user and _TOKEN_USER.match(unquote_plus(user)) and all(
            re.search(p, user) for p in (r"[a-z]", r"[A-Z]", r"[0-9]")):
        return "a user name that looks like a token"
    for item in re.split(r"[&;]", query) + re.split(r"[&;]", fragment):
        name, _, value = (unquote_plus(piece) for piece in item.partition("="))
        if value and _credential_name(name):
            return (f"the {name.strip()!r} parameter"
                    if name.isprintable() and not _looks_like_secret(name) else "a parameter")
    return None


def refuse_url_credential(url: str, advice: str = _URL_ADVICE) -> None:
    """A ValueError, worded as for any literal secret, if `url` carries a credential."""
    what = url_credential(url)
    if what:
        raise ValueError(f"{SECRET_REFUSAL}: remove {what} from the URL and {advice}")


EnvName = Annotated[str, Field(min_length=1)]


class CampaignSettings(_Section):
    name: str = Field(min_length=1)
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    hashtags: list[str] = Field(min_length=1)
    variants: list[str] = []
    start: dt.date
    end: dt.date
    timezone: str = "Europe/London"

    @field_validator("hashtags", "variants")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        cleaned = []
        for tag in tags:
            tag = tag.strip()
            if tag.startswith("#"):
                raise ValueError(f"write hashtags without '#': {tag!r}")
            if not tag or not re.fullmatch(r"\w+", tag):
                raise ValueError(f"{tag!r} is not a hashtag (letters, digits and _ only)")
            cleaned.append(tag)
        return cleaned

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (e.g. 'Europe/London')") from exc
        return value

    @model_validator(mode="after")
    def _dates(self) -> CampaignSettings:
        if self.end < self.start:
            raise ValueError(f"end: {self.end} is before campaign.start {self.start}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def all_tags(self) -> list[str]:
        """Hashtags and accepted variants, as written."""
        return [*self.hashtags, *self.variants]

    def window_utc(self) -> tuple[dt.datetime, dt.datetime]:
        """The campaign's first and last instant in UTC, from local midnight to midnight."""
        start = dt.datetime.combine(self.start, dt.time(), self.tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), self.tz)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


class DatabaseSettings(_Section):
    url: str = DEFAULT_DATABASE_URL

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        """Refuse what the database layer would refuse, here where the key can be named.

        A password is refused too: the file is read by anyone who can read the campaign
        folder, so it goes in ~/.pgpass, PGPASSWORD or $KNOWVEMBER_DATABASE_URL instead.
        """
        check_database_url(value)
        refuse_url_credential(value, _DATABASE_ADVICE)
        return value


def check_database_url(value: str) -> URL:
    """The parsed URL, or a ValueError saying what is wrong (never echoing the URL)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(value)
    except ArgumentError:
        raise ValueError("not a database URL (e.g. 'sqlite:///knowvember.db' or "
                         "'postgresql+psycopg://user@host/knowvember')") from None
    except ValueError:  # SQLAlchemy's int() of the port: "invalid literal for int() ..."
        raise ValueError(_port_problem(value, None)) from None
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise ValueError(_port_problem(value, parsed.port))
    # The backend before the driver: without a `+driver`, get_driver_name() loads the
    # dialect, and `postgres://` (Heroku's and many hosts' form) or `sqlite3://` ended the
    # command with "unexpected NoSuchModuleError: Can't load plugin".
    if "@" in (parsed.host or ""):
        # A password holding '@' (`kv:p@ss@dbhost`): the part after its '@' was taken for the
        # host, and every message then showed it ("cannot resolve host 'ss@dbhost'").
        raise ValueError("the URL has more than one '@' before the host: a password with '@', "
                         "'/', '?' or '#' in it must be URL-encoded ('@' as %40), or, better, "
                         "left out of the URL and put in ~/.pgpass or $PGPASSWORD")
    backend = parsed.get_backend_name()
    if backend in ("postgres", "pgsql", "psql"):
        raise ValueError(f"write postgresql+psycopg:// for a PostgreSQL server, not {backend}://")
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"{backend!r} databases are not supported; use sqlite:/// or "
                         "postgresql+psycopg://")
    if backend == "postgresql" and parsed.get_driver_name() in ("psycopg2", "pg8000", "asyncpg"):
        raise ValueError("use a postgresql+psycopg:// URL (psycopg 3)")
    if backend == "postgresql" and not parsed.host and parsed.port is not None \
            and "host" not in parsed.query:
        # `user@:5432/db`, the server's name left out: libpq then tried this machine's socket
        # and said only 'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432"
        # failed: No such file or directory'. With no port, `user@/db` is that socket on
        # purpose (the tool on the database server itself), so it stays allowed.
        raise ValueError("the URL has a port but no host: write the server's name before the "
                         "':', as in 'knowvember@dbhost:5432/', or, for a server on this "
                         "machine reached through its socket, leave out the port too, as in "
                         "'knowvember@/knowvember'")
    if backend == "sqlite" and parsed.host:  # `sqlite://knowvember.db`: a file taken for a host
        raise ValueError("a SQLite file needs three slashes, sqlite:///knowvember.db (beside the "
                         "config), or four before an absolute path, sqlite:////srv/k.db")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        # Every command would open a new, empty database and keep nothing it stored.
        raise ValueError("an in-memory SQLite database keeps nothing once the command ends; "
                         "name a file, e.g. sqlite:///knowvember.db")
    return parsed


# The port of a URL as SQLAlchemy finds it: after any `user[:password]@` and the host.
_URL_PORT = re.compile(r"[\w+]+://(?:[^:/]*(?::[^@]*)?@)?(?:\[[^/?]+\]|[^/:?]+)?:([^/?]*)")
# Quoted short pieces: a longer run such as `dbhost:5432/knowvember` looks like a token to
# _hide_secrets, and a config file's message showed "(hidden)" in its place.
_PORT_EXAMPLE = ("as in 'knowvember@dbhost:5432/', or leave out the ':' and the port for "
                 "PostgreSQL's usual 5432")


def _port_problem(url: str, port: int | None) -> str:
    """What is wrong with the port, naming neither the URL nor what was typed for the port:
    a URL with its '@host' left out (`user:secret/db`) has the password where the port goes."""
    if port is not None:
        return f"the port is out of range (1 to 65535), {_PORT_EXAMPLE}"
    found = _URL_PORT.match(url)
    if found is None:
        return ("not a database URL (e.g. 'sqlite:///knowvember.db' or "
                "'postgresql+psycopg://user@host/knowvember')")
    if not found.group(1).strip():
        return f"the URL has a ':' after the host but no port: write one, {_PORT_EXAMPLE}"
    return f"the port (after the host and ':') is not a number: write it in digits, {_PORT_EXAMPLE}"


class XSettings(_Section):
    enabled: bool = False
    bearer_token_env: str = "KNOWVEMBER_X_BEARER_TOKEN"
    endpoint: Literal["recent", "all"] = "recent"
    api_base: str = "https://api.twitter.com"
    # X search answers at least 10 posts a request: a smaller cap could never read anything.
    max_posts_per_run: int = Field(default=10_000, ge=10)
    monthly_read_budget: int = Field(default=50_000, ge=0)
    price_per_read: float = Field(default=0.005, ge=0)
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0)
    max_wait_seconds: float = Field(default=900.0, ge=0)

    _env = field_validator("bearer_token_env")(classmethod(lambda cls, v: _env_name(v)))

    @field_validator("api_base")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, _URL_ADVICE_BY_TABLE["sources.x."])


class MastodonSettings(_Section):
    enabled: bool = False
    instances: list[str] = []
    access_token_env: str | None = None
    instance_token_env: dict[str, str] = {}
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0)
    max_wait_seconds: float = Field(default=900.0, ge=0)

    _env = field_validator("access_token_env")(classmethod(lambda cls, v: _env_name(v)))

    @field_validator("instances")
    @classmethod
    def _instances(cls, values: list[str]) -> list[str]:
        return [_http_url(v, _URL_ADVICE_BY_TABLE["sources.mastodon."]) for v in values]

    @field_validator("instance_token_env")
    @classmethod
    def _instance_envs(cls, values: dict[str, str]) -> dict[str, str]:
        advice = _URL_ADVICE_BY_TABLE["sources.mastodon."]
        return {_http_url(k, advice): _env_name(v) or "" for k, v in values.items()}


class BlueskySettings(_Section):
    enabled: bool = False
    service: str = "https://bsky.social"
    handle_env: str = "KNOWVEMBER_BLUESKY_HANDLE"
    app_password_env: str = "KNOWVEMBER_BLUESKY_APP_PASSWORD"
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0)
    max_wait_seconds: float = Field(default=900.0, ge=0)

    _env = field_validator("handle_env", "app_password_env")(
        classmethod(lambda cls, v: _env_name(v))
    )

    @field_validator("service")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, _URL_ADVICE_BY_TABLE["sources.bluesky."])


class SourcesSettings(_Section):
    x: XSettings = XSettings()
    mastodon: MastodonSettings = MastodonSettings()
    bluesky: BlueskySettings = BlueskySettings()


class _AccountRefErrors(ValueError):
    """The account entries of one list that name no account, each with its position."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"[{n}] {why}" for n, why in problems))
        self.problems = problems


def _account_refs(values: list[str]) -> list[str]:
    """The entries of an `accounts` or `exclude_accounts` list, each read as the commands
    read it (`records.parse_account_ref`), so that one naming no account is refused here
    with its position, and not when a collection, a report or `orgs` reads it.

    A profile address on its own (`https://x.com/UHLLibraries`), as the README allows, was
    refused as "not platform:handle"; one that is no profile (`x:https://x.com/search?...`)
    passed here, and `config check` said "Configuration is valid." while the opt-out or the
    mapping was then refused, or matched nobody.
    """
    from knowvember.records import parse_account_ref

    problems = []
    for n, value in enumerate(values):
        why = account_ref_mistake(value)
        if why is None:
            try:
                parse_account_ref(value)
            except ValueError as exc:
                why = _hide_secrets(str(exc))
                if not why.isprintable():  # a piece of the address, shown as it was
                    why = f"{value!r} is not a profile address ({_REF_EXAMPLES})"
        if why is not None:
            problems.append((n, why))
    if problems:
        raise _AccountRefErrors(problems)
    return values


_REF_EXAMPLES = "e.g. 'x:@UHLLibraries', 'mastodon:@lib@nhs.social', 'bluesky:lib.bsky.social'"


def account_ref_mistake(value: str) -> str | None:
    """What is wrong with an account entry written without its platform, or with a space,
    and what to write instead; None when `parse_account_ref` says it best (or reads it).
    Never echoes what could be a pasted token."""
    from knowvember.records import PLATFORM_ALIASES

    text = value.strip()
    if not text.isprintable() or re.search(r"\s", text):
        return (f"{value!r} has a space or an invisible character in it, and an account "
                f"has none: write it as the profile shows it ({_REF_EXAMPLES})")
    said, sep, rest = text.partition(":")
    url = rest if sep and said.lower() in PLATFORM_ALIASES else text
    if _PROFILE_URL_START.match(url):
        if not re.match(r"^https?://[^/?#]", url, re.IGNORECASE):
            return f"{value!r} has no site after {url.partition('//')[0]}// ({_REF_EXAMPLES})"
        return None  # a profile address: parse_account_ref reads it, or says why not
    if sep and said.lower() in PLATFORM_ALIASES:
        return None if rest else f"{value!r} has no handle after '{said}:' ({_REF_EXAMPLES})"
    if re.fullmatch(r"did:[a-z]+:[\w.:%\-]+", text):
        # (not repeated whole: a DID's letters and digits read as a token to _hide_secrets)
        return f"{text[:12]}... is a Bluesky DID: write 'bluesky:' before it ('bluesky:did:...')"
    if _looks_like_secret(text):
        return f"a value that looks like a secret is not platform:handle ({_REF_EXAMPLES})"
    if re.fullmatch(r"@?[\w.\-]+@[\w\-]+(\.[\w\-]+)+", text):
        return (f"{value!r} does not say which platform: a Mastodon address is written "
                f"'mastodon:@{text.lstrip('@')}'")
    if re.fullmatch(r"@\w{1,50}", text):
        return (f"{value!r} does not say which platform: write 'x:{text}' for X, or "
                f"'mastodon:{text}@SERVER' for Mastodon (e.g. mastodon:{text}@nhs.social)")
    if re.fullmatch(r"(?:www\.|mobile\.)?(?:x|twitter|bsky)\.\w+/\S+", text, re.IGNORECASE):
        return (f"{value!r} is a profile address without its start: put https:// before it, "
                f"or write platform:handle ({_REF_EXAMPLES})")
    if re.fullmatch(r"[\w\-]+(\.[\w\-]+)+", text):
        return (f"{value!r} does not say which platform: a Bluesky handle is written "
                f"'bluesky:{text}'")
    return None  # parse_account_ref's own words ("unknown platform 'facebook'", ...)


_PROFILE_URL_START = re.compile(r"^https?://", re.IGNORECASE)


class OrganisationSettings(_Section):
    code: str = Field(min_length=1, max_length=20)
    name: str | None = None
    region: str | None = None
    aliases: list[str] = []
    accounts: list[str] = []
    out_of_scope: bool = False

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, values: list[str]) -> list[str]:
        return _account_refs(values)


class CustomTechnique(_Section):
    name: str = Field(min_length=1)
    phase: list[Literal["before", "during", "after"]] = Field(min_length=1)
    synonyms: list[str] = []


class TechniquesSettings(_Section):
    synonyms: dict[str, list[str]] = {}
    custom: list[CustomTechnique] = []


MAX_LEADERBOARD_WEIGHT = 1_000_000  # reports.leaderboard.MAX_WEIGHT: the same limit


class LeaderboardSettings(_Section):
    weights: dict[str, float] = {}
    exclude_accounts: list[str] = []
    exclude_from_collection: bool = False

    @field_validator("exclude_accounts")
    @classmethod
    def _accounts(cls, values: list[str]) -> list[str]:
        return _account_refs(values)

    @field_validator("weights")
    @classmethod
    def _weights(cls, values: dict[str, float]) -> dict[str, float]:
        for key, weight in values.items():
            if key not in LEADERBOARD_WEIGHTS:
                raise ValueError(f"unknown weight {key!r}; weights are "
                                 + ", ".join(LEADERBOARD_WEIGHTS))
            if weight < 0:
                raise ValueError(f"weight {key!r} must not be negative")
            if weight > MAX_LEADERBOARD_WEIGHT:  # scores would overflow to Infinity
                raise ValueError(f"weight {key!r} must be a number from 0 to "
                                 f"{MAX_LEADERBOARD_WEIGHT:,}")
        return values


class StoriesSettings(_Section):
    form_columns: dict[str, str] = {}
    max_title_chars: int = Field(default=200, ge=10)
    max_body_chars: int = Field(default=20_000, ge=100)

    @field_validator("form_columns")
    @classmethod
    def _columns(cls, values: dict[str, str]) -> dict[str, str]:
        for field in values:
            if field not in STORY_FIELDS:
                raise ValueError(
                    f"unknown story field {field!r}; fields are {', '.join(STORY_FIELDS)}"
                )
        return values


class LoggingSettings(_Section):
    file: Path | None = None
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class ScheduleSettings(_Section):
    every: str = "30m"
    # Bounded like `every`: days past the calendar's end crashed `schedule` ("date value out
    # of range") instead of being refused here.
    grace_days: int = Field(default=7, ge=0, le=MAX_DURATION_DAYS)

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # "Input should be a valid string (got 30)" did not say what was missing.
            raise ValueError(f"give the unit, in quotes: \"{value}m\" for {value} minutes, "
                             f"\"{value}h\" for hours")
        if isinstance(value, str):
            parse_duration(value)
        return value


class ReportsSettings(_Section):
    out_dir: Path = Path("report")
    formats: list[Literal["html", "pdf", "md", "xlsx"]] = ["html", "pdf", "md", "xlsx"]
    # How many organisations the leaderboard chart and tables show, and posts in "top posts".
    top_organisations: int = Field(default=25, ge=1, le=500)
    top_posts: int = Field(default=20, ge=1, le=1000)
    # The XLSX posts sheet holds the most engaging posts up to this many; all posts go to
    # posts.csv beside it (a campaign can outgrow a sheet and the time a workbook takes).
    xlsx_posts: int = Field(default=10_000, ge=0, le=1_000_000)
    posts_csv: bool = True


class WebSettings(_Section):
    secret_key_env: str = "KNOWVEMBER_SECRET_KEY"
    secure_cookies: bool = False
    login_attempts_per_minute: int = Field(default=5, ge=1)
    submissions_per_hour: int = Field(default=20, ge=1)

    _env = field_validator("secret_key_env")(classmethod(lambda cls, v: _env_name(v)))


class Settings(_Section):
    """The whole of `campaign.toml`, validated, with paths resolved against its folder."""

    campaign: CampaignSettings
    database: DatabaseSettings = DatabaseSettings()
    sources: SourcesSettings = SourcesSettings()
    organisations: list[OrganisationSettings] = []
    techniques: TechniquesSettings = TechniquesSettings()
    leaderboard: LeaderboardSettings = LeaderboardSettings()
    stories: StoriesSettings = StoriesSettings()
    logging: LoggingSettings = LoggingSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    reports: ReportsSettings = ReportsSettings()
    web: WebSettings = WebSettings()

    # Not in the file: where it came from, so relative paths and messages can use it.
    path: Path | None = Field(default=None, exclude=True)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def database_url(self) -> str:
        """The database URL: env override first, SQLite paths made absolute."""
        url = (os.environ.get(ENV_DATABASE_URL) or "").strip()  # a pasted space or newline
        if len(url) > 1 and url[0] == url[-1] and url[0] in "'\"":
            # A shell or cron strips the quotes; a systemd EnvironmentFile line does too, but
            # not `Environment=` with the quotes inside, nor a Docker --env-file.
            raise ConfigError(f"${ENV_DATABASE_URL}: the value is in quotes; set the URL "
                              "without them")
        if url:
            try:
                check_database_url(url)
            except ValueError as exc:
                raise ConfigError(f"${ENV_DATABASE_URL}: {exc}") from None
        else:
            url = self.database.url
        return resolve_sqlite_url(url, self.base_dir)

    def resolve(self, path: Path) -> Path:
        """A path from the file, against its folder; `~/` is the home folder. Taken as a
        folder name, `file = "~/logs/knowvember.log"` made a folder named `~` beside the config
        (which `rm -rf ~` there, to tidy it, takes for the home folder)."""
        path = path.expanduser()
        return path if path.is_absolute() else self.base_dir / path


def _http_url(value: str, advice: str | None = None) -> str:
    """Every http(s) URL key goes through here, so each refuses a credential in its URL.

    A value without a scheme is checked as if it had one: `admin:pw@host` must be refused as
    a secret, not quoted back in "is not an http(s) URL".
    """
    value = value.strip().rstrip("/")
    refuse_url_credential(value if "://" in value else f"http://{value}", advice or _URL_ADVICE)
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def resolve_sqlite_url(url: str, base: Path) -> str:
    """Make a relative `sqlite:///file.db` absolute against `base` (the config's folder);
    `~/` is the home folder, as in the shell (see `Settings.resolve`).

    The folder's path is written into the URL encoded: pasted as it was, a campaign folder
    named `odd ?x` (or `50%25`) was cut at the `?` (or decoded), and the database was made,
    empty, as a file named `odd ` in the folder above.
    """
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        rest = parsed.database
        if rest and not rest.startswith(":memory:"):
            path = (base / Path(rest).expanduser()).resolve()
            return parsed.set(database=str(path)).render_as_string(hide_password=False)
    return url


# One or more "number unit" parts: 30m, 2h, 1h30m, "30 min", "2 hours", any case.
_DURATION_PART = re.compile(
    r"(\d+)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\s*", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as `30m`, `2h`, `45s`, `1d`, `1h30m` or `30 minutes`.

    Written as people write it too (`30min`, `30 minutes`, `30M`, `1h30m`): those were
    refused as "not a duration" beside a message that asked for what they meant.
    At most a year: a longer interval can only be a typo, and one past the calendar's end
    (`99999999d`) crashed `schedule` after its first collection with "date value out of
    range".
    """
    stripped = text.strip()
    seconds, at = 0, 0
    while at < len(stripped):
        match = _DURATION_PART.match(stripped, at)
        if not match:
            seconds = 0
            break
        unit = match.group(2).lower()
        seconds += int(match.group(1)) * _UNIT_SECONDS[unit[0]]
        at = match.end()
    if not stripped or seconds == 0:
        raise ValueError(f"{text!r} is not a duration like '30m', '2h' or '1d'")
    if seconds > MAX_DURATION_DAYS * 86400:
        raise ValueError(f"{text!r} is longer than a year ({MAX_DURATION_DAYS}d at most)")
    return seconds


def find_config(explicit: Path | None = None) -> Path:
    """`--config PATH` > `$KNOWVEMBER_CONFIG` > `./campaign.toml`."""
    if explicit is not None:
        candidate, how = explicit, "--config"
    elif os.environ.get(ENV_CONFIG):
        candidate, how = Path(os.environ[ENV_CONFIG]), ENV_CONFIG
    else:
        candidate, how = Path.cwd() / CONFIG_FILENAME, "the current folder"
    if candidate.is_dir():
        candidate = candidate / CONFIG_FILENAME
    if not candidate.is_file():
        raise ConfigError(
            f"no campaign config at {candidate} (from {how}); "
            "create one with `knowvember init` or pass --config PATH"
        )
    return candidate.resolve()


def load_settings(explicit: Path | None = None) -> Settings:
    return load_settings_file(find_config(explicit))


def load_settings_file(path: Path) -> Settings:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc})") from exc
    return parse_settings(decode_config(raw, path), path)


_SAVE_AS_UTF8 = "save it as UTF-8 (in Notepad: File > Save as, Encoding: UTF-8)"
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)


# Files given as the config by mistake (`--config knowvember.db`, a workbook), by signature.
_NOT_CONFIG = (
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"PK\x03\x04", "a ZIP file or a workbook (.xlsx)"),
    (b"%PDF", "a PDF"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls, .doc)"),
    (b"\x1f\x8b", "a gzip file"),
)


def decode_config(raw: bytes, path: Path | str) -> str:
    """The file's text, or a ConfigError saying which encoding it is in and what to do.

    Editors on Windows save "Unicode" (UTF-16) or ANSI (Windows-1252) files, which TOML
    does not allow; the coordinator needs to hear that, not a codec's message. A UTF-8 BOM
    is kept here and dropped by `parse_settings`.
    """
    kind = next((name for magic, name in _NOT_CONFIG if raw.startswith(magic)), None)
    if kind:
        # Not text at all: the zero bytes of a SQLite file read as "saved as UTF-16".
        raise ConfigError(f"{path}: this is {kind}, not a campaign config: pass the "
                          f"{CONFIG_FILENAME} beside it (--config, $KNOWVEMBER_CONFIG)")
    encoding = next((name for bom, name in _WIDE_BOMS if raw.startswith(bom)), None)
    if encoding is None and b"\x00" in raw[:200]:
        encoding = "UTF-16"  # without a BOM: ASCII text with a zero byte beside each letter
    if encoding:
        raise ConfigError(f"{path}: cannot read the file: it is saved as {encoding} "
                          f"(Notepad calls it \"Unicode\"); {_SAVE_AS_UTF8}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        before = raw[line_start:exc.start].decode("utf-8", "replace").removeprefix("\ufeff")
        byte = raw[exc.start]
        try:
            guess = f", {bytes([byte]).decode('cp1252')!r} in Windows-1252"
        except UnicodeDecodeError:
            guess = ""
        raise ConfigError(
            f"{path}: cannot read the file: it is not UTF-8 text (byte 0x{byte:02X} at line "
            f"{line}, column {len(before) + 1}{guess}); {_SAVE_AS_UTF8}"
        ) from None


def parse_settings(text: str, path: Path | None = None) -> Settings:
    label = str(path) if path else CONFIG_FILENAME
    try:
        # Notepad starts UTF-8 files with a BOM, which TOML does not allow. It sits before
        # the first column, so TOML's line and column numbers stay right without it.
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}{_toml_hint(text, exc)}"
                          ) from exc
    _refuse_literal_secrets(data, label)
    try:
        settings = Settings.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError(_format_validation(label, exc, data, text)) from None
    return settings


_SECRET_KEYS = re.compile(r"(token|password|secret|api_key|apikey|bearer)$", re.IGNORECASE)
# A line of .env.example or a secrets file pasted into the config (`KNOWVEMBER_X_BEARER_TOKEN
# = "..."`): an environment variable, which this file never sets.
_ENV_VARIABLE_KEY = re.compile(r"^KNOWVEMBER_\w+$", re.IGNORECASE)
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(KNOWVEMBER_\w+)\s*=", re.IGNORECASE)
_ENV_ADVICE = ("an environment variable, not a key of this file: remove the line and set "
               "the variable in the environment (a shell, the crontab or the systemd "
               "EnvironmentFile; see .env.example)")


_CURLY_QUOTES = "\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb"
_BARE_TEXT = re.compile(r"^\s*([\w.-]+)\s*=\s*([A-Za-z][^\"'\[{#]*?)\s*(#.*)?$")
_SLASHED_DATE = re.compile(r"=\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*(#.*)?$")


def _toml_hint(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """What the line TOML stopped on is, in words, where "Invalid value" says nothing.

    An environment line (`KNOWVEMBER_X_BEARER_TOKEN=AAAA...`, as a secrets file writes it;
    the value is never repeated, it is a secret); curly quotes (“KNOWvember”), which Word,
    Outlook and a phone's keyboard put in a line copied from them; a date written the UK
    way (`start = 01/11/2027`); text without its quotes (`timezone = Europe/London`).
    """
    match = re.search(r"at line (\d+)", str(exc))
    lines = text.removeprefix("\ufeff").splitlines()
    if not match or not 0 < int(match.group(1)) <= len(lines):
        return ""
    line = lines[int(match.group(1)) - 1]
    env = _ENV_LINE.match(line)
    if env:
        return f"; line {match.group(1)}: {env.group(1)} is {_ENV_ADVICE} ({SECRET_REFUSAL})"
    # Only a curly quote where a value starts (an apostrophe inside straight quotes is text).
    opened = re.search(rf"[=\[,]\s*([{_CURLY_QUOTES}])", line)
    curly = opened.group(1) if opened else None
    if curly:
        return (f"; line {match.group(1)} has a curly quote ({curly}), as Word or Outlook "
                "write them: type the quotes again as straight \" or ' in a plain text "
                "editor")
    if _SLASHED_DATE.search(line):
        return (f"; line {match.group(1)}: write a date as YYYY-MM-DD, without quotes "
                "(e.g. 2027-11-01)")
    if re.search(r"=\s*[-+]?\d{1,3}(,\d{3})+(\.\d+)?\s*(#.*)?$", line):
        return (f"; line {match.group(1)}: write numbers without commas (10000, or 10_000 "
                "to group the digits)")
    if re.search(r"=\s*[£$€]\s*\d", line):
        return f"; line {match.group(1)}: write the number without a currency sign"
    bare = _BARE_TEXT.match(line)
    if not bare or bare.group(2) in ("true", "false", "inf", "nan"):
        return ""
    key, value = bare.groups()[:2]
    if value.lower() in ("true", "false", "yes", "no", "on", "off"):
        return (f"; line {match.group(1)}: write {key} = true or {key} = false, in lower "
                "case and without quotes")
    if _looks_like_secret(value) or "://" in value or "@" in value:
        # A token pasted without quotes, or a URL that may hold a password: not repeated.
        return f"; line {match.group(1)}: text goes in straight quotes ({SECRET_REFUSAL})"
    return f"; line {match.group(1)}: text goes in straight quotes ({key} = \"{value}\")"


def _refuse_literal_secrets(data: dict[str, Any], label: str, prefix: str = "") -> None:
    """Refuse a credential written into the file, whatever key it sits under.

    By the key's name (`bearer_token = "..."`), and in any URL, as a value, in a list or as
    a table key (`instance_token_env`), so a URL key added later is covered without asking.
    """
    for key, value in data.items():
        dotted = f"{prefix}{key if key.isprintable() else repr(key)}"
        if _URL.match(key):
            # A table keyed by URL: name the table, never the key that holds the secret.
            _refuse_url_in(key, prefix.removesuffix(".") or "(top level)", label)
        if _ENV_VARIABLE_KEY.match(key):
            # Said before "name it with KNOWVEMBER_..._PASSWORD_env" (no such key) or
            # "unknown key", which left the secret pasted in the file unexplained.
            raise ConfigError(f"{label}: {dotted}: {SECRET_REFUSAL}; this is {_ENV_ADVICE}")
        if isinstance(value, str) and _SECRET_KEYS.search(key) and not key.endswith("_env"):
            raise ConfigError(
                f"{label}: {dotted}: {SECRET_REFUSAL}; set an environment variable and name "
                f"it with {key}_env instead"
            )
        _refuse_urls_under(value, dotted, label)


def _refuse_urls_under(value: Any, dotted: str, label: str) -> None:
    if isinstance(value, dict):
        _refuse_literal_secrets(value, label, dotted + ".")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_urls_under(item, f"{dotted}[{index}]", label)
    elif isinstance(value, str) and _URL.match(value):
        _refuse_url_in(value, dotted, label)


def _refuse_url_in(url: str, dotted: str, label: str) -> None:
    advice = next((text for table, text in _URL_ADVICE_BY_TABLE.items()
                   if dotted.startswith(table)), _URL_ADVICE)
    try:
        refuse_url_credential(url, advice)
    except ValueError as exc:
        raise ConfigError(f"{label}: {dotted}: {exc}") from None


def _format_validation(label: str, exc: ValidationError, data: dict[str, Any] | None = None,
                       text: str = "") -> str:
    lines = []
    for error in _account_errors(exc.errors()):
        # A key may hold anything TOML allows (a quoted key with a newline): shown quoted.
        loc = ".".join(str(part) if str(part).isprintable() else repr(part)
                       for part in error["loc"])
        loc = re.sub(r"\.(\d+)", r"[\1]", loc)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = _unknown_key(error["loc"])
        elif error["type"] == "missing":
            message = "required key is missing"
        elif error["type"] == "list_type" and isinstance(error.get("input"), str) and not (
                _looks_like_secret(error["input"]) or "://" in error["input"]):
            # `exclude_accounts = "x:@someone"`: "Input should be a valid list".
            message = (f"write a list in square brackets, e.g. {error['loc'][-1]} = "
                       f"[{json.dumps(error['input'], ensure_ascii=False)}]")
        elif (brackets := _brackets(error)) is not None:
            message = brackets
        elif error["type"].startswith("date_"):
            # pydantic's "invalid character in year" or "Datetimes provided to dates should
            # have zero time", and the value as `datetime.datetime(2027, 11, 1, 9, 0)`.
            message = "write a date as YYYY-MM-DD, without quotes or a time (e.g. 2027-11-01)"
            if isinstance(value := error.get("input"), dt.datetime):
                error["input"] = value.isoformat()
        message = message.removeprefix("Value error, ")
        if message.startswith("end: ") and loc.endswith("campaign"):
            loc, message = loc + ".end", message.removeprefix("end: ")
        value = error.get("input")
        shown = ""
        # A message quoting the value says it already (in either quotes).
        quoted = repr(value) in message or json.dumps(
            value, ensure_ascii=False, default=str) in message
        if error["type"] not in ("missing", "extra_forbidden") and isinstance(
            value, str | int | float | dt.date
        ) and not (isinstance(value, str) and (_looks_like_secret(value) or "://" in value)
                   ) and not quoted and (
            SECRET_REFUSAL not in message):  # nor is a value refused as a secret shown
            shown = f" (got {value!r})"
        entry = entry_named(error["loc"], data or {}, text)
        lines.append(f"{label}: {loc}: {_hide_secrets(message)}{shown}{entry}")
    return "\n".join(lines)


def _brackets(error: Any) -> str | None:
    """A table written with the wrong number of brackets, in words: `[organisations]` for
    `[[organisations]]` was "Input should be a valid list", and `[[leaderboard]]` for
    `[leaderboard]` "Input should be a valid dictionary or instance of ...": neither says
    that TOML reads one bracket as one table and two as one entry of a list."""
    loc, value = error["loc"], error.get("input")
    name = ".".join(str(part) for part in loc)
    if not all(isinstance(part, str) for part in loc) or name not in _model_names()[1]:
        return None  # not one of the file's tables (a key under [techniques.synonyms])
    if error["type"] == "list_type" and isinstance(value, dict):
        return (f"write [[{name}]], with two square brackets: each entry is a [[{name}]] "
                f"table of its own (one bracket, [{name}], is a single table)")
    if error["type"] in ("model_type", "dict_type") and isinstance(value, list) and all(
            isinstance(item, dict) for item in value):
        return (f"write [{name}], with one square bracket: there is one [{name}] table "
                f"(two brackets, [[{name}]], make a list of them)")
    return None


def _account_errors(errors: list[Any]) -> list[Any]:
    """pydantic's errors, with an account list's one error (`_AccountRefErrors`) split into
    one per entry, each at its position (`accounts[1]`): a list of twelve handles said
    only that one of them was wrong."""
    found = []
    for error in errors:
        problem = (error.get("ctx") or {}).get("error")
        if not isinstance(problem, _AccountRefErrors):
            found.append(error)
            continue
        for n, why in problem.problems:
            found.append({**error, "loc": (*error["loc"], n), "msg": why, "input": None,
                          "ctx": {}})
    return found


def entry_named(loc: tuple[int | str, ...], data: dict[str, Any], text: str, *,
                lead: str = "in ") -> str:
    """Which [[organisations]] entry an error is in, as a coordinator finds it: counted
    from 1, by its code and name, and the line of its header. `organisations[11]` (counted
    from 0) sent people to the entry after the one meant, in a file of thirty.

    `data` is the file's tables (its `organisations` list of entries), `text` the file
    itself; `lead` comes before "the 2nd [[organisations]] entry" in the brackets."""
    if len(loc) < 2 or loc[0] != "organisations" or not isinstance(loc[1], int):
        return ""
    index = loc[1]
    entries = data.get("organisations")
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
    said = []
    if isinstance(entry, dict):
        for key in ("code", "name"):
            value = entry.get(key)
            if isinstance(value, str) and value.strip() and value.isprintable():
                said.append(f"{key} {value.strip()[:60]!r}")
    headers = [n for n, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1)
               if re.match(r"^\s*\[\[\s*organisations\s*\]\]", line)]
    if index < len(headers):
        said.append(f"line {headers[index]}")
    return f" ({lead}the {', '.join([f'{_ordinal(index + 1)} [[organisations]] entry', *said])})"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _key_homes() -> dict[str, list[str]]:
    """Each key the file may hold, and the table header(s) it belongs under."""
    return _model_names()[0]


def _level_names(here: str) -> set[str]:
    """The keys and table names a table (dotted, "" for the top of the file) may hold."""
    return _model_names()[1].get(here, set())


def _model_names() -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    import typing

    homes: dict[str, list[str]] = {}
    levels: dict[str, set[str]] = {}

    def walk(model: type[BaseModel], header: str, prefix: str) -> None:
        for name, info in model.model_fields.items():
            if info.exclude:
                continue
            levels.setdefault(prefix.removesuffix("."), set()).add(name)
            annotation = info.annotation
            args = typing.get_args(annotation)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"[{prefix}{name}]", f"{prefix}{name}.")
            elif typing.get_origin(annotation) is list and args and isinstance(
                    args[0], type) and issubclass(args[0], BaseModel):
                walk(args[0], f"[[{prefix}{name}]]", f"{prefix}{name}.")
            elif header:
                homes.setdefault(name, []).append(header)

    walk(Settings, "", "")
    return homes, levels


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    """"unknown key", and where the key belongs when it is another table's.

    In TOML a key belongs to the table whose header is above it: `timezone` added at the
    end of the file is read as [logging]'s, `enabled = true` under [campaign] as the
    campaign's. "check the spelling" sent the coordinator looking at a key spelt right.
    """
    key = str(loc[-1])
    here = ".".join(str(part) for part in loc[:-1] if not isinstance(part, int))
    array = any(isinstance(part, int) for part in loc[:-1])
    table = f"[[{here}]]" if array else f"[{here}]"
    elsewhere = [header for header in _key_homes().get(key, []) if header != table]
    if key.lower() != key and key.lower() in _level_names(here):
        return f"names are lower case: write {key.lower()}"
    if here == "sources" and key.lower() == "twitter":
        return "X's table is [sources.x] (Twitter's new name)"
    if not elsewhere:
        import difflib

        # `acounts`, `exclude_account`, `out_of_scop`: the key meant, when one is close.
        close = difflib.get_close_matches(key.lower(), sorted(_level_names(here)), n=1,
                                          cutoff=0.8)
        meant = f"; did you mean {close[0]}?" if close else ""
        return f"unknown key (check the spelling{meant}; see the README for the keys)"
    where = (elsewhere[0] if len(elsewhere) == 1
             else ", ".join(elsewhere[:-1]) + " or " + elsewhere[-1])
    into = elsewhere[0] if len(elsewhere) == 1 else "the one it is for"
    return (f"{key} belongs under {where}, not {'under ' + table if here else 'at the top'}: "
            "a key is read as part of the table whose [header] is above it in the file, so "
            f"move the line under {into}")


_CANDIDATE = re.compile(r"[A-Za-z0-9%+/=_.\-:]{20,}")


def _hide_secrets(message: str) -> str:
    """Any token-looking run of characters in a message becomes `(hidden)`."""
    return _CANDIDATE.sub(
        lambda m: "(hidden)" if _looks_like_secret(m.group(0)) else m.group(0), message
    )


def secret_status(settings: Settings) -> dict[str, bool]:
    """Each environment variable the config names, and whether it is set (never its value)."""
    names: list[str] = []
    x, mastodon, bluesky = settings.sources.x, settings.sources.mastodon, settings.sources.bluesky
    names.append(x.bearer_token_env)
    if mastodon.access_token_env:
        names.append(mastodon.access_token_env)
    names.extend(mastodon.instance_token_env.values())
    names.extend([bluesky.handle_env, bluesky.app_password_env, settings.web.secret_key_env])
    # Blank counts as unset: `NAME= ` in a secrets file (a space after '=') was shown as
    # "set (****)" while X refused the empty token on every run.
    return {name: bool((os.environ.get(name) or "").strip()) for name in dict.fromkeys(names)}


def mask(value: str | None) -> str:
    if not value:
        return "(not set)"
    return "****" + (value[-2:] if len(value) > 12 else "")
