"""Chapter 07's report viewer: DMARC aggregate reports as a table, a chart and a reading.

Every function takes data of :mod:`mailsec.dmarc` (reports, their per-source summaries from
:func:`~mailsec.dmarc.summarize`, the notes of :func:`~mailsec.dmarc.traffic.assess`) and returns
a :class:`~mailsec.render.html.Fragment`.

The chart draws one stacked bar per source IP address: DMARC passes first, then failures. Meaning
is never in colour alone: the passes are solid and dark, the failures light and hatched, every
segment wide enough carries its number, every bar ends with "N pass · M fail" in words, the legend
names both, and the SVG's title and ``aria-label`` state every number.

Reports are hostile input (anyone can send one): every text taken from them is escaped, and
tables and charts show at most :data:`MAX_ROWS` and :data:`MAX_BARS` sources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from mailsec.dmarc.reports import AggregateReport, SourceSummary
from mailsec.dmarc.traffic import SourceNote, Verdict
from mailsec.i18n import ngettext, texts
from mailsec.render.html import FONT, Fragment, callout, escape, table
from mailsec.render.svg import text_width
from mailsec.trace import Outcome

__all__ = [
    "MAX_BARS",
    "MAX_ROWS",
    "findings_html",
    "report_headers_html",
    "sources_chart",
    "sources_table",
]

#: The most sources drawn in the chart and listed in the table (the most messages first).
MAX_BARS = 20
MAX_ROWS = 200

TEXT = texts(
    {
        "headers_caption": "Reports read",
        "header_line": "{org} — report {report_id} for {domain}, {begin} to {end} (UTC), "
        "{messages}, policy p={policy}",
        "table_caption": "DMARC results per sending IP address",
        "columns": (
            "Source IP",
            "Messages",
            "DMARC pass",
            "DMARC fail",
            "SPF aligned pass",
            "DKIM aligned pass",
            "Delivered",
            "Quarantined",
            "Rejected",
            "From: domains",
        ),
        "more_rows": "… and {count} more sources with fewer messages.",
        "chart_title": "DMARC pass and fail per sending IP address",
        "chart_summary": "DMARC results per sending IP address: {items}.",
        "chart_item": "{ip}: {passed} pass, {failed} fail",
        "chart_more": " {count} more sources are in the table.",
        "bar_label": "{passed} pass · {failed} fail",
        # The DMARC results in the legend, shown as they are written, in every language.
        "legend_pass": "{token}",
        "legend_fail": "{token}",
        "no_sources": "The reports list no messages.",
        "findings_title": "What this tells {domain}",
        "all_pass": "All {total} sources pass DMARC.",
        "some_fail": "{failing} of {total} sources fail DMARC: {sources}.",
        "source_count": "{ip} ({messages})",
        "aligned": "{ip} ({messages}) passes with SPF and DKIM both aligned: a server "
        "{domain} authorised.",
        "dkim_only": "{ip} ({messages}) passes by DKIM alone; SPF: {spf}. Mail forwarded "
        "on the way looks like this: the forwarder is not in {domain}'s SPF record, but the "
        "signature survived.",
        "spf_only": "{ip} ({messages}) passes by SPF alone: it does not sign as {domain}. "
        "Once such mail is forwarded it fails; let this server sign with DKIM.",
        "partly": "{ip} ({messages}): {failed} fail DMARC, {passed} pass. Something "
        "changes some of its messages (a mailing list, a footer), or only some are signed.",
        "failing": "{ip} ({messages}) never passes: {signed}; SPF: {spf}.",
        "signed_by": "DKIM passed only for {signers}, not aligned with {domain}",
        "unsigned": "no DKIM signature passed",
        "spf_none": "not reported",
        "spf_item": "{result} for {domain}",
        "failing_advice": "A source that never passes is either a server that sends for {domain} "
        "and was never authorised (add it to the SPF record, or let it sign as {domain}), or "
        "someone sending mail in {domain}'s name. The reports cannot tell which: the owner can.",
        "policy_none": "The policy is p=none: nothing was blocked; receivers only reported. The "
        "failing sources above are what p=quarantine or p=reject would stop.",
        "policy_enforced": "The policy is p={policy}: receivers rejected {rejected} and "
        "quarantined {quarantined} of {messages}.",
        "more_notes": "… and {count} more sources; see the table.",
    }
)

#: Fill and ink of the two segments, and the hatching of failures (WCAG AA contrast for text).
PASS_FILL, PASS_INK = "#166534", "#ffffff"
FAIL_FILL, FAIL_INK, FAIL_LINE = "#fde4e4", "#7f1d1d", "#b91c1c"

#: The chart's geometry (pixels).
WIDTH = 680
ROW = 28
BAR = 18
FONT_SIZE = 12
TOP = 58
MAX_NOTES = 8


def _messages(count: int) -> str:
    return ngettext("{count} message", "{count} messages", count).format(count=f"{count:,}")


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def report_headers_html(reports: Sequence[AggregateReport]) -> Fragment:
    """One line per report: who sent it, its id, the domain, the period and the policy."""
    items = "".join(
        "<li>"
        + escape(
            TEXT["header_line"].format(
                org=report.org_name,
                report_id=report.report_id,
                domain=report.policy_published.domain,
                begin=_day(report.begin),
                end=_day(report.end),
                messages=_messages(report.messages),
                policy=report.policy_published.policy,
            )
        )
        + "</li>"
        for report in reports
    )
    return Fragment(
        f'<div class="mailsec-dmarc-headers" style="{FONT}">'
        f"<strong>{escape(TEXT['headers_caption'])}</strong>"
        f'<ul style="margin:2px 0 6px;padding-left:20px">{items}</ul></div>'
    )


def sources_table(summaries: Sequence[SourceSummary]) -> Fragment:
    """The per-source totals as a table, at most :data:`MAX_ROWS` rows."""
    rows = [
        (
            s.source_ip,
            s.messages,
            s.dmarc_pass,
            s.dmarc_fail,
            s.spf_aligned,
            s.dkim_aligned,
            s.delivered,
            s.quarantined,
            s.rejected,
            ", ".join(s.header_from),
        )
        for s in summaries[:MAX_ROWS]
    ]
    more = ""
    if len(summaries) > MAX_ROWS:
        more = f"<p>{escape(TEXT['more_rows'].format(count=len(summaries) - MAX_ROWS))}</p>"
    return Fragment(
        '<div class="mailsec-dmarc-table">'
        + table(TEXT["columns"], rows, caption=TEXT["table_caption"])
        + more
        + "</div>"
    )


def _chart_summary(summaries: Sequence[SourceSummary]) -> str:
    """The chart's text alternative: every drawn source with its pass and fail counts."""
    shown = summaries[:MAX_BARS]
    items = "; ".join(
        TEXT["chart_item"].format(ip=s.source_ip, passed=s.dmarc_pass, failed=s.dmarc_fail)
        for s in shown
    )
    text = TEXT["chart_summary"].format(items=items)
    if len(summaries) > MAX_BARS:
        text += TEXT["chart_more"].format(count=len(summaries) - MAX_BARS)
    return text


