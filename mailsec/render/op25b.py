"""Draw the OP25B chapter: the network diagram with the path hop by hop, the verdict, the hop table
and the real SMTP conversation of a replay.

The diagram is an inline SVG. Hops are numbered arrows; a passed hop is green and solid with ✓, a
refused or dropped hop is red, dashed, with ✗ and the words ("dropped by OP25B"), so colour is never
the only sign. The SVG carries a title and a description that list the hops in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mailsec.op25b.model import POLICY_SWITCHES, STANDARD_WORLD, Policy, World
from mailsec.op25b.path import MAILBOX, Hop, PathResult, Verdict, node_label
from mailsec.op25b.replay import Replay, Session
from mailsec.op25b.rules import Decision
from mailsec.op25b.scenarios import Scenario
from mailsec.render.html import (
    FONT,
    MONO,
    Fragment,
    badge,
    callout,
    code_block,
    escape,
    table,
    trace_list,
)
from mailsec.render.op25b_text import TEXT
from mailsec.render.svg import wrap_parts, wrap_text
from mailsec.trace import Outcome

__all__ = [
    "hops_table",
    "network_svg",
    "path_html",
    "progress_html",
    "replay_html",
    "scenarios_table",
    "world_table",
]

WIDTH, HEIGHT = 880, 450
NODE_W, NODE_H = 168, 44
"""A host's box: always this wide, and at least this tall (taller when its words need more lines)."""
PAD_X, PAD_Y = 8, 8
LABEL_SIZE, LABEL_STEP = 12.5, 15
"""The host's name: font size and line spacing (px)."""
SUB_SIZE, SUB_STEP = 10.5, 13
"""Its address and ports."""
TITLE_SIZE, NOTE_SIZE = 12.5, 10.5
INTERNET_X = 395

#: Where each node sits (its centre).
POSITIONS: dict[str, tuple[float, float]] = {
    "home-pc": (105, 90),
    "infected-pc": (105, 170),
    "isp-a-mail": (105, 252),
    "isp-a-edge": (268, 170),
    "isp-b-host": (105, 390),
    "isp-b-edge": (268, 390),
    "provider-smtp": (630, 96),
    "webmail": (630, 190),
    "recipient-mx": (630, 300),
    MAILBOX: (780, 398),
}

#: The network boxes: (x, y, width, height, fill, stroke, title colour).
NETWORK_BOXES: dict[str, tuple[float, float, float, float, str, str, str]] = {
    "isp-a": (8, 22, 262, 270, "#eff6ff", "#93c5fd", "#1e3a8a"),
    "isp-b": (8, 317, 262, 123, "#f5f3ff", "#c4b5fd", "#4c1d95"),
    "internet": (528, 22, 344, 418, "#f0fdf4", "#86efac", "#14532d"),
}

_STROKE = {
    Outcome.OK: "#15803d",
    Outcome.WARN: "#b45309",
    Outcome.FAIL: "#b91c1c",
    Outcome.INFO: "#475569",
}
_HALO = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"'
_SYMBOL = {Outcome.OK: "✓", Outcome.WARN: "!", Outcome.FAIL: "✗", Outcome.INFO: "•"}


class _Box:
    """A host's box with its words wrapped to fit (see :mod:`mailsec.render.svg`)."""

    def __init__(self, label: str, sub: tuple[str, ...]) -> None:
        room = NODE_W - 2 * PAD_X
        self.label_lines = wrap_text(label, LABEL_SIZE, room, bold=True)
        self.sub_lines = wrap_parts(sub, SUB_SIZE, room)
        self.text_height = LABEL_STEP * len(self.label_lines) + SUB_STEP * len(self.sub_lines)
        self.height = max(NODE_H, self.text_height + 2 * PAD_Y)


def _curve(
    hop: Hop, heights: Mapping[str, float] | None = None
) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Start, control and end point of the hop's arrow (a quadratic curve)."""
    (x1, y1), (x2, y2) = POSITIONS[hop.source], POSITIONS[hop.target]
    if hop.target == MAILBOX:
        height = (heights or {}).get(MAILBOX, NODE_H)
        return (x1 + NODE_W / 2, y1), (x2, y1), (x2, y2 - height / 2)
    if hop.target.endswith("-edge"):
        return (x1 + NODE_W / 2, y1), ((x1 + x2) / 2 + 20, (y1 + y2) / 2), (x2 - 15, y2)
    if abs(x1 - x2) < 1:  # same column (inside ISP A): bow out to the right
        return (x1 + NODE_W / 2, y1), (x1 + NODE_W / 2 + 70, (y1 + y2) / 2), (x2 + NODE_W / 2, y2)
    sx = x1 + (15 if hop.source.endswith("-edge") else NODE_W / 2)
    # Across the Internet: bend through the Internet box.
    return (sx, y1), (INTERNET_X, (y1 + y2) / 2), (x2 - NODE_W / 2, y2)


