"""Draw the web of trust as an SVG graph (chapter 06).

The graph puts each key in a column by its path length from your own key (the round of GnuPG's
calculation in which it was decided), so the picture reads left to right like the calculation.
Meaning never rests on colour: every key says its validity in words with a symbol, valid keys
have a solid double border and invalid ones a dashed border, counted certifications are solid
arrows labelled "complete" or "marginal", certifications that count for nothing are thin dashed
arrows, and revoked ones are labelled "revoked". The SVG has a title and a description that
read out every key and arrow.

Nothing in the graph hides anything else: each label sits in a gap of its own arrow (or just
beside it, where the arrow is too short), clear of every other arrow, key and label, and arrows
bend around the keys they do not connect. Where things go is :mod:`mailsec.render.graphlayout`'s
business; this module says what they look like.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from mailsec.i18n import texts
from mailsec.openpgp.trust import CertificationUse, KeyValidity, TrustResult, Validity
from mailsec.render.graphlayout import (
    BOX_H,
    BOX_W,
    COL_GAP,
    LEFT,
    ROW_GAP,
    TOP,
    Box,
    Edge,
    Label,
    Point,
    place_labels,
    route_arrow,
)
from mailsec.render.html import FONT, OUTCOME_COLOURS, Fragment, escape
from mailsec.trace import Outcome

__all__ = ["TEXT", "USE_LABEL", "VALIDITY_OUTCOME", "VALIDITY_WORD", "person", "trust_graph_svg"]

TEXT = texts(
    {
        # What a key's box says about its validity, with a symbol (by Validity value).
        "validity": {
            "ultimate": "✓ ultimate",
            "full": "✓ full: valid",
            "marginal": "! marginal",
            "undefined": "? undefined",
            "unknown": "✗ unknown",
            "revoked": "✗ revoked",
            "expired": "✗ expired",
        },
        # The word on an arrow, for the certifications that get one (by CertificationUse value).
        "use": {
            "ultimate": "your key",
            "complete": "complete",
            "marginal": "marginal",
            "revoked": "✗ revoked",
        },
        "not_reached": "not reached",
        "your_key": "your key",
        "path_length": "path length {length}",
        "counted": "{signer} (counted)",
        "not_counted": "{signer} (not counted)",
        "alt_certified": "{name}: {validity}; owner trust {trust}; certified by {signers}.",
        "alt_alone": "{name}: {validity}; owner trust {trust}; not certified by anyone.",
        "owner_trust": "owner trust: {trust}",
        "title": "Web of trust",
        # The people of chapter 06's graphs and mails, as the current language writes them.
        "people": {
            "You": "You",
            "Alice": "Alice",
            "Bob": "Bob",
            "Carol": "Carol",
            "Dave": "Dave",
            "Erin": "Erin",
            "CA": "CA",
            "Mallory": "Mallory",
            "Fake Bob": "Fake Bob",
            "Sock Puppet": "Sock Puppet",
        },
        # Between the names of a list (", " in English).
        "sep": ", ",
    }
)
"""The graph's words (see :mod:`mailsec.i18n`)."""

_ids = itertools.count(1)

#: How each validity is coloured (never the only sign of it).
VALIDITY_OUTCOME = {
    Validity.ULTIMATE: Outcome.OK,
    Validity.FULL: Outcome.OK,
    Validity.MARGINAL: Outcome.WARN,
    Validity.UNDEFINED: Outcome.WARN,
    Validity.UNKNOWN: Outcome.INFO,
    Validity.REVOKED: Outcome.FAIL,
    Validity.EXPIRED: Outcome.FAIL,
}


def person(name: str) -> str:
    """A person's name as the current language writes it (one of the chapter's people; any other
    name, such as one a learner typed, as it is)."""
    return str(TEXT["people"].get(name, name))


