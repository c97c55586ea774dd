"""Draw chapter 06: the web of trust as an SVG graph, packet listings, PGP next to S/MIME.

The graph puts each key in a column by its path length from your own key (the round of GnuPG's
calculation in which it was decided), so the picture reads left to right like the calculation.
Meaning never rests on colour: every key says its validity in words with a symbol, valid keys
have a solid double border and invalid ones a dashed border, counted certifications are solid
arrows labelled "complete" or "marginal", certifications that count for nothing are thin dashed
arrows, and revoked ones are labelled "revoked". The SVG has a title and a description that
read out every key and arrow, and :func:`trust_html` adds a table with the same facts.

Nothing in the graph hides anything else: each label sits in a gap of its own arrow (or just
beside it, where the arrow is too short), clear of every other arrow, key and label, and arrows
bend around the keys they do not connect.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mailsec.openpgp.pgpmime import Delivery, SealedSideBySide, SideBySide
from mailsec.openpgp.trust import (
    COMPARISON,
    CertificationUse,
    Comparison,
    KeyValidity,
    TrustResult,
    Validity,
)
from mailsec.render.html import (
    FONT,
    MONO,
    OUTCOME_COLOURS,
    Fragment,
    badge,
    callout,
    code_block,
    escape,
    table,
    trace_list,
)
from mailsec.trace import Outcome

__all__ = [
    "comparison_table",
    "delivery_html",
    "gnupg_html",
    "gnupg_trust_html",
    "packet_table",
    "side_by_side_html",
    "trust_graph_svg",
    "trust_html",
    "trust_table",
    "validity_badge",
]

_BOX_W, _BOX_H = 128, 54
_COL_GAP, _ROW_GAP = 96, 26
_LEFT, _TOP = 12, 40
_ids = itertools.count(1)

_VALIDITY_OUTCOME = {
    Validity.ULTIMATE: Outcome.OK,
    Validity.FULL: Outcome.OK,
    Validity.MARGINAL: Outcome.WARN,
    Validity.UNDEFINED: Outcome.WARN,
    Validity.UNKNOWN: Outcome.INFO,
    Validity.REVOKED: Outcome.FAIL,
    Validity.EXPIRED: Outcome.FAIL,
}
_VALIDITY_WORD = {
    Validity.ULTIMATE: "✓ ultimate",
    Validity.FULL: "✓ full: valid",
    Validity.MARGINAL: "! marginal",
    Validity.UNDEFINED: "? undefined",
    Validity.UNKNOWN: "✗ unknown",
    Validity.REVOKED: "✗ revoked",
    Validity.EXPIRED: "✗ expired",
}
_USE_LABEL = {
    CertificationUse.ULTIMATE: "your key",
    CertificationUse.COMPLETE: "complete",
    CertificationUse.MARGINAL: "marginal",
    CertificationUse.REVOKED: "✗ revoked",
}


def validity_badge(validity: Validity) -> Fragment:
    """A badge with a symbol and the validity word."""
    word = validity.value + (" (valid)" if validity.is_valid else " (not valid)")
    if validity in (Validity.REVOKED, Validity.EXPIRED):
        word = f"{validity.value} (not valid)"
    return Fragment(badge(_VALIDITY_OUTCOME[validity], word))


def _columns(result: TrustResult) -> list[list[KeyValidity]]:
    depth = result.policy.max_cert_depth
    columns: list[list[KeyValidity]] = [[] for _ in range(depth + 2)]
    for key in result.keys:
        if key.path_length is None or key.validity in (Validity.REVOKED, Validity.EXPIRED):
            columns[-1].append(key)
        else:
            columns[key.path_length].append(key)
    # Drop empty path-length columns between the first and the "not reached" one.
    kept = [c for c in columns[:-1] if c]
    return [*kept, columns[-1]] if columns[-1] else kept


def _column_title(column: Sequence[KeyValidity], last: bool, has_unreached: bool) -> str:
    if last and has_unreached:
        return "not reached"
    length = column[0].path_length if column else 0
    return "your key" if length == 0 else f"path length {length}"


def _clip(cx: float, cy: float, dx: float, dy: float) -> tuple[float, float]:
    """Where a ray from a box centre in direction (dx, dy) leaves the box."""
    if dx == 0 and dy == 0:
        return cx, cy
    sx = (_BOX_W / 2 + 3) / abs(dx) if dx else math.inf
    sy = (_BOX_H / 2 + 3) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return cx + dx * s, cy + dy * s


def _alt_text(result: TrustResult) -> str:
    parts = []
    for key in result.keys:
        signers = ", ".join(
            f"{c.signer} ({'counted' if c.use.counted else 'not counted'})"
            for c in key.certifications
        )
        parts.append(
            f"{key.name}: {key.validity.description}; owner trust {key.owner_trust.value}"
            + (f"; certified by {signers}" if signers else "; not certified by anyone")
            + "."
        )
    return " ".join(parts)


def trust_graph_svg(result: TrustResult, *, title: str = "Web of trust") -> Fragment:
    """The graph: one box per key, one arrow per certification (signer → key certified)."""
    uid = f"wot{next(_ids)}"
    columns = _columns(result)
    has_unreached = any(
        k.path_length is None or k.validity in (Validity.REVOKED, Validity.EXPIRED)
        for k in result.keys
    )
    rows = max((len(c) for c in columns), default=1)
    width = _LEFT * 2 + len(columns) * (_BOX_W + _COL_GAP) - _COL_GAP
    # Every other column is shifted down by half a row, so an arrow between two neighbouring
    # columns never runs straight through a third box.
    stagger = (_BOX_H + _ROW_GAP) / 2 if len(columns) > 2 else 0
    height = int(_TOP + rows * (_BOX_H + _ROW_GAP) - _ROW_GAP + stagger + 40)
    column_of: dict[str, int] = {}
    nodes: list[str] = []
    centre: dict[str, tuple[float, float]] = {}
    key_box: dict[str, _Box] = {}
    parts: list[str] = []
    for index, column in enumerate(columns):
        x = _LEFT + index * (_BOX_W + _COL_GAP)
        heading = _column_title(column, index == len(columns) - 1, has_unreached)
        parts.append(
            f'<text x="{x + _BOX_W / 2}" y="18" text-anchor="middle" font-size="12" '
            f'fill="#4a5563" font-family="sans-serif">{escape(heading)}</text>'
        )
        for row, key in enumerate(column):
            y = _TOP + row * (_BOX_H + _ROW_GAP) + (stagger if index % 2 else 0)
            centre[key.name] = (x + _BOX_W / 2, y + _BOX_H / 2)
            column_of[key.name] = index
            key_box[key.name] = _Box(x, y, x + _BOX_W, y + _BOX_H)
            bg, fg = OUTCOME_COLOURS[_VALIDITY_OUTCOME[key.validity]]
            valid = key.validity.is_valid
            stroke = f'stroke="{fg}" stroke-width="{2.5 if valid else 1.5}"' + (
                "" if valid else ' stroke-dasharray="5 3"'
            )
            nodes.append(
                f'<g class="mailsec-wot-node" data-name="{escape(key.name)}" '
                f'data-validity="{key.validity.value}">'
                f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="7" fill="{bg}" {stroke}/>'
            )
            if valid:  # a second inner border: "valid" is visible without colour
                nodes.append(
                    f'<rect x="{x + 3}" y="{y + 3}" width="{_BOX_W - 6}" height="{_BOX_H - 6}" '
                    f'rx="5" fill="none" stroke="{fg}" stroke-width="1"/>'
                )
            nodes.append(
                f'<text x="{x + _BOX_W / 2}" y="{y + 17}" text-anchor="middle" font-size="13" '
                f'font-weight="bold" fill="{fg}" font-family="sans-serif">{escape(key.name)}</text>'
                f'<text x="{x + _BOX_W / 2}" y="{y + 32}" text-anchor="middle" font-size="11.5" '
                f'fill="{fg}" font-family="sans-serif">{escape(_VALIDITY_WORD[key.validity])}</text>'
                f'<text x="{x + _BOX_W / 2}" y="{y + 46}" text-anchor="middle" font-size="10.5" '
                f'fill="#374151" font-family="sans-serif">owner trust: '
                f"{escape(key.owner_trust.value)}</text></g>"
            )
            if key.validity is Validity.REVOKED:
                nodes.append(
                    f'<line x1="{x + 6}" y1="{y + _BOX_H - 6}" x2="{x + _BOX_W - 6}" y2="{y + 6}" '
                    f'stroke="{fg}" stroke-width="1.5"/>'
                )
    edges = [
        _edge_path(centre, cert.signer, cert.signee, cert.use, column_of, key_box)
        for key in result.keys
        for cert in key.certifications
    ]
    # An arrow that bends around boxes may need room beyond the last column or the last row.
    points = [p for edge in edges for piece in edge.outline for p in piece]
    width = max(width, math.ceil(max((x for x, _y in points), default=0) + _LEFT))
    height = max(height, math.ceil(max((y for _x, y in points), default=0) + _LEFT))
    labels = _place_labels(edges, list(key_box.values()), _Box(0, _TOP - 12, width, height))
    gaps = {
        (label.edge.signer, label.edge.signee): label.gap
        for label in labels
        if label.gap[0] < label.gap[1]
    }
    # Arrows first, boxes over them, labels on top, each in a gap of its own arrow.
    parts.extend(_edge_svg(uid, edge, gaps.get((edge.signer, edge.signee))) for edge in edges)
    parts.extend(nodes)
    parts.extend(_label_svg(label) for label in labels)
    parts.append("</svg>")
    return Fragment("".join(_svg_head(uid, width, height, result, title) + parts))


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


# -- the geometry of arrows and labels --------------------------------------------------------------
#
# A label sits in a gap of its own arrow ("— marginal →"), so it is read with that arrow and hides
# nothing; where the arrow is too short for a gap, it sits just beside it. Its place is the one
# nearest the arrow's middle where its box keeps clear of every other arrow and arrowhead, every
# key and every other label.

_LABEL_H = 15
_LABEL_GAP = 2
"""Space kept around a label, and around keys and other labels, so two boxes keep twice it."""
_MIN_STUB = 8
"""Line left visible on either side of a label, so the arrow still reads as one (pixels)."""
_CURVE_STEPS = 32
_LABEL_T = (
    0.5, 0.46, 0.54, 0.42, 0.58, 0.38, 0.62, 0.34, 0.66, 0.3, 0.7,
    0.26, 0.74, 0.22, 0.78, 0.18, 0.82, 0.14, 0.86,
)  # fmt: skip
"""Where along its arrow a label may sit (0 the signer's end, 1 the arrowhead), best first."""
_GRID = 32
"""Cell size of the grid that finds the pieces of arrows near a label (pixels)."""

_Point = tuple[float, float]


@dataclass(frozen=True)
class _Box:
    """An axis-aligned rectangle from (x0, y0) to (x1, y1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def grown(self, by: float) -> _Box:
        return _Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)

    def overlaps(self, other: _Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def inside(self, other: _Box) -> bool:
        return (
            other.x0 <= self.x0
            and self.x1 <= other.x1
            and other.y0 <= self.y0
            and self.y1 <= other.y1
        )

    def holds(self, point: _Point) -> bool:
        return self.x0 <= point[0] <= self.x1 and self.y0 <= point[1] <= self.y1

    def crosses(self, p: _Point, q: _Point) -> bool:
        """Whether the segment p-q touches the box (Liang-Barsky clipping)."""
        (px, py), (qx, qy) = p, q
        dx, dy = qx - px, qy - py
        low, high = 0.0, 1.0
        for step, room in (
            (-dx, px - self.x0),
            (dx, self.x1 - px),
            (-dy, py - self.y0),
            (dy, self.y1 - py),
        ):
            if step == 0:
                if room < 0:
                    return False
                continue
            t = room / step
            if step < 0:
                low = max(low, t)
            else:
                high = min(high, t)
            if low > high:
                return False
        return True


@dataclass(frozen=True)
class _Edge:
    """One certification arrow: a quadratic Bézier from ``start`` via ``control`` to ``end``."""

    signer: str
    signee: str
    use: CertificationUse
    start: _Point
    control: _Point
    end: _Point
    head: float
    """Length and width of the arrowhead (marker size times stroke width)."""

    def point(self, t: float) -> _Point:
        (sx, sy), (mx, my), (ex, ey) = self.start, self.control, self.end
        u = 1 - t
        return u * u * sx + 2 * u * t * mx + t * t * ex, u * u * sy + 2 * u * t * my + t * t * ey

    def pieces(self, t0: float = 0.0, t1: float = 1.0) -> list[tuple[_Point, _Point]]:
        """The curve from t0 to t1 as short straight pieces."""
        steps = max(2, math.ceil(_CURVE_STEPS * (t1 - t0)))
        points = [self.point(t0 + (t1 - t0) * i / steps) for i in range(steps + 1)]
        return list(itertools.pairwise(points))

    @functools.cached_property
    def outline(self) -> list[tuple[_Point, _Point]]:
        """The whole arrow as straight pieces: the curve, then its arrowhead."""
        return self.pieces() + self.head_outline()

    @functools.cached_property
    def hull(self) -> _Box:
        """A box around the whole curve (the curve stays inside its three points' box)."""
        xs, ys = zip(self.start, self.control, self.end, strict=True)
        return _Box(min(xs), min(ys), max(xs), max(ys))

    def leaves(self, box: _Box, t: float, toward: float) -> float:
        """Going from ``t`` toward ``toward``, where the curve first leaves ``box`` (``toward``
        itself if it never does): found in 32 steps, then narrowed down by halving."""
        inside, outside = t, None
        for i in range(1, 33):
            u = t + (toward - t) * i / 32
            if not box.holds(self.point(u)):
                outside = u
                break
            inside = u
        if outside is None:
            return toward
        for _ in range(8):
            middle = (inside + outside) / 2
            if box.holds(self.point(middle)):
                inside = middle
            else:
                outside = middle
        return outside

    def head_base(self) -> _Point:
        (mx, my), (ex, ey) = self.control, self.end
        length = math.hypot(ex - mx, ey - my) or 1.0
        return ex - (ex - mx) / length * self.head, ey - (ey - my) / length * self.head

    def head_outline(self) -> list[tuple[_Point, _Point]]:
        """The arrowhead's triangle: its tip at the end, as long and as wide as ``head``."""
        (bx, by), (ex, ey) = self.head_base(), self.end
        tx, ty = (ex - bx) / self.head, (ey - by) / self.head
        half = self.head / 2
        left, right = (bx - ty * half, by + tx * half), (bx + ty * half, by - tx * half)
        return [(left, self.end), (self.end, right), (right, left)]


@dataclass(frozen=True)
class _Label:
    """A label's box, and the stretch of its arrow (t from, t to) left out for it."""

    edge: _Edge
    box: _Box
    gap: tuple[float, float]


def _edge_path(
    centre: Mapping[str, _Point],
    signer: str,
    signee: str,
    use: CertificationUse,
    column_of: Mapping[str, int],
    boxes: Mapping[str, _Box],
) -> _Edge:
    """Where one certification arrow runs: a curve that passes under no third key's box."""
    (x1, y1), (x2, y2) = centre[signer], centre[signee]
    span = abs(column_of[signee] - column_of[signer])
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    # Bend every arrow a little to its right, so A→B and B→A do not lie on top of each other.
    nx, ny = -dy / length, dx / length
    # Arrows that skip columns (or run inside one column) bend further, around the boxes between;
    # inside a column, past a box in between means out beyond its side (the curve's middle
    # reaches half the bend).
    rows_apart = round(abs(dy) / (_BOX_H + _ROW_GAP))
    inside_column = 40 if rows_apart <= 1 else _BOX_W + 20
    bend = inside_column if span == 0 else 16 + 34 * (span - 1)
    # The marker's size is in stroke widths (markerWidth 7 at width 2, 6 at 1.5 or 1.3).
    head = 7 * 2 if use.counted else 6 * (1.5 if use is CertificationUse.REVOKED else 1.3)
    others = [box.grown(6) for name, box in boxes.items() if name not in (signer, signee)]
    first: _Edge | None = None
    # Further to the right first, then to the left, until the curve clears the other keys. The
    # left-hand bends differ from the right-hand ones, so that A→B never takes the very curve
    # of B→A (whose right is A→B's left).
    for factor in (1, 1.6, 2.4, 3.4, 4.6, -1.3, -2, -2.9, -4):
        mx, my = (x1 + x2) / 2 + nx * bend * factor, (y1 + y2) / 2 + ny * bend * factor
        edge = _Edge(
            signer,
            signee,
            use,
            _clip(x1, y1, mx - x1, my - y1),
            (mx, my),
            _clip(x2, y2, mx - x2, my - y2),
            head,
        )
        first = first or edge
        if edge.hull.y0 < _TOP - 8 and min(p[1] for p, _q in edge.outline) < _TOP - 8:
            continue  # up among the column headings
        near = [box for box in others if box.overlaps(edge.hull)]
        if not any(box.crosses(p, q) for p, q in edge.outline for box in near):
            return edge
    return first or edge  # no curve clears them all (a long way round): the usual bend


def _edge_svg(uid: str, edge: _Edge, gap: tuple[float, float] | None) -> str:
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

    def xy(point: _Point) -> str:
        return f"{point[0]:.1f},{point[1]:.1f}"

    if gap is None:
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


def _label_width(label: str) -> float:
    """A generous width for ``label`` at 10.5 px: 6.2 px a character, 2 px padding each side."""
    return round(6.2 * len(label) + 4, 1)


class _Obstacles:
    """What a new label must keep clear of: arrows (by piece, in a grid of cells), keys, labels."""

    def __init__(self, edges: Sequence[_Edge], boxes: Sequence[_Box]) -> None:
        self.boxes = [box.grown(_LABEL_GAP) for box in boxes]
        self.labels: list[_Box] = []
        self.cells: dict[tuple[int, int], list[tuple[int, _Point, _Point]]] = {}
        for index, edge in enumerate(edges):
            for p, q in edge.outline:
                hull = _Box(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]))
                for cell in self._cells(hull):
                    self.cells.setdefault(cell, []).append((index, p, q))

    @staticmethod
    def _cells(box: _Box) -> Iterable[tuple[int, int]]:
        for i in range(math.floor(box.x0 / _GRID), math.floor(box.x1 / _GRID) + 1):
            for j in range(math.floor(box.y0 / _GRID), math.floor(box.y1 / _GRID) + 1):
                yield i, j

    def free(self, cut: _Box, own: int) -> bool:
        """Whether ``cut`` (a label's box with its margin) touches no key, label or arrow but
        the arrow numbered ``own``."""
        if any(cut.overlaps(other) for other in self.boxes + self.labels):
            return False
        return not any(
            index != own and cut.crosses(p, q)
            for cell in self._cells(cut)
            for index, p, q in self.cells.get(cell, ())
        )


