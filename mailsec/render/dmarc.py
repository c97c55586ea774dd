"""Chapter 07's DMARC pictures: the three domains of a message and which ones align, the verdict,
and what the receiving server wrote and did.

The identities picture is an HTML table, not a drawing, so a screen reader reads it as it is: one
row per identifier (the envelope sender SPF checked, each DKIM signing domain, the From: people
read), its result, and whether it aligns with the From:. Every result is a symbol and a word.
"""

from __future__ import annotations

from mailsec.dmarc.receiver import InboundCheck
from mailsec.dmarc.result import Disposition
from mailsec.i18n import texts
from mailsec.render.html import FONT, Fragment, badge, callout, code_block, escape, table
from mailsec.trace import Outcome

__all__ = ["disposition_html", "identities_html", "verdict_html"]

TEXT = texts(
    {
        "caption": "The three domains of this message, and which ones DMARC accepts",
        "headers": ("what", "domain", "checked by", "result", "aligned with the From:?"),
        "envelope": "envelope sender (MAIL FROM)",
        "helo": "HELO name (the MAIL FROM was empty)",
        "signature": "DKIM signature d= (selector {selector})",
        "no_signature": "DKIM signature",
        "unsigned": "(none: the message is not signed)",
        "from": "From: — what people read",
        "author": "the person reading it",
        "aligned": "aligned",
        "not_aligned": "not aligned",
        "needs_pass": "only a pass counts",
        "verdict": "DMARC result:",
        "policy": "Policy of <strong>{domain}</strong>: <code>{record}</code>",
        "no_record": "{domain} publishes no DMARC record: the receiver decides on its own.",
        "dispositions": {
            "none": "Delivered to Alice's inbox.",
            "quarantine": "Delivered to Alice's junk (quarantine) folder.",
            "reject": "Refused during SMTP (550 5.7.1): Alice never sees it.",
        },
        "header": "The header field Alice's server adds on top of the message",
        "override": "Local policy: {reason}",
        "disposition_title": "disposition: {disposition}",
        "spf": "SPF",
        "dkim": "DKIM",
        # A protocol token (an RFC 8601 result, a tag value) shown as it is written, in every
        # language: the message only marks it as seen by the translation.
        "token": "{token}",
    }
)


def _token(value: str) -> str:
    """A result token as shown (RFC 8601 tokens stay as they are written)."""
    return TEXT["token"].format(token=value)


def _yes_no(aligned: bool, passed: bool) -> str:
    if aligned:
        return str(badge(Outcome.OK, TEXT["aligned"]))
    if not passed:
        return str(badge(Outcome.INFO, TEXT["needs_pass"]))
    return str(badge(Outcome.FAIL, TEXT["not_aligned"]))


def identities_html(check: InboundCheck) -> Fragment:
    """One row per identifier: the domain, who checked it, its result, and its alignment."""
    rows = []
    spf = check.dmarc.spf
    spf_label = TEXT["helo"] if spf and spf.scope.value == "helo" else TEXT["envelope"]
    if spf is not None:
        rows.append(
            (
                escape(spf_label),
                f"<code>{escape(spf.domain)}</code>",
                escape(TEXT["spf"]),
                str(badge(spf.result.outcome, _token(spf.result.value))),
                _yes_no(spf.aligned, spf.result.value == "pass"),
            )
        )
    for signature in check.dmarc.dkim:
        rows.append(
            (
                escape(TEXT["signature"].format(selector=signature.selector or "?")),
                f"<code>{escape(signature.domain or '?')}</code>",
                escape(TEXT["dkim"]),
                str(badge(signature.result.outcome, _token(signature.result.value))),
                _yes_no(signature.aligned, signature.result.value == "pass"),
            )
        )
    if not check.dmarc.dkim:
        rows.append(
            (
                escape(TEXT["no_signature"]),
                escape(TEXT["unsigned"]),
                escape(TEXT["dkim"]),
                str(badge(Outcome.INFO, _token("none"))),
                "",
            )
        )
    rows.append(
        (
            f"<strong>{escape(TEXT['from'])}</strong>",
            f"<strong><code>{escape(check.dmarc.from_domain or '?')}</code></strong>",
            escape(TEXT["author"]),
            "",
            "",
        )
    )
    return table(TEXT["headers"], rows, caption=TEXT["caption"], html_cells=True)


def verdict_html(check: InboundCheck, record: str | None, record_domain: str | None) -> Fragment:
    """DMARC's result and reason, and the policy it applied."""
    outcome = check.dmarc
    parts = [
        f'<div class="mailsec-dmarc-verdict" data-result="{outcome.result.value}" '
        f'data-disposition="{outcome.disposition.value}" style="{FONT}font-size:16px;margin:4px 0" '
        f'aria-live="polite">{escape(TEXT["verdict"])} '
        f"{badge(outcome.result.outcome, _token(outcome.result.value))} "
        f'<span style="color:#333">{escape(outcome.reason)}</span></div>'
    ]
    if record is not None and record_domain:
        parts.append(
            f'<div style="{FONT}color:#333">'
            + TEXT["policy"].format(domain=escape(record_domain), record=escape(record))
            + "</div>"
        )
    elif outcome.from_domain:
        parts.append(
            f'<div style="{FONT}color:#333">{escape(TEXT["no_record"].format(domain=outcome.from_domain))}</div>'
        )
    return Fragment("".join(parts))


def disposition_html(check: InboundCheck) -> Fragment:
    """What Alice's server did with the message, and the field it wrote."""
    disposition = check.disposition
    outcome = {
        Disposition.NONE: Outcome.OK,
        Disposition.QUARANTINE: Outcome.WARN,
        Disposition.REJECT: Outcome.FAIL,
    }[disposition]
    text = escape(TEXT["dispositions"][disposition.value])
    for step in check.trace:
        text += "<br>" + escape(TEXT["override"].format(reason=step.text))
    return Fragment(
        callout(
            text,
            outcome=outcome,
            title=TEXT["disposition_title"].format(disposition=disposition.value),
        )
        + f'<div style="{FONT}font-weight:600;margin-top:6px">{escape(TEXT["header"])}</div>'
        + code_block(check.header, label=TEXT["header"])
    )
