"""HTML and SVG for chapter 04: the hybrid pipeline, signatures and the size/speed plot.

Everything is drawn here as inline HTML/SVG (no matplotlib, no external files). Pictures carry a
``<title>``/``<desc>`` and an ``aria-label``; lines differ by dash and marker shape as well as colour,
and carry a word label, so nothing depends on colour alone.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from mailsec.hybrid.demo import PipelineRun, SignatureRun, Transit
from mailsec.hybrid.envelope import HybridMessage, Part, WrapMethod
from mailsec.hybrid.measure import Measurement, hybrid_size, public_key_only_size
from mailsec.render.html import (
    FONT,
    MONO,
    TABLE_STYLE,
    Fragment,
    badge,
    callout,
    escape,
    hex_preview,
    kv_table,
    table,
    td,
    th,
    trace_list,
)
from mailsec.trace import Outcome

__all__ = [
    "Metric",
    "format_bytes",
    "format_seconds",
    "hybrid_diagram",
    "measurement_table",
    "message_parts_table",
    "pipeline_html",
    "protections_table",
    "signature_html",
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


# -- the concept diagram -------------------------------------------------------------------------


_BOX = (
    '<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" stroke="{stroke}" '
    'stroke-width="1.5"{dash}/>'
    '<text x="{tx}" y="{ty}" text-anchor="middle" font-size="13" fill="#111827">{label}</text>'
)


def _rect(
    x: float,
    y: float,
    w: float,
    h: float,
    label: str,
    fill: str = "#f3f4f6",
    stroke: str = AXIS,
    dashed: bool = False,
) -> str:
    """A labelled box of the diagram."""
    return _BOX.format(
        x=x,
        y=y,
        w=w,
        h=h,
        fill=fill,
        stroke=stroke,
        dash=' stroke-dasharray="5 3"' if dashed else "",
        tx=x + w / 2,
        ty=y + h / 2 + 4,
        label=escape(label),
    )


def _arrow(x1: float, y1: float, x2: float, y2: float, label: str = "") -> str:
    """A straight arrow of the diagram, with a word above its middle."""
    mid = (
        f'<text x="{(x1 + x2) / 2}" y="{(y1 + y2) / 2 - 6}" text-anchor="middle" '
        f'font-size="11" fill="{AXIS}">{escape(label)}</text>'
        if label
        else ""
    )
    return (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{AXIS}" stroke-width="1.5" '
        f'marker-end="url(#mailsec-hy-arrow)"/>{mid}'
    )


def _diagram_keys(names: Sequence[str]) -> list[str]:
    """The left half: the message locked with the content key, the key wrapped for each person."""
    parts = [
        '<defs><marker id="mailsec-hy-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{AXIS}"/></marker></defs>',
        _rect(10, 30, 130, 40, "your message"),
        _arrow(140, 50, 250, 50, "AES-256-GCM"),
        _rect(250, 30, 190, 40, "ciphertext + tag", fill="#dbeafe", stroke=HY_COLOUR),
        _rect(10, 110, 130, 40, "content key", fill="#fef3c7", stroke="#92400e"),
        '<line x1="75" y1="110" x2="300" y2="72" stroke="#92400e" stroke-width="1.2" '
        'stroke-dasharray="3 3"/>',
        '<text x="190" y="100" font-size="11" fill="#92400e">locks the message</text>',
        '<text x="470" y="24" font-size="12" font-weight="600" fill="#111827">sent to everyone</text>',
    ]
    for i, name in enumerate(names):
        y = 170 + 58 * i
        parts.append(
            f'<path d="M75,150 L75,{y + 20} L250,{y + 20}" fill="none" stroke="{AXIS}" '
            'stroke-width="1.5" marker-end="url(#mailsec-hy-arrow)"/>'
        )
        parts.append(
            f'<text x="160" y="{y + 14}" text-anchor="middle" font-size="11" fill="{AXIS}">'
            f"{escape(name)}'s public key</text>"
        )
        parts.append(
            _rect(250, y, 190, 40, f"wrapped key for {name}", fill="#fce7f3", stroke=PK_COLOUR)
        )
    return parts


def _diagram_sent(names: Sequence[str], height: int) -> list[str]:
    """The right half: what is sent to everyone, and that the content key is not among it."""
    parts = [
        f'<rect x="460" y="30" width="170" height="{height - 40}" rx="8" fill="none" '
        f'stroke="{AXIS}" stroke-dasharray="6 4"/>',
        f'<text x="545" y="{height - 36}" text-anchor="middle" font-size="11" fill="{AXIS}">'
        "the content key is not sent</text>",
        f'<text x="545" y="{height - 21}" text-anchor="middle" font-size="11" fill="{AXIS}">'
        "in clear: only wrapped</text>",
        '<text x="545" y="90" text-anchor="middle" font-size="12" fill="#111827">'
        "ciphertext + tag</text>",
    ]
    for i, name in enumerate(names):
        parts.append(
            f'<text x="545" y="{115 + 20 * i}" text-anchor="middle" font-size="12" fill="#111827">'
            f"+ wrapped key for {escape(name)}</text>"
        )
    return parts


def hybrid_diagram(recipients: Sequence[str] = ("Bob", "Carol")) -> Fragment:
    """How hybrid encryption fits together, as an SVG with a text alternative."""
    names = list(recipients) or ["Bob"]
    height = 180 + 58 * len(names)
    desc = (
        "The message is encrypted once with a random one-time content key using AES-GCM, giving "
        "the ciphertext and a tag. The content key is then wrapped separately with each "
        f"recipient's public key ({', '.join(names)}). What is sent: the ciphertext and the "
        "wrapped keys, never the content key itself."
    )
    parts = _diagram_keys(names) + _diagram_sent(names, height)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(desc)}" '
        f'viewBox="0 0 640 {height}" width="640" height="{height}" style="{FONT}max-width:100%">'
        f"<title>Hybrid encryption</title><desc>{escape(desc)}</desc>{''.join(parts)}</svg>"
    )
    return Fragment(
        f'<figure style="margin:6px 0">{svg}<figcaption style="{FONT}color:#374151">'
        f"{escape(desc)}</figcaption></figure>"
    )


# -- tables of a message ---------------------------------------------------------------------------


def protections_table(run: PipelineRun) -> Fragment:
    """Which key protects what, with the size of each protected piece."""
    return Fragment(
        table(
            ("What", "Protected by", "How", "Size"),
            (
                (p.what, p.protected_by, p.method, f"{p.size:,} bytes")
                for p in run.encryption.protections
            ),
            caption="Which key protects what",
        )
    )


def message_parts_table(
    message: HybridMessage, *, changed: Part | None = None, changed_recipient: str | None = None
) -> Fragment:
    """The parts of the message as sent over the wire, as hex previews; a changed part is marked."""

    def mark(part: Part, recipient: str | None = None) -> str:
        hit = changed is part and (recipient is None or recipient == changed_recipient)
        return Fragment(badge(Outcome.WARN, "changed on the way") if hit else "")

    rows = [
        ("nonce", f"{escape(hex_preview(message.nonce))} {mark(Part.NONCE)}"),
        (
            "ciphertext",
            f"{escape(hex_preview(message.ciphertext, limit=24))} {mark(Part.CIPHERTEXT)}",
        ),
        ("authentication tag", f"{escape(hex_preview(message.tag))} {mark(Part.TAG)}"),
    ]
    for entry in message.wrapped_keys:
        rows.append(
            (
                f"wrapped key for {entry.recipient} ({entry.method.value}, key id {entry.key_id})",
                f"{escape(hex_preview(entry.wrapped, limit=16))} "
                f"{mark(Part.WRAPPED_KEY, entry.recipient)}",
            )
        )
        if entry.method is WrapMethod.X25519_HKDF_AESKW:
            rows.append(
                (
                    f"one-time public key for {entry.recipient}",
                    f"{escape(hex_preview(entry.ephemeral_public, limit=16))} "
                    f"{mark(Part.EPHEMERAL_KEY, entry.recipient)}",
                )
            )
    body = "".join(
        "<tr>"
        + th(escape(name), scope="row", style="padding:3px 8px;font-weight:600;vertical-align:top")
        + td(value, style=f"padding:3px 8px;{MONO}")
        + "</tr>"
        for name, value in rows
    )
    return Fragment(
        f'<table style="{TABLE_STYLE}"><caption style="text-align:left;'
        f'font-weight:600">What travels over the network ({message.size:,} bytes)</caption>'
        f"<tbody>{body}</tbody></table>"
    )


def pipeline_html(run: PipelineRun) -> Fragment:
    """The result of one pass through the pipeline: outcome, protections, the wire view, the key."""
    if run.decryption is not None:
        text = run.decryption.plaintext.decode("utf-8", errors="replace")
        head = callout(
            f"{escape(run.reader)} decrypted the message: "
            f'<span style="{MONO}">{escape(text)}</span>',
            outcome=Outcome.OK,
            title=f"{run.reader} can read it",
        )
    else:
        head = callout(
            f"{escape(run.error or '')} <strong>No plaintext was released</strong> — not even part "
            "of it: the tag is checked before anything is decrypted and shown.",
            outcome=Outcome.FAIL,
            title=f"{run.reader} cannot read it",
        )
    key = run.encryption.content_key
    secret = kv_table(
        [
            ("content key (never sent)", hex_preview(key.key)),
            ("message size", f"{run.encryption.plaintext_size:,} bytes"),
            ("sent to", ", ".join(run.encryption.message.recipients)),
        ],
        caption="Inside the sender's computer",
    )
    return Fragment(
        head
        + protections_table(run)
        + message_parts_table(
            run.received, changed=run.tampered_part, changed_recipient=run.tampered_recipient
        )
        + secret
    )


# -- signatures ----------------------------------------------------------------------------------


def signature_html(run: SignatureRun) -> Fragment:
    """A signed message, what arrived and whether the signature checks."""
    check = run.check
    if check.valid and run.transit is Transit.FORGED:
        head = callout(
            f"The signature checks with {escape(check.checked_with)} — but that is the forger's "
            "key. A signature proves who holds the private key, not who that is: the reader must "
            "get the sender's real public key (a certificate, chapter 05).",
            outcome=Outcome.WARN,
            title="Valid signature, wrong person",
        )
    elif check.valid:
        head = callout(
            f"The signature checks with {escape(check.checked_with)}: the message is unchanged and "
            "was signed with the matching private key.",
            outcome=Outcome.OK,
            title="Signature valid",
        )
    else:
        head = callout(
            f"The signature does not check with {escape(check.checked_with)}: the message or "
            "signature was changed, or someone else signed it. Do not trust this message.",
            outcome=Outcome.FAIL,
            title="Signature NOT valid",
        )
    sent = run.sent.decode("utf-8", errors="replace")
    received = run.received.decode("utf-8", errors="replace")
    details = kv_table(
        [
            ("signed message", sent),
            ("received message", received + ("" if received == sent else "   ← differs")),
            ("algorithm", run.signature.algorithm.value),
            ("signature", hex_preview(run.received_signature.value, limit=16)),
            ("SHA-256 of what was signed", run.signature.message_digest.hex()[:32] + "…"),
        ],
        caption="What was signed and what arrived",
    )
    note = (
        f'<p style="{FONT}margin:4px 0;color:#374151">A signature does not hide anything: the '
        "message travels readable. Sign <em>and</em> encrypt when both are needed.</p>"
    )
    return Fragment(head + details + note)


# -- the size/speed plot -------------------------------------------------------------------------


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


def trace_html(run: PipelineRun | SignatureRun) -> Fragment:
    """The explanation trace of a lab run."""
    return Fragment(trace_list(run.steps, title="Step by step"))