def _inline_label(edge: _Edge, t: float, w: float, h: float) -> _Label | None:
    """The label centred on its arrow at ``t``, if the arrow can make room for it there."""
    cx, cy = edge.point(t)
    box = _Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    cut = box.grown(_LABEL_GAP)
    t0, t1 = edge.leaves(cut, t, 0.0), edge.leaves(cut, t, 1.0)
    if t0 <= 0 or t1 >= 1:
        return None
    # The rest of its own arrow, its head included, must stay out of the box, and show enough
    # line either side of it.
    rest = edge.pieces(0, t0) + edge.pieces(t1, 1) + edge.head_outline()
    if any(cut.crosses(p, q) for p, q in rest):
        return None
    if math.dist(edge.start, edge.point(t0)) < _MIN_STUB:
        return None
    if math.dist(edge.point(t1), edge.head_base()) < _MIN_STUB:
        return None
    return _Label(edge, box, (t0, t1))


def _beside_labels(edge: _Edge, w: float, h: float) -> Iterable[_Label]:
    """Labels just beside their arrow (which keeps no gap), near its middle first."""
    for t in _LABEL_T:
        (px, py), (ax, ay) = edge.point(t), edge.point(min(t + 0.01, 1))
        length = math.hypot(ax - px, ay - py) or 1.0
        nx, ny = -(ay - py) / length, (ax - px) / length
        # How far the label reaches across the arrow: that far out, its edge clears the line.
        across = abs(nx) * w / 2 + abs(ny) * h / 2
        for extra in (0, 5, 11):
            away = _LABEL_GAP + 1 + extra
            for dx, dy in (
                (nx * (across + away), ny * (across + away)),
                (-nx * (across + away), -ny * (across + away)),
                (0, -(h / 2 + away)),
                (0, h / 2 + away),
            ):
                cx, cy = px + dx, py + dy
                yield _Label(edge, _Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), (t, t))


