"""Draw the OP25B chapter: the network diagram with the path hop by hop, the verdict, the hop table
and the real SMTP conversation of a replay.

The diagram is an inline SVG. Hops are numbered arrows; a passed hop is green and solid with ✓, a
refused or dropped hop is red, dashed, with ✗ and the words ("dropped by OP25B"), so colour is never
the only sign. The SVG carries a title and a description that list the hops in words.
"""

from __future__ import annotations

from collections.abc import Iterable

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

WIDTH, HEIGHT = 880, 440
NODE_W, NODE_H = 168, 44
INTERNET_X = 395

#: Where each node sits (its centre).
POSITIONS: dict[str, tuple[float, float]] = {
    "home-pc": (105, 80),
    "infected-pc": (105, 160),
    "isp-a-mail": (105, 250),
    "isp-a-edge": (268, 165),
    "isp-b-host": (105, 375),
    "isp-b-edge": (268, 375),
    "provider-smtp": (620, 70),
    "webmail": (620, 165),
    "recipient-mx": (620, 290),
    MAILBOX: (770, 385),
}

_STROKE = {
    Outcome.OK: "#15803d",
    Outcome.WARN: "#b45309",
    Outcome.FAIL: "#b91c1c",
    Outcome.INFO: "#475569",
}
_HALO = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"'
_SYMBOL = {Outcome.OK: "✓", Outcome.WARN: "!", Outcome.FAIL: "✗", Outcome.INFO: "•"}


def _curve(hop: Hop) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Start, control and end point of the hop's arrow (a quadratic curve)."""
    (x1, y1), (x2, y2) = POSITIONS[hop.source], POSITIONS[hop.target]
    if hop.target == MAILBOX:
        return (x1 + NODE_W / 2, y1), (x2, y1), (x2, y2 - NODE_H / 2)
    if hop.target.endswith("-edge"):
        return (x1 + NODE_W / 2, y1), ((x1 + x2) / 2 + 20, (y1 + y2) / 2), (x2 - 15, y2)
    if abs(x1 - x2) < 1:  # same column (inside ISP A): bow out to the right
        return (x1 + NODE_W / 2, y1), (x1 + NODE_W / 2 + 70, (y1 + y2) / 2), (x2 + NODE_W / 2, y2)
    sx = x1 + (15 if hop.source.endswith("-edge") else NODE_W / 2)
    # Across the Internet: bend through the Internet box.
    return (sx, y1), (INTERNET_X, (y1 + y2) / 2), (x2 - NODE_W / 2, y2)


def _node(host_id: str, label: str, sub: str, *, on_path: bool, world: World) -> str:
    x, y = POSITIONS[host_id]
    stroke = "#1f2d3d" if on_path else "#94a3b8"
    width = 2.5 if on_path else 1
    return (
        f'<g><rect x="{x - NODE_W / 2}" y="{y - NODE_H / 2}" width="{NODE_W}" height="{NODE_H}" '
        f'rx="6" fill="#ffffff" stroke="{stroke}" stroke-width="{width}"/>'
        f'<text x="{x}" y="{y - 4}" text-anchor="middle" font-size="12.5" font-weight="600" '
        f'fill="#1f2d3d">{escape(label)}</text>'
        f'<text x="{x}" y="{y + 12}" text-anchor="middle" font-size="10.5" fill="#334155">'
        f"{escape(sub)}</text></g>"
    )


def _router(edge_id: str, title: str, status: str, *, on_path: bool) -> str:
    x, y = POSITIONS[edge_id]
    stroke = "#1f2d3d" if on_path else "#64748b"
    return (
        f'<g><circle cx="{x}" cy="{y}" r="15" fill="#e2e8f0" stroke="{stroke}" stroke-width="2"/>'
        f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-size="11" font-weight="700" '
        f'fill="#1f2d3d">R</text>'
        f'<text x="{x}" y="{y + 29}" text-anchor="middle" font-size="10.5" fill="#1f2d3d" '
        f"{_HALO}>{escape(title)}</text>"
        f'<text x="{x}" y="{y + 42}" text-anchor="middle" font-size="10.5" font-weight="600" '
        f'fill="#1f2d3d" {_HALO}>{escape(status)}</text></g>'
    )


