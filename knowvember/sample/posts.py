"""The campaign as it happened, post by post, in time order, one platform at a time.

Posts are generated oldest first (a reply needs its parent) into a spool of compact tuples;
the platform writers then read the spool newest first, the order search APIs page in. Memory
stays flat: the spool is on disk in chunks, and only a bounded pool of recent posts that can
still be reposted, replied to or quoted is kept.

Engagement is decided when a post is made, as "budgets" of reposts, replies and quotes the
rest of the sample may spend on it, so a post's counts are never below what the sample shows.
"""

from __future__ import annotations

import bisect
import marshal
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from knowvember.sample import texts
from knowvember.sample.campaign import COLLECTED_INSTANCES, Campaign
from knowvember.sample.curve import (
    Event,
    allocate,
    campaign_events,
    hourly_curve,
    timestamps,
)
from knowvember.sample.people import Account, People

_HASHTAG, _MENTION = texts.HASHTAG, texts.MENTION

# Record fields (a tuple, for marshal and speed).
SEQ, MS, AUTHOR, KIND, FLAGS, PARTS, METRICS, REF, ROOT, SEEN, REF_CORE = range(11)
ORIGINAL, REPLY, REPOST, QUOTE = "original", "reply", "repost", "quote"
NOISE = 1  # off-campaign: the importer must skip it
CONVERSATION = 2  # an X reply without a campaign hashtag, found through its conversation
CHAT = 4

CHUNK = 5000
ATTENTION_MS = 3 * 86_400_000  # how long a post stays in the pool of things to share

# Kind mix per platform (originals take what is left). Mastodon tag timelines and Bluesky
# search carry no boosts / reposts.
MIX = {
    "x": {REPOST: 0.38, REPLY: 0.09, QUOTE: 0.06},
    "mastodon": {REPLY: 0.2},
    "bluesky": {REPLY: 0.18, QUOTE: 0.1},
}
NOISE_SHARE = {"x": 0.04, "mastodon": 0.03, "bluesky": 0.04}
# Budgets per original, a little more than the mix will spend, so counts >= sample refs.
SUPPLY = {REPOST: 1.15, REPLY: 0.3, QUOTE: 0.2}
_SUPPLY_REPOST, _SUPPLY_REPLY, _SUPPLY_QUOTE = SUPPLY[REPOST], SUPPLY[REPLY], SUPPLY[QUOTE]


@dataclass
class PlatformStats:
    """What was generated for one platform, for the manifest and the tests."""

    posts: int = 0
    campaign: int = 0
    noise: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: {ORIGINAL: 0, REPLY: 0, REPOST: 0,
                                                           QUOTE: 0})
    conversation_replies: int = 0
    chat: int = 0
    tags: dict[str, int] = field(default_factory=dict)
    techniques: dict[str, int] = field(default_factory=dict)
    mentions: int = 0
    authors: set[int] = field(default_factory=set)
    campaign_authors: set[int] = field(default_factory=set)  # of a post under a campaign tag
    duplicates: int = 0  # Mastodon: extra copies seen on a second or third instance
    statuses_by_instance: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "posts": self.posts, "campaign_posts": self.campaign, "off_campaign": self.noise,
            "kinds": self.kinds, "conversation_replies": self.conversation_replies,
            "chat_posts": self.chat, "campaign_hashtags": dict(sorted(self.tags.items())),
            "techniques": dict(sorted(self.techniques.items())), "mentions": self.mentions,
            "authors": len(self.authors), "duplicate_copies": self.duplicates,
            "statuses_by_instance": self.statuses_by_instance,
        }