def _place_labels(edges: Sequence[_Edge], boxes: Sequence[_Box], area: _Box) -> list[_Label]:
    """A place for every labelled arrow's label, clear of every other arrow, key and label.

    A label goes into a gap of its own arrow where it fits, else just beside it, in both cases
    as near the middle as it can. Labels of short arrows, which have the fewest places, go
    first; labels left without a place go first in a second and third try. If a label still
    has no free place (a crowded graph the learner built), it sits in the middle of its arrow.
    """
    obstacles = _Obstacles(edges, boxes)
    order = sorted(
        (i for i, e in enumerate(edges) if _USE_LABEL.get(e.use)),
        key=lambda i: (math.dist(edges[i].start, edges[i].end), edges[i].signer, edges[i].signee),
    )
    best: tuple[list[_Label], list[int]] | None = None
    for _attempt in range(3):
        placed, stuck = _place_in_order(edges, order, obstacles, area)
        if best is None or len(stuck) < len(best[1]):
            best = placed, stuck
        if not stuck:
            break
        order = stuck + [i for i in order if i not in stuck]
    return best[0] if best else []


def _place_in_order(
    edges: Sequence[_Edge], order: Sequence[int], obstacles: _Obstacles, area: _Box
) -> tuple[list[_Label], list[int]]:
    """Place the labels of ``edges[i]`` for i in ``order``; return them and the i left stuck."""
    obstacles.labels = []
    placed: list[_Label] = []
    stuck: list[int] = []
    for index in order:
        edge = edges[index]
        w = _label_width(_USE_LABEL[edge.use])
        inline = (_inline_label(edge, t, w, _LABEL_H) for t in _LABEL_T)
        chosen = next(
            (
                label
                for label in inline
                if label is not None
                and label.box.inside(area)
                and obstacles.free(label.box.grown(_LABEL_GAP), index)
            ),
            None,
        ) or next(
            (
                label
                for label in _beside_labels(edge, w, _LABEL_H)
                if label.box.inside(area) and obstacles.free(label.box.grown(_LABEL_GAP), -1)
            ),
            None,
        )
        if chosen is None:
            stuck.append(index)
            mx, my = edge.point(0.5)
            box = _Box(mx - w / 2, my - _LABEL_H / 2, mx + w / 2, my + _LABEL_H / 2)
            chosen = _Label(edge, box, (0.5, 0.5))
        obstacles.labels.append(chosen.box.grown(_LABEL_GAP))
        placed.append(chosen)
    return placed, stuck