#: What a key's box says about its validity, with a symbol (English; the graph translates it).
VALIDITY_WORD = {v: TEXT.source["validity"][v.value] for v in Validity}
#: The word on an arrow, for the certifications that get one (English; the graph translates it).
USE_LABEL = {CertificationUse(k): v for k, v in TEXT.source["use"].items()}


def _unreached(key: KeyValidity) -> bool:
    """Keys drawn in the last column: no path reaches them, or they are revoked or expired."""
    return key.path_length is None or key.validity in (Validity.REVOKED, Validity.EXPIRED)


def _columns(result: TrustResult) -> list[list[KeyValidity]]:
    depth = result.policy.max_cert_depth
    columns: list[list[KeyValidity]] = [[] for _ in range(depth + 2)]
    for key in result.keys:
        if _unreached(key):
            columns[-1].append(key)
        else:
            columns[key.path_length or 0].append(key)
    # Drop empty path-length columns between the first and the "not reached" one.
    kept = [c for c in columns[:-1] if c]
    return [*kept, columns[-1]] if columns[-1] else kept


def _column_title(column: Sequence[KeyValidity], last: bool, has_unreached: bool) -> str:
    if last and has_unreached:
        return TEXT["not_reached"]
    length = column[0].path_length if column else 0
    return TEXT["your_key"] if length == 0 else TEXT["path_length"].format(length=length)


def _alt_text(result: TrustResult) -> str:
    parts = []
    for key in result.keys:
        signers = TEXT["sep"].join(
            TEXT["counted" if c.use.counted else "not_counted"].format(signer=c.signer)
            for c in key.certifications
        )
        parts.append(
            TEXT["alt_certified" if signers else "alt_alone"].format(
                name=key.name,
                validity=key.validity.description,
                trust=key.owner_trust.word,
                signers=signers,
            )
        )
    return " ".join(parts)


