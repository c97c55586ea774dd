"""The size/speed plot of chapter 04: public-key-only against hybrid encryption, as SVG.

Inline SVG with a ``<title>``/``<desc>`` and an ``aria-label``; the two lines differ by dash and
marker shape as well as colour and carry a word label, so nothing depends on colour alone. The
number formats (:func:`format_bytes`, :func:`format_seconds`) are shared with
:mod:`mailsec.render.hybrid`.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailsec.hybrid.measure import Measurement, hybrid_size, public_key_only_size
from mailsec.i18n import ngettext, texts
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

TEXT = texts(
    {
        "mb": "{value} MB",
        "kb": "{value} KB",
        "bytes": "{value} bytes",
        "s": "{value} s",
        "ms": "{value} ms",
        "us": "{value} µs",
        "metrics": {
            "time to decrypt": "time to decrypt",
            "time to encrypt": "time to encrypt",
            "bytes sent": "bytes sent",
        },
        "metric_titles": {
            "time to decrypt": "Time to decrypt",
            "time to encrypt": "Time to encrypt",
            "bytes sent": "Bytes sent",
        },
        "summary": "{metric}, message sizes {first} to {last}, logarithmic axes. At {last}: "
        "public-key only {pk}, hybrid {hy} ({ratio} times as much for public-key only). Source: "
        "{source}.",
        "x_axis": "message size (log scale)",
        "y_axis": "{metric} (log scale)",
        "public_key_only": "public-key only",
        "hybrid": "hybrid",
        "legend_pk": "public-key only (RSA-OAEP per chunk)",
        "legend_hy": "hybrid (AES-GCM + one wrapped key)",
        "title": "{metric}: public-key only against hybrid (RSA-{bits})",
        "headers": (
            "Message",
            "RSA operations (public-key only)",
            "Public-key only",
            "Hybrid",
            "Ratio",
        ),
        "size_cell": "{size} ({count} bytes)",
        "caption": "{metric} — {source}",
        "reference_source": "a reference run on {date}: {machine}, made with {tool} on a shared "
        "machine; your own machine will give other times",
    }
)
"""The plot's words (see :mod:`mailsec.i18n`)."""

_REFERENCE_SOURCE = re.compile(
    r"a reference run on (?P<date>[\d-]+): (?P<machine>.*), made with (?P<tool>\S+ --write) on a "
    r"shared machine; your own machine will give other times"
)
"""How :mod:`mailsec.hybrid.reference` says where its numbers come from (written by the
benchmark, in English): shown through ``TEXT["reference_source"]``."""

PK_COLOUR = "#9f1239"  # public-key only: dark red, solid line, squares
HY_COLOUR = "#1d4ed8"  # hybrid: blue, dashed line, circles
AXIS = "#374151"


def format_bytes(n: float) -> str:
    """``1,024`` -> ``1 KB``; binary units, as the measurement sizes are."""
    for unit, scale in (("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            value = n / scale
            shown = f"{value:,.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}"
            return TEXT[unit.lower()].format(value=shown)
    return TEXT["bytes"].format(value=f"{n:,.0f}")


def _decade_seconds(d: int) -> str:
    """A power of ten of seconds as an axis label: ``1 µs`` ... ``100 ms``, ``1 s``, ``10 s``."""
    if d >= 0:
        return TEXT["s"].format(value=f"{10**d:,}")
    if d >= -3:
        return TEXT["ms"].format(value=f"{10 ** (d + 3)}")
    if d >= -6:
        return TEXT["us"].format(value=f"{10 ** (d + 6)}")
    return TEXT["s"].format(value=f"1e{d}")


def format_seconds(s: float) -> str:
    """A time in the unit a person would say: ``0.3 ms``, ``12 ms``, ``1.6 s``."""
    if s >= 1:
        return TEXT["s"].format(value=f"{s:,.1f}")
    if s >= 0.001:
        return TEXT["ms"].format(value=f"{s * 1000:,.1f}")
    return TEXT["us"].format(value=f"{s * 1_000_000:,.0f}")


def source_text(measurement: Measurement) -> str:
    """Where ``measurement``'s numbers come from, in the current language when the reference
    run's sentence is recognised (else as it was written)."""
    found = _REFERENCE_SOURCE.fullmatch(measurement.source)
    return TEXT["reference_source"].format(**found.groupdict()) if found else measurement.source


class Metric(enum.Enum):
    """What the plot shows on its vertical axis."""

    DECRYPT = "time to decrypt"
    """Seconds to decrypt (public-key-only: one RSA private-key operation per 190-byte chunk)."""
    ENCRYPT = "time to encrypt"
    """Seconds to encrypt (RSA public-key operations are cheaper than private-key ones)."""
    SIZE = "bytes sent"
    """Bytes of ciphertext on the wire, for a chosen number of recipients."""

    @property
    def label(self) -> str:
        """What is compared, in the current language (a menu option, an axis)."""
        return str(TEXT["metrics"][self.value])

    @property
    def title(self) -> str:
        """:attr:`label` as the start of a sentence or a title."""
        return str(TEXT["metric_titles"][self.value])


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
    what = metric.title
    if metric is Metric.SIZE:
        what = ngettext(
            "{metric} for {count} recipient", "{metric} for {count} recipients", recipients
        ).format(metric=what, count=recipients)
    return TEXT["summary"].format(
        metric=what,
        first=format_bytes(measurement.points[0].size),
        last=format_bytes(last),
        pk=_format_value(metric, pk[-1]),
        hy=_format_value(metric, hy[-1]),
        ratio=f"{ratio:,.1f}",
        source=source_text(measurement),
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
        f'fill="#111827">{escape(TEXT["x_axis"])}</text>'
    )
    out.append(
        f'<text x="16" y="{top + plot_h / 2}" text-anchor="middle" font-size="12" fill="#111827" '
        f'transform="rotate(-90 16 {top + plot_h / 2})">'
        f"{escape(TEXT['y_axis'].format(metric=metric.label))}</text>"
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
        f'<text x="{lx + 36}" y="{ly + 4}" font-size="11" fill="#111827">{escape(TEXT["legend_pk"])}</text>'
        f'<line x1="{lx}" y1="{ly + 18}" x2="{lx + 28}" y2="{ly + 18}" stroke="{HY_COLOUR}" stroke-width="2.2" stroke-dasharray="7 4"/>'
        f'<circle cx="{lx + 14}" cy="{ly + 18}" r="4.5" fill="#fff" stroke="{HY_COLOUR}" stroke-width="2"/>'
        f'<text x="{lx + 36}" y="{ly + 22}" font-size="11" fill="#111827">{escape(TEXT["legend_hy"])}</text>'
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
        (TEXT["public_key_only"], PK_COLOUR, "", "square"),
        (TEXT["hybrid"], HY_COLOUR, ' stroke-dasharray="7 4"', "circle"),
    )
    ends = _end_label_heights(axes, pk, hy)
    for values, line, end_y in zip((pk, hy), series, ends, strict=True):
        out += _series_svg(axes, sizes, values, metric, line, end_y)
    out.append(_legend_svg(left + 10, top + 12))
    summary = _summary(measurement, metric, recipients)
    title = TEXT["title"].format(metric=metric.title, bits=measurement.rsa_bits)
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
            return TEXT["size_cell"].format(size=format_bytes(value), count=f"{value:,.0f}")
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
            TEXT["headers"],
            rows,
            caption=TEXT["caption"].format(metric=metric.title, source=source_text(measurement)),
        )
    )