def _label_svg(label: _Label) -> str:
    edge, box = label.edge, label.box
    word = _USE_LABEL[edge.use]
    colour = "#7f1d1d" if edge.use is CertificationUse.REVOKED else "#1f2d3d"
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return (
        f'<g class="mailsec-wot-label" data-signer="{escape(edge.signer)}" '
        f'data-signee="{escape(edge.signee)}">'
        f'<rect x="{box.x0:.1f}" y="{box.y0:.1f}" width="{box.x1 - box.x0:.1f}" '
        f'height="{box.y1 - box.y0:.1f}" rx="3" fill="#ffffff" fill-opacity="0.9"/>'
        f'<text x="{cx:.1f}" y="{cy + 3.5:.1f}" text-anchor="middle" font-size="10.5" '
        f'fill="{colour}" font-family="sans-serif">{escape(word)}</text></g>'
    )


_LEGEND = (
    "<strong>How to read the graph.</strong> An arrow goes from the person who certified a key "
    "to the key they certified. <strong>Solid arrow</strong> labelled <em>complete</em> or "
    "<em>marginal</em>: the certification counted. <strong>Thin dashed arrow</strong>: it "
    "counted for nothing (the signer's key is not fully valid, or you do not trust the signer "
    "to check keys, or the path is too long). Boxes with a <strong>double border</strong> are "
    "valid keys; <strong>dashed boxes</strong> are not valid. Columns are path lengths from "
    "your own key."
)


