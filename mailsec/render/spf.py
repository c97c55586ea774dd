"""Draw the SPF chapter: verdicts, the lookup counter, the evaluation tree, header fields, a record's
terms, lint findings and the SPF flow diagram.

Everything is HTML with inline styles (and one inline SVG). Colour never carries meaning alone:
each result is a badge with a symbol and its word, the lookup counter says "7 of 10" in text, and
the diagram has a title and a description that tell the whole flow in words.
"""

from __future__ import annotations

from collections.abc import Iterable

from mailsec.render.html import (
    FONT,
    MONO,
    OUTCOME_COLOURS,
    Fragment,
    badge,
    callout,
    code_block,
    escape,
    kv_table,
    table,
    trace_list,
)
from mailsec.spf.evaluate import MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS
from mailsec.spf.headers import authentication_results, received_spf
from mailsec.spf.lint import LintReport
from mailsec.spf.record import Mechanism, MechanismKind, Modifier, SpfSyntaxError, parse_record
from mailsec.spf.result import SpfCheck, SpfResult
from mailsec.spf.scenarios import BlindSpotOutcome, SpoofRow, receiver_action
from mailsec.trace import Outcome

__all__ = [
    "blind_spot_html",
    "check_html",
    "flow_svg",
    "headers_html",
    "lint_html",
    "lookup_meter",
    "record_table",
    "results_table",
    "spoofing_html",
    "trace_html",
    "verdict_html",
]


def result_badge(result: SpfResult) -> Fragment:
    """``✓ pass``, ``✗ fail``, ``! softfail`` ... (symbol and word, never colour alone)."""
    return Fragment(badge(result.outcome, result.value))


def verdict_html(check: SpfCheck) -> Fragment:
    """The result, what it means, which identity was checked, and the explanation or problem."""
    who = (
        f"HELO identity: postmaster@{escape(check.helo)} (null sender)"
        if check.identity == "helo"
        else f"MAIL FROM: {escape(check.sender)}"
    )
    lines = [
        f'<div class="mailsec-spf-verdict" data-result="{check.result.value}" '
        f'style="{FONT}font-size:16px;margin:4px 0" aria-live="polite">'
        f"SPF result: {result_badge(check.result)} "
        f'<span style="color:#333">{escape(check.result.meaning)}</span></div>',
        f'<div style="{FONT}color:#333">Checked {who} · client {escape(check.client_ip)} · '
        f"policy of <strong>{escape(check.domain or '—')}</strong>"
        + (f" · decided by <code>{escape(check.mechanism)}</code>" if check.mechanism else "")
        + "</div>",
    ]
    if check.explanation:
        lines.append(
            callout(
                escape(check.explanation),
                outcome=Outcome.FAIL,
                title="The domain's explanation (exp=)",
            )
        )
    if check.problem and check.result is not SpfResult.NONE:
        lines.append(callout(escape(check.problem), outcome=check.result.outcome, title="Why"))
    elif check.problem:
        lines.append(f'<div style="{FONT}color:#333">{escape(check.problem)}.</div>')
    return Fragment("".join(lines))


def lookup_meter(
    lookups: int, *, limit: int = MAX_DNS_LOOKUPS, voids: int | None = None
) -> Fragment:
    """The DNS-lookup counter as ten boxes and words: ``7 of 10 DNS lookups``."""
    over = lookups > limit
    cells = []
    for i in range(1, max(limit, lookups) + 1):
        if i <= min(lookups, limit):
            bg, fg = OUTCOME_COLOURS[Outcome.WARN if lookups >= limit - 1 else Outcome.OK]
            mark = "■"
        elif i <= lookups:
            bg, fg = OUTCOME_COLOURS[Outcome.FAIL]
            mark = "✗"
        else:
            bg, fg = "#ffffff", "#9aa5b1"
            mark = "□"
        cells.append(
            f'<span style="display:inline-block;width:18px;height:18px;line-height:18px;'
            f"text-align:center;margin-right:2px;border:1px solid {fg};background:{bg};"
            f'color:{fg};font-size:11px">{mark}</span>'
        )
    words = f"{lookups} of {limit} DNS lookups"
    if over:
        words += " — over the limit: permerror (RFC 7208 §4.6.4)"
    elif lookups >= limit - 1:
        words += " — close to the limit"
    void = ""
    if voids is not None:
        void = f" · {voids} of {MAX_VOID_LOOKUPS} void lookups"
    return Fragment(
        f'<div style="{FONT}margin:4px 0" role="img" aria-label="{escape(words + void)}">'
        f'{"".join(cells)} <span style="margin-left:6px">{escape(words)}{escape(void)}</span></div>'
    )


def trace_html(check: SpfCheck) -> Fragment:
    """The evaluation as a tree: includes and redirects nest one level deeper."""
    return Fragment(
        trace_list(check.trace, title="How the receiver decided (each step with its RFC section)")
    )