def alt_text(result: PathResult | None, world: World = STANDARD_WORLD) -> str:
    """The diagram in words, for screen readers and for the SVG's description."""
    lead = (
        "Network diagram: ISP A (home PC, infected PC, ISP A's mail server, edge router), ISP B "
        "(a customer's PC, edge router), and on the Internet a mail provider's submission server, a "
        "webmail service and example.net's MX with Taro's mailbox."
    )
    if result is None:
        return lead
    hops = " ".join(
        f"Hop {i}: {node_label(h.source, world)} to {node_label(h.target, world)}"
        + (f" on port {h.port}" if h.port else "")
        + f", {h.decision.label}."
        for i, h in enumerate(result.hops, start=1)
    )
    return f"{lead} Path: {hops} Verdict: {result.verdict.value}."


def network_svg(result: PathResult | None = None, world: World = STANDARD_WORLD) -> str:
    """The network with the path of ``result`` drawn hop by hop (or just the network)."""
    policy = result.policy if result is not None else Policy()
    on_path = set()
    if result is not None:
        for hop in result.hops:
            on_path.update((hop.source, hop.target))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" style="max-width:100%;height:auto;font-family:sans-serif" '
        'aria-labelledby="op25b-title op25b-desc" class="mailsec-op25b-diagram">'
        f'<title id="op25b-title">OP25B network{": " + escape(result.summary) if result else ""}</title>'
        f'<desc id="op25b-desc">{escape(alt_text(result, world))}</desc>'
        "<defs>"
        + "".join(
            f'<marker id="op25b-arrow-{o.value}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
            for o, c in _STROKE.items()
        )
        + "</defs>"
        # Networks
        '<rect x="8" y="22" width="262" height="268" rx="10" fill="#eff6ff" stroke="#93c5fd"/>'
        '<text x="18" y="40" font-size="12.5" font-weight="700" fill="#1e3a8a">ISP A '
        '<tspan font-weight="400" font-size="10.5">198.51.100.0/24 · dynamic pool .0/25</tspan></text>'
        '<rect x="8" y="315" width="262" height="110" rx="10" fill="#f5f3ff" stroke="#c4b5fd"/>'
        '<text x="18" y="333" font-size="12.5" font-weight="700" fill="#4c1d95">ISP B '
        '<tspan font-weight="400" font-size="10.5">192.0.2.0/24 · dynamic pool .0/25</tspan></text>'
        f'<rect x="{INTERNET_X - 60}" y="22" width="120" height="403" rx="40" fill="#f8fafc" '
        'stroke="#cbd5e1" stroke-dasharray="4 3"/>'
        f'<text x="{INTERNET_X}" y="48" text-anchor="middle" font-size="13" font-weight="700" '
        'fill="#334155">Internet</text>'
        '<rect x="528" y="22" width="344" height="403" rx="10" fill="#f0fdf4" stroke="#86efac"/>'
        '<text x="538" y="40" font-size="12.5" font-weight="700" fill="#14532d">Servers on the '
        'Internet <tspan font-weight="400" font-size="10.5">203.0.113.0/24</tspan></text>'
    ]
    for host in world.hosts:
        if host.id not in POSITIONS:
            continue
        ports = "/".join(str(s.port) for s in host.services)
        sub = f"{host.ipv4}" + (f" · port {ports}" if ports else "")
        parts.append(_node(host.id, host.label, sub, on_path=host.id in on_path, world=world))
    parts.append(
        _node(
            MAILBOX, "Taro's mailbox", "taro@example.net", on_path=MAILBOX in on_path, world=world
        )
    )
    parts.append(
        _router(
            "isp-a-edge",
            "ISP A edge",
            "OP25B on" if policy.op25b else "OP25B off",
            on_path="isp-a-edge" in on_path,
        )
    )
    parts.append(_router("isp-b-edge", "ISP B edge", "no OP25B", on_path="isp-b-edge" in on_path))
    mx_x, mx_y = POSITIONS["recipient-mx"]
    parts.append(
        f'<text x="{mx_x}" y="{mx_y + 36}" text-anchor="middle" font-size="10.5" fill="#1f2d3d">'
        f"IP25B {'on' if policy.ip25b else 'off'} · relay control "
        f"{'on' if policy.relay_control else 'off'}</text>"
    )
    px, py = POSITIONS["provider-smtp"]
    parts.append(
        f'<text x="{px}" y="{py + 36}" text-anchor="middle" font-size="10.5" fill="#1f2d3d">'
        f"AUTH {'required' if policy.submission_auth else 'not required'}</text>"
    )
    if result is not None and result.verdict is Verdict.DROPPED:
        # Where the dropped connection was meant to go, in grey: it never gets there.
        edge = result.final_hop.target
        ghost = Hop(edge, result.attempt.destination.id, result.attempt.port, Decision.PASSED, "")
        (x1, y1), (cx, cy), (x2, y2) = _curve(ghost)
        parts.append(
            f'<path d="M{x1 + 10:.0f},{y1:.0f} Q{cx:.0f},{cy:.0f} {x2:.0f},{y2:.0f}" fill="none" '
            'stroke="#94a3b8" stroke-width="2" stroke-dasharray="2 5"/>'
            f'<text x="{cx:.0f}" y="{(y1 + y2) / 2 + 18:.0f}" text-anchor="middle" font-size="11" '
            f'fill="#475569" {_HALO}>never arrives</text>'
        )
    if result is not None:
        for number, hop in enumerate(result.hops, start=1):
            parts.append(_hop_arrow(number, hop))
    parts.append("</svg>")
    return "".join(parts)