def trust_table(result: TrustResult) -> Fragment:
    """One row per key: owner trust, validity, path length, counts and the deciding reason."""
    rows = []
    for key in result.keys:
        counts = (
            f"{key.completes} complete, {key.marginals} marginal"
            if key.completes or key.marginals
            else "-"
        )
        rows.append(
            (
                f"<strong>{escape(key.name)}</strong>",
                escape(key.owner_trust.value),
                validity_badge(key.validity),
                "-" if key.path_length is None else str(key.path_length),
                escape(counts),
                escape(key.steps[0].text) if key.steps else "",
            )
        )
    return Fragment(
        table(
            ("Key", "Your owner trust", "Validity", "Path length", "Counted", "Why"),
            rows,
            caption="Every key's validity",
            html_cells=True,
        )
    )


def trust_html(
    result: TrustResult, *, focus: str | None = None, title: str = "Web of trust"
) -> Fragment:
    """The graph, the legend, the table and the explanation of one key (``focus``)."""
    legend = (
        f'<div style="{FONT}font-size:12.5px;color:#374151;max-width:820px;margin:4px 0">'
        f"{_LEGEND}</div>"
    )
    body = [
        f'<div class="mailsec-wot" style="{FONT}">',
        trust_graph_svg(result, title=title),
        legend,
        trust_table(result),
    ]
    if focus is not None:
        body.append(
            trace_list(
                result[focus].steps, title=f"Why {focus}'s key is {result[focus].validity.value}"
            )
        )
    body.append(trace_list(result.steps, title="The calculation, round by round"))
    body.append("</div>")
    return Fragment("".join(body))


