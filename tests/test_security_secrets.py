"""Secrets stay secret: recognisable fake credentials in the environment, every command run
(collections failing against an API that echoes the credentials back in its error bodies,
with debug logging on), and not one copy of any of them anywhere the tool writes.

Searched: every command's stdout and stderr, the `[logging] file`, every row of every table,
and every file the commands wrote (reports, exports, backups, the sample folder).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakeapi import FIXTURES, FakeAPI, Seen, _Answer, _dump
from tests.reliability_support import cli_env, dump_tables, live_config, x_world

SECRETS = {
    "KNOWVEMBER_X_BEARER_TOKEN": "AAAAkvSecretXBearer0000%2Fzz9876ZYXWvut",
    "KNOWVEMBER_MASTODON_TOKEN": "kvSecretMastodonTok-0123456789abcdefghij",
    "KNOWVEMBER_BLUESKY_HANDLE": "kvsecrethandle.bsky.social",
    "KNOWVEMBER_BLUESKY_APP_PASSWORD": "kvsp-wxyz-2468-qrst",
    "KNOWVEMBER_SECRET_KEY": "kvSecretWebKey_5f0c2a9e1d7b4c3a8e6f",
    "KNOWVEMBER_REVIEWER": "coordinator",
}
LEAKABLE = [v for k, v in SECRETS.items() if k != "KNOWVEMBER_REVIEWER"]
USER_PASSWORD = "kvSecretUserPass-correct horse battery"


class EchoingAPI(FakeAPI):
    """A fake API as careless as real ones get: its errors repeat the request's credentials.

    `status` 401: every request is refused, the Authorization header and the login body
    quoted back. 500: the credentials are accepted (Bluesky logs in), then every search fails
    with a server error quoting them (and the Bluesky session token).
    """

    def __init__(self, status: int) -> None:
        super().__init__(x_token=SECRETS["KNOWVEMBER_X_BEARER_TOKEN"],
                         mastodon_token=SECRETS["KNOWVEMBER_MASTODON_TOKEN"],
                         bluesky_login=(SECRETS["KNOWVEMBER_BLUESKY_HANDLE"],
                                        SECRETS["KNOWVEMBER_BLUESKY_APP_PASSWORD"]))
        self.status = status
        self.issued: list[str] = []

    def _route(self, seen: Seen) -> _Answer:
        if self.status == 500 and seen.path == "/xrpc/com.atproto.server.createSession":
            answer = super()._route(seen)
            session = json.loads(answer.body)
            self.issued += [session.get("accessJwt", ""), session.get("refreshJwt", "")]
            return answer
        quoted = (f"{seen.method} {seen.path} with Authorization: "
                  f"{seen.headers.get('authorization')} and body {json.dumps(seen.body)}")
        return _Answer(self.status, _dump({
            "error": "Unauthorized" if self.status == 401 else "InternalServerError",
            "message": f"refused {quoted}", "detail": quoted, "title": quoted}))


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _leaks(text: str | bytes, secrets: list[str], tokens: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """The secrets found in `text`, whole or any 12-character piece (a masked or cut
    secret is still a leak); session `tokens` whole."""
    data = text.encode() if isinstance(text, str) else text
    found = [t for t in tokens if t and t.encode() in data]
    for secret in secrets:
        pieces = {secret} | {secret[i:i + 12] for i in range(0, max(1, len(secret) - 11), 3)}
        if any(p.encode() in data for p in pieces):
            found.append(secret)
    return found


def _small_files(folder: Path) -> dict[str, Path]:
    """One small archive per import format."""
    twarc = x_world(120, start=dt.datetime(2019, 11, 3, tzinfo=dt.UTC),
                    span=dt.timedelta(days=2), seed=4, users=4)
    csv = folder / "posts.csv"
    csv.write_text("platform,id,author_handle,created_at,text\n"
                   "bluesky,at://did:plc:abc/app.bsky.feed.post/1,lib.bsky.social,"
                   "2019-11-05T10:00:00Z,Journal club #KNOWvember19\n", encoding="utf-8")
    tags = folder / "tags.csv"
    tags.write_text(
        "id_str,from_user,text,created_at,time,geo_coordinates,user_lang,"
        "in_reply_to_user_id_str,in_reply_to_screen_name,from_user_id_str,"
        "in_reply_to_status_id_str,source,profile_image_url,user_followers_count,"
        "user_friends_count,status_url,entities_str\n"
        "1191234567890123456,UHLLibraries,Peer assist today #KNOWvember19,"
        "Tue Nov 05 09:30:00 +0000 2019,05/11/2019 09:30:00,,en,,,123,,web,,10,5,,\n",
        encoding="utf-8")
    return {"twarc2": twarc.write_twarc2(folder / "x.jsonl"), "csv": csv, "tags": tags,
            "mastodon": FIXTURES / "mastodon_tag_timeline_4.json",
            "bluesky": FIXTURES / "bluesky_search_posts_2.json"}


def _config(api_url: str, folder: Path) -> str:
    config = live_config(api_url, db_url="sqlite:///kv.db",
                         sources=("x", "mastodon", "bluesky"), extra="""
