"""Draw the SPF chapter: verdicts, the lookup counter, the evaluation tree, header fields, a record's
terms, lint findings and the SPF flow diagram.

Everything is HTML with inline styles (and one inline SVG). Colour never carries meaning alone:
each result is a badge with a symbol and its word, the lookup counter says "7 of 10" in text, and
the diagram has a title and a description that tell the whole flow in words.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from mailsec.i18n import texts
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
from mailsec.spf.record import Mechanism, Modifier, SpfSyntaxError, parse_record
from mailsec.spf.result import SpfCheck, SpfResult
from mailsec.spf.scenarios import BlindSpotOutcome, SpoofRow, receiver_action
from mailsec.trace import Outcome

__all__ = [
    "TEXT",
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


TEXT = texts(
    {
        "token": "{token}",
        "pair_helo": "HELO",
        "kind_result": "{kind} → {result}",
        "helo_identity": "HELO identity: postmaster@{helo} (null sender)",
        "mail_from": "MAIL FROM: {sender}",
        "result": "SPF result: {badge} {meaning}",
        "checked": "Checked {who} · client {ip} · policy of {domain}",
        "checked_by": "Checked {who} · client {ip} · policy of {domain} · decided by {mechanism}",
        "explanation": "The domain's explanation (exp=)",
        "why": "Why",
        "problem": "{problem}.",
        "lookups": "{count} of {limit} DNS lookups",
        "over": "{count} of {limit} DNS lookups — over the limit: permerror (RFC 7208 §4.6.4)",
        "close": "{count} of {limit} DNS lookups — close to the limit",
        "voids": " · {count} of {limit} void lookups",
        "trace": "How the receiver decided (each step with its RFC section)",
        "headers": "Header fields added by the receiver",
        "headers_label": "Received-SPF and Authentication-Results header fields",
        "meaning": {
            "all": "matches every client",
            "include": "matches if {arg}'s own SPF policy gives pass",
            "a": "matches the addresses (A/AAAA) of {arg}",
            "mx": "matches the addresses of {arg}'s mail servers (MX)",
            "ptr": "matches if the client's reverse-DNS name ends in {arg} (discouraged)",
            "ip4": "matches IPv4 clients in {arg}",
            "ip6": "matches IPv6 clients in {arg}",
            "exists": "matches if the name {arg} has an A record",
        },
        "redirect": "if nothing matched, use {target}'s policy instead",
        "exp": "on fail, the explanation text is in the TXT record of {target}",
        "unknown_modifier": "an unknown modifier: ignored (RFC 7208 §6)",
        "modifier": "modifier",
        "yes": "yes",
        "no": "no",
        "this_domain": "this domain",
        "prefix": "{meaning} (prefix /{cidr4}, //{cidr6})",
        "syntax_where": "where the error is",
        "syntax_title": "This record has a syntax error: any check gives permerror",
        "no_terms": "The record has no terms: every check gives neutral (RFC 7208 §4.7).",
        "terms_headers": ("#", "term", "kind → result on match", "meaning", "DNS lookup?"),
        "terms_caption": "The record, term by term (evaluated left to right)",
        "no_problems": "No problems found.",
        "lint": "Lint",
        "lint_headers": ("severity", "finding", "rule"),
        "lint_caption": "Lint findings",
        "spoof_headers": (
            "sender",
            "client IP",
            "SPF result",
            "what the receiving server typically does",
        ),
        "spoof_caption": "Both send MAIL FROM:<security@bank.example>; bank.example's policy: "
        "{policy}",
        "pair_client": "client IP (who connects)",
        "pair_mail_from": "MAIL FROM (envelope: SPF checks this)",
        "pair_header_from": "From: header (what the reader sees)",
        "pair_domain": "domain SPF checked",
        "pair_from_domain": "From: domain",
        "same": "SPF result: {badge} for {domain} — the From: header names the same domain.",
        "different": "SPF result: {badge} for {domain} — the From: header names a DIFFERENT "
        "domain: SPF said nothing about the From: the reader sees.",
        "envelope_caption": "Envelope and header",
        "shows": "What this shows",
        "flow_desc": "1. The sending server (IP 192.0.2.10) connects to the receiving server and "
        "says HELO mail.example.com and MAIL FROM:<alice@example.com>. 2. The receiving server "
        "asks DNS for the TXT record of example.com, the domain in MAIL FROM. 3. DNS answers "
        "with the SPF record the domain's administrator published, v=spf1 mx "
        "include:_spf.mailhost.example -all. 4. The receiver checks whether 192.0.2.10 is on "
        "that list and records the result (pass, fail, softfail, neutral, none, permerror or "
        "temperror) in a Received-SPF header.",
        "flow_title": "How an SPF check works",
        "box_sending": "Sending server",
        "box_receiving": "Receiving server",
        "box_checks": "checks SPF",
        "box_dns": "DNS of example.com",
        "box_txt": "TXT record:",
        "box_verdict": "Verdict",
        "box_header": "→ Received-SPF header",
        "arrow_helo": "1. HELO, MAIL FROM",
        "arrow_txt": "2. TXT example.com?",
        "arrow_record": "3. the SPF record",
        "arrow_decide": "4. decide",
        "results_headers": ("result", "meaning", "typical receiver action", "rule"),
        "results_caption": "The seven SPF results",
    }
)
"""The chapter's words, in the current language (see :mod:`mailsec.i18n`)."""