class Spool:
    """Chunks of records on disk, readable newest first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.chunks: list[tuple[int, int]] = []  # (offset, size)
        self._handle: IO[bytes] | None = path.open("wb")
        self._chunk: list[tuple[Any, ...]] = []
        self._offset = 0
        self.count = 0

    def add(self, record: tuple[Any, ...]) -> None:
        self._chunk.append(record)
        self.count += 1
        if len(self._chunk) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._chunk and self._handle is not None:
            data = marshal.dumps(self._chunk)
            self._handle.write(data)
            self.chunks.append((self._offset, len(data)))
            self._offset += len(data)
            self._chunk = []

    def close(self) -> None:
        self._flush()
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def newest_first(self, chunks: list[tuple[int, int]] | None = None
                     ) -> Iterator[tuple[Any, ...]]:
        """Records newest first: all of them, or those of `chunks` (given newest first)."""
        return read_newest_first(self.path, list(reversed(self.chunks)) if chunks is None
                                 else chunks)

    def segments(self, records: int) -> list[list[tuple[int, int]]]:
        """The chunks, newest first, in groups of about `records` records each."""
        per = max(1, records // CHUNK)
        newest = list(reversed(self.chunks))
        return [newest[i : i + per] for i in range(0, len(newest), per)]

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def read_newest_first(path: Path, chunks: list[tuple[int, int]]
                      ) -> Iterator[tuple[Any, ...]]:
    with path.open("rb") as handle:
        for offset, size in chunks:
            handle.seek(offset)
            yield from reversed(marshal.loads(handle.read(size)))


class _Pool:
    """Recent posts others may still share, with their remaining budgets as tickets."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tickets: dict[str, list[list[Any]]] = {REPOST: [], REPLY: [], QUOTE: []}

    def add(self, entry: list[Any], budgets: dict[str, int]) -> None:
        for kind, n in budgets.items():
            self.tickets[kind].extend([entry] * n)

    def take(self, kind: str, now: int, accept: Any = None) -> list[Any] | None:
        tickets = self.tickets[kind]
        for _ in range(12):
            if not tickets:
                return None
            i = int(self.rng.random() * len(tickets))
            entry = tickets[i]
            if entry[1] < now:  # out of attention: drop the ticket
                tickets[i] = tickets[-1]
                tickets.pop()
                continue
            if accept is not None and not accept(entry):
                continue
            tickets[i] = tickets[-1]
            tickets.pop()
            return entry
        return None

    def prune(self, now: int) -> None:
        for kind, tickets in self.tickets.items():
            self.tickets[kind] = [e for e in tickets if e[1] >= now]