def _node(host_id: str, box: _Box, *, on_path: bool) -> str:
    x, y = POSITIONS[host_id]
    stroke = "#1f2d3d" if on_path else "#94a3b8"
    width = 2.5 if on_path else 1
    top = y - box.text_height / 2
    lines = [
        f'<text x="{x}" y="{top + LABEL_STEP * i + 12:.1f}" text-anchor="middle" '
        f'font-size="{LABEL_SIZE}" font-weight="600" fill="#1f2d3d">{escape(line)}</text>'
        for i, line in enumerate(box.label_lines)
    ]
    below = top + LABEL_STEP * len(box.label_lines)
    lines += [
        f'<text x="{x}" y="{below + SUB_STEP * i + 10:.1f}" text-anchor="middle" '
        f'font-size="{SUB_SIZE}" fill="#334155">{escape(line)}</text>'
        for i, line in enumerate(box.sub_lines)
    ]
    return (
        f'<g class="mailsec-box"><rect x="{x - NODE_W / 2}" y="{y - box.height / 2}" '
        f'width="{NODE_W}" height="{box.height}" rx="6" fill="#ffffff" stroke="{stroke}" '
        f'stroke-width="{width}"/>{"".join(lines)}</g>'
    )


def _network(net_id: str, title: str, details: tuple[str, ...], notes: list[str]) -> str:
    """A network's box: its title line, a line of details each, and ``notes`` (SVG text) inside."""
    x, y, w, h, fill, stroke, colour = NETWORK_BOXES[net_id]
    head, *more = details or ("",)
    lines = [
        f'<text x="{x + 10}" y="{y + 18}" font-size="{TITLE_SIZE}" font-weight="700" '
        f'fill="{colour}">{escape(title)}'
        + (
            f' <tspan font-weight="400" font-size="{NOTE_SIZE}">{escape(head)}</tspan>'
            if head
            else ""
        )
        + "</text>"
    ]
    lines += [
        f'<text x="{x + 10}" y="{y + 32 + 13 * i}" font-size="{NOTE_SIZE}" fill="{colour}">'
        f"{escape(line)}</text>"
        for i, line in enumerate(more)
    ]
    return (
        f'<g class="mailsec-box mailsec-network"><rect x="{x}" y="{y}" width="{w}" height="{h}" '
        f'rx="10" fill="{fill}" stroke="{stroke}"/>{"".join(lines)}{"".join(notes)}</g>'
    )


def _router(edge_id: str, title: str, status: str, *, on_path: bool) -> str:
    x, y = POSITIONS[edge_id]
    stroke = "#1f2d3d" if on_path else "#64748b"
    return (
        f'<g><circle cx="{x}" cy="{y}" r="15" fill="#e2e8f0" stroke="{stroke}" stroke-width="2"/>'
        f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-size="11" font-weight="700" '
        f'fill="#1f2d3d">{escape(TEXT["router"])}</text>'
        f'<text x="{x}" y="{y + 29}" text-anchor="middle" font-size="10.5" fill="#1f2d3d" '
        f"{_HALO}>{escape(title)}</text>"
        f'<text x="{x}" y="{y + 42}" text-anchor="middle" font-size="10.5" font-weight="600" '
        f'fill="#1f2d3d" {_HALO}>{escape(status)}</text></g>'
    )


def alt_text(result: PathResult | None, world: World = STANDARD_WORLD) -> str:
    """The diagram in words, for screen readers and for the SVG's description."""
    lead = TEXT["alt_lead"]
    if result is None:
        return lead
    hops = " ".join(
        TEXT["alt_hop_port" if h.port else "alt_hop"].format(
            number=i,
            source=node_label(h.source, world),
            target=node_label(h.target, world),
            port=h.port,
            decision=h.decision.label,
        )
        for i, h in enumerate(result.hops, start=1)
    )
    return TEXT["alt_path"].format(lead=lead, hops=hops, verdict=result.verdict.label)


