"""Mastodon tag timeline pages (`GET /api/v1/timelines/tag/:hashtag`): one file per instance,
one page (the JSON array the API returns) a line, newest first.

Each collected instance serves its own copy of every status it knows: its own local `id`
(a snowflake from the post's time), its own local account ids, and `acct` with the domain for
remote accounts, but the same `uri` (the post's canonical id) and origin `url`. So the same
post appears in several instances' files under different ids, as it does in real life.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from knowvember.sample import texts
from knowvember.sample.campaign import COLLECTED_INSTANCES, HOME_INSTANCES, Campaign
from knowvember.sample.ids import mastodon_snowflake, mix16
from knowvember.sample.people import Account, People
from knowvember.sample.posts import AUTHOR, KIND, METRICS, MS, PARTS, REF, REPLY, SEEN, SEQ, Spool
from knowvember.sample.render import escape_html, iso_ms


def status_id(seq: int, ms: int, instance: int) -> str:
    """The id a status has on one instance (the index in HOME_INSTANCES)."""
    return str(mastodon_snowflake(ms, mix16(seq, instance, 17)))


def account_id(account: Account, instance: int) -> str:
    ms = int(account.created.timestamp() * 1000) + (instance * 7919 % 400) * 86_400_000
    return str(mastodon_snowflake(ms, mix16(account.idx, instance, 23)))


class MastodonWriter:
    """Renders Mastodon records into per-instance tag timeline pages."""

    def __init__(self, campaign: Campaign, people: People) -> None:
        self.campaign = campaign
        self.accounts = {a.idx: a for a in people.accounts}
        self._account_json: dict[tuple[int, int], orjson.Fragment] = {}
        self.last_status_at = campaign.end.isoformat()
        self.files: list[Path] = []
        self.statuses = 0

    def _home(self, account: Account) -> int:
        return HOME_INSTANCES.index(account.mastodon_home or "")

    def account(self, idx: int, serving: int) -> orjson.Fragment:
        key = (idx, serving)
        cached = self._account_json.get(key)
        if cached is None:
            a = self.accounts[idx]
            home = a.mastodon_home
            local = HOME_INSTANCES[serving] == home
            bio = escape_html(a.bio)
            body = {
                "id": account_id(a, serving),
                "username": a.mastodon_user,
                "acct": a.mastodon_user if local else f"{a.mastodon_user}@{home}",
                "display_name": a.display_name,
                "locked": False,
                "bot": False,
                "discoverable": True,
                "indexable": True,
                "group": False,
                "created_at": a.created.strftime("%Y-%m-%dT00:00:00.000Z"),
                "note": f"<p>{bio}</p>" if bio else "",
                "url": f"https://{home}/@{a.mastodon_user}",
                "uri": f"https://{home}/users/{a.mastodon_user}",
                "avatar": f"https://{home}/system/accounts/avatars/{a.avatar[:12]}.png",
                "avatar_static": f"https://{home}/system/accounts/avatars/{a.avatar[:12]}.png",
                "header": f"https://{home}/headers/original/missing.png",
                "header_static": f"https://{home}/headers/original/missing.png",
                "followers_count": max(1, a.followers // 6),
                "following_count": max(1, a.following // 5),
                "statuses_count": int(a.activity * 120) + 15,
                "last_status_at": self.last_status_at,
                "emojis": [],
                "fields": [],
            }
            cached = orjson.Fragment(orjson.dumps(body))
            self._account_json[key] = cached
        return cached

    def content(self, parts: Iterable[Any], origin: str) -> tuple[str, list[int], list[str]]:
        """The status HTML as the origin server renders it, its mentions and tags."""
        out: list[str] = []
        mentioned: list[int] = []
        tags: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(escape_html(part))
            elif part[0] == texts.HASHTAG:
                tag = part[1]
                tags.append(tag.lower())
                out.append(f'<a href="https://{origin}/tags/{tag.lower()}" class="mention '
                           f'hashtag" rel="tag">#<span>{tag}</span></a>')
            elif part[0] == texts.MENTION:
                a = self.accounts[part[1]]
                mentioned.append(part[1])
                out.append(f'<span class="h-card" translate="no"><a href="https://'
                           f'{a.mastodon_home}/@{a.mastodon_user}" class="u-url mention">@'
                           f"<span>{a.mastodon_user}</span></a></span>")
            else:
                url = part[1]
                scheme, _, rest = url.partition("://")
                shown, hidden = (rest, "") if len(rest) <= 30 else (rest[:30], rest[30:])
                ellipsis = "ellipsis" if hidden else ""
                out.append(f'<a href="{url}" target="_blank" rel="nofollow noopener" '
                           f'translate="no"><span class="invisible">{scheme}://</span>'
                           f'<span class="{ellipsis}">{shown}</span><span class="invisible">'
                           f"{hidden}</span></a>")
        return "<p>" + "".join(out) + "</p>", mentioned, list(dict.fromkeys(tags))

    def status(self, record: tuple[Any, ...], serving: int, rendered: tuple[str, list[int],
               list[str]]) -> dict[str, Any]:
        seq, ms, author = record[SEQ], record[MS], record[AUTHOR]
        a = self.accounts[author]
        home = self._home(a)
        host = HOME_INSTANCES[home]
        serving_host = HOME_INSTANCES[serving]
        origin_id = status_id(seq, ms, home)
        likes, reposts, replies, _ = record[METRICS]
        if serving != home:  # a remote copy knows only part of the engagement
            share = 0.5 + (mix16(seq, serving) % 50) / 100
            likes, reposts, replies = int(likes * share), int(reposts * share), int(replies
                                                                                  * share)
        html, mentioned, tags = rendered
        status: dict[str, Any] = {
            "id": status_id(seq, ms, serving),
            "created_at": iso_ms(ms),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"https://{host}/users/{a.mastodon_user}/statuses/{origin_id}",
            "url": f"https://{host}/@{a.mastodon_user}/{origin_id}",
            "replies_count": replies,
            "reblogs_count": reposts,
            "favourites_count": likes,
            "edited_at": None,
            "content": html,
            "reblog": None,
            "account": self.account(author, serving),
            "media_attachments": [],
            "mentions": [self._mention(i, serving) for i in dict.fromkeys(mentioned)],
            "tags": [{"name": t, "url": f"https://{serving_host}/tags/{t}"} for t in tags],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        ref = record[REF]
        if record[KIND] == REPLY and ref is not None:
            status["in_reply_to_id"] = status_id(ref[1], ref[2], serving)
            status["in_reply_to_account_id"] = account_id(self.accounts[ref[3]], serving)
        return status

    def _mention(self, idx: int, serving: int) -> dict[str, Any]:
        a = self.accounts[idx]
        local = HOME_INSTANCES[serving] == a.mastodon_home
        return {"id": account_id(a, serving), "username": a.mastodon_user,
                "url": f"https://{a.mastodon_home}/@{a.mastodon_user}",
                "acct": a.mastodon_user if local else f"{a.mastodon_user}@{a.mastodon_home}"}

    def write(self, spool: Spool, folder: Path, page_size: int = 40) -> list[Path]:
        """One file per instance, one tag timeline page (a JSON array) a line, newest first."""
        serving = [HOME_INSTANCES.index(h) for h in COLLECTED_INSTANCES]
        paths = [folder / f"mastodon_{host}.jsonl" for host in COLLECTED_INSTANCES]
        pages: list[list[dict[str, Any]]] = [[] for _ in serving]
        handles = [path.open("wb") for path in paths]
        try:
            for record in spool.newest_first():
                seen = record[SEEN]
                a = self.accounts[record[AUTHOR]]
                rendered = self.content(record[PARTS], a.mastodon_home or "")
                for i, instance in enumerate(serving):
                    if seen >> i & 1:
                        pages[i].append(self.status(record, instance, rendered))
                        if len(pages[i]) == page_size:
                            handles[i].write(orjson.dumps(pages[i]) + b"\n")
                            self.statuses += page_size
                            pages[i] = []
            for i, page in enumerate(pages):
                if page:
                    handles[i].write(orjson.dumps(page) + b"\n")
                    self.statuses += len(page)
        finally:
            for handle in handles:
                handle.close()
        self.files = paths
        return paths
