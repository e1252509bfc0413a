"""campaign.toml: no credential inside a URL, and files as Windows editors save them.

A URL key (`api_base`, `instances`, `service`, `database.url`, and any added later) is
refused when its URL carries a password or a credential parameter, without the message
repeating it. A UTF-8 BOM (Notepad) is accepted; UTF-16 and Windows-1252 files are refused
with one line saying how to save the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowvember.config import load_settings_file, parse_settings
from knowvember.errors import EXIT_CONFIG, ConfigError

REPO_CONFIG = Path(__file__).parent.parent / "campaign.toml"
LABEL = Path("/c/campaign.toml")
BOM = b"\xef\xbb\xbf"

SECRET = "Sup3rS3cretPw"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid"
MASTODON = "Zx9kQ7wLm2Np4Rt6Vb8Xc0Yd"


def _starter(cli, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    assert cli("init", str(folder), "--year", "2027").exit_code == 0
    return folder / "campaign.toml"


def _with(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def _refusal(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_settings(text, LABEL)
    return str(info.value)


STARTER_API = 'api_base = "https://api.twitter.com"'
STARTER_INSTANCES = 'instances = ["https://mastodon.social", "https://med-mastodon.com"]'
STARTER_SERVICE = 'service = "https://bsky.social"'
STARTER_DATABASE = 'url = "sqlite:///knowvember.db"'

# (line in the starter, its replacement, the key the message names, the secret)
URL_SECRETS = [
    (STARTER_API, f'api_base = "http://admin:{SECRET}@127.0.0.1:8798"', "sources.x.api_base",
     SECRET),
    (STARTER_API, f'api_base = "https://api.twitter.com/?bearer_token={TOKEN}"',
     "sources.x.api_base", TOKEN),
    (STARTER_INSTANCES, f'instances = ["https://mastodon.social?access_token={MASTODON}"]',
     "sources.mastodon.instances[0]", MASTODON),
    (STARTER_INSTANCES, f'instances = ["https://a.example", "https://b.example/#Token={SECRET}"]',
     "sources.mastodon.instances[1]", SECRET),
    (STARTER_SERVICE, f'service = "https://bsky.social/?app_password={SECRET}"',
     "sources.bluesky.service", SECRET),
    (STARTER_SERVICE, f'service = "https://me:{SECRET}@bsky.social"', "sources.bluesky.service",
     SECRET),
    # Without a scheme: refused as a secret, not quoted back as "not an http(s) URL".
    (STARTER_SERVICE, f'service = "me:{SECRET}@bsky.social"', "sources.bluesky.service",
     SECRET),
    (STARTER_API, f'api_base = "https://api.twitter.com/?X-Api-Key={SECRET}"',
     "sources.x.api_base", SECRET),
    (STARTER_DATABASE, f'url = "postgresql+psycopg://kv@db/kv?sslpassword={SECRET}"',
     "database.url", SECRET),
    # A table keyed by URL names the table, not the key holding the secret.
    ("[sources.bluesky]", f'instance_token_env = {{ "https://nhs.social?access_token={SECRET}"'
     ' = "KV_NHS_TOKEN" }\n\n[sources.bluesky]', "sources.mastodon.instance_token_env", SECRET),
    # A URL key the config does not know yet is refused for its secret, not only as unknown.
    (STARTER_API, f'{STARTER_API}\nwebhook = "https://hooks.example/?token={SECRET}"',
     "sources.x.webhook", SECRET),
]


@pytest.mark.parametrize(("old", "new", "key", "secret"), URL_SECRETS)
def test_a_credential_in_a_url_is_refused_without_echoing_it(
        cli, tmp_path: Path, old: str, new: str, key: str, secret: str) -> None:  # type: ignore[no-untyped-def]
    text = _with(_starter(cli, tmp_path).read_text(encoding="utf-8"), old, new)
    message = _refusal(text)
    assert message.startswith(f"{LABEL}: {key}: secrets are never written in the config file")
    assert "\n" not in message
    assert secret not in message and secret[:8] not in message


def test_config_check_refuses_the_reported_urls(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _starter(cli, tmp_path)
    starter = path.read_text(encoding="utf-8")
    for old, new, key, secret in URL_SECRETS[:6]:
        path.write_text(_with(starter, old, new), encoding="utf-8")
        result = cli("--config", str(path), "config", "check")
        assert result.exit_code == EXIT_CONFIG, (new, result.output)
        assert key in result.stderr and "Traceback" not in result.output
        assert secret not in result.output and secret[:8] not in result.output


@pytest.mark.parametrize("new", [
    'api_base = "http://admin@127.0.0.1:8798"',  # a user name alone says who, not how
    'api_base = "http://127.0.0.1:8798/?page=2&monkey=1&author=me"',
    'api_base = "https://api.twitter.com/?token="',  # nothing in it
])
def test_urls_without_a_credential_are_kept(cli, tmp_path: Path, new: str) -> None:  # type: ignore[no-untyped-def]
    text = _with(_starter(cli, tmp_path).read_text(encoding="utf-8"), STARTER_API, new)
    assert parse_settings(text, LABEL).sources.x.api_base.startswith("http")


def test_a_database_user_name_is_kept_and_a_token_as_user_refused() -> None:
    base = REPO_CONFIG.read_text(encoding="utf-8")
    ok = "postgresql+psycopg://svc_knowvember_reports@db/kv?sslrootcert=/etc/ssl/certs/ca.pem"
    assert "[database]" in base
    assert parse_settings(_database(base, ok), LABEL).database.url == ok
    token = "ghp_aB3dEfGhIjKlMnOpQrStUvWxYz0123456789"
    message = _refusal(_database(base, f"postgresql+psycopg://{token}@db/kv"))
    assert "database.url: secrets are never written" in message and token[:8] not in message


def _database(text: str, url: str) -> str:
    head, _, rest = text.partition("[database]")
    rest = "\n".join(line for line in rest.split("\n") if not line.startswith("url ="))
    return f'{head}[database]\nurl = "{url}"\n{rest}'


def test_a_utf8_bom_is_accepted(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "b.toml"
    path.write_bytes(BOM + REPO_CONFIG.read_bytes())
    assert load_settings_file(path).campaign == load_settings_file(REPO_CONFIG).campaign
    result = cli("--config", str(path), "config", "check")
    assert result.exit_code == 0, result.output
    text = REPO_CONFIG.read_text(encoding="utf-8")
    assert parse_settings("\ufeff" + text).campaign == parse_settings(text).campaign


@pytest.mark.parametrize("bad", ["[campaign\nname = 1", "x = = 1\n", "[campaign]\nname = 1\n"
                                 "slug = 'a'\nstart = 2019-13-01\n"])
def test_toml_errors_after_a_bom_keep_their_line_and_column(tmp_path: Path, bad: str) -> None:
    plain, marked = tmp_path / "plain.toml", tmp_path / "marked.toml"
    plain.write_bytes(bad.encode())
    marked.write_bytes(BOM + bad.encode())
    errors = []
    for path in (plain, marked):
        with pytest.raises(ConfigError) as info:
            load_settings_file(path)
        errors.append(str(info.value).removeprefix(str(path)))
    assert "not valid TOML" in errors[0] and errors[0] == errors[1]


def test_init_force_over_a_bom_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _starter(cli, tmp_path)
    path.write_bytes(BOM + path.read_bytes())
    assert cli("init", str(tmp_path)).exit_code != 0  # still refuses to overwrite
    assert load_settings_file(path).campaign.hashtags[0] == "KNOWvember2027"
    assert cli("init", str(tmp_path), "--force", "--year", "2028").exit_code == 0
    assert load_settings_file(path).campaign.hashtags[0] == "KNOWvember2028"


@pytest.mark.parametrize(("codec", "bom"), [("utf-16", b""), ("utf-16-le", b"\xff\xfe"),
                                            ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b"")])
def test_a_utf16_file_is_refused_with_how_to_save_it(cli, tmp_path: Path, codec: str,
                                                     bom: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "campaign.toml"
    path.write_bytes(bom + REPO_CONFIG.read_text(encoding="utf-8").encode(codec))
    with pytest.raises(ConfigError) as info:
        load_settings_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: cannot read the file: it is saved as UTF-16")
    assert "save it as UTF-8" in message and "\n" not in message and "codec" not in message
    result = cli("--config", str(path), "config", "check")
    assert result.exit_code == EXIT_CONFIG and "UTF-16" in result.stderr
    assert "Traceback" not in result.output


def test_a_windows_1252_file_is_refused_naming_where(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = REPO_CONFIG.read_text(encoding="utf-8")
    lines = text.split("\n")
    row = next(i for i, line in enumerate(lines) if line.startswith("name = "))
    lines[row] = 'name = "Café £ KNOWvember"'
    path = tmp_path / "campaign.toml"
    path.write_bytes("\n".join(lines).encode("cp1252"))
    with pytest.raises(ConfigError) as info:
        load_settings_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: cannot read the file: it is not UTF-8 text")
    assert f"byte 0xE9 at line {row + 1}, column 12, 'é' in Windows-1252" in message
    assert "save it as UTF-8" in message and "\n" not in message and "codec" not in message
    result = cli("--config", str(path), "config", "check")
    assert result.exit_code == EXIT_CONFIG and "UTF-8" in result.stderr
    assert "Traceback" not in result.output


def test_a_byte_that_is_no_windows_1252_letter_is_still_explained(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    path.write_bytes(BOM + b"[campaign]\nname = \"\x81\"\n")
    with pytest.raises(ConfigError, match=r"byte 0x81 at line 2, column 9\); save it as UTF-8"):
        load_settings_file(path)