def _host_boxes(world: World) -> dict[str, _Box]:
    """Every host drawn, with its address and open ports, and Taro's mailbox."""
    boxes: dict[str, _Box] = {}
    for host in world.hosts:
        if host.id in POSITIONS:
            ports = "/".join(str(s.port) for s in host.services)
            sub = (
                (str(host.ipv4), TEXT["ports"].format(ports=ports)) if ports else (str(host.ipv4),)
            )
            boxes[host.id] = _Box(host.shown_label, sub)
    boxes[MAILBOX] = _Box(TEXT["mailbox"], ("taro@example.net",))
    return boxes


def _svg_head(result: PathResult | None, world: World) -> str:
    """The ``<svg>`` element's opening: size, title, description and one arrowhead per outcome.

    The picture's name and description are its ``<title>`` and ``<desc>`` children (SVG-AAM), not
    ``aria-labelledby``: a notebook shows the diagram more than once, and ids repeated on one page
    would give every copy the first copy's text."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" style="max-width:100%;height:auto;font-family:sans-serif" '
        'class="mailsec-op25b-diagram">'
        f'<title id="op25b-title">{escape(_svg_title(result))}</title>'
        f'<desc id="op25b-desc">{escape(alt_text(result, world))}</desc>'
        "<defs>"
        + "".join(
            f'<marker id="op25b-arrow-{o.value}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
            for o, c in _STROKE.items()
        )
        + "</defs>"
    )


def _svg_title(result: PathResult | None) -> str:
    if result is None:
        return TEXT["svg_title"]
    return TEXT["svg_title_result"].format(summary=result.summary)


def _networks(world: World, policy: Policy, heights: Mapping[str, float]) -> list[str]:
    """The two ISPs, the Internet, and its servers' area with the policies they apply."""

    def note_below(node: str, text: str) -> str:
        x, y = POSITIONS[node]
        return Fragment(
            f'<text x="{x}" y="{y + heights.get(node, NODE_H) / 2 + 14:.1f}" text-anchor="middle" '
            f'font-size="{NOTE_SIZE}" fill="#1f2d3d">{escape(text)}</text>'
        )

    def isp(net_id: str) -> str:
        net = world.network(net_id)
        pool = (TEXT["dynamic_pool"].format(pool=net.dynamic_pool),) if net.dynamic_pool else ()
        return Fragment(_network(net_id, net.shown_name, (str(net.ipv4), *pool), []))

    servers_notes = [
        note_below(
            "recipient-mx",
            TEXT["servers_note"].format(
                ip25b=TEXT["on" if policy.ip25b else "off"],
                relay=TEXT["on" if policy.relay_control else "off"],
            ),
        ),
        note_below(
            "provider-smtp",
            TEXT["auth_required" if policy.submission_auth else "auth_not_required"],
        ),
    ]
    ix, iy, iw, ih = INTERNET_X - 60, 22, 120, NETWORK_BOXES["internet"][3]
    return [
        isp("isp-a"),
        isp("isp-b"),
        f'<g class="mailsec-box"><rect x="{ix}" y="{iy}" width="{iw}" height="{ih}" rx="40" '
        'fill="#f8fafc" stroke="#cbd5e1" stroke-dasharray="4 3"/>'
        f'<text x="{INTERNET_X}" y="48" text-anchor="middle" font-size="13" font-weight="700" '
        f'fill="#334155">{escape(TEXT["internet"])}</text></g>',
        _network(
            "internet", TEXT["servers"], (str(world.network("internet").ipv4),), servers_notes
        ),
    ]


def _never_arrives(result: PathResult, heights: Mapping[str, float]) -> str:
    """Where a dropped connection was meant to go, in grey: it never gets there."""
    edge = result.final_hop.target
    ghost = Hop(edge, result.attempt.destination.id, result.attempt.port, Decision.PASSED, "")
    (x1, y1), (cx, cy), (x2, y2) = _curve(ghost, heights)
    return (
        f'<path d="M{x1 + 10:.0f},{y1:.0f} Q{cx:.0f},{cy:.0f} {x2:.0f},{y2:.0f}" fill="none" '
        'stroke="#94a3b8" stroke-width="2" stroke-dasharray="2 5"/>'
        f'<text x="{cx:.0f}" y="{(y1 + y2) / 2 + 18:.0f}" text-anchor="middle" font-size="11" '
        f'fill="#475569" {_HALO}>{escape(TEXT["never_arrives"])}</text>'
    )