@dataclass
class _Grid:
    """Where the keys are: each key's box and column, the column headings, the picture's size."""

    boxes: dict[str, Box]
    column_of: dict[str, int]
    headings: list[str]
    width: int
    height: int

    def centre(self, name: str) -> Point:
        box = self.boxes[name]
        return (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2


def _grid(result: TrustResult) -> tuple[_Grid, list[KeyValidity]]:
    """Put the keys in columns by path length, and say in what order they are drawn."""
    columns = _columns(result)
    has_unreached = any(_unreached(k) for k in result.keys)
    rows = max((len(c) for c in columns), default=1)
    width = LEFT * 2 + len(columns) * (BOX_W + COL_GAP) - COL_GAP
    # Every other column is shifted down by half a row, so an arrow between two neighbouring
    # columns never runs straight through a third box.
    stagger = (BOX_H + ROW_GAP) / 2 if len(columns) > 2 else 0
    height = int(TOP + rows * (BOX_H + ROW_GAP) - ROW_GAP + stagger + 40)
    grid = _Grid({}, {}, [], width, height)
    drawn: list[KeyValidity] = []
    for index, column in enumerate(columns):
        x = LEFT + index * (BOX_W + COL_GAP)
        heading = _column_title(column, index == len(columns) - 1, has_unreached)
        grid.headings.append(
            f'<text x="{x + BOX_W / 2}" y="18" text-anchor="middle" font-size="12" '
            f'fill="#4a5563" font-family="sans-serif">{escape(heading)}</text>'
        )
        for row, key in enumerate(column):
            y = TOP + row * (BOX_H + ROW_GAP) + (stagger if index % 2 else 0)
            grid.column_of[key.name] = index
            grid.boxes[key.name] = Box(x, y, x + BOX_W, y + BOX_H)
            drawn.append(key)
    return grid, drawn


def _key_svg(key: KeyValidity, box: Box) -> str:
    """One key: its name, its validity in words, your owner trust; borders that say "valid"."""
    x, y = box.x0, box.y0
    bg, fg = OUTCOME_COLOURS[VALIDITY_OUTCOME[key.validity]]
    valid = key.validity.is_valid
    stroke = f'stroke="{fg}" stroke-width="{2.5 if valid else 1.5}"' + (
        "" if valid else ' stroke-dasharray="5 3"'
    )
    parts = [
        f'<g class="mailsec-wot-node" data-name="{escape(key.name)}" '
        f'data-validity="{key.validity.value}">'
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="7" fill="{bg}" {stroke}/>'
    ]
    if valid:  # a second inner border: "valid" is visible without colour
        parts.append(
            f'<rect x="{x + 3}" y="{y + 3}" width="{BOX_W - 6}" height="{BOX_H - 6}" '
            f'rx="5" fill="none" stroke="{fg}" stroke-width="1"/>'
        )
    parts.append(
        f'<text x="{x + BOX_W / 2}" y="{y + 17}" text-anchor="middle" font-size="13" '
        f'font-weight="bold" fill="{fg}" font-family="sans-serif">{escape(person(key.name))}</text>'
        f'<text x="{x + BOX_W / 2}" y="{y + 32}" text-anchor="middle" font-size="11.5" '
        f'fill="{fg}" font-family="sans-serif">'
        f"{escape(TEXT['validity'][key.validity.value])}</text>"
        f'<text x="{x + BOX_W / 2}" y="{y + 46}" text-anchor="middle" font-size="10.5" '
        f'fill="#374151" font-family="sans-serif">'
        f"{escape(TEXT['owner_trust'].format(trust=key.owner_trust.word))}</text></g>"
    )
    if key.validity is Validity.REVOKED:
        parts.append(
            f'<line x1="{x + 6}" y1="{y + BOX_H - 6}" x2="{x + BOX_W - 6}" y2="{y + 6}" '
            f'stroke="{fg}" stroke-width="1.5"/>'
        )
    return "".join(parts)


def _arrows(result: TrustResult, grid: _Grid) -> list[Edge]:
    """One arrow per certification, routed around the keys it does not connect."""
    centre = {name: grid.centre(name) for name in grid.boxes}
    return [
        route_arrow(
            centre,
            cert.signer,
            cert.signee,
            grid.column_of,
            grid.boxes,
            use=cert.use,
            label=TEXT["use"].get(cert.use.value, ""),
            # The marker's size is in stroke widths (markerWidth 7 at width 2, 6 at 1.5 or 1.3).
            head=7 * 2
            if cert.use.counted
            else 6 * (1.5 if cert.use is CertificationUse.REVOKED else 1.3),
        )
        for key in result.keys
        for cert in key.certifications
    ]


def trust_graph_svg(result: TrustResult, *, title: str | None = None) -> Fragment:
    """The graph: one box per key, one arrow per certification (signer → key certified).
    ``title``: the SVG's title (None: "Web of trust" in the current language)."""
    title = TEXT["title"] if title is None else title
    uid = f"wot{next(_ids)}"
    grid, drawn = _grid(result)
    nodes = [_key_svg(key, grid.boxes[key.name]) for key in drawn]
    edges = _arrows(result, grid)
    # An arrow that bends around boxes may need room beyond the last column or the last row.
    points = [p for edge in edges for piece in edge.outline for p in piece]
    width = max(grid.width, math.ceil(max((x for x, _y in points), default=0) + LEFT))
    height = max(grid.height, math.ceil(max((y for _x, y in points), default=0) + LEFT))
    labels = place_labels(edges, list(grid.boxes.values()), Box(0, TOP - 12, width, height))
    gaps = {
        (label.edge.signer, label.edge.signee): label.gap
        for label in labels
        if label.gap[0] < label.gap[1]
    }
    # Arrows first, boxes over them, labels on top, each in a gap of its own arrow.
    parts = [
        *_svg_head(uid, width, height, result, title),
        *grid.headings,
        *(_edge_svg(uid, edge, gaps.get((edge.signer, edge.signee))) for edge in edges),
        *nodes,
        *(_label_svg(label) for label in labels),
        "</svg>",
    ]
    return Fragment("".join(parts))


def _svg_head(uid: str, width: int, height: int, result: TrustResult, title: str) -> list[str]:
    """The ``<svg>`` element's opening: size, title, description and arrowheads."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="max-width:100%;height:auto;{FONT}" '
        f'aria-labelledby="{uid}-t {uid}-d" class="mailsec-wot-graph">'
        f'<title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(_alt_text(result))}</desc>'
        "<defs>"
        f'<marker id="{uid}-a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1f2d3d"/></marker>'
        f'<marker id="{uid}-g" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#8a94a3"/></marker>'
        "</defs>"
    ]


def _edge_svg(uid: str, edge: Edge, gap: tuple[float, float] | None) -> str:
    """The arrow as one path, in two pieces around its label's gap if it has one."""
    if edge.use.counted:
        style = f'stroke="#1f2d3d" stroke-width="2" marker-end="url(#{uid}-a)"'
    elif edge.use is CertificationUse.REVOKED:
        style = (
            f'stroke="#7f1d1d" stroke-width="1.5" stroke-dasharray="2 3" marker-end="url(#{uid}-g)"'
        )
    else:
        style = (
            f'stroke="#8a94a3" stroke-width="1.3" stroke-dasharray="6 4" marker-end="url(#{uid}-g)"'
        )
    s, m, e = edge.start, edge.control, edge.end

    def xy(point: Point) -> str:
        return f"{point[0]:.1f},{point[1]:.1f}"

    if edge.chain:  # a detour: cubic curves one after the other, cut at the label's gap
        stretches = [(0.0, 1.0)] if gap is None else [(0.0, gap[0]), (gap[1], 1.0)]
        d = " ".join(
            f"M{xy(parts[0][0])} " + " ".join(f"C{xy(a)} {xy(b)} {xy(c)}" for _p, a, b, c in parts)
            for parts in (edge.cubic_parts(t0, t1) for t0, t1 in stretches)
        )
    elif gap is None:
        d = f"M{xy(s)} Q{xy(m)} {xy(e)}"
    else:
        # De Casteljau: the curve up to t0 has its control point t0 of the way from s to m;
        # the curve from t1 has its control point t1 of the way from m to e.
        t0, t1 = gap
        before = (s[0] + (m[0] - s[0]) * t0, s[1] + (m[1] - s[1]) * t0)
        after = (m[0] + (e[0] - m[0]) * t1, m[1] + (e[1] - m[1]) * t1)
        d = (
            f"M{xy(s)} Q{xy(before)} {xy(edge.point(t0))} "
            f"M{xy(edge.point(t1))} Q{xy(after)} {xy(e)}"
        )
    return (
        f'<path class="mailsec-wot-edge" data-signer="{escape(edge.signer)}" '
        f'data-signee="{escape(edge.signee)}" data-use="{edge.use.value}" '
        f'd="{d}" fill="none" {style}/>'
    )


def _label_svg(label: Label) -> str:
    edge, box = label.edge, label.box
    colour = "#7f1d1d" if edge.use is CertificationUse.REVOKED else "#1f2d3d"
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return (
        f'<g class="mailsec-wot-label" data-signer="{escape(edge.signer)}" '
        f'data-signee="{escape(edge.signee)}">'
        f'<rect x="{box.x0:.1f}" y="{box.y0:.1f}" width="{box.x1 - box.x0:.1f}" '
        f'height="{box.y1 - box.y0:.1f}" rx="3" fill="#ffffff" fill-opacity="0.9"/>'
        f'<text x="{cx:.1f}" y="{cy + 3.5:.1f}" text-anchor="middle" font-size="10.5" '
        f'fill="{colour}" font-family="sans-serif">{escape(edge.label)}</text></g>'
    )