def packet_table(packets: Iterable[object], *, caption: str = "Packets") -> Fragment:
    """Packets the way ``gpg --list-packets`` shows them: nesting, tag, name, length, fields.

    Each packet is anything with ``tag``, ``name``, ``length``, ``depth`` and ``fields``
    (:class:`mailsec.openpgp.PacketInfo`).
    """
    rows = []
    for number, packet in enumerate(packets, start=1):
        depth = int(getattr(packet, "depth", 0))
        fields: Mapping[str, object] = getattr(packet, "fields", {}) or {}
        details = "<br>".join(
            f'<span style="color:#4a5563">{escape(k)}:</span> <span style="{MONO}">{escape(v)}</span>'
            for k, v in fields.items()
        )
        indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth + ("↳ " if depth else "")
        rows.append(
            (
                str(number),
                f"{indent}{escape(getattr(packet, 'name', '?'))}",
                str(getattr(packet, "tag", "?")),
                f"{int(getattr(packet, 'length', 0)):,}",
                details or "-",
            )
        )
    return Fragment(
        table(
            ("#", "Packet", "Tag", "Length (bytes)", "Fields"),
            rows,
            caption=caption,
            html_cells=True,
        )
    )


def comparison_table(rows: Sequence[Comparison] = COMPARISON) -> Fragment:
    """The two trust models side by side."""
    return Fragment(
        table(
            ("", "PGP: web of trust", "S/MIME: CA hierarchy"),
            (
                (f"<strong>{escape(r.aspect)}</strong>", escape(r.pgp), escape(r.smime))
                for r in rows
            ),
            caption="Two ways to decide that a key belongs to a person",
            html_cells=True,
        )
    )


