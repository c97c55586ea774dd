"""The size/speed plot of chapter 04: public-key-only against hybrid encryption, as SVG.

Inline SVG with a ``<title>``/``<desc>`` and an ``aria-label``; the two lines differ by dash and
marker shape as well as colour and carry a word label, so nothing depends on colour alone. The
number formats (:func:`format_bytes`, :func:`format_seconds`) are shared with
:mod:`mailsec.render.hybrid`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from mailsec.hybrid.measure import Measurement, hybrid_size, public_key_only_size
from mailsec.render.html import (
    FONT,
    Fragment,
    escape,
    table,
)

__all__ = [
    "AXIS",
    "HY_COLOUR",
    "PK_COLOUR",
    "Metric",
    "format_bytes",
    "format_seconds",
    "measurement_table",
    "size_speed_plot",
]

PK_COLOUR = "#9f1239"  # public-key only: dark red, solid line, squares
HY_COLOUR = "#1d4ed8"  # hybrid: blue, dashed line, circles
AXIS = "#374151"


def format_bytes(n: float) -> str:
    """``1,024`` -> ``1 KB``; binary units, as the measurement sizes are."""
    for unit, scale in (("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            value = n / scale
            return (
                f"{value:,.0f} {unit}"
                if value >= 10 or value.is_integer()
                else f"{value:.1f} {unit}"
            )
    return f"{n:,.0f} bytes"


def _decade_seconds(d: int) -> str:
    """A power of ten of seconds as an axis label: ``1 µs`` ... ``100 ms``, ``1 s``, ``10 s``."""
    if d >= 0:
        return f"{10**d:,} s"
    if d >= -3:
        return f"{10 ** (d + 3)} ms"
    return f"{10 ** (d + 6)} µs" if d >= -6 else f"1e{d} s"


def format_seconds(s: float) -> str:
    """A time in the unit a person would say: ``0.3 ms``, ``12 ms``, ``1.6 s``."""
    if s >= 1:
        return f"{s:,.1f} s"
    if s >= 0.001:
        return f"{s * 1000:,.1f} ms"
    return f"{s * 1_000_000:,.0f} µs"


class Metric(enum.Enum):
    """What the plot shows on its vertical axis."""

    DECRYPT = "time to decrypt"
    """Seconds to decrypt (public-key-only: one RSA private-key operation per 190-byte chunk)."""
    ENCRYPT = "time to encrypt"
    """Seconds to encrypt (RSA public-key operations are cheaper than private-key ones)."""
    SIZE = "bytes sent"
    """Bytes of ciphertext on the wire, for a chosen number of recipients."""


def _values(
    measurement: Measurement, metric: Metric, recipients: int
) -> tuple[list[float], list[float]]:
    pk, hy = [], []
    for p in measurement.points:
        if metric is Metric.DECRYPT:
            pk.append(p.public_key_only.decrypt_seconds)
            hy.append(p.hybrid.decrypt_seconds)
        elif metric is Metric.ENCRYPT:
            pk.append(p.public_key_only.encrypt_seconds)
            hy.append(p.hybrid.encrypt_seconds)
        else:
            pk.append(
                public_key_only_size(p.size, rsa_bits=measurement.rsa_bits, recipients=recipients)
            )
            hy.append(hybrid_size(p.size, rsa_bits=measurement.rsa_bits, recipients=recipients))
    return pk, hy


def _format_value(metric: Metric, value: float) -> str:
    return format_bytes(value) if metric is Metric.SIZE else format_seconds(value)


def _summary(measurement: Measurement, metric: Metric, recipients: int) -> str:
    pk, hy = _values(measurement, metric, recipients)
    last = measurement.points[-1].size
    ratio = pk[-1] / max(hy[-1], 1e-12)
    whom = (
        f" for {recipients} recipient{'s' if recipients > 1 else ''}"
        if metric is Metric.SIZE
        else ""
    )
    return (
        f"{metric.value.capitalize()}{whom}, message sizes {format_bytes(measurement.points[0].size)} "
        f"to {format_bytes(last)}, logarithmic axes. At {format_bytes(last)}: public-key only "
        f"{_format_value(metric, pk[-1])}, hybrid {_format_value(metric, hy[-1])} "
        f"({ratio:,.1f} times as much for public-key only). Source: {measurement.source}."
    )


_PLOT_W, _PLOT_H = 640, 360
"""The plot's size in pixels."""
_MARGINS = (78, 150, 34, 52)
"""Room left of, right of, above and below the plot area (pixels)."""
_FLOOR = 1e-6
"""The smallest value the plot shows (a second's millionth): log axes cannot reach zero."""