def result_badge(result: SpfResult) -> Fragment:
    """``✓ pass``, ``✗ fail``, ``! softfail`` ... (symbol and word, never colour alone)."""
    return Fragment(badge(result.outcome, TEXT["token"].format(token=result.value)))


def _sentence(text: str) -> str:
    """A translated sentence for an HTML text node: ``&``, ``<`` and ``>`` escaped, quotes kept
    (so the English stays as it always was), placeholders left for ``.format``."""
    return html.escape(text, quote=False)


def verdict_html(check: SpfCheck) -> Fragment:
    """The result, what it means, which identity was checked, and the explanation or problem."""
    who = (
        _sentence(TEXT["helo_identity"]).format(helo=escape(check.helo))
        if check.identity == "helo"
        else _sentence(TEXT["mail_from"]).format(sender=escape(check.sender))
    )
    checked = _sentence(TEXT["checked_by" if check.mechanism else "checked"]).format(
        who=who,
        ip=escape(check.client_ip),
        domain=f"<strong>{escape(check.domain or '—')}</strong>",
        mechanism=f"<code>{escape(check.mechanism)}</code>",
    )
    lines = [
        f'<div class="mailsec-spf-verdict" data-result="{check.result.value}" '
        f'style="{FONT}font-size:16px;margin:4px 0" aria-live="polite">'
        + _sentence(TEXT["result"]).format(
            badge=result_badge(check.result),
            meaning=f'<span style="color:#333">{escape(check.result.meaning)}</span>',
        )
        + "</div>",
        f'<div style="{FONT}color:#333">{checked}</div>',
    ]
    if check.explanation:
        lines.append(
            callout(
                escape(TEXT["token"].format(token=check.explanation)),
                outcome=Outcome.FAIL,
                title=TEXT["explanation"],
            )
        )
    if check.problem and check.result is not SpfResult.NONE:
        lines.append(
            callout(escape(check.problem), outcome=check.result.outcome, title=TEXT["why"])
        )
    elif check.problem:
        problem = escape(TEXT["problem"].format(problem=check.problem))
        lines.append(f'<div style="{FONT}color:#333">{problem}</div>')
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
    key = "over" if over else "close" if lookups >= limit - 1 else "lookups"
    words = TEXT[key].format(count=lookups, limit=limit)
    void = ""
    if voids is not None:
        void = TEXT["voids"].format(count=voids, limit=MAX_VOID_LOOKUPS)
    return Fragment(
        f'<div style="{FONT}margin:4px 0" role="img" aria-label="{escape(words + void)}">'
        f'{"".join(cells)} <span style="margin-left:6px">{escape(words)}{escape(void)}</span></div>'
    )


def trace_html(check: SpfCheck) -> Fragment:
    """The evaluation as a tree: includes and redirects nest one level deeper."""
    return Fragment(trace_list(check.trace, title=TEXT["trace"]))


def headers_html(check: SpfCheck) -> Fragment:
    """The header fields the receiving server adds."""
    text = received_spf(check) + "\n" + authentication_results(check)
    return Fragment(
        f'<div style="{FONT}font-weight:600;margin-top:6px">{escape(TEXT["headers"])}</div>'
        + code_block(text, label=TEXT["headers_label"])
    )


def check_html(check: SpfCheck) -> Fragment:
    """Verdict, lookup counter and header fields together."""
    return Fragment(
        verdict_html(check)
        + lookup_meter(check.lookups, voids=check.void_lookups)
        + headers_html(check)
    )