def delivery_html(
    delivery: Delivery,
    *,
    reader: str,
    packets: Sequence[object] | None = None,
    packets_note: str = "",
) -> Fragment:
    """What the reader's program shows, the text it read, the mail as it arrived, its packets."""
    result = delivery.result
    if result is None:
        verdict = callout(
            f"{escape(reader)}'s program refuses the mail and shows none of its text: "
            f"{escape(delivery.refusal or '')}",
            outcome=Outcome.FAIL,
            title="Refused",
        )
    elif result.signature_valid is False:
        verdict = callout(
            "The signature does <strong>not</strong> verify: the mail was changed after it was "
            "signed, or it was not signed by a key you have. Do not trust this text.",
            outcome=Outcome.FAIL,
            title="Bad signature",
        )
    elif result.signature_valid is None:
        verdict = callout(
            "Decrypted, but not signed: only you could read it, yet anyone who has your public "
            "key could have written it.",
            outcome=Outcome.WARN,
            title="Decrypted, not signed",
        )
    else:
        signer = result.verifications[0].reason if result.verifications else ""
        what = "Decrypted, and the" if delivery.encrypted else "The"
        verdict = callout(
            f"{what} signature is good ({escape(signer)}).",
            outcome=Outcome.OK,
            title="Good signature" + (" on an encrypted mail" if delivery.encrypted else ""),
        )
    parts = [f'<div class="mailsec-pgp-delivery" style="{FONT}">', verdict]
    if delivery.change:
        parts.append(
            callout(escape(delivery.change), outcome=Outcome.WARN, title="Changed in transit")
        )
    if result is not None and result.text is not None:
        parts.append(f"<strong>The text {escape(reader)}'s program shows</strong>")
        parts.append(code_block(result.text, label="decrypted text", max_lines=20))
    parts.append("<strong>The mail as it arrived</strong>")
    parts.append(
        code_block(delivery.message.decode("ascii", "replace"), label="raw mail", max_lines=32)
    )
    if packets is not None:
        parts.append(
            packet_table(packets, caption="OpenPGP packets in the mail (like gpg --list-packets)")
        )
    if packets_note:
        parts.append(f'<p style="color:#4a5563">{escape(packets_note)}</p>')
    parts.append(trace_list(delivery.steps, title=f"What {reader}'s program did"))
    parts.append("</div>")
    return Fragment("".join(parts))


def _column(title: str, raw: bytes, ok: bool, verdict: str, headline: str) -> str:
    return (
        f'<div style="flex:1 1 380px;min-width:300px">'
        f'<h4 style="margin:4px 0">{escape(title)}</h4>'
        + callout(escape(verdict), outcome=Outcome.OK if ok else Outcome.FAIL, title=headline)
        + code_block(raw.decode("ascii", "replace"), label=f"{title} mail", max_lines=26)
        + "</div>"
    )


def side_by_side_html(pair: SideBySide | SealedSideBySide) -> Fragment:
    """PGP/MIME and S/MIME on the same text: the two mails, their verdicts, the differences."""
    if isinstance(pair, SealedSideBySide):
        return _sealed_html(pair)

    def column(title: str, raw: bytes, ok: bool, verdict: str) -> str:
        headline = "signature verified" if ok else "signature NOT verified"
        return _column(title, raw, ok, verdict, headline)

    smime_steps = pair.smime.steps[-1].text if pair.smime.steps else ""
    pgp_steps = pair.pgp.steps[-1].text if pair.pgp.steps else ""
    body = [
        f'<div class="mailsec-pgp-vs-smime" style="{FONT}">',
        callout(
            "One letter of the signed text was changed in transit, in both mails.",
            outcome=Outcome.WARN,
            title="Changed in transit",
        )
        if pair.changed
        else "",
        '<div style="display:flex;flex-wrap:wrap;gap:12px">',
        column("PGP/MIME (RFC 3156)", pair.pgp_message, pair.pgp_valid, pgp_steps),
        column("S/MIME (RFC 8551)", pair.smime_message, pair.smime_valid, smime_steps),
        "</div>",
        table(
            ("", "PGP/MIME", "S/MIME"),
            pair.rows,
            caption="The same text, signed two ways",
        ),
        "</div>",
    ]
    return Fragment("".join(body))


