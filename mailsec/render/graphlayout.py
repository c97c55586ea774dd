"""Where the web-of-trust graph puts its keys' boxes, its arrows and their labels.

The geometry of :mod:`mailsec.render.trustgraph`, kept apart from what the graph says. Keys sit in
a grid of columns and rows (:data:`BOX_W`, :data:`COL_GAP` ...). An arrow is a quadratic Bézier
curve that bends around every key it does not connect (:func:`route_arrow`); where no single bend
gets past them, it takes the long way round, along free lanes over, between or under the keys of
each column in between. A label sits in a gap of its own arrow, or just beside it, clear of every
other arrow, key and label (:func:`place_labels`).
"""

from __future__ import annotations

import functools
import itertools
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from mailsec.openpgp.trust import CertificationUse

__all__ = [
    "BOX_H",
    "BOX_W",
    "COL_GAP",
    "LEFT",
    "ROW_GAP",
    "TOP",
    "Box",
    "Edge",
    "Label",
    "Point",
    "place_labels",
    "route_arrow",
]

BOX_W, BOX_H = 128, 54
COL_GAP, ROW_GAP = 96, 26
LEFT, TOP = 12, 40
"""A key's box, the gaps between columns and rows, and the picture's margins (pixels)."""


def _clip(cx: float, cy: float, dx: float, dy: float) -> tuple[float, float]:
    """Where a ray from a box centre in direction (dx, dy) leaves the box."""
    if dx == 0 and dy == 0:
        return cx, cy
    sx = (BOX_W / 2 + 3) / abs(dx) if dx else math.inf
    sy = (BOX_H / 2 + 3) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return cx + dx * s, cy + dy * s


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

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle from (x0, y0) to (x1, y1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def grown(self, by: float) -> Box:
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)

    def overlaps(self, other: Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def inside(self, other: Box) -> bool:
        return (
            other.x0 <= self.x0
            and self.x1 <= other.x1
            and other.y0 <= self.y0
            and self.y1 <= other.y1
        )

    def holds(self, point: Point) -> bool:
        return self.x0 <= point[0] <= self.x1 and self.y0 <= point[1] <= self.y1

    def crosses(self, p: Point, q: Point) -> bool:
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
class Edge:
    """One certification arrow: a quadratic Bézier from ``start`` via ``control`` to ``end``, or,
    for a detour, a chain of cubic Béziers through the points of ``chain``."""

    signer: str
    signee: str
    use: CertificationUse
    """What the certification did, for whoever draws the arrow."""
    label: str
    """The word on the arrow ("" for none)."""
    start: Point
    control: Point
    end: Point
    head: float
    """Length and width of the arrowhead (marker size times stroke width)."""
    chain: tuple[Point, ...] = ()
    """A detour's cubic curves, one after the other: start, two control points, the next
    curve's start, ... , end (3 points a curve and 1). Empty for the usual quadratic curve."""

    @property
    def curves(self) -> int:
        """How many Bézier curves the arrow is made of."""
        return (len(self.chain) - 1) // 3 if self.chain else 1

    def point(self, t: float) -> Point:
        if self.chain:
            index = min(int(t * self.curves), self.curves - 1)
            return _cubic(self.chain[3 * index : 3 * index + 4], t * self.curves - index)
        (sx, sy), (mx, my), (ex, ey) = self.start, self.control, self.end
        u = 1 - t
        return u * u * sx + 2 * u * t * mx + t * t * ex, u * u * sy + 2 * u * t * my + t * t * ey

    def cubic_parts(self, t0: float, t1: float) -> list[tuple[Point, ...]]:
        """A detour's stretch from ``t0`` to ``t1`` as cubic curves' control points."""
        parts = []
        for index in range(self.curves):
            low, high = max(t0 * self.curves - index, 0.0), min(t1 * self.curves - index, 1.0)
            if low < high:
                parts.append(_cut(self.chain[3 * index : 3 * index + 4], low, high))
        return parts

    def pieces(self, t0: float = 0.0, t1: float = 1.0) -> list[tuple[Point, Point]]:
        """The curve from t0 to t1 as short straight pieces."""
        steps = max(2, math.ceil(_CURVE_STEPS * self.curves * (t1 - t0)))
        points = [self.point(t0 + (t1 - t0) * i / steps) for i in range(steps + 1)]
        return list(itertools.pairwise(points))

    @functools.cached_property
    def outline(self) -> list[tuple[Point, Point]]:
        """The whole arrow as straight pieces: the curve, then its arrowhead."""
        return self.pieces() + self.head_outline()

    @functools.cached_property
    def hull(self) -> Box:
        """A box around the whole curve (the curve stays inside its control points' box)."""
        xs, ys = zip(*(self.chain or (self.start, self.control, self.end)), strict=True)
        return Box(min(xs), min(ys), max(xs), max(ys))

    def leaves(self, box: Box, t: float, toward: float) -> float:
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

    def head_base(self) -> Point:
        (mx, my), (ex, ey) = self.chain[-2] if self.chain else self.control, self.end
        length = math.hypot(ex - mx, ey - my) or 1.0
        return ex - (ex - mx) / length * self.head, ey - (ey - my) / length * self.head

    def head_outline(self) -> list[tuple[Point, Point]]:
        """The arrowhead's triangle: its tip at the end, as long and as wide as ``head``."""
        (bx, by), (ex, ey) = self.head_base(), self.end
        tx, ty = (ex - bx) / self.head, (ey - by) / self.head
        half = self.head / 2
        left, right = (bx - ty * half, by + tx * half), (bx + ty * half, by - tx * half)
        return [(left, self.end), (self.end, right), (right, left)]


def _cubic(points: Sequence[Point], t: float) -> Point:
    """The point at ``t`` of the cubic Bézier curve with control ``points``."""
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = points
    u = 1 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return a * ax + b * bx + c * cx + d * dx, a * ay + b * by + c * cy + d * dy


def _cut(points: Sequence[Point], t0: float, t1: float) -> tuple[Point, ...]:
    """The control points of a Bézier curve's stretch from ``t0`` to ``t1`` (de Casteljau)."""

    def split(points: Sequence[Point], t: float) -> tuple[list[Point], list[Point]]:
        left, right = [points[0]], [points[-1]]
        while len(points) > 1:
            points = [
                (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)
                for p, q in itertools.pairwise(points)
            ]
            left.append(points[0])
            right.append(points[-1])
        return left, right[::-1]

    if t0 > 0:
        points = split(points, t0)[1]
    if t1 < 1:
        points = split(points, (t1 - t0) / (1 - t0))[0]
    return tuple(points)


@dataclass(frozen=True)
class Label:
    """A label's box, and the stretch of its arrow (t from, t to) left out for it."""

    edge: Edge
    box: Box
    gap: tuple[float, float]


def route_arrow(
    centre: Mapping[str, Point],
    signer: str,
    signee: str,
    column_of: Mapping[str, int],
    boxes: Mapping[str, Box],
    *,
    use: CertificationUse,
    label: str,
    head: float,
) -> Edge:
    """Where one certification arrow runs: a curve that passes under no third key's box.

    ``head`` is the length and width of its arrowhead; ``label`` the word it carries.
    """
    (x1, y1), (x2, y2) = centre[signer], centre[signee]
    span = abs(column_of[signee] - column_of[signer])
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    # Bend every arrow a little to its right, so A→B and B→A do not lie on top of each other.
    nx, ny = -dy / length, dx / length
    # Arrows that skip columns (or run inside one column) bend further, around the boxes between;
    # inside a column, past a box in between means out beyond its side (the curve's middle
    # reaches half the bend).
    rows_apart = round(abs(dy) / (BOX_H + ROW_GAP))
    inside_column = 40 if rows_apart <= 1 else BOX_W + 20
    bend = inside_column if span == 0 else 16 + 34 * (span - 1)
    others = [box.grown(6) for name, box in boxes.items() if name not in (signer, signee)]
    first: Edge | None = None
    # Further to the right first, then to the left, until the curve clears the other keys. The
    # left-hand bends differ from the right-hand ones, so that A→B never takes the very curve
    # of B→A (whose right is A→B's left).
    for factor in (1, 1.6, 2.4, 3.4, 4.6, -1.3, -2, -2.9, -4):
        mx, my = (x1 + x2) / 2 + nx * bend * factor, (y1 + y2) / 2 + ny * bend * factor
        edge = Edge(
            signer,
            signee,
            use,
            label,
            _clip(x1, y1, mx - x1, my - y1),
            (mx, my),
            _clip(x2, y2, mx - x2, my - y2),
            head,
        )
        first = first or edge
        if _clears(edge, others):
            return edge
    usual = first or edge
    detour = _detour(usual, column_of, boxes)
    if detour is not None and _clears(detour, others):
        return detour
    return usual  # nothing clears them all (a crowded graph the learner built): the usual bend


def _clears(edge: Edge, others: Sequence[Box]) -> bool:
    """Whether ``edge`` stays below the column headings and out of every box in ``others``."""
    if edge.hull.y0 < TOP - 8 and min(p[1] for p, _q in edge.outline) < TOP - 8:
        return False  # up among the column headings
    near = [box for box in others if box.overlaps(edge.hull)]
    return not any(box.crosses(p, q) for p, q in edge.outline for box in near)


_LANE_MARGIN = 7
"""How far a detour keeps from the (grown) boxes above and below its lane (pixels)."""


def _detour(usual: Edge, column_of: Mapping[str, int], boxes: Mapping[str, Box]) -> Edge | None:
    """The arrow the long way round, where no single bend gets past the keys between.

    It crosses each column between its two keys along a free lane of that column (over a key,
    between two, or under them all), the lane nearest the straight way, and changes lanes in the
    gaps between columns; the points are joined by smooth cubic curves (Catmull-Rom). None if
    the two keys are in neighbouring columns or a column between has no free lane.
    """
    first, last = column_of[usual.signer], column_of[usual.signee]
    step = 1 if last > first else -1
    (x1, y1), (x2, y2) = _centre(boxes[usual.signer]), _centre(boxes[usual.signee])
    waypoints: list[Point] = []
    for column in range(first + step, last, step):
        keys = [box.grown(6) for name, box in boxes.items() if column_of[name] == column]
        if not keys:
            continue
        left, right = min(k.x0 for k in keys), max(k.x1 for k in keys)
        straight = y1 + (y2 - y1) * ((left + right) / 2 - x1) / ((x2 - x1) or 1.0)
        lane = _lane(keys, straight)
        if lane is None:
            return None
        ends = (left, right) if step > 0 else (right, left)
        waypoints += [(ends[0], lane), (ends[1], lane)]
    if not waypoints:
        return None
    start = _clip(x1, y1, waypoints[0][0] - x1, waypoints[0][1] - y1)
    end = _clip(x2, y2, waypoints[-1][0] - x2, waypoints[-1][1] - y2)
    chain = _catmull_rom([start, *waypoints, end])
    return replace(usual, start=start, control=chain[1], end=end, chain=chain)


def _centre(box: Box) -> Point:
    return (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2


def _lane(keys: Sequence[Box], wanted: float) -> float | None:
    """The height nearest ``wanted`` at which a line passes the column of ``keys`` freely."""
    edges = sorted((k.y0, k.y1) for k in keys)
    free: list[tuple[float, float]] = [(TOP - 8, edges[0][0])]
    free += [(below[1], above[0]) for below, above in itertools.pairwise(edges)]
    free.append((edges[-1][1], math.inf))
    heights = [
        min(max(wanted, low + _LANE_MARGIN), high - _LANE_MARGIN)
        for low, high in free
        if high - low >= 2 * _LANE_MARGIN
    ]
    return min(heights, key=lambda y: abs(y - wanted), default=None)


def _catmull_rom(points: Sequence[Point]) -> tuple[Point, ...]:
    """Cubic Bézier curves through ``points`` in turn, each meeting the next without a kink."""
    chain = [points[0]]
    padded = [points[0], *points, points[-1]]
    for before, p, q, after in zip(padded, padded[1:], padded[2:], padded[3:], strict=False):
        chain += [
            (p[0] + (q[0] - before[0]) / 6, p[1] + (q[1] - before[1]) / 6),
            (q[0] - (after[0] - p[0]) / 6, q[1] - (after[1] - p[1]) / 6),
            q,
        ]
    return tuple(chain)


def _label_width(label: str) -> float:
    """A generous width for ``label`` at 10.5 px: 6.2 px a character (a wide one, as in Japanese,
    counts twice), 2 px padding each side."""
    wide = sum(1 for char in label if unicodedata.east_asian_width(char) in "WF")
    return round(6.2 * (len(label) + wide) + 4, 1)


class _Obstacles:
    """What a new label must keep clear of: arrows (by piece, in a grid of cells), keys, labels."""

    def __init__(self, edges: Sequence[Edge], boxes: Sequence[Box]) -> None:
        self.boxes = [box.grown(_LABEL_GAP) for box in boxes]
        self.labels: list[Box] = []
        self.cells: dict[tuple[int, int], list[tuple[int, Point, Point]]] = {}
        for index, edge in enumerate(edges):
            for p, q in edge.outline:
                hull = Box(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]))
                for cell in self._cells(hull):
                    self.cells.setdefault(cell, []).append((index, p, q))

    @staticmethod
    def _cells(box: Box) -> Iterable[tuple[int, int]]:
        for i in range(math.floor(box.x0 / _GRID), math.floor(box.x1 / _GRID) + 1):
            for j in range(math.floor(box.y0 / _GRID), math.floor(box.y1 / _GRID) + 1):
                yield i, j

    def free(self, cut: Box, own: int) -> bool:
        """Whether ``cut`` (a label's box with its margin) touches no key, label or arrow but
        the arrow numbered ``own``."""
        if any(cut.overlaps(other) for other in self.boxes + self.labels):
            return False
        return not any(
            index != own and cut.crosses(p, q)
            for cell in self._cells(cut)
            for index, p, q in self.cells.get(cell, ())
        )


