"""Draw a message's journey (chapter 00) as an SVG chain of hops and a hop-by-hop table."""

from __future__ import annotations

import textwrap

from mailsec.journey import Journey
from mailsec.render.html import OUTCOME_COLOURS, Fragment, badge, escape, table, trace_list
from mailsec.trace import Outcome

__all__ = ["journey_html", "journey_svg"]

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
                "✗ dropped by OP25B</text>"
            )
    verdict = "✓ delivered" if journey.delivered else "✗ not delivered"
    parts.append(
        f'<text x="10" y="{height - 8}" font-size="13" font-family="sans-serif" '
        f'font-weight="bold" fill="#1f2d3d">{verdict}</text></svg>'
    )
    return Fragment("".join(parts))


def _alt_text(journey: Journey) -> str:
    hops = "; ".join(
        f"{h.source} to {h.destination} by {h.protocol}"
        + (f" port {h.port}" if h.port else "")
        + (" (dropped)" if h.outcome is Outcome.FAIL else "")
        for h in journey.hops
    )
    verdict = "delivered" if journey.delivered else "not delivered"
    return f"The message's journey: {hops}. Result: {verdict}."


def journey_html(journey: Journey) -> Fragment:
    """The diagram, the hop-by-hop table and the explanation."""
    rows = [
        (
            escape(f"{h.source} → {h.destination}"),
            escape(h.protocol + (f" (port {h.port})" if h.port else "")),
            badge(h.outcome, "dropped" if h.outcome is Outcome.FAIL else "passes")
            if h.outcome in (Outcome.OK, Outcome.FAIL)
            else badge(h.outcome),
            escape(h.note),
            escape(h.chapter),
        )
        for h in journey.hops
    ]
    verdict = (
        badge(Outcome.OK, "delivered")
        if journey.delivered
        else badge(Outcome.FAIL, "not delivered")
    )
    return Fragment(
        f"<div>{journey_svg(journey)}</div>"
        f'<p style="font-family:sans-serif">Result: {verdict} · protection: '
        f"{escape(journey.protection.value)}</p>"
        + table(
            ("Hop", "Protocol", "Outcome", "What happens", "Chapter"),
            rows,
            caption="Hop by hop",
            html_cells=True,
        )
        + trace_list(journey.steps, title="Why")
    )