def gnupg_html(exchange: object) -> Fragment:
    """The mailsec ↔ GnuPG exchange (:class:`mailsec.labs.pgp.exchange.GnupgExchange`): verdicts, commands."""
    if not getattr(exchange, "available", False):
        steps = getattr(exchange, "steps", ())
        message = steps[0].text if steps else "GnuPG is not installed here."
        return Fragment(callout(escape(message), outcome=Outcome.WARN, title="GnuPG is missing"))
    parts = [f'<div class="mailsec-gnupg" style="{FONT}">']
    for title, ok, yes, no in (
        (
            "mailsec → GnuPG",
            getattr(exchange, "gpg_read_ours", False),
            "GnuPG decrypted mailsec's mail and found Alice's signature good.",
            "GnuPG could not read mailsec's mail.",
        ),
        (
            "GnuPG → mailsec",
            getattr(exchange, "we_read_theirs", False),
            "mailsec decrypted GnuPG's reply and found Bob's signature good.",
            "mailsec could not read GnuPG's reply.",
        ),
    ):
        parts.append(
            callout(
                escape(yes if ok else no),
                outcome=Outcome.OK if ok else Outcome.FAIL,
                title=f"{title}: {'works' if ok else 'failed'}",
            )
        )
    reply = getattr(exchange, "reply_text", "")
    if reply:
        parts.append("<strong>GnuPG's reply, as mailsec read it</strong>")
        parts.append(code_block(reply, label="reply from GnuPG"))
    rows = [
        (
            f'<code style="{MONO}">{escape(run.command)}</code>',
            "ok" if run.returncode == 0 else f"exit {run.returncode}",
            code_block(run.output, max_lines=8) if run.output else "",
        )
        for run in getattr(exchange, "runs", ())
    ]
    parts.append(
        table(
            ("Command", "Result", "What gpg said"),
            rows,
            caption=f"The gpg commands ({escape(getattr(exchange, 'version', ''))})",
            html_cells=True,
        )
    )
    parts.append("</div>")
    return Fragment("".join(parts))


#: The headings of :func:`gnupg_trust_html`, in one place.
_GNUPG_TRUST_WORDS = {
    "missing": "GnuPG is missing",
    "failed": "GnuPG failed: nothing to compare",
    "said": "What gpg said",
    "compared": "mailsec's model and {version}",
    "caption": "The same web of trust, computed twice",
    "headers": ("Key", "mailsec's model", "GnuPG (--check-trustdb)", ""),
    "no_row": "missing",
    "same": "same",
    "different": "different",
}


def gnupg_trust_html(check: object) -> Fragment:
    """The model's validity next to GnuPG's (:class:`mailsec.labs.pgp.trustcheck.GnupgTrustCheck`).

    A tick only when GnuPG ran without an error and agrees on every key; when gpg failed, its
    failure and what it said, and no comparison.
    """
    words = _GNUPG_TRUST_WORDS
    steps = getattr(check, "steps", ())
    verdict = steps[0].text if steps else ""
    if not getattr(check, "available", False):
        message = verdict or "GnuPG is not installed here."
        return Fragment(callout(escape(message), outcome=Outcome.WARN, title=words["missing"]))
    failure = getattr(check, "failure", None)
    if failure is not None:
        said = getattr(failure, "output", "")
        return Fragment(
            f'<div class="mailsec-gnupg-trust" style="{FONT}">'
            + callout(escape(verdict), outcome=Outcome.FAIL, title=words["failed"])
            + (code_block(said, label=words["said"], max_lines=12) if said else "")
            + "</div>"
        )
    agree = bool(getattr(check, "agree", False))
    rows = [
        (
            f"<strong>{escape(name)}</strong>",
            validity_badge(model),
            validity_badge(gnupg) if gnupg is not None else badge(Outcome.FAIL, words["no_row"]),
            badge(Outcome.OK, words["same"])
            if model is gnupg
            else badge(Outcome.FAIL, words["different"]),
        )
        for name, model, gnupg in getattr(check, "rows", ())
    ]
    title = words["compared"].format(version=getattr(check, "version", "") or "GnuPG")
    return Fragment(
        f'<div class="mailsec-gnupg-trust" style="{FONT}">'
        + callout(escape(verdict), outcome=Outcome.OK if agree else Outcome.FAIL, title=title)
        + (table(words["headers"], rows, caption=words["caption"], html_cells=True) if rows else "")
        + "</div>"
    )


def _sealed_html(pair: SealedSideBySide) -> Fragment:
    def verdict(text: str | None, refusal: str | None) -> tuple[bool, str, str]:
        if text is not None:
            return True, f"Bob reads: {text.strip()}", "decrypted"
        return False, refusal or "", "refused: nothing of the text is shown"

    pgp_ok, pgp_words, pgp_head = verdict(pair.pgp_text, pair.pgp_refusal)
    smime_ok, smime_words, smime_head = verdict(pair.smime_text, pair.smime_refusal)
    body = [
        f'<div class="mailsec-pgp-vs-smime" style="{FONT}">',
        callout(
            "One byte of the encrypted data was changed in transit, in both mails.",
            outcome=Outcome.WARN,
            title="Changed in transit",
        )
        if pair.changed
        else "",
        '<div style="display:flex;flex-wrap:wrap;gap:12px">',
        _column("PGP/MIME (RFC 3156)", pair.pgp_message, pgp_ok, pgp_words, pgp_head),
        _column("S/MIME (RFC 8551)", pair.smime_message, smime_ok, smime_words, smime_head),
        "</div>",
        table(("", "PGP/MIME", "S/MIME"), pair.rows, caption="The same text, encrypted two ways"),
        "</div>",
    ]
    return Fragment("".join(body))