def sources_chart(summaries: Sequence[SourceSummary]) -> Fragment:
    """A stacked bar per source IP address, DMARC pass then fail (see the module docstring)."""
    shown = summaries[:MAX_BARS]
    if not shown:
        return Fragment(f'<p style="{FONT}">{escape(TEXT["no_sources"])}</p>')
    summary = _chart_summary(summaries)
    pattern = "dmarc-fail-" + hashlib.sha256(summary.encode()).hexdigest()[:10]
    label_x = 8
    bar_x = label_x + max(text_width(s.source_ip, FONT_SIZE) for s in shown) + 10
    end_width = max(
        text_width(TEXT["bar_label"].format(passed=s.dmarc_pass, failed=s.dmarc_fail), FONT_SIZE)
        for s in shown
    )
    bar_max = max(WIDTH - bar_x - end_width - 16, 80)
    width = int(bar_x + bar_max + end_width + 16)
    most = max(s.messages for s in shown) or 1
    height = TOP + ROW * len(shown) + 8
    parts = [_legend(label_x, pattern)]
    for index, source in enumerate(shown):
        y = TOP + index * ROW
        parts.append(_bar(source, y, bar_x, bar_max * source.messages / most, pattern))
    title = TEXT["chart_title"]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(summary)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="{FONT}max-width:100%;height:auto"><title>{escape(summary)}</title>'
        f'<defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{FAIL_FILL}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{FAIL_LINE}" stroke-width="1.4" '
        f'stroke-opacity="0.45"/></pattern></defs>'
        f'<text x="{label_x}" y="18" font-size="14" font-weight="600" fill="#111827">'
        f"{escape(title)}</text>{''.join(parts)}</svg>"
    )
    return Fragment(
        f'<figure class="mailsec-dmarc-chart" style="margin:6px 0">{svg}'
        f'<figcaption style="{FONT}color:#374151;max-width:{WIDTH}px">{escape(summary)}'
        "</figcaption></figure>"
    )


def _legend(x: float, pattern: str) -> str:
    y = 30
    after_pass = x + 20 + text_width(TEXT["legend_pass"].format(token="pass"), FONT_SIZE) + 18
    return (
        f'<rect x="{x}" y="{y}" width="14" height="14" fill="{PASS_FILL}"/>'
        f'<text x="{x + 20}" y="{y + 12}" font-size="{FONT_SIZE}" fill="#111827">'
        f"{escape(TEXT['legend_pass'].format(token='pass'))}</text>"
        f'<rect x="{after_pass:.1f}" y="{y}" width="14" height="14" fill="url(#{pattern})" '
        f'stroke="{FAIL_INK}"/>'
        f'<text x="{after_pass + 20:.1f}" y="{y + 12}" font-size="{FONT_SIZE}" fill="#111827">'
        f"{escape(TEXT['legend_fail'].format(token='fail'))}</text>"
    )