@dataclass(frozen=True)
class _Axes:
    """The plot area and its two logarithmic scales."""

    left: float
    top: float
    width: float
    height: float
    x_range: tuple[float, float]
    """log10 of the smallest and largest message size shown."""
    y_range: tuple[float, float]
    """log10 of the smallest and largest value shown."""

    def px(self, size: float) -> float:
        lo, hi = self.x_range
        return self.left + (math.log10(size) - lo) / (hi - lo) * self.width

    def py(self, value: float) -> float:
        lo, hi = self.y_range
        return (
            self.top + self.height - (math.log10(max(value, _FLOOR)) - lo) / (hi - lo) * self.height
        )


def _y_scale(
    metric: Metric, values: Sequence[float], sizes: Sequence[int]
) -> tuple[tuple[float, float], list[tuple[float, str]]]:
    """The vertical range (log10) and its ticks: message sizes for bytes, decades for seconds."""
    ys = [max(v, _FLOOR) for v in values]
    if metric is Metric.SIZE:
        y_lo, y_hi = math.log10(min(ys)) - 0.1, math.log10(max(ys)) + 0.1
        ticks = [(float(s), format_bytes(s)) for s in sizes if y_lo <= math.log10(s) <= y_hi]
        return (y_lo, y_hi), ticks
    low, high = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    high += high == low
    return (low, high), [(10.0**d, _decade_seconds(d)) for d in range(low, high + 1)]


def _grid_svg(
    axes: _Axes, sizes: Sequence[int], y_ticks: Sequence[tuple[float, str]], metric: Metric
) -> list[str]:
    """The plot's frame, grid lines with their labels, and the two axis titles."""
    left, top, plot_w, plot_h = axes.left, axes.top, axes.width, axes.height
    out = [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        f'stroke="{AXIS}"/>'
    ]
    for size in sizes:
        x = axes.px(size)
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#e5e7eb"/>'
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11" '
            f'fill="{AXIS}">{escape(format_bytes(size))}</text>'
        )
    for value, label in y_ticks:
        y = axes.py(value)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{AXIS}">{escape(label)}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2}" y="{_PLOT_H - 12}" text-anchor="middle" font-size="12" '
        f'fill="#111827">message size (log scale)</text>'
    )
    out.append(
        f'<text x="16" y="{top + plot_h / 2}" text-anchor="middle" font-size="12" fill="#111827" '
        f'transform="rotate(-90 16 {top + plot_h / 2})">{escape(metric.value)} (log scale)</text>'
    )
    return out


def _end_label_heights(axes: _Axes, pk: Sequence[float], hy: Sequence[float]) -> list[float]:
    """Where the two end labels (name and last value) sit: beside the last points, 30 px apart."""
    label_y = [axes.py(pk[-1]), axes.py(hy[-1])]
    if abs(label_y[0] - label_y[1]) < 30:
        centre = sum(label_y) / 2
        upper_first = label_y[0] <= label_y[1]
        label_y = [centre - 15, centre + 15] if upper_first else [centre + 15, centre - 15]
    return label_y


def _series_svg(
    axes: _Axes,
    sizes: Sequence[int],
    values: Sequence[float],
    metric: Metric,
    series: tuple[str, str, str, str],
    end_y: float,
) -> list[str]:
    """One line: (name, colour, dash, marker shape), a marker per point with its value as a
    tooltip, and its name and last value at its end."""
    name, colour, dash, shape = series
    points = " ".join(
        f"{axes.px(s):.1f},{axes.py(v):.1f}" for s, v in zip(sizes, values, strict=True)
    )
    out = [f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.2"{dash}/>']
    for s, v in zip(sizes, values, strict=True):
        x, y = axes.px(s), axes.py(v)
        tip = f"<title>{escape(name)}: {escape(format_bytes(s))} → {escape(_format_value(metric, v))}</title>"
        if shape == "square":
            out.append(
                f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">{tip}</rect>'
            )
        else:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#fff" stroke="{colour}" stroke-width="2">{tip}</circle>'
            )
    end_x = axes.px(sizes[-1])
    out.append(
        f'<text x="{end_x + 10:.1f}" y="{end_y + 4:.1f}" font-size="12" font-weight="600" '
        f'fill="{colour}">{escape(name)}</text>'
    )
    out.append(
        f'<text x="{end_x + 10:.1f}" y="{end_y + 18:.1f}" font-size="11" fill="{colour}">'
        f"{escape(_format_value(metric, values[-1]))}</text>"
    )
    return out