def _term_row(term: Mechanism | Modifier, index: int) -> tuple[str, str, str, str, str]:
    if isinstance(term, Modifier):
        if term.name == "redirect":
            meaning = TEXT["redirect"].format(target=term.value.source)
        elif term.name == "exp":
            meaning = TEXT["exp"].format(target=term.value.source)
        else:
            meaning = TEXT["unknown_modifier"]
        return (
            str(index),
            TEXT["token"].format(token=term.text),
            TEXT["modifier"],
            meaning,
            TEXT["yes" if term.name == "redirect" else "no"],
        )
    if term.network is not None:
        arg = str(term.network)
    elif term.domain_spec is not None:
        arg = term.domain_spec.source
    else:
        arg = TEXT["this_domain"]
    meaning = TEXT["meaning"][term.kind.value].format(arg=arg)
    if term.cidr4 is not None or term.cidr6 is not None:
        meaning = TEXT["prefix"].format(
            meaning=meaning,
            cidr4=term.cidr4 if term.cidr4 is not None else 32,
            cidr6=term.cidr6 if term.cidr6 is not None else 128,
        )
    result = term.qualifier.result_name
    return (
        str(index),
        TEXT["token"].format(token=term.text),
        TEXT["kind_result"].format(kind=term.kind.value, result=result),
        meaning,
        TEXT["yes" if term.causes_lookup else "no"],
    )


def record_table(record: str) -> Fragment:
    """A record's terms, one per row, with what each means and whether it costs a DNS lookup."""
    try:
        parsed = parse_record(record)
    except SpfSyntaxError as exc:
        return Fragment(
            callout(
                escape(exc.message) + code_block(exc.pointer(), label=TEXT["syntax_where"]),
                outcome=Outcome.FAIL,
                title=TEXT["syntax_title"],
            )
        )
    rows = [_term_row(t, i) for i, t in enumerate(parsed.terms, start=1)]
    if not rows:
        return Fragment(f'<div style="{FONT}">{escape(TEXT["no_terms"])}</div>')
    return Fragment(table(TEXT["terms_headers"], rows, caption=TEXT["terms_caption"]))


def lint_html(report: LintReport) -> Fragment:
    """Lint findings as a table with severity words."""
    head = lookup_meter(report.lookups, limit=report.limit)
    if not report.findings:
        return Fragment(
            head + callout(escape(TEXT["no_problems"]), outcome=Outcome.OK, title=TEXT["lint"])
        )
    rows = [
        (badge(f.severity.outcome, f.severity.label), escape(f.message), escape(f.section or ""))
        for f in report.findings
    ]
    return Fragment(
        head + table(TEXT["lint_headers"], rows, caption=TEXT["lint_caption"], html_cells=True)
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
            TEXT["spoof_headers"],
            body,
            caption=TEXT["spoof_caption"].format(policy=policy),
            html_cells=True,
        )
    )


def blind_spot_html(outcome: BlindSpotOutcome) -> Fragment:
    """Envelope vs header for one situation, the SPF result and the lesson."""
    s = outcome.situation
    check = outcome.check
    pairs = [
        (TEXT["pair_client"], s.client_ip),
        (TEXT["pair_helo"], s.helo),
        (TEXT["pair_mail_from"], TEXT["token"].format(token=s.mail_from)),
        (TEXT["pair_header_from"], TEXT["token"].format(token=s.header_from)),
        (TEXT["pair_domain"], check.domain),
        (TEXT["pair_from_domain"], outcome.header_from_domain),
    ]
    names = _sentence(TEXT["same" if outcome.aligned else "different"]).format(
        badge=result_badge(check.result), domain=f"<strong>{escape(check.domain)}</strong>"
    )
    return Fragment(
        f'<div style="{FONT}">{escape(s.story)}</div>'
        + kv_table(pairs, caption=TEXT["envelope_caption"])
        + f'<div style="{FONT}margin:4px 0">{names}</div>'
        + callout(
            escape(s.lesson),
            outcome=Outcome.WARN
            if not outcome.aligned or check.result is not SpfResult.PASS
            else Outcome.OK,
            title=TEXT["shows"],
        )
    )


def flow_svg() -> Fragment:
    """How SPF works: the sender's server connects, the receiver asks DNS, then decides."""
    desc = TEXT["flow_desc"]
    boxes = [
        (10, 60, TEXT["box_sending"], "192.0.2.10", "mail.example.com"),
        (370, 60, TEXT["box_receiving"], TEXT["box_checks"], "mx.alice.example"),
        (370, 230, TEXT["box_dns"], TEXT["box_txt"], "v=spf1 mx include:… -all"),
        (690, 60, TEXT["box_verdict"], "pass / fail / softfail …", TEXT["box_header"]),
    ]
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 920 330" width="100%" '
        'style="max-width:920px" role="img" aria-labelledby="spf-flow-title spf-flow-desc">',
        f'<title id="spf-flow-title">{escape(TEXT["flow_title"])}</title>',
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
        (230, 98, 370, 98, TEXT["arrow_helo"], 300, 88),
        (460, 136, 460, 230, TEXT["arrow_txt"], 468, 180),
        (540, 230, 540, 136, TEXT["arrow_record"], 548, 200),
        (590, 98, 690, 98, TEXT["arrow_decide"], 640, 88),
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
            TEXT["results_headers"],
            rows,
            caption=TEXT["results_caption"],
            html_cells=True,
        )
    )