def _inline_label(edge: Edge, t: float, w: float, h: float) -> Label | None:
    """The label centred on its arrow at ``t``, if the arrow can make room for it there."""
    cx, cy = edge.point(t)
    box = Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
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
    return Label(edge, box, (t0, t1))


def _beside_labels(edge: Edge, w: float, h: float) -> Iterable[Label]:
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
                yield Label(edge, Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), (t, t))


def place_labels(edges: Sequence[Edge], boxes: Sequence[Box], area: Box) -> list[Label]:
    """A place for every labelled arrow's label, clear of every other arrow, key and label.

    A label goes into a gap of its own arrow where it fits, else just beside it, in both cases
    as near the middle as it can. Labels of short arrows, which have the fewest places, go
    first; labels left without a place go first in a second and third try. If a label still
    has no free place (a crowded graph the learner built), it sits in the middle of its arrow.
    """
    obstacles = _Obstacles(edges, boxes)
    order = sorted(
        (i for i, e in enumerate(edges) if e.label),
        key=lambda i: (math.dist(edges[i].start, edges[i].end), edges[i].signer, edges[i].signee),
    )
    best: tuple[list[Label], list[int]] | None = None
    for _attempt in range(3):
        placed, stuck = _place_in_order(edges, order, obstacles, area)
        if best is None or len(stuck) < len(best[1]):
            best = placed, stuck
        if not stuck:
            break
        order = stuck + [i for i in order if i not in stuck]
    return best[0] if best else []


def _place_in_order(
    edges: Sequence[Edge], order: Sequence[int], obstacles: _Obstacles, area: Box
) -> tuple[list[Label], list[int]]:
    """Place the labels of ``edges[i]`` for i in ``order``; return them and the i left stuck."""
    obstacles.labels = []
    placed: list[Label] = []
    stuck: list[int] = []
    for index in order:
        edge = edges[index]
        w = _label_width(edge.label)
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
            box = Box(mx - w / 2, my - _LABEL_H / 2, mx + w / 2, my + _LABEL_H / 2)
            chosen = Label(edge, box, (0.5, 0.5))
        obstacles.labels.append(chosen.box.grown(_LABEL_GAP))
        placed.append(chosen)
    return placed, stuck