def _hop_arrow(number: int, hop: Hop) -> str:
    outcome = hop.decision.outcome
    colour = _STROKE[outcome]
    (x1, y1), (cx, cy), (x2, y2) = _curve(hop)
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
            f"{_HALO}>port {hop.port}</text>"
        )
    if outcome is not Outcome.OK:
        words = f"{_SYMBOL[outcome]} {hop.decision.label}"
        tx, ty = x2, y2 - 16
        anchor = "middle"
        if hop.target.endswith("-edge"):
            tx, ty = x2 + 22, y2 - 22
            anchor = "start"
        elif hop.target in ("provider-smtp", "webmail", "recipient-mx"):
            tx, ty = x2 + NODE_W / 2, y2 - NODE_H / 2 - 6
        out += (
            f'<text x="{tx:.0f}" y="{ty:.0f}" text-anchor="{anchor}" font-size="12" '
            f'font-weight="700" fill="{colour}" stroke="#ffffff" stroke-width="3" '
            f'paint-order="stroke">{escape(words)}</text>'
        )
    return out


# -- HTML around the diagram ----------------------------------------------------------------------

_VERDICT_TITLE = {
    Verdict.DELIVERED: "Delivered",
    Verdict.DROPPED: "Dropped by OP25B",
    Verdict.REFUSED: "Refused by a server",
    Verdict.UNREACHABLE: "Connection refused",
    Verdict.HANDED_ON: "Handed on outside the model",
}


def hops_table(result: PathResult, world: World = STANDARD_WORLD) -> str:
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
    return table(
        ("#", "Hop", "Port", "Decision", "Why", "Rule"),
        rows,
        caption="The path, hop by hop",
        html_cells=True,
    )


def path_html(result: PathResult, world: World = STANDARD_WORLD) -> Fragment:
    """Verdict, diagram and hop table for one evaluated attempt."""
    verdict = callout(
        escape(result.summary),
        outcome=result.verdict.outcome,
        title=f"Verdict: {_VERDICT_TITLE[result.verdict]}",
    )
    return Fragment(
        f'<div style="{FONT}" class="mailsec-op25b-result" aria-live="polite">'
        f'<div class="mailsec-op25b-verdict" data-verdict="{result.verdict.value}">{verdict}</div>'
        f"<div>{network_svg(result, world)}</div>"
        f"{hops_table(result, world)}</div>"
    )


def explanation_html(result: PathResult) -> str:
    return trace_list(result.trace)


