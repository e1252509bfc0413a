"""Connections: which organisations reply to, repost, quote and mention each other.

KNOWvember asks library teams to grow their connections; this is the evidence. An edge
runs from the organisation of a post's author to the organisation of the account it
replies to, reposts, quotes (`posts.referenced_id` -> the referenced post's author) or
mentions (`posts.mentions` -> `accounts.handle` on the same platform). Interactions within
one organisation are counted but are not connections. Unattributed and opted-out accounts
are left out. The graph is a networkx DiGraph, exported for Gephi as GEXF and GraphML.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import sqlalchemy as sa

from reports.dataset import CampaignData, org_of_accounts
from reports.frame import QUOTE, REPLY, REPOST, frame_positions, int_columns
from reports.scope import OrgInfo

if TYPE_CHECKING:
    import networkx as nx
    from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

KIND_NAMES = {REPLY: "replies", REPOST: "reposts", QUOTE: "quotes"}
EDGE_KINDS = ("replies", "reposts", "quotes", "mentions")
FULL_SCAN_SHARE = 0.2  # read the whole table rather than the index beyond this share


@dataclass
class Connections:
    graph: nx.DiGraph
    links: list[dict[str, Any]] = field(default_factory=list)  # strongest first, undirected
    internal: int = 0  # interactions within one organisation
    interactions: int = 0  # between organisations


def scan_hint(conn: Connection, data: CampaignData) -> str:
    """SQLite: `NOT INDEXED` when the period is most of the table (a sequential scan of the
    wide rows beats a million random look-ups through the index), else nothing."""
    return scan_hint_for(conn, len(data.frame))


def scan_hint_for(conn: Connection, posts: int) -> str:
    """`scan_hint` for a period of `posts` posts."""
    if conn.dialect.name != "sqlite" or not posts:
        return ""
    total = conn.execute(sa.text("SELECT max(id) - min(id) + 1 FROM posts")).scalar() or 1
    return "NOT INDEXED" if posts >= FULL_SCAN_SHARE * total else ""


def _window(data: CampaignData) -> dict[str, Any]:
    start, end = data.period.window_utc()
    return {"campaign": data.campaign.id, "lo": start, "hi": end}


def _binds() -> list[sa.BindParameter[Any]]:
    """:lo / :hi bind as stored timestamps (naive UTC), like the ORM's."""
    from knowvember.models import UtcDateTime

    return [sa.bindparam("lo", type_=UtcDateTime()), sa.bindparam("hi", type_=UtcDateTime())]


def _outer_first(conn: Connection) -> str:
    """The join that keeps the left table outermost: SQLite's CROSS JOIN (its planner never
    reorders it), a plain JOIN elsewhere (PostgreSQL plans from statistics)."""
    return "CROSS JOIN" if conn.dialect.name == "sqlite" else "JOIN"