def network_svg(result: PathResult | None = None, world: World = STANDARD_WORLD) -> Fragment:
    """The network with the path of ``result`` drawn hop by hop (or just the network).

    Every word sits inside its box: host boxes grow a line rather than let a name spill out.
    """
    policy = result.policy if result is not None else Policy()
    on_path: set[str] = set()
    if result is not None:
        for hop in result.hops:
            on_path.update((hop.source, hop.target))
    boxes = _host_boxes(world)
    heights = {node: box.height for node, box in boxes.items()}
    parts = [_svg_head(result, world), *_networks(world, policy, heights)]
    parts.extend(_node(node, box, on_path=node in on_path) for node, box in boxes.items())
    parts.append(
        _router(
            "isp-a-edge",
            TEXT["edge_a"],
            TEXT["op25b_on" if policy.op25b else "op25b_off"],
            on_path="isp-a-edge" in on_path,
        )
    )
    parts.append(
        _router("isp-b-edge", TEXT["edge_b"], TEXT["no_op25b"], on_path="isp-b-edge" in on_path)
    )
    if result is not None and result.verdict is Verdict.DROPPED:
        parts.append(_never_arrives(result, heights))
    if result is not None:
        for number, hop in enumerate(result.hops, start=1):
            parts.append(_hop_arrow(number, hop, heights))
    parts.append("</svg>")
    return Fragment("".join(parts))


def _hop_arrow(number: int, hop: Hop, heights: Mapping[str, float]) -> str:
    outcome = hop.decision.outcome
    colour = _STROKE[outcome]
    (x1, y1), (cx, cy), (x2, y2) = _curve(hop, heights)
    dash = ' stroke-dasharray="7 5"' if outcome is not Outcome.OK else ""
    mx = 0.25 * x1 + 0.5 * cx + 0.25 * x2
    my = 0.25 * y1 + 0.5 * cy + 0.25 * y2
    out = (
        f'<path d="M{x1:.0f},{y1:.0f} Q{cx:.0f},{cy:.0f} {x2:.0f},{y2:.0f}" fill="none" '
        f'stroke="{colour}" stroke-width="3"{dash} marker-end="url(#op25b-arrow-{outcome.value})"/>'
        f'<circle cx="{mx:.0f}" cy="{my:.0f}" r="11" fill="#ffffff" stroke="{colour}" '
        'stroke-width="2"/>'
        f'<text x="{mx:.0f}" y="{my + 4:.0f}" text-anchor="middle" font-size="11" font-weight="700" '
        f'fill="{colour}">{number}</text>'
    )
    if hop.port and hop.target != MAILBOX and not hop.target.endswith("-edge"):
        out += (
            f'<text x="{mx + 14:.0f}" y="{my - 10:.0f}" font-size="10.5" fill="#1f2d3d" '
            f"{_HALO}>{escape(TEXT['port'].format(port=hop.port))}</text>"
        )
    if outcome is not Outcome.OK:
        words = f"{_SYMBOL[outcome]} {hop.decision.label}"
        tx, ty = x2, y2 - 16
        anchor = "middle"
        if hop.target.endswith("-edge"):
            tx, ty = x2 + 22, y2 - 22
            anchor = "start"
        elif hop.target in ("provider-smtp", "webmail", "recipient-mx"):
            tx, ty = x2 + NODE_W / 2, y2 - heights.get(hop.target, NODE_H) / 2 - 6
        out += (
            f'<text x="{tx:.0f}" y="{ty:.0f}" text-anchor="{anchor}" font-size="12" '
            f'font-weight="700" fill="{colour}" stroke="#ffffff" stroke-width="3" '
            f'paint-order="stroke">{escape(words)}</text>'
        )
    return out


# -- HTML around the diagram ----------------------------------------------------------------------


def hops_table(result: PathResult, world: World = STANDARD_WORLD) -> Fragment:
    """The hops as a table: number, from → to, port, decision (symbol and word), why, rule."""
    rows = []
    for i, hop in enumerate(result.hops, start=1):
        rows.append(
            (
                str(i),
                f"{escape(node_label(hop.source, world))} → {escape(node_label(hop.target, world))}",
                escape(hop.port if hop.port else "—"),
                badge(hop.decision.outcome, hop.decision.label),
                escape(hop.reason)
                + (
                    f'<br><code style="{MONO}">{escape(hop.reply.line)}</code>' if hop.reply else ""
                ),
                f'<span style="white-space:nowrap">{escape(hop.section or "")}</span>',
            )
        )
    return Fragment(
        table(
            TEXT["hops_headers"],
            rows,
            caption=TEXT["hops_caption"],
            html_cells=True,
        )
    )