def _bar(source: SourceSummary, y: float, x: float, length: float, pattern: str) -> str:
    """One source's row: its address, the two segments with their numbers, the words."""
    total = source.messages or 1
    pass_width = length * source.dmarc_pass / total
    fail_width = length - pass_width
    text_y = y + BAR / 2 + FONT_SIZE * 0.35
    out = [
        f'<text x="{x - 10:.1f}" y="{text_y:.1f}" font-size="{FONT_SIZE}" text-anchor="end" '
        f'fill="#111827">{escape(source.source_ip)}</text>'
    ]
    if pass_width > 0:
        out.append(
            f'<rect x="{x:.1f}" y="{y}" width="{pass_width:.1f}" height="{BAR}" fill="{PASS_FILL}"/>'
        )
        out.append(_number(source.dmarc_pass, x, pass_width, text_y, PASS_INK))
    if fail_width > 0:
        out.append(
            f'<rect x="{x + pass_width:.1f}" y="{y}" width="{fail_width:.1f}" height="{BAR}" '
            f'fill="url(#{pattern})" stroke="{FAIL_INK}" stroke-width="1"/>'
        )
        out.append(_number(source.dmarc_fail, x + pass_width, fail_width, text_y, FAIL_INK))
    words = TEXT["bar_label"].format(passed=source.dmarc_pass, failed=source.dmarc_fail)
    out.append(
        f'<text x="{x + length + 8:.1f}" y="{text_y:.1f}" font-size="{FONT_SIZE}" '
        f'fill="#111827">{escape(words)}</text>'
    )
    return "".join(out)


def _number(count: int, x: float, width: float, y: float, ink: str) -> str:
    """``count`` centred on its segment, when it fits there (the words after the bar say it
    anyway)."""
    text = str(count)
    if text_width(text, FONT_SIZE, bold=True) + 6 > width:
        return ""
    return (
        f'<text x="{x + width / 2:.1f}" y="{y:.1f}" font-size="{FONT_SIZE}" font-weight="600" '
        f'text-anchor="middle" fill="{ink}">{text}</text>'
    )


def findings_html(notes: Sequence[SourceNote], reports: Sequence[AggregateReport]) -> Fragment:
    """What the reports tell the domain's owner, source by source, as a callout."""
    domains = sorted({r.policy_published.domain for r in reports})
    domain = ", ".join(domains) or "?"
    failing = [n for n in notes if n.verdict in (Verdict.FAILING, Verdict.PARTLY)]
    if failing:
        sources = ", ".join(
            TEXT["source_count"].format(ip=n.source_ip, messages=_messages(n.summary.messages))
            for n in failing[:MAX_NOTES]
        )
        head = TEXT["some_fail"].format(failing=len(failing), total=len(notes), sources=sources)
    else:
        head = TEXT["all_pass"].format(total=len(notes))
    items = [_note(n, domain) for n in notes[:MAX_NOTES]]
    if len(notes) > MAX_NOTES:
        items.append(TEXT["more_notes"].format(count=len(notes) - MAX_NOTES))
    after = [_policy_line(notes, reports)]
    if any(n.verdict is Verdict.FAILING for n in notes):
        after.insert(0, TEXT["failing_advice"].format(domain=domain))
    body = (
        f'<p style="margin:2px 0">{escape(head)}</p><ul style="margin:4px 0;padding-left:20px">'
        + "".join(f"<li>{escape(item)}</li>" for item in items)
        + "</ul>"
        + "".join(f'<p style="margin:2px 0">{escape(line)}</p>' for line in after)
    )
    outcome = Outcome.WARN if failing else Outcome.OK
    return Fragment(
        '<div class="mailsec-dmarc-findings">'
        + callout(body, outcome=outcome, title=TEXT["findings_title"].format(domain=domain))
        + "</div>"
    )


def _note(note: SourceNote, domain: str) -> str:
    s = note.summary
    spf = ", ".join(
        TEXT["spf_item"].format(result=result, domain=spf_domain)
        for spf_domain, result in note.spf_results
    )
    values = {
        "ip": s.source_ip,
        "messages": _messages(s.messages),
        "passed": s.dmarc_pass,
        "failed": s.dmarc_fail,
        "domain": domain,
        "spf": spf or TEXT["spf_none"],
    }
    if note.verdict is Verdict.FAILING:
        signed = (
            TEXT["signed_by"].format(signers=", ".join(note.other_signers), domain=domain)
            if note.other_signers
            else TEXT["unsigned"]
        )
        return TEXT["failing"].format(signed=signed, **values)
    return TEXT[note.verdict.value].format(**values)


def _policy_line(notes: Sequence[SourceNote], reports: Sequence[AggregateReport]) -> str:
    policies = {r.policy_published.policy.value for r in reports}
    if policies == {"none"}:
        return TEXT["policy_none"]
    return TEXT["policy_enforced"].format(
        policy="/".join(sorted(policies)),
        rejected=sum(n.summary.rejected for n in notes),
        quarantined=sum(n.summary.quarantined for n in notes),
        messages=_messages(sum(n.summary.messages for n in notes)),
    )