def progress_html(text: str) -> str:
    """One line saying what the replay is doing right now."""
    return (
        f'<div style="{FONT}" role="status" aria-live="polite" class="mailsec-op25b-progress">'
        f"⏳ {escape(text)}</div>"
    )


def _session_html(session: Session, world: World) -> str:
    client, server = node_label(session.client, world), node_label(session.server, world)
    where = (
        f" — real SMTP server on 127.0.0.1:{session.loopback_port}"
        if session.loopback_port and session.outcome not in (Decision.DROPPED, Decision.NO_SERVICE)
        else ""
    )
    if not session.replayed:
        where = " — described, not replayed (HTTPS)"
    codes = session.reply_codes
    code_line = (
        f'<div style="font-size:12px">Reply codes: {", ".join(map(str, codes))}</div>'
        if codes
        else ""
    )
    return (
        f'<div style="margin:6px 0"><strong>Leg {session.leg}: {escape(client)} → {escape(server)} '
        f"(port {session.port})</strong>{escape(where)} "
        f"{badge(session.outcome.outcome, session.outcome.label)}"
        f"{code_block(session.text, label=f'Conversation of leg {session.leg}')}{code_line}</div>"
    )


def replay_html(replay: Replay, world: World = STANDARD_WORLD) -> Fragment:
    """The real conversation: every session with its commands and reply codes."""
    parts = [f'<div style="{FONT}" class="mailsec-op25b-replay">']
    if replay.simulated_drop:
        parts.append(
            callout(
                "The connection attempt got no answer and timed out. This is a <strong>simulated "
                "drop</strong>: the lab sends the attempt to a loopback port whose packets are "
                "silently dropped, and gives up after a couple of seconds. A real client behind "
                "OP25B waits longer, then reports a timeout; it never sees an SMTP reply code.",
                outcome=Outcome.FAIL,
                title="Simulated drop",
            )
        )
    parts.extend(_session_html(s, world) for s in replay.sessions)
    agree = replay.agrees_with_model
    parts.append(
        callout(
            escape(
                f"The real servers ended with '{replay.verdict.value}'; the model said "
                f"'{replay.path.verdict.value}'. "
                + ("They agree." if agree else "They disagree: please report this.")
                + f" Replay took {replay.seconds:.2f} s."
            ),
            outcome=Outcome.OK if agree else Outcome.WARN,
            title="Real SMTP on 127.0.0.1",
        )
    )
    if replay.delivered:
        files = "".join(f"<li><code>{escape(p)}</code></li>" for p in replay.delivered)
        parts.append(
            f"<div>Delivered into the recipient's Maildir (chapter 01's servers can serve it):"
            f"<ul>{files}</ul></div>"
        )
    parts.append("</div>")
    return Fragment("".join(parts))


def world_table(world: World = STANDARD_WORLD) -> Fragment:
    """Every host with its network, addresses and services."""
    rows = []
    for host in world.hosts:
        net = world.network_of(host)
        pool = world.in_dynamic_pool(host)
        services = "; ".join(s.kind.description for s in host.services) or "— (a user's machine)"
        rows.append(
            (
                host.id,
                host.label,
                host.hostname,
                f"{host.ipv4} / {host.ipv6}",
                net.name + (" (dynamic pool)" if pool else ""),
                services,
            )
        )
    return Fragment(
        table(
            ("Id", "Host", "Name", "Addresses", "Network", "Services"),
            rows,
            caption="The hosts of the model (documentation addresses, RFC 5737 and RFC 3849)",
        )
    )


def scenarios_table(scenarios: Iterable[Scenario]) -> Fragment:
    rows = [
        (
            s.id,
            s.title,
            f"{s.source} → {s.destination}:{s.port}",
            badge(s.expected.outcome, s.expected.value),
        )
        for s in scenarios
    ]
    return Fragment(
        table(
            ("Id", "Scenario", "Attempt", "Verdict"),
            [(escape(a), escape(b), escape(c), d) for a, b, c, d in rows],
            caption="Prepared scenarios",
            html_cells=True,
        )
    )


def policy_text(policy: Policy) -> str:
    return "; ".join(
        f"{text}: {'on' if getattr(policy, name) else 'off'}"
        for name, text in POLICY_SWITCHES.items()
    )