def reference_edges(conn: Connection, data: CampaignData) -> np.ndarray:
    """(author account id, kind, referenced author account id) per reply, repost, quote."""
    edges = int_columns(conn, f"""
        SELECT p.account_id AS c0,
               CASE p.kind WHEN 'reply' THEN {REPLY} WHEN 'repost' THEN {REPOST}
                    ELSE {QUOTE} END AS c1,
               r.id AS c2
        FROM posts AS p {scan_hint(conn, data)}
        {_outer_first(conn)} posts AS r
             ON r.platform = p.platform AND r.platform_id = p.referenced_id
        WHERE p.campaign_id = :campaign AND p.created_at >= :lo AND p.created_at < :hi
          AND p.referenced_id IS NOT NULL AND p.account_id IS NOT NULL
          AND p.kind IN ('reply', 'repost', 'quote')""", _window(data), 3, _binds())
    if not len(edges):
        return edges
    # The referenced post's author: from the frame when it is in the period, else looked up.
    ids = edges[:, 2]
    at = frame_positions(data.frame.id, ids)
    known = at >= 0
    authors = np.full(len(ids), -1, dtype=np.int64)
    authors[known] = data.frame.account[at[known]]
    missing = np.unique(ids[~known])
    if len(missing):
        found: dict[int, int] = {}
        lookup = sa.text("SELECT id, account_id FROM posts WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True))
        for start in range(0, len(missing), 900):
            chunk = [int(x) for x in missing[start:start + 900]]
            for pid, account in conn.execute(lookup, {"ids": chunk}):
                if account is not None:
                    found[int(pid)] = int(account)
        authors[~known] = [found.get(int(i), -1) for i in ids[~known]]
    edges[:, 2] = authors
    return edges[authors >= 0]


def mention_edges(conn: Connection, data: CampaignData) -> np.ndarray:
    """(author account id, mentioned account id, count) from `posts.mentions`."""
    return int_columns(conn, mention_sql(conn, data), _window(data), 3, _binds())


def mention_sql(conn: Connection, data: CampaignData) -> str:
    where = """p.campaign_id = :campaign AND p.created_at >= :lo AND p.created_at < :hi
               AND p.mentions IS NOT NULL AND p.mentions != '' AND p.account_id IS NOT NULL
               AND p.kind != 'repost'"""
    if conn.dialect.name == "sqlite":
        # Space-separated handles made a JSON array and split by json_each; a value that
        # is not valid JSON after that (a control character) is skipped, not fatal. CROSS
        # JOIN fixes SQLite's join order (posts, their handles, then the account by its
        # (platform, handle) index): left to itself, without statistics, it may try every
        # account of the platform against every handle of every post.
        escaped = r"""replace(replace(p.mentions, '\', '\\'), '"', '\"')"""
        sql = f"""
            SELECT q.account_id AS c0, a.id AS c1, count(*) AS c2
            FROM (SELECT p.account_id, p.platform,
                         '["' || replace({escaped}, ' ', '","') || '"]' AS handles
                  FROM posts AS p {scan_hint(conn, data)} WHERE {where}) AS q
            CROSS JOIN json_each(q.handles) AS m
            CROSS JOIN accounts AS a ON a.platform = q.platform AND a.handle = m.value
            WHERE json_valid(q.handles)
            GROUP BY q.account_id, a.id"""
    else:
        sql = f"""
            SELECT p.account_id AS c0, a.id AS c1, count(*) AS c2
            FROM posts AS p
            CROSS JOIN LATERAL unnest(string_to_array(p.mentions, ' ')) AS m(handle)
            JOIN accounts AS a ON a.platform = p.platform AND a.handle = m.handle
            WHERE {where}
            GROUP BY p.account_id, a.id"""
    return sql


def build_connections(conn: Connection, data: CampaignData,
                      excluded: set[int] | frozenset[int] = frozenset()) -> Connections:
    """The organisation network of the period."""
    import networkx as nx

    accounts = data.accounts
    org_of = org_of_accounts(data)
    orgs: list[OrgInfo] = accounts.orgs
    ref = reference_edges(conn, data)
    men = mention_edges(conn, data)
    n_kinds = len(EDGE_KINDS)
    parts = []
    if len(ref):
        kind_slot = np.select([ref[:, 1] == REPLY, ref[:, 1] == REPOST], [0, 1], 2)
        parts.append((ref[:, 0], ref[:, 2], kind_slot, np.ones(len(ref), dtype=np.int64)))
    if len(men):
        parts.append((men[:, 0], men[:, 1], np.full(len(men), 3), men[:, 2]))
    graph = nx.DiGraph(name=f"{data.campaign.name} connections")
    result = Connections(graph=graph)
    if not parts:
        return result
    src = np.concatenate([p[0] for p in parts])
    dst = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([p[2] for p in parts])
    count = np.concatenate([p[3] for p in parts])
    if excluded:
        ex = np.fromiter(excluded, np.int64)
        keep = ~(np.isin(src, ex) | np.isin(dst, ex))
        src, dst, kind, count = src[keep], dst[keep], kind[keep], count[keep]
    so = org_of[accounts.index_of(src)]
    do = org_of[accounts.index_of(dst)]
    attributed = (so >= 0) & (do >= 0)
    so, do, kind, count = so[attributed], do[attributed], kind[attributed], count[attributed]
    internal = so == do
    result.internal = int(count[internal].sum())
    so, do, kind, count = so[~internal], do[~internal], kind[~internal], count[~internal]
    result.interactions = int(count.sum())
    n = len(orgs)
    pairs, inverse = np.unique(so * n + do, return_inverse=True)
    by_kind = np.zeros((len(pairs), n_kinds), dtype=np.int64)
    np.add.at(by_kind, (inverse, kind), count)
    used = np.unique(np.concatenate([pairs // n, pairs % n])) if len(pairs) else []
    graph.add_nodes_from(
        (orgs[i].code, {"label": orgs[i].name, "region": orgs[i].region or "",
                        "out_of_scope": bool(orgs[i].out_of_scope)}) for i in used)
    graph.add_edges_from(
        (orgs[int(pair) // n].code, orgs[int(pair) % n].code,
         {"weight": int(row.sum()), **{name: int(v) for name, v in zip(EDGE_KINDS, row,
                                                                        strict=True)}})
        for pair, row in zip(pairs, by_kind, strict=True))
    result.links = strongest_links(graph, {o.code: o for o in orgs})
    return result


def strongest_links(graph: nx.DiGraph, orgs: dict[str, OrgInfo], limit: int = 20
                    ) -> list[dict[str, Any]]:
    """Organisation pairs by interactions in both directions, strongest first."""
    pairs: dict[tuple[str, str], dict[str, int]] = {}
    for u, v, attrs in graph.edges(data=True):
        key = (u, v) if u <= v else (v, u)
        entry = pairs.setdefault(key, {name: 0 for name in (*EDGE_KINDS, "weight")})
        for name in (*EDGE_KINDS, "weight"):
            entry[name] += int(attrs[name])
    ranked = sorted(pairs.items(), key=lambda item: (-item[1]["weight"], item[0]))
    return [
        {"a": a, "a_name": orgs[a].name, "b": b, "b_name": orgs[b].name, **counts}
        for (a, b), counts in ranked[:limit]
    ]


def write_graph_files(connections: Connections, out: Path) -> dict[str, Path]:
    """GEXF and GraphML files of the network, for Gephi (and anything else).

    Written directly rather than with networkx's writers, which build an element tree of
    the whole graph first (seconds for 40,000 links); networkx reads both back.
    """
    out.mkdir(parents=True, exist_ok=True)
    gexf, graphml = out / "connections.gexf", out / "connections.graphml"
    _write_gexf(connections.graph, gexf)
    _write_graphml(connections.graph, graphml)
    return {"Network (GEXF)": gexf, "Network (GraphML)": graphml}


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _attr(value: object) -> str:
    return quoteattr(_XML_INVALID.sub("", str(value)))


def _text(value: object) -> str:
    return escape(_XML_INVALID.sub("", str(value)))


def _write_gexf(graph: nx.DiGraph, path: Path) -> None:
    edge_keys = (*EDGE_KINDS,)
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n'
                '<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">\n'
                f'  <meta><creator>knowvember</creator><description>{_text(graph.name)}'
                '</description></meta>\n'
                '  <graph defaultedgetype="directed" mode="static">\n'
                '    <attributes class="node" mode="static">\n'
                '      <attribute id="0" title="region" type="string" />\n'
                '      <attribute id="1" title="out_of_scope" type="boolean" />\n'
                '    </attributes>\n'
                '    <attributes class="edge" mode="static">\n')
        for i, key in enumerate(edge_keys):
            f.write(f'      <attribute id="{i + 2}" title="{key}" type="long" />\n')
        f.write("    </attributes>\n    <nodes>\n")
        for node, attrs in graph.nodes(data=True):
            f.write(f'      <node id={_attr(node)} label={_attr(attrs.get("label", node))}>'
                    f'<attvalues><attvalue for="0" value={_attr(attrs.get("region", ""))} />'
                    f'<attvalue for="1" value="{str(bool(attrs.get("out_of_scope"))).lower()}"'
                    " /></attvalues></node>\n")
        f.write("    </nodes>\n    <edges>\n")
        for i, (u, v, attrs) in enumerate(graph.edges(data=True)):
            values = "".join(f'<attvalue for="{k + 2}" value="{int(attrs.get(key, 0))}" />'
                             for k, key in enumerate(edge_keys))
            f.write(f'      <edge id="{i}" source={_attr(u)} target={_attr(v)} '
                    f'weight="{int(attrs.get("weight", 1))}"><attvalues>{values}</attvalues>'
                    "</edge>\n")
        f.write("    </edges>\n  </graph>\n</gexf>\n")


def _write_graphml(graph: nx.DiGraph, path: Path) -> None:
    edge_keys = ("weight", *EDGE_KINDS)
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n'
                '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
                '  <key id="label" for="node" attr.name="label" attr.type="string" />\n'
                '  <key id="region" for="node" attr.name="region" attr.type="string" />\n'
                '  <key id="out_of_scope" for="node" attr.name="out_of_scope" '
                'attr.type="boolean" />\n')
        for key in edge_keys:
            f.write(f'  <key id="{key}" for="edge" attr.name="{key}" attr.type="long" />\n')
        f.write('  <graph edgedefault="directed">\n')
        for node, attrs in graph.nodes(data=True):
            f.write(f'    <node id={_attr(node)}>'
                    f'<data key="label">{_text(attrs.get("label", node))}</data>'
                    f'<data key="region">{_text(attrs.get("region", ""))}</data>'
                    f'<data key="out_of_scope">{str(bool(attrs.get("out_of_scope"))).lower()}'
                    "</data></node>\n")
        for u, v, attrs in graph.edges(data=True):
            values = "".join(f'<data key="{key}">{int(attrs.get(key, 0))}</data>'
                             for key in edge_keys)
            f.write(f"    <edge source={_attr(u)} target={_attr(v)}>{values}</edge>\n")
        f.write("  </graph>\n</graphml>\n")