def path_html(result: PathResult, world: World = STANDARD_WORLD) -> Fragment:
    """Verdict, diagram and hop table for one evaluated attempt."""
    verdict = callout(
        escape(result.summary),
        outcome=result.verdict.outcome,
        title=TEXT["verdict"].format(title=TEXT["verdict_titles"][result.verdict.value]),
    )
    return Fragment(
        f'<div style="{FONT}" class="mailsec-op25b-result" aria-live="polite">'
        f'<div class="mailsec-op25b-verdict" data-verdict="{result.verdict.value}">{verdict}</div>'
        f"<div>{network_svg(result, world)}</div>"
        f"{hops_table(result, world)}</div>"
    )


def explanation_html(result: PathResult) -> Fragment:
    return Fragment(trace_list(result.trace))


def progress_html(text: str) -> Fragment:
    """One line saying what the replay is doing right now."""
    return Fragment(
        f'<div style="{FONT}" role="status" aria-live="polite" class="mailsec-op25b-progress">'
        f"⏳ {escape(text)}</div>"
    )


def _session_html(session: Session, world: World) -> str:
    client, server = node_label(session.client, world), node_label(session.server, world)
    where = (
        TEXT["real_server"].format(port=session.loopback_port)
        if session.loopback_port and session.outcome not in (Decision.DROPPED, Decision.NO_SERVICE)
        else ""
    )
    if not session.replayed:
        where = TEXT["described"]
    codes = session.reply_codes
    code_line = (
        f'<div style="font-size:12px">'
        f"{escape(TEXT['reply_codes'].format(codes=', '.join(map(str, codes))))}</div>"
        if codes
        else ""
    )
    leg = TEXT["leg"].format(leg=session.leg, client=client, server=server, port=session.port)
    label = TEXT["conversation"].format(leg=session.leg)
    return (
        f'<div style="margin:6px 0"><strong>{escape(leg)}</strong>{escape(where)} '
        f"{badge(session.outcome.outcome, session.outcome.label)}"
        f"{code_block(session.text, label=label)}{code_line}</div>"
    )


def replay_html(replay: Replay, world: World = STANDARD_WORLD) -> Fragment:
    """The real conversation: every session with its commands and reply codes."""
    parts = [f'<div style="{FONT}" class="mailsec-op25b-replay">']
    if replay.simulated_drop:
        parts.append(
            callout(
                TEXT["simulated_drop"],
                outcome=Outcome.FAIL,
                title=TEXT["simulated_drop_title"],
            )
        )
    parts.extend(_session_html(s, world) for s in replay.sessions)
    agree = replay.agrees_with_model
    parts.append(
        callout(
            escape(
                TEXT["agree" if agree else "disagree"].format(
                    real=replay.verdict.label,
                    model=replay.path.verdict.label,
                    seconds=f"{replay.seconds:.2f}",
                )
            ),
            outcome=Outcome.OK if agree else Outcome.WARN,
            title=TEXT["real_smtp"],
        )
    )
    if replay.delivered:
        files = "".join(f"<li><code>{escape(p)}</code></li>" for p in replay.delivered)
        parts.append(f"<div>{escape(TEXT['maildir'])}<ul>{files}</ul></div>")
    parts.append("</div>")
    return Fragment("".join(parts))


def world_table(world: World = STANDARD_WORLD) -> Fragment:
    """Every host with its network, addresses and services."""
    rows = []
    for host in world.hosts:
        net = world.network_of(host)
        pool = world.in_dynamic_pool(host)
        services = "; ".join(s.kind.description for s in host.services) or TEXT["no_services"]
        rows.append(
            (
                host.id,
                host.shown_label,
                host.hostname,
                f"{host.ipv4} / {host.ipv6}",
                TEXT["in_pool"].format(network=net.shown_name) if pool else net.shown_name,
                services,
            )
        )
    return Fragment(table(TEXT["world_headers"], rows, caption=TEXT["world_caption"]))


def scenarios_table(scenarios: Iterable[Scenario]) -> Fragment:
    rows = [
        (
            s.id,
            s.shown_title,
            f"{s.source} → {s.destination}:{s.port}",
            badge(s.expected.outcome, s.expected.label),
        )
        for s in scenarios
    ]
    return Fragment(
        table(
            TEXT["scenario_headers"],
            [(escape(a), escape(b), escape(c), d) for a, b, c, d in rows],
            caption=TEXT["scenario_caption"],
            html_cells=True,
        )
    )


def policy_text(policy: Policy) -> str:
    return "; ".join(
        TEXT["policy"].format(switch=text, state=TEXT["on" if getattr(policy, name) else "off"])
        for name, text in POLICY_SWITCHES.items()
    )