class Generator:
    """Generates one platform's posts into a spool."""

    def __init__(self, campaign: Campaign, people: People, platform: str, total: int,
                 seed: int, spool: Spool) -> None:
        self.campaign = campaign
        self.people = people
        self.platform = platform
        self.total = total
        self.rng = random.Random(f"{seed}:{platform}")
        self.spool = spool
        self.stats = PlatformStats()
        self.accounts = people.on(platform)
        self.by_idx = {a.idx: a for a in self.accounts}
        self._cum = _cumulative([a.activity for a in self.accounts])
        mentionable = [a for a in self.accounts if a.voice in ("team", "national", "staff")]
        self._mentionable = mentionable or self.accounts
        self._mention_cum = _cumulative(
            [a.activity * (3.0 if a.voice != "staff" else 1.0) for a in self._mentionable])
        self.pool = _Pool(self.rng)
        self.events = campaign_events(campaign)
        self.mix = MIX[platform]
        self.tags = _tag_table(campaign)
        self._tech_cum = _cumulative(list(texts.TECHNIQUE_WEIGHTS))
        self.instances = len(COLLECTED_INSTANCES)
        self._home_bit = {
            a.idx: (1 << COLLECTED_INSTANCES.index(a.mastodon_home)
                    if a.mastodon_home in COLLECTED_INSTANCES else 0)
            for a in self.accounts
        }
        self._question: list[Any] | None = None
        self._chat_replies_each = 0
        self._question_no = 0
        self._links = _links(campaign, self.rng)
        self._start_ms = campaign.window_ms()[0]
        self._tagset = frozenset(self.tags)
        self._on_x = platform == "x"

    # -- choosing ------------------------------------------------------------------------

    def _author(self) -> Account:
        return self.accounts[_pick(self.rng, self._cum)]

    def _mention(self, not_idx: int) -> int | None:
        for _ in range(4):
            account = self._mentionable[_pick(self.rng, self._mention_cum)]
            if account.idx != not_idx:
                return account.idx
        return None

    def _tag(self) -> str:
        return self.tags[_pick(self.rng, _TAG_CUM)]

    def _technique(self) -> texts.Technique:
        return texts.TECHNIQUES[_pick(self.rng, self._tech_cum)]

    def _other_technique(self, first: texts.Technique) -> texts.Technique:
        for _ in range(8):
            other = self._technique()
            if other is not first:
                return other
        return texts.TECHNIQUES[(texts.TECHNIQUES.index(first) + 1) % len(texts.TECHNIQUES)]

    def _slots(self, author: Account, ms: int, needs: frozenset[str]) -> texts.Slots:
        rng = self.rng
        mentions: tuple[int, ...] = ()
        if "m" in needs or "m2" in needs:
            mentions = tuple(m for m in (self._mention(author.idx), self._mention(author.idx))
                             if m is not None)
        technique = self._technique()
        day = (ms - self._start_ms) // 86_400_000 + 1
        return texts.Slots(
            tag=self._tag(),
            tag2=(texts.COMMUNITY_TAGS[int(rng.random() * len(texts.COMMUNITY_TAGS))]
                  if "tag2" in needs else ""),
            technique=technique,
            technique2=self._other_technique(technique) if "techs2" in needs else technique,
            org=_org_words(author, rng) if "org" in needs else "",
            mentions=mentions,
            link=(self._links[int(rng.random() * len(self._links))] if "link" in needs
                  else ""),
            day=int(day),
            week=int((day - 1) // 7 + 1),
            question=self._question_no or 1,
        )

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> PlatformStats:
        hours = hourly_curve(self.campaign, self.platform, self.events)
        counts = allocate(self.total, [h.weight for h in hours], self.rng)
        chat_posts = sum(c for h, c in zip(hours, counts, strict=True)
                         if h.event is not None and h.event.key == "chat")
        self._chat_replies_each = int(chat_posts * 0.45 * 0.7 / len(texts.CHAT_QUESTIONS)
                                      * 1.3) + 3
        for seq, (ms, event) in enumerate(timestamps(self.rng, hours, counts)):
            self._one(seq, ms, event)
            if seq % 50_000 == 49_999:
                self.pool.prune(ms)
        self.spool.close()
        return self.stats

    def _one(self, seq: int, ms: int, event: Event | None) -> None:
        rng = self.rng
        chat = event is not None and event.key == "chat"
        flags = CHAT if chat else 0
        kind, ref_entry, author = ORIGINAL, None, None
        template_group = "original"
        if rng.random() < NOISE_SHARE[self.platform] and not chat:
            flags |= NOISE
            template_group = "noise"
            author = self._author()
        elif chat and self._chat_question_due(ms):
            author = self.people.national
            template_group = "chat_q"
            self._question_no += 1
        else:
            author = self._author()
            kind = self._kind(chat)
            if kind != ORIGINAL:
                ref_entry = self._reference(kind, author, ms, chat)
                if ref_entry is None:
                    kind = ORIGINAL
            if kind == REPLY:
                template_group = "chat_a" if chat and ref_entry is self._question else "reply"
            elif kind == QUOTE:
                template_group = "quote"
            elif chat:
                template_group = "chat_a"
            elif author.voice == "other":
                template_group = "law"
        if self.platform == "mastodon" and flags & NOISE:
            template = self._noise_template(need_tag2=True)
        elif self.platform == "bluesky" and flags & NOISE:
            template = self._noise_template(need_word=True)
        else:
            group = texts.COMPILED[template_group]
            template = group[int(rng.random() * len(group))]
        if kind == REPOST:
            parts: tuple[Any, ...] = ()
            named: list[str] = []
        else:
            slots = self._slots(author, ms, template.needs)
            part_list, named = texts.render(template, slots, rng)
            if kind in (REPLY, QUOTE) or template_group == "chat_a":
                part_list = self._campaign_tagged(part_list, kind, flags)
                if kind == REPLY and self.platform == "x" and not any(
                        isinstance(p, tuple) and p[0] == texts.HASHTAG for p in part_list):
                    flags |= CONVERSATION
            elif not flags & NOISE and rng.random() < 0.1:
                extra = self._tag()  # a second spelling, as people add "#KNOWvember25" too
                if (texts.HASHTAG, extra) not in part_list:
                    part_list.append(" ")
                    part_list.append((texts.HASHTAG, extra))
            if (kind == REPLY and self.platform in ("x", "mastodon") and ref_entry is not None
                    and ref_entry[0][AUTHOR] != author.idx):
                part_list = [(texts.MENTION, ref_entry[0][AUTHOR]), " ", *part_list]
            parts = tuple(part_list)
        seen = 0
        if self.platform == "mastodon":
            seen = ref_entry[0][SEEN] if ref_entry is not None else self._seen(author)
        core = self._core(seq, ms, author.idx, kind, parts, ref_entry, seen)
        core[FLAGS] = flags
        metrics = self._metrics(author, kind, flags, ref_entry, template_group)
        core[METRICS] = metrics
        frozen = tuple(core)
        self.spool.add((*frozen, ref_entry[0] if ref_entry is not None else None))
        # Hashtag-less replies are found only through their thread: nobody replies to them
        # in the sample, so every kept post is at most one step from a tagged one.
        if kind != REPOST and not flags & (NOISE | CONVERSATION):
            budgets = self._budgets(kind, metrics)
            entry = [frozen, ms + ATTENTION_MS, budgets.get(REPLY, 0)]
            if template_group == "chat_q":
                budgets.pop(REPLY, None)  # answers reach it directly, not through tickets
                self._question = entry
            self.pool.add(entry, budgets)
        self._count(kind, flags, author, parts, named, seen)

    def _chat_question_due(self, ms: int) -> bool:
        """The national account asks a question at the top of each half hour of the chat."""
        slot = (ms // 900_000) % 4
        due = self._question is None or (slot in (0, 2) and self._question[0][MS] < ms - 600_000)
        return due and self._question_no < len(texts.CHAT_QUESTIONS)

    def _kind(self, chat: bool) -> str:
        r = self.rng.random()
        mix = self.mix
        if chat and self.platform == "x":
            mix = {REPLY: 0.45, REPOST: 0.25, QUOTE: 0.1}
        for kind, share in mix.items():
            if r < share:
                return kind
            r -= share
        return ORIGINAL

    def _reference(self, kind: str, author: Account, ms: int, chat: bool) -> list[Any] | None:
        question = self._question
        if chat and kind == REPLY and question is not None and question[2] > 0 and (
                self.rng.random() < 0.7):
            question[2] -= 1  # replies to the chat question skip the ticket draw
            return question
        home = self._home_bit.get(author.idx, 0) if self.platform == "mastodon" else 0

        def accept(entry: list[Any]) -> bool:
            core = entry[0]
            if core[AUTHOR] == author.idx and kind != REPLY:
                return False
            return not home or bool(core[SEEN] & home)

        return self.pool.take(kind, ms, accept)

    def _campaign_tagged(self, parts: list[Any], kind: str, flags: int) -> list[Any]:
        """Replies and quotes carry a campaign tag; on X a third of replies drop it (found
        through their conversation instead)."""
        tags = self._tagset
        has = any(isinstance(p, tuple) and p[0] == texts.HASHTAG and p[1] in tags
                  for p in parts)
        if self.platform == "x" and kind == REPLY and not flags & CHAT and (
                self.rng.random() < 0.33):
            out: list[Any] = []
            for p in parts:
                if isinstance(p, tuple) and p[0] == texts.HASHTAG and p[1] in tags:
                    continue
                out.append(p)
            while out and isinstance(out[-1], str) and not out[-1].strip():
                out.pop()
            if out and isinstance(out[-1], str):
                out[-1] = out[-1].rstrip()
            return out
        if not has:
            parts = [*parts, " ", (texts.HASHTAG, self._tag())]
        return parts

    def _noise_template(self, *, need_tag2: bool = False, need_word: bool = False
                        ) -> texts.Template:
        group = [t for t in texts.COMPILED["noise"]
                 if (not need_tag2 or "tag2" in t.needs)
                 and (not need_word or any(not s and "KNOWvember" in v for s, v in t.parts))]
        return group[int(self.rng.random() * len(group))]

    def _seen(self, author: Account) -> int:
        """Which collected instances' tag timelines show a new Mastodon post."""
        seen = self._home_bit.get(author.idx, 0)
        for i in range(self.instances):
            if self.rng.random() < 0.55:
                seen |= 1 << i
        if not seen:
            seen = 1 << int(self.rng.random() * self.instances)
        return seen

    def _core(self, seq: int, ms: int, author: int, kind: str, parts: tuple[Any, ...],
              ref_entry: list[Any] | None, seen: int) -> list[Any]:
        ref = root = None
        if ref_entry is not None:
            target = ref_entry[0]
            ref = (target[KIND], target[SEQ], target[MS], target[AUTHOR])
            if kind == REPLY:
                root = target[ROOT] or (target[SEQ], target[MS], target[AUTHOR])
        return [seq, ms, author, kind, 0, parts, None, ref, root, seen]

    def _metrics(self, author: Account, kind: str, flags: int, ref_entry: list[Any] | None,
                 group: str) -> tuple[int, int, int, int]:
        if kind == REPOST and ref_entry is not None:
            # X shows a retweet with the original's retweet count and nothing else.
            return (0, ref_entry[0][METRICS][1], 0, 0)
        rng = self.rng
        reach = (author.followers / 400.0) ** 0.35
        popularity = math.exp(rng.gauss(-0.72, 1.2)) * reach
        if flags & NOISE:
            popularity *= 0.3
        if author.voice == "national":
            popularity *= 3.0
        if kind == REPLY:
            popularity *= 0.3
        random = rng.random
        reposts = int(popularity * _SUPPLY_REPOST + random())
        replies = int(popularity * _SUPPLY_REPLY + random())
        quotes = int(popularity * _SUPPLY_QUOTE + random())
        if not self._on_x:
            reposts = int(popularity * 0.6 + random())
        if group == "chat_q":
            replies += self._chat_replies_each
        likes = int(popularity * (2.0 + 6.0 * rng.random()) + reposts * 1.5)
        return (likes, reposts, replies, quotes)

    def _budgets(self, kind: str, metrics: tuple[int, int, int, int]) -> dict[str, int]:
        """What the rest of the sample may spend on a post: replies can only be replied to."""
        budgets = {REPOST: metrics[1], REPLY: metrics[2], QUOTE: metrics[3]}
        if kind == REPLY:
            budgets = {REPLY: metrics[2]}
        return {k: v for k, v in budgets.items() if k in self.mix and v > 0}

    def _count(self, kind: str, flags: int, author: Account, parts: tuple[Any, ...],
               named: list[str], seen: int) -> None:
        stats = self.stats
        stats.posts += 1
        if flags & NOISE:
            stats.noise += 1
        else:
            stats.campaign += 1
            stats.campaign_authors.add(author.idx)
        stats.kinds[kind] += 1
        if flags & CONVERSATION:
            stats.conversation_replies += 1
        if flags & CHAT:
            stats.chat += 1
        stats.authors.add(author.idx)
        tags, counted = self._tagset, stats.tags
        for p in parts:
            if p.__class__ is tuple:
                if p[0] == _HASHTAG:
                    if p[1] in tags:
                        counted[p[1]] = counted.get(p[1], 0) + 1
                elif p[0] == _MENTION:
                    stats.mentions += 1
        techniques = stats.techniques
        for name in named:
            techniques[name] = techniques.get(name, 0) + 1
        if seen:
            copies = bin(seen).count("1")
            stats.duplicates += copies - 1
            for i, host in enumerate(COLLECTED_INSTANCES):
                if seen >> i & 1:
                    stats.statuses_by_instance[host] = stats.statuses_by_instance.get(host,
                                                                                      0) + 1


# Campaign hashtag spellings and how often people use each (case variants, misspellings
# the config accepts as variants, and the year-less tag).
def _tag_table(campaign: Campaign) -> list[str]:
    yy, year = campaign.yy, campaign.year
    return [f"KNOWvember{yy}", "KNOWvember", f"KNOWvember{year}", f"knowvember{yy}",
            "KNOWVEMBER", "Knowvember", f"knowvember{year}", f"Knowvmber{yy}",
            f"Knovember{yy}", f"KNOWvember2k{yy}"]


_TAG_WEIGHTS = (40, 30, 12, 4, 2, 3, 3, 2, 2, 2)


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


_TAG_CUM = _cumulative(list(_TAG_WEIGHTS))


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]),
               len(cumulative) - 1)


def _org_words(author: Account, rng: random.Random) -> str:
    org = author.org
    if author.voice == "national":
        return "your trust"
    if author.voice == "other":
        return "the firm"
    if org is None:
        return "our trust"
    if org.acronym and rng.random() < 0.5:
        return org.acronym
    return org.short


def _links(campaign: Campaign, rng: random.Random) -> list[str]:
    forms = [f"https://forms.office.com/e/{_code(rng, 10)}" for _ in range(3)]
    return [
        "https://library.nhs.uk/knowledge-mobilisation/",
        "https://library.nhs.uk/knowledge-mobilisation/knowvember/",
        "https://library.nhs.uk/knowledge-mobilisation/km-techniques/",
        f"https://kmlibrarians.wordpress.com/{campaign.year}/11/06/knowvember-ideas/",
        f"https://nhslibrariesblog.org/{campaign.year}/11/peer-assist-in-practice",
        *forms,
    ]


def _code(rng: random.Random, n: int) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "".join(alphabet[int(rng.random() * len(alphabet))] for _ in range(n))