[logging]
file = "logs/knowvember.log"
level = "DEBUG"
""")
    return config.replace(f'instances = ["{api_url}"]', f'instances = ["{api_url}"]\n'
                          'access_token_env = "KNOWVEMBER_MASTODON_TOKEN"').replace(
        "max_retries = 2", "max_retries = 0")


def _commands(files: dict[str, Path]) -> list[tuple[list[str], str | None]]:
    """Every command, with the arguments it needs here (and its standard input)."""
    commands: list[tuple[list[str], str | None]] = [
        (["config", "check"], None), (["config", "check", "--format", "json"], None),
        (["db", "upgrade"], None),
        (["-v", "collect", "--format", "json"], None),
        (["-v", "collect", "--dry-run", "--source", "x"], None),
    ]
    commands += [(["import", fmt, str(path), "--format", "json"], None)
                 for fmt, path in files.items()]
    commands += [
        (["runs"], None), (["runs", "--format", "json"], None), (["runs", "--gaps"], None),
        (["classify", "Our journal club and peer assist #KNOWvember"], None),
        (["techniques", "list"], None), (["techniques", "retag"], None),
        (["orgs", "list"], None), (["orgs", "match", "University Hospitals of Leicester"],
                                   None),
        (["orgs", "unmatched"], None), (["orgs", "attribute"], None),
        (["stories", "submit", "--title", "A Peer Assist", "--body", "It helped the ward.",
          "--name", "A Librarian", "--email", "a.librarian@nhs.net", "--consent",
          "--format", "json"], None),
        (["stories", "list"], None), (["stories", "show", "1"], None),
        (["stories", "approve", "1"], None), (["stories", "export"], None),
        (["summary"], None), (["summary", "--format", "json"], None),
        (["leaderboard"], None), (["leaderboard", "--format", "csv"], None),
        (["report", "--format", "html,md,xlsx"], None),
        (["forget", "x:@nhslib1", "--yes"], None),
        (["users", "add", "coordinator", "--password-stdin"], USER_PASSWORD + "\n"),
        (["users", "list"], None),
        (["db", "backup", "backup.db"], None),
        (["init", "new-campaign"], None),
        (["sample", "--out", "sample", "--posts", "300"], None),
    ]  # `demo` is left out: it makes its own campaign and database and reads no credential
    return commands


def _serve(folder: Path) -> str:
    """`serve` for real on a free port: a few pages and a failed sign-in, then stop."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "knowvember", "serve", "--port", str(port)],
                            cwd=folder, env=cli_env(SECRETS), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    pages = []
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        with httpx.Client(base_url=base, timeout=5) as client:
            for path in ("/", "/stories", "/submit", "/login", "/dashboard", "/healthz"):
                pages.append(client.get(path).text)
            pages.append(client.post("/login", data={"username": "coordinator",
                                                     "password": "wrong"}).text)
            pages.append(str(client.cookies))
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    return "\n".join([*pages, out, err])


@pytest.mark.parametrize("status", [401, 500])
def test_no_secret_leaks_from_any_command(cli, campaign_dir, status) -> None:  # type: ignore[no-untyped-def]
    """401: every command once, the API refusing the credentials and quoting them.
    500: the API accepting them, then failing every search with them quoted."""
    with EchoingAPI(status) as api:
        (campaign_dir / "campaign.toml").write_text(_config(api.url, campaign_dir))
        files = _small_files(campaign_dir)
        outputs: list[str] = []
        results = {}
        commands = _commands(files) if status == 401 else [
            (args, stdin) for args, stdin in _commands(files)
            if args[0] in ("config", "db", "runs") or "collect" in args]
        for args, stdin in commands:
            result = cli(*args, input=stdin, env=SECRETS)
            results[" ".join(args)] = result
            outputs += [result.stdout, result.stderr]
            assert "Traceback" not in result.stderr, (args, result.stderr)
        # The same failing collection as cron runs it, in a real process, debug on.
        process = subprocess.run([sys.executable, "-m", "knowvember", "-v", "collect"],
                                 cwd=campaign_dir, env=cli_env(SECRETS), capture_output=True,
                                 text=True, timeout=120, check=False)
        outputs += [process.stdout, process.stderr]
        tokens = [t for t in api.issued if t]
        saw_echo = [r for r in api.requests if r.headers.get("authorization")]
    if status == 401:  # the whole sweep once; with 500 the collections again
        outputs.append(_serve(campaign_dir))
    assert results["-v collect --format json"].exit_code == 1 and process.returncode == 1
    assert saw_echo, "the API was asked with the credentials (and echoed them)"
    check = json.loads(results["config check --format json"].stdout)
    assert set(check["environment"].values()) == {"set"}
    assert "set (****)" in results["config check"].stdout
    # Where a secret could end up: output, the log file, the database, any written file.
    secrets = LEAKABLE
    assert not _leaks("\n".join(outputs), secrets, tokens)
    log = campaign_dir / "logs" / "knowvember.log"
    assert log.stat().st_size > 0
    assert not _leaks(log.read_bytes(), secrets, tokens)
    tables: dict[str, Any] = dump_tables(f"sqlite:///{campaign_dir / 'kv.db'}")
    assert tables["runs"] and (tables["posts"] or status == 500)
    assert not _leaks(repr(tables), secrets, tokens)
    written = _files(campaign_dir)
    if status == 401:
        assert {".xlsx", ".md", ".html"} <= {p.suffix for p in written}
    leaked = {str(p): found for p, data in written.items()
              if (found := _leaks(data, secrets, tokens))}
    assert leaked == {}
    assert not _leaks(repr(tables["users"]), [USER_PASSWORD])