def headers_html(check: SpfCheck) -> Fragment:
    """The header fields the receiving server adds."""
    text = received_spf(check) + "\n" + authentication_results(check)
    return Fragment(
        f'<div style="{FONT}font-weight:600;margin-top:6px">Header fields added by the receiver</div>'
        + code_block(text, label="Received-SPF and Authentication-Results header fields")
    )


def check_html(check: SpfCheck) -> Fragment:
    """Verdict, lookup counter and header fields together."""
    return Fragment(
        verdict_html(check)
        + lookup_meter(check.lookups, voids=check.void_lookups)
        + headers_html(check)
    )


_MEANING = {
    MechanismKind.ALL: "matches every client",
    MechanismKind.INCLUDE: "matches if {arg}'s own SPF policy gives pass",
    MechanismKind.A: "matches the addresses (A/AAAA) of {arg}",
    MechanismKind.MX: "matches the addresses of {arg}'s mail servers (MX)",
    MechanismKind.PTR: "matches if the client's reverse-DNS name ends in {arg} (discouraged)",
    MechanismKind.IP4: "matches IPv4 clients in {arg}",
    MechanismKind.IP6: "matches IPv6 clients in {arg}",
    MechanismKind.EXISTS: "matches if the name {arg} has an A record",
}


def _term_row(term: Mechanism | Modifier, index: int) -> tuple[str, str, str, str, str]:
    if isinstance(term, Modifier):
        if term.name == "redirect":
            meaning = f"if nothing matched, use {term.value.source}'s policy instead"
        elif term.name == "exp":
            meaning = f"on fail, the explanation text is in the TXT record of {term.value.source}"
        else:
            meaning = "an unknown modifier: ignored (RFC 7208 §6)"
        return (
            str(index),
            term.text,
            "modifier",
            meaning,
            "yes" if term.name == "redirect" else "no",
        )
    if term.network is not None:
        arg = str(term.network)
    elif term.domain_spec is not None:
        arg = term.domain_spec.source
    else:
        arg = "this domain"
    meaning = _MEANING[term.kind].format(arg=arg)
    if term.cidr4 is not None or term.cidr6 is not None:
        meaning += f" (prefix /{term.cidr4 if term.cidr4 is not None else 32}, //{term.cidr6 if term.cidr6 is not None else 128})"
    result = term.qualifier.result_name
    return (
        str(index),
        term.text,
        f"{term.kind.value} → {result}",
        meaning,
        "yes" if term.causes_lookup else "no",
    )


def record_table(record: str) -> Fragment:
    """A record's terms, one per row, with what each means and whether it costs a DNS lookup."""
    try:
        parsed = parse_record(record)
    except SpfSyntaxError as exc:
        return Fragment(
            callout(
                escape(exc.message) + code_block(exc.pointer(), label="where the error is"),
                outcome=Outcome.FAIL,
                title="This record has a syntax error: any check gives permerror",
            )
        )
    rows = [_term_row(t, i) for i, t in enumerate(parsed.terms, start=1)]
    if not rows:
        return Fragment(
            f'<div style="{FONT}">The record has no terms: every check gives neutral (RFC 7208 §4.7).</div>'
        )
    return Fragment(
        table(
            ("#", "term", "kind → result on match", "meaning", "DNS lookup?"),
            rows,
            caption="The record, term by term (evaluated left to right)",
        )
    )


def lint_html(report: LintReport) -> Fragment:
    """Lint findings as a table with severity words."""
    head = lookup_meter(report.lookups, limit=report.limit)
    if not report.findings:
        return Fragment(head + callout("No problems found.", outcome=Outcome.OK, title="Lint"))
    rows = [
        (badge(f.severity.outcome, f.severity.value), escape(f.message), escape(f.section or ""))
        for f in report.findings
    ]
    return Fragment(
        head
        + table(("severity", "finding", "rule"), rows, caption="Lint findings", html_cells=True)
    )


def spoofing_html(policy: str, rows: Iterable[SpoofRow]) -> Fragment:
    """The spoofing lab's comparison: who sends, the result, what the receiver does."""
    body = [
        (
            escape(r.who),
            f'<code style="{MONO}">{escape(r.client_ip)}</code>',
            result_badge(r.check.result),
            escape(r.action),
        )
        for r in rows
    ]
    return Fragment(
        table(
            ("sender", "client IP", "SPF result", "what the receiving server typically does"),
            body,
            caption=f"Both send MAIL FROM:<security@bank.example>; bank.example's policy: {policy}",
            html_cells=True,
        )
    )


