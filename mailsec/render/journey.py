"""Draw a message's journey (chapter 00) as an SVG chain of hops and a hop-by-hop table."""

from __future__ import annotations

import textwrap

from mailsec.i18n import texts
from mailsec.journey import Journey, label
from mailsec.render.html import OUTCOME_COLOURS, Fragment, badge, escape, table, trace_list
from mailsec.trace import Outcome

__all__ = ["journey_html", "journey_svg"]

TEXT = texts(
    {
        "dropped_by": "✗ dropped by OP25B",
        "delivered_mark": "✓ delivered",
        "not_delivered_mark": "✗ not delivered",
        "alt_hop": "{source} to {destination} by {protocol} port {port}",
        "alt_hop_portless": "{source} to {destination} by {protocol}",
        "alt_hop_dropped": "{source} to {destination} by {protocol} port {port} (dropped)",
        "alt_hop_portless_dropped": "{source} to {destination} by {protocol} (dropped)",
        "alt": "The message's journey: {hops}. Result: {verdict}.",
        "alt_separator": "; ",
        "delivered": "delivered",
        "not_delivered": "not delivered",
        "dropped": "dropped",
        "passes": "passes",
        "port": "{protocol} (port {port})",
        "result": "Result: {verdict} · protection: {protection}",
        "headers": ("Hop", "Protocol", "Outcome", "What happens", "Chapter"),
        "caption": "Hop by hop",
        "why": "Why",
    }
)
"""The diagram's and the table's words (see :mod:`mailsec.i18n`)."""

_BOX_W, _BOX_H, _GAP, _TOP = 132, 64, 46, 30


def _nodes(journey: Journey) -> list[str]:
    names: list[str] = []
    for hop in journey.hops:
        for name in (hop.source, hop.destination):
            if name not in names:
                names.append(name)
    return names


def journey_svg(journey: Journey) -> Fragment:
    """The hops as boxes joined by arrows; a dropped hop is red, dashed and says "dropped"."""
    nodes = _nodes(journey)
    width = len(nodes) * (_BOX_W + _GAP) - _GAP + 20
    height = _TOP + _BOX_H + 60
    x_of = {name: 10 + i * (_BOX_W + _GAP) for i, name in enumerate(nodes)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="max-width:100%;height:auto" '
        f'aria-labelledby="journey-title">'
        f'<title id="journey-title">{escape(_alt_text(journey))}</title>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#333"/></marker></defs>'
    ]
    for name, x in x_of.items():
        lines = textwrap.wrap(name, 18)[:3]
        parts.append(
            f'<rect x="{x}" y="{_TOP}" width="{_BOX_W}" height="{_BOX_H}" rx="6" '
            'fill="#f4f6f9" stroke="#6b7a8c"/>'
        )
        for i, line in enumerate(lines):
            y = _TOP + _BOX_H / 2 + (i - (len(lines) - 1) / 2) * 15 + 4
            parts.append(
                f'<text x="{x + _BOX_W / 2}" y="{y}" text-anchor="middle" font-size="12" '
                f'font-family="sans-serif" fill="#1f2d3d">{escape(line)}</text>'
            )
    for hop in journey.hops:
        x1, x2 = x_of[hop.source] + _BOX_W, x_of[hop.destination]
        if x2 < x1:  # a hop back to an earlier box: draw it under the boxes
            x1, x2 = x2, x1
        _bg, fg = OUTCOME_COLOURS[hop.outcome]
        failed = hop.outcome is Outcome.FAIL
        dash = ' stroke-dasharray="6 4"' if failed else ""
        y = _TOP + _BOX_H / 2
        port = f":{hop.port}" if hop.port else ""
        label = f"{hop.protocol}{port}"
        parts.append(
            f'<line x1="{x1}" y1="{y}" x2="{x2 - 2}" y2="{y}" stroke="{fg}" stroke-width="2.5"'
            f'{dash} marker-end="url(#arrow)"/>'
            f'<text x="{(x1 + x2) / 2}" y="{_TOP - 8}" text-anchor="middle" font-size="11" '
            f'font-family="sans-serif" fill="{fg}">{escape(label)}</text>'
        )
        if failed:
            parts.append(
                f'<text x="{(x1 + x2) / 2}" y="{_TOP + _BOX_H + 22}" text-anchor="middle" '
                f'font-size="12" font-weight="bold" font-family="sans-serif" fill="{fg}">'
                f"{escape(TEXT['dropped_by'])}</text>"
            )
    verdict = escape(TEXT["delivered_mark"] if journey.delivered else TEXT["not_delivered_mark"])
    parts.append(
        f'<text x="10" y="{height - 8}" font-size="13" font-family="sans-serif" '
        f'font-weight="bold" fill="#1f2d3d">{verdict}</text></svg>'
    )
    return Fragment("".join(parts))


def _alt_text(journey: Journey) -> str:
    parts = []
    for h in journey.hops:
        key = "alt_hop" if h.port else "alt_hop_portless"
        if h.outcome is Outcome.FAIL:
            key += "_dropped"
        parts.append(
            TEXT[key].format(
                source=h.source, destination=h.destination, protocol=h.protocol, port=h.port
            )
        )
    verdict = TEXT["delivered"] if journey.delivered else TEXT["not_delivered"]
    return TEXT["alt"].format(hops=TEXT["alt_separator"].join(parts), verdict=verdict)


def journey_html(journey: Journey) -> Fragment:
    """The diagram, the hop-by-hop table and the explanation."""
    rows = [
        (
            escape(f"{h.source} → {h.destination}"),
            escape(TEXT["port"].format(protocol=h.protocol, port=h.port) if h.port else h.protocol),
            badge(h.outcome, TEXT["dropped"] if h.outcome is Outcome.FAIL else TEXT["passes"])
            if h.outcome in (Outcome.OK, Outcome.FAIL)
            else badge(h.outcome),
            escape(h.note),
            escape(h.chapter),
        )
        for h in journey.hops
    ]
    verdict = (
        badge(Outcome.OK, TEXT["delivered"])
        if journey.delivered
        else badge(Outcome.FAIL, TEXT["not_delivered"])
    )
    result = TEXT["result"].format(verdict="\x00", protection=label(journey.protection))
    before, _, after = escape(result).partition("\x00")
    return Fragment(
        f"<div>{journey_svg(journey)}</div>"
        f'<p style="font-family:sans-serif">{before}{verdict}{after}</p>'
        + table(
            TEXT["headers"],
            rows,
            caption=TEXT["caption"],
            html_cells=True,
        )
        + trace_list(journey.steps, title=TEXT["why"])
    )
