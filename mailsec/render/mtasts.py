"""Chapter 08's MTA-STS pictures: the sender's decision, the MX hosts in a table, the policy.

Every function takes results of :mod:`mailsec.transport` and returns a :class:`Fragment`. Meaning
is never in colour alone: every mark is a symbol and a word ("✓ yes — matches *.example.net",
"✗ fails — certificate expired"). The strings are in :data:`TEXT`, with named placeholders, so
they can be translated.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailsec.i18n import texts
from mailsec.render.html import (
    CELL_ALIGN,
    FONT,
    OUTCOME_COLOURS,
    TABLE_STYLE,
    Fragment,
    badge,
    callout,
    escape,
    kv_table,
)
from mailsec.trace import Outcome
from mailsec.transport.mtasts import Policy, policy_url
from mailsec.transport.mtasts_cache import PolicySource, describe_cache
from mailsec.transport.mtasts_delivery import (
    CHANNEL_WORDS,
    Delivery,
    Evaluation,
    MxVerdict,
    StsResult,
)

__all__ = [
    "TEXT",
    "explanation_html",
    "mx_table_html",
    "policy_html",
    "result_badge",
    "verdict_html",
]

TEXT = texts(
    {
        "verdict": "MTA-STS decision:",
        "used": "The message went to {mx} over {channel}.",
        "kept": "The message was not delivered: it stays in the sender's queue, and the sender "
        "tries again later.",
        "source_fetched": "Policy: fetched just now from {url} (id={id}).",
        "source_cache": "Policy: the sender's cached copy ({cache}).",
        "source_none": "Policy: none. The sender knows no MTA-STS policy for {domain}.",
        "table_caption": "The MX hosts of {domain}, in the order the sender tries them",
        "headers": (
            "MX host (preference)",
            "Allowed by the policy?",
            "TLS handshake would show",
            "Used?",
        ),
        "allowed_yes": "yes: matches {pattern}",
        "allowed_no": "no: matches no mx line",
        "allowed_none": "not checked (no policy)",
        "allowed_mode_none": "not checked (mode none)",
        "tls_ok": "passes: {label}",
        "tls_bad": "fails: {label}",
        "used_yes": "yes, over {channel}",
        "used_skipped": "no: skipped",
        "used_untried": "not tried",
        "report_title": "Failure report (TLSRPT, RFC 8460)",
        "report": "In {mode} mode the sender reports what failed to {domain}, if the domain publishes "
        "a TLSRPT address: {failures}.",
        "policy_caption": "The policy file, as a sender reads it",
        "policy_rows": ("mode", "mx", "max_age"),
        "max_age": "{seconds} seconds ({days} days)",
        "ignored_title": "Ignored while reading the policy",
        "explain": {
            "delivered": "The policy names the MX that got the message, and its certificate was "
            "checked for that name, so an attacker could neither read the message on the way nor "
            "send it to a server of their own.",
            "delivered-reported": "Testing mode only watches: the sender delivered as if there were "
            "no policy, so a forged MX or a stripped STARTTLS still works, but the domain hears "
            "about it through the reports. Switch to enforce once the reports are clean.",
            "deferred": "Enforce mode stops delivery rather than hand the message to a server the "
            "policy does not name or that cannot prove its name. If the fault is the domain's own "
            "(an expired certificate, a new MX missing from the policy), its mail waits too.",
            "no-policy": "Without a policy the sender uses the first MX DNS gives it and takes any "
            "certificate, or none: whoever controls the DNS answer or the path gets the message.",
            "mode-none": "Mode none withdraws the policy: the sender behaves as if the domain had "
            "never published one. Domains use it to retire MTA-STS safely.",
        },
        "results": {
            "delivered": "delivered",
            "delivered-reported": "delivered-reported",
            "deferred": "deferred",
            "no-policy": "no-policy",
            "mode-none": "mode-none",
        },
        "mode_value": "{mode} ({meaning})",
    }
)


def result_badge(result: StsResult) -> Fragment:
    """``✓ delivered``, ``✗ deferred``, ``! no-policy`` ... (a symbol and a word)."""
    return badge(result.outcome, TEXT["results"][result.value])


def _source_sentence(evaluation: Evaluation, now: float | None) -> str:
    selection = evaluation.selection
    domain = evaluation.delivery.domain
    record = evaluation.discovery.record
    if selection.source is PolicySource.FETCHED and record is not None:
        return escape(TEXT["source_fetched"].format(url=policy_url(domain), id=record.id))
    if selection.source is PolicySource.CACHE and selection.cache is not None:
        entry = selection.cache
        cache = describe_cache(entry, now) if now is not None else f"id={entry.id}"
        return escape(TEXT["source_cache"].format(cache=cache))
    return escape(TEXT["source_none"].format(domain=domain))


def verdict_html(evaluation: Evaluation, *, now: float | None = None) -> Fragment:
    """The result, where the message went, and which policy decided.

    The verdict element carries ``data-result``, ``data-mode``, ``data-source``, ``data-used`` and
    ``data-report`` for tests and browser checks.
    """
    delivery = evaluation.delivery
    used = delivery.used
    mode = delivery.mode.value if delivery.mode else ""
    head = (
        f'<div class="mailsec-mtasts-verdict" data-result="{delivery.result.value}" '
        f'data-mode="{mode}" data-source="{evaluation.source.value}" '
        f'data-used="{escape(used.name if used else "")}" '
        f'data-report="{"yes" if delivery.report else "no"}" '
        f'style="{FONT}font-size:16px;margin:4px 0" aria-live="polite">'
        f"{escape(TEXT['verdict'])} {result_badge(delivery.result)} "
        f'<span style="color:#333">{escape(delivery.result.meaning)}</span></div>'
    )
    if used is not None and used.channel is not None:
        where = escape(TEXT["used"]).format(
            mx=f"<strong>{escape(used.name)}</strong>",
            channel=escape(CHANNEL_WORDS[used.channel.value]),
        )
    else:
        where = escape(TEXT["kept"])
    return Fragment(
        head
        + f'<div style="{FONT}color:#333;margin:2px 0">{where}</div>'
        + f'<div style="{FONT}color:#333;margin:2px 0">{_source_sentence(evaluation, now)}</div>'
    )


_SYMBOL = {Outcome.INFO: "•", Outcome.OK: "✓", Outcome.WARN: "!", Outcome.FAIL: "✗"}
#: The MX table's columns (MX host, allowed?, TLS, used?): shares of the table's width.
_COLUMNS = ("28%", "24%", "26%", "22%")
#: A long host name or token breaks anywhere rather than widen its column.
_BREAK = "overflow-wrap:anywhere;word-break:break-word;"


def _mark(outcome: Outcome, text: str) -> str:
    """A table cell's mark: a symbol and words, like :func:`badge`, but it wraps to the cell's
    width (a badge never wraps, and four of them in a row are wider than the lab)."""
    bg, fg = OUTCOME_COLOURS[outcome]
    return (
        f'<span style="display:inline-block;max-width:100%;box-sizing:border-box;background:{bg};'
        f"color:{fg};border:1px solid {fg}33;border-radius:4px;padding:1px 6px;"
        f'font-weight:600;white-space:normal;{_BREAK}">{_SYMBOL[outcome]} {escape(text)}</span>'
    )


def _allowed_cell(verdict: MxVerdict, delivery: Delivery) -> str:
    if verdict.allowed is None:
        key = "allowed_mode_none" if delivery.mode is not None else "allowed_none"
        return _mark(Outcome.INFO, TEXT[key])
    if verdict.allowed:
        return _mark(Outcome.OK, TEXT["allowed_yes"].format(pattern=verdict.pattern))
    return _mark(Outcome.FAIL, TEXT["allowed_no"])


def _used_cell(verdict: MxVerdict) -> str:
    if verdict.used and verdict.channel is not None:
        outcome = {"verified-tls": Outcome.OK, "unverified-tls": Outcome.WARN}.get(
            verdict.channel.value, Outcome.FAIL
        )
        words = TEXT["used_yes"].format(channel=CHANNEL_WORDS[verdict.channel.value])
        return _mark(outcome, words)
    if verdict.tried or verdict.failure:
        return _mark(Outcome.FAIL, TEXT["used_skipped"])
    return _mark(Outcome.INFO, TEXT["used_untried"])


def mx_table_html(delivery: Delivery) -> Fragment:
    """One row per MX: allowed by the policy?, what TLS would show, used? (words and symbols)."""
    rows = []
    for verdict in delivery.verdicts:
        host = verdict.host
        tls = host.tls
        tls_cell = (
            _mark(Outcome.OK, TEXT["tls_ok"].format(label=tls.label))
            if tls.ok
            else _mark(Outcome.FAIL, TEXT["tls_bad"].format(label=tls.label))
        )
        name = f'<code style="white-space:normal;{_BREAK}">{escape(host.name)}</code> ({host.preference})'
        name = f"<strong>{name}</strong>" if verdict.used else name
        rows.append((name, _allowed_cell(verdict, delivery), tls_cell, _used_cell(verdict)))
    caption = TEXT["table_caption"].format(domain=delivery.domain)
    return _table(TEXT["headers"], rows, caption=caption)


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, caption: str) -> Fragment:
    """The MX table, as wide as the lab and no wider: fixed column shares, cells that wrap."""
    cell = "padding:4px 8px;vertical-align:top;" + _BREAK
    cols = "".join(f'<col style="width:{w}">' for w in _COLUMNS)
    head = "".join(
        f'<th scope="col" style="{CELL_ALIGN}{cell}border-bottom:2px solid #888">{escape(h)}</th>'
        for h in headers
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{CELL_ALIGN}{cell}border-bottom:1px solid #ddd">{v}</td>' for v in row
        )
        + "</tr>"
        for row in rows
    )
    return Fragment(
        f'<table class="mailsec-mtasts-mx" style="{TABLE_STYLE}width:100%;max-width:760px;'
        f'table-layout:fixed"><caption style="text-align:left;font-weight:600;padding:4px 0">'
        f"{escape(caption)}</caption><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def explanation_html(evaluation: Evaluation) -> Fragment:
    """Why it ended this way, in a paragraph, and what a TLSRPT report would say."""
    delivery = evaluation.delivery
    outcome = delivery.result.outcome
    parts = [
        callout(
            escape(TEXT["explain"][delivery.result.value]),
            outcome=outcome,
            title=TEXT["results"][delivery.result.value],
        )
    ]
    if delivery.report and delivery.mode is not None:
        failures = ", ".join(f"{name} ({kind})" for name, kind in delivery.failures)
        parts.append(
            callout(
                escape(
                    TEXT["report"].format(
                        mode=delivery.mode, domain=delivery.domain, failures=failures
                    )
                ),
                title=TEXT["report_title"],
            )
        )
    return Fragment("".join(parts))


def policy_html(policy: Policy) -> Fragment:
    """The policy's fields as a table, and what was ignored while reading it."""
    mode_row, mx_row, age_row = TEXT["policy_rows"]
    days = f"{policy.max_age / 86_400:.1f}".rstrip("0").rstrip(".")
    rows = [
        (mode_row, TEXT["mode_value"].format(mode=policy.mode, meaning=policy.mode.meaning)),
        (mx_row, ", ".join(policy.mx) or "—"),
        (age_row, TEXT["max_age"].format(seconds=f"{policy.max_age:,}", days=days)),
    ]
    shown: str = kv_table(rows, caption=TEXT["policy_caption"])
    if policy.notes:
        notes = "<br>".join(escape(n) for n in policy.notes[:20])
        more = f"<br>… (+{len(policy.notes) - 20})" if len(policy.notes) > 20 else ""
        shown += callout(notes + more, outcome=Outcome.WARN, title=TEXT["ignored_title"])
    return Fragment(shown)