def blind_spot_html(outcome: BlindSpotOutcome) -> Fragment:
    """Envelope vs header for one situation, the SPF result and the lesson."""
    s = outcome.situation
    check = outcome.check
    pairs = [
        ("client IP (who connects)", s.client_ip),
        ("HELO", s.helo),
        ("MAIL FROM (envelope: SPF checks this)", s.mail_from),
        ("From: header (what the reader sees)", s.header_from),
        ("domain SPF checked", check.domain),
        ("From: domain", outcome.header_from_domain),
    ]
    same = (
        "the same domain"
        if outcome.aligned
        else "a DIFFERENT domain: SPF said nothing about the From: the reader sees"
    )
    return Fragment(
        f'<div style="{FONT}">{escape(s.story)}</div>'
        + kv_table(pairs, caption="Envelope and header")
        + f'<div style="{FONT}margin:4px 0">SPF result: {result_badge(check.result)} for '
        f"<strong>{escape(check.domain)}</strong> — the From: header names {escape(same)}.</div>"
        + callout(
            escape(s.lesson),
            outcome=Outcome.WARN
            if not outcome.aligned or check.result is not SpfResult.PASS
            else Outcome.OK,
            title="What this shows",
        )
    )


def flow_svg() -> Fragment:
    """How SPF works: the sender's server connects, the receiver asks DNS, then decides."""
    desc = (
        "1. The sending server (IP 192.0.2.10) connects to the receiving server and says "
        "HELO mail.example.com and MAIL FROM:<alice@example.com>. "
        "2. The receiving server asks DNS for the TXT record of example.com, the domain in MAIL FROM. "
        "3. DNS answers with the SPF record the domain's administrator published, "
        "v=spf1 mx include:_spf.mailhost.example -all. "
        "4. The receiver checks whether 192.0.2.10 is on that list and records the result "
        "(pass, fail, softfail, neutral, none, permerror or temperror) in a Received-SPF header."
    )
    boxes = [
        (10, 60, "Sending server", "192.0.2.10", "mail.example.com"),
        (370, 60, "Receiving server", "checks SPF", "mx.alice.example"),
        (370, 230, "DNS of example.com", "TXT record:", "v=spf1 mx include:… -all"),
        (690, 60, "Verdict", "pass / fail / softfail …", "→ Received-SPF header"),
    ]
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 920 330" width="100%" '
        'style="max-width:920px" role="img" aria-labelledby="spf-flow-title spf-flow-desc">',
        '<title id="spf-flow-title">How an SPF check works</title>',
        f'<desc id="spf-flow-desc">{escape(desc)}</desc>',
        '<defs><marker id="spf-arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" '
        'orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#1f2d3d"/></marker></defs>',
    ]
    for x, y, title, line1, line2 in boxes:
        parts.append(
            f'<rect x="{x}" y="{y}" width="220" height="76" rx="8" fill="#eef2f7" stroke="#1f2d3d"/>'
            f'<text x="{x + 110}" y="{y + 24}" text-anchor="middle" font-family="sans-serif" '
            f'font-size="15" font-weight="bold" fill="#1f2d3d">{escape(title)}</text>'
            f'<text x="{x + 110}" y="{y + 45}" text-anchor="middle" font-family="monospace" '
            f'font-size="12" fill="#1f2d3d">{escape(line1)}</text>'
            f'<text x="{x + 110}" y="{y + 63}" text-anchor="middle" font-family="monospace" '
            f'font-size="12" fill="#1f2d3d">{escape(line2)}</text>'
        )
    arrows = [
        (230, 98, 370, 98, "1. HELO, MAIL FROM", 300, 88),
        (460, 136, 460, 230, "2. TXT example.com?", 468, 180),
        (540, 230, 540, 136, "3. the SPF record", 548, 200),
        (590, 98, 690, 98, "4. decide", 640, 88),
    ]
    for x1, y1, x2, y2, label, lx, ly in arrows:
        parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#1f2d3d" stroke-width="2" '
            f'marker-end="url(#spf-arrow)"/>'
            f'<text x="{lx}" y="{ly}" text-anchor="{"middle" if y1 == y2 else "start"}" '
            f'font-family="sans-serif" font-size="12" fill="#1f2d3d">{escape(label)}</text>'
        )
    parts.append("</svg>")
    caption = f'<p style="{FONT}color:#333;margin:2px 0 8px"><em>{escape(desc)}</em></p>'
    return Fragment(
        f'<figure style="margin:6px 0">{"".join(parts)}<figcaption>{caption}</figcaption></figure>'
    )


def results_table() -> Fragment:
    """The seven SPF results: meaning, what a receiver typically does, and the RFC section."""
    rows = [
        (result_badge(r), escape(r.meaning), escape(receiver_action(r)), escape(r.section))
        for r in SpfResult
    ]
    return Fragment(
        table(
            ("result", "meaning", "typical receiver action", "rule"),
            rows,
            caption="The seven SPF results",
            html_cells=True,
        )
    )