def _legend_svg(lx: float, ly: float) -> str:
    """The legend: shape, dash and word together."""
    return (
        f'<rect x="{lx - 6}" y="{ly - 10}" width="250" height="40" fill="#ffffff" fill-opacity="0.9" stroke="#d1d5db"/>'
        f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="{PK_COLOUR}" stroke-width="2.2"/>'
        f'<rect x="{lx + 10}" y="{ly - 4}" width="8" height="8" fill="{PK_COLOUR}"/>'
        f'<text x="{lx + 36}" y="{ly + 4}" font-size="11" fill="#111827">public-key only (RSA-OAEP per chunk)</text>'
        f'<line x1="{lx}" y1="{ly + 18}" x2="{lx + 28}" y2="{ly + 18}" stroke="{HY_COLOUR}" stroke-width="2.2" stroke-dasharray="7 4"/>'
        f'<circle cx="{lx + 14}" cy="{ly + 18}" r="4.5" fill="#fff" stroke="{HY_COLOUR}" stroke-width="2"/>'
        f'<text x="{lx + 36}" y="{ly + 22}" font-size="11" fill="#111827">hybrid (AES-GCM + one wrapped key)</text>'
    )


def size_speed_plot(
    measurement: Measurement, *, metric: Metric = Metric.DECRYPT, recipients: int = 1
) -> Fragment:
    """Public-key-only against hybrid on log-log axes, as an SVG with its text alternative."""
    left, right, top, bottom = _MARGINS
    pk, hy = _values(measurement, metric, recipients)
    sizes = [p.size for p in measurement.points]
    y_range, y_ticks = _y_scale(metric, pk + hy, sizes)
    axes = _Axes(
        left,
        top,
        _PLOT_W - left - right,
        _PLOT_H - top - bottom,
        (math.log10(min(sizes)) - 0.08, math.log10(max(sizes)) + 0.08),
        y_range,
    )
    out = _grid_svg(axes, sizes, y_ticks, metric)
    series = (
        ("public-key only", PK_COLOUR, "", "square"),
        ("hybrid", HY_COLOUR, ' stroke-dasharray="7 4"', "circle"),
    )
    ends = _end_label_heights(axes, pk, hy)
    for values, line, end_y in zip((pk, hy), series, ends, strict=True):
        out += _series_svg(axes, sizes, values, metric, line, end_y)
    out.append(_legend_svg(left + 10, top + 12))
    summary = _summary(measurement, metric, recipients)
    title = (
        f"{metric.value.capitalize()}: public-key only against hybrid (RSA-{measurement.rsa_bits})"
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(summary)}" '
        f'viewBox="0 0 {_PLOT_W} {_PLOT_H}" width="{_PLOT_W}" height="{_PLOT_H}" style="{FONT}max-width:100%">'
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>"
        f'<text x="{left}" y="20" font-size="13" font-weight="600" fill="#111827">{escape(title)}</text>'
        f"{''.join(out)}</svg>"
    )
    return Fragment(
        f'<figure style="margin:6px 0">{svg}<figcaption style="{FONT}color:#374151;max-width:640px">'
        f"{escape(summary)}</figcaption></figure>"
    )


def measurement_table(
    measurement: Measurement, *, metric: Metric = Metric.DECRYPT, recipients: int = 1
) -> Fragment:
    """The plotted numbers as a table (the plot's full text alternative)."""
    pk, hy = _values(measurement, metric, recipients)

    def cell(value: float) -> str:
        if metric is Metric.SIZE:
            return f"{format_bytes(value)} ({value:,.0f} bytes)"
        return format_seconds(value)

    rows = [
        (
            format_bytes(p.size),
            f"{p.public_key_only.rsa_operations:,}",
            cell(a),
            cell(b),
            f"{a / max(b, 1e-12):,.1f}×",
        )
        for p, a, b in zip(measurement.points, pk, hy, strict=True)
    ]
    return Fragment(
        table(
            ("Message", "RSA operations (public-key only)", "Public-key only", "Hybrid", "Ratio"),
            rows,
            caption=f"{metric.value.capitalize()} — {measurement.source}",
        )
    )
