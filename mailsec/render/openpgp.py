"""Draw chapter 06: the web of trust, packet listings, PGP next to S/MIME, GnuPG's answers.

The web-of-trust graph itself is drawn by :mod:`mailsec.render.trustgraph`
(:func:`trust_graph_svg`, re-exported here for chapter 06's notebook); :func:`trust_html` puts it
with a legend, a table with the same facts and the explanation of one key. Meaning never rests on
colour: every validity is said in words with a symbol.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from mailsec.openpgp.pgpmime import Delivery, SealedSideBySide, SideBySide
from mailsec.openpgp.trust import COMPARISON, Comparison, TrustResult, Validity
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
from mailsec.render.trustgraph import VALIDITY_OUTCOME, trust_graph_svg
from mailsec.trace import Outcome

__all__ = [
    "comparison_table",
    "delivery_html",
    "gnupg_html",
    "gnupg_trust_html",
    "packet_table",
    "side_by_side_html",
    "trust_graph_svg",
    "trust_html",
    "trust_table",
    "validity_badge",
]


def validity_badge(validity: Validity) -> Fragment:
    """A badge with a symbol and the validity word."""
    word = validity.value + (" (valid)" if validity.is_valid else " (not valid)")
    if validity in (Validity.REVOKED, Validity.EXPIRED):
        word = f"{validity.value} (not valid)"
    return Fragment(badge(VALIDITY_OUTCOME[validity], word))


_LEGEND = (
    "<strong>How to read the graph.</strong> An arrow goes from the person who certified a key "
    "to the key they certified. <strong>Solid arrow</strong> labelled <em>complete</em> or "
    "<em>marginal</em>: the certification counted. <strong>Thin dashed arrow</strong>: it "
    "counted for nothing (the signer's key is not fully valid, or you do not trust the signer "
    "to check keys, or the path is too long). Boxes with a <strong>double border</strong> are "
    "valid keys; <strong>dashed boxes</strong> are not valid. Columns are path lengths from "
    "your own key."
)


def trust_table(result: TrustResult) -> Fragment:
    """One row per key: owner trust, validity, path length, counts and the deciding reason."""
    rows = []
    for key in result.keys:
        counts = (
            f"{key.completes} complete, {key.marginals} marginal"
            if key.completes or key.marginals
            else "-"
        )
        rows.append(
            (
                f"<strong>{escape(key.name)}</strong>",
                escape(key.owner_trust.value),
                validity_badge(key.validity),
                "-" if key.path_length is None else str(key.path_length),
                escape(counts),
                escape(key.steps[0].text) if key.steps else "",
            )
        )
    return Fragment(
        table(
            ("Key", "Your owner trust", "Validity", "Path length", "Counted", "Why"),
            rows,
            caption="Every key's validity",
            html_cells=True,
        )
    )


def trust_html(
    result: TrustResult, *, focus: str | None = None, title: str = "Web of trust"
) -> Fragment:
    """The graph, the legend, the table and the explanation of one key (``focus``)."""
    legend = (
        f'<div style="{FONT}font-size:12.5px;color:#374151;max-width:820px;margin:4px 0">'
        f"{_LEGEND}</div>"
    )
    body = [
        f'<div class="mailsec-wot" style="{FONT}">',
        trust_graph_svg(result, title=title),
        legend,
        trust_table(result),
    ]
    if focus is not None:
        body.append(
            trace_list(
                result[focus].steps, title=f"Why {focus}'s key is {result[focus].validity.value}"
            )
        )
    body.append(trace_list(result.steps, title="The calculation, round by round"))
    body.append("</div>")
    return Fragment("".join(body))


def packet_table(packets: Iterable[object], *, caption: str = "Packets") -> Fragment:
    """Packets the way ``gpg --list-packets`` shows them: nesting, tag, name, length, fields.

    Each packet is anything with ``tag``, ``name``, ``length``, ``depth`` and ``fields``
    (:class:`mailsec.openpgp.PacketInfo`).
    """
    rows = []
    for number, packet in enumerate(packets, start=1):
        depth = int(getattr(packet, "depth", 0))
        fields: Mapping[str, object] = getattr(packet, "fields", {}) or {}
        details = "<br>".join(
            f'<span style="color:#4a5563">{escape(k)}:</span> <span style="{MONO}">{escape(v)}</span>'
            for k, v in fields.items()
        )
        indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth + ("↳ " if depth else "")
        rows.append(
            (
                str(number),
                f"{indent}{escape(getattr(packet, 'name', '?'))}",
                str(getattr(packet, "tag", "?")),
                f"{int(getattr(packet, 'length', 0)):,}",
                details or "-",
            )
        )
    return Fragment(
        table(
            ("#", "Packet", "Tag", "Length (bytes)", "Fields"),
            rows,
            caption=caption,
            html_cells=True,
        )
    )


def comparison_table(rows: Sequence[Comparison] = COMPARISON) -> Fragment:
    """The two trust models side by side."""
    return Fragment(
        table(
            ("", "PGP: web of trust", "S/MIME: CA hierarchy"),
            (
                (f"<strong>{escape(r.aspect)}</strong>", escape(r.pgp), escape(r.smime))
                for r in rows
            ),
            caption="Two ways to decide that a key belongs to a person",
            html_cells=True,
        )
    )


def delivery_html(
    delivery: Delivery,
    *,
    reader: str,
    packets: Sequence[object] | None = None,
    packets_note: str = "",
) -> Fragment:
    """What the reader's program shows, the text it read, the mail as it arrived, its packets."""
    result = delivery.result
    if result is None:
        verdict = callout(
            f"{escape(reader)}'s program refuses the mail and shows none of its text: "
            f"{escape(delivery.refusal or '')}",
            outcome=Outcome.FAIL,
            title="Refused",
        )
    elif result.signature_valid is False:
        verdict = callout(
            "The signature does <strong>not</strong> verify: the mail was changed after it was "
            "signed, or it was not signed by a key you have. Do not trust this text.",
            outcome=Outcome.FAIL,
            title="Bad signature",
        )
    elif result.signature_valid is None:
        verdict = callout(
            "Decrypted, but not signed: only you could read it, yet anyone who has your public "
            "key could have written it.",
            outcome=Outcome.WARN,
            title="Decrypted, not signed",
        )
    else:
        signer = result.verifications[0].reason if result.verifications else ""
        what = "Decrypted, and the" if delivery.encrypted else "The"
        verdict = callout(
            f"{what} signature is good ({escape(signer)}).",
            outcome=Outcome.OK,
            title="Good signature" + (" on an encrypted mail" if delivery.encrypted else ""),
        )
    parts = [f'<div class="mailsec-pgp-delivery" style="{FONT}">', verdict]
    if delivery.change:
        parts.append(
            callout(escape(delivery.change), outcome=Outcome.WARN, title="Changed in transit")
        )
    if result is not None and result.text is not None:
        parts.append(f"<strong>The text {escape(reader)}'s program shows</strong>")
        parts.append(code_block(result.text, label="decrypted text", max_lines=20))
    parts.append("<strong>The mail as it arrived</strong>")
    parts.append(
        code_block(delivery.message.decode("ascii", "replace"), label="raw mail", max_lines=32)
    )
    if packets is not None:
        parts.append(
            packet_table(packets, caption="OpenPGP packets in the mail (like gpg --list-packets)")
        )
    if packets_note:
        parts.append(f'<p style="color:#4a5563">{escape(packets_note)}</p>')
    parts.append(trace_list(delivery.steps, title=f"What {reader}'s program did"))
    parts.append("</div>")
    return Fragment("".join(parts))


def _column(title: str, raw: bytes, ok: bool, verdict: str, headline: str) -> str:
    return (
        f'<div style="flex:1 1 380px;min-width:300px">'
        f'<h4 style="margin:4px 0">{escape(title)}</h4>'
        + callout(escape(verdict), outcome=Outcome.OK if ok else Outcome.FAIL, title=headline)
        + code_block(raw.decode("ascii", "replace"), label=f"{title} mail", max_lines=26)
        + "</div>"
    )


def side_by_side_html(pair: SideBySide | SealedSideBySide) -> Fragment:
    """PGP/MIME and S/MIME on the same text: the two mails, their verdicts, the differences."""
    if isinstance(pair, SealedSideBySide):
        return _sealed_html(pair)

    def column(title: str, raw: bytes, ok: bool, verdict: str) -> str:
        headline = "signature verified" if ok else "signature NOT verified"
        return _column(title, raw, ok, verdict, headline)

    smime_steps = pair.smime.steps[-1].text if pair.smime.steps else ""
    pgp_steps = pair.pgp.steps[-1].text if pair.pgp.steps else ""
    body = [
        f'<div class="mailsec-pgp-vs-smime" style="{FONT}">',
        callout(
            "One letter of the signed text was changed in transit, in both mails.",
            outcome=Outcome.WARN,
            title="Changed in transit",
        )
        if pair.changed
        else "",
        '<div style="display:flex;flex-wrap:wrap;gap:12px">',
        column("PGP/MIME (RFC 3156)", pair.pgp_message, pair.pgp_valid, pgp_steps),
        column("S/MIME (RFC 8551)", pair.smime_message, pair.smime_valid, smime_steps),
        "</div>",
        table(
            ("", "PGP/MIME", "S/MIME"),
            pair.rows,
            caption="The same text, signed two ways",
        ),
        "</div>",
    ]
    return Fragment("".join(body))


def gnupg_html(exchange: object) -> Fragment:
    """The mailsec ↔ GnuPG exchange (:class:`mailsec.labs.pgp.exchange.GnupgExchange`): verdicts, commands."""
    if not getattr(exchange, "available", False):
        steps = getattr(exchange, "steps", ())
        message = steps[0].text if steps else "GnuPG is not installed here."
        return Fragment(callout(escape(message), outcome=Outcome.WARN, title="GnuPG is missing"))
    parts = [f'<div class="mailsec-gnupg" style="{FONT}">']
    for title, ok, yes, no in (
        (
            "mailsec → GnuPG",
            getattr(exchange, "gpg_read_ours", False),
            "GnuPG decrypted mailsec's mail and found Alice's signature good.",
            "GnuPG could not read mailsec's mail.",
        ),
        (
            "GnuPG → mailsec",
            getattr(exchange, "we_read_theirs", False),
            "mailsec decrypted GnuPG's reply and found Bob's signature good.",
            "mailsec could not read GnuPG's reply.",
        ),
    ):
        parts.append(
            callout(
                escape(yes if ok else no),
                outcome=Outcome.OK if ok else Outcome.FAIL,
                title=f"{title}: {'works' if ok else 'failed'}",
            )
        )
    reply = getattr(exchange, "reply_text", "")
    if reply:
        parts.append("<strong>GnuPG's reply, as mailsec read it</strong>")
        parts.append(code_block(reply, label="reply from GnuPG"))
    rows = [
        (
            f'<code style="{MONO}">{escape(run.command)}</code>',
            "ok" if run.returncode == 0 else f"exit {run.returncode}",
            code_block(run.output, max_lines=8) if run.output else "",
        )
        for run in getattr(exchange, "runs", ())
    ]
    parts.append(
        table(
            ("Command", "Result", "What gpg said"),
            rows,
            caption=f"The gpg commands ({escape(getattr(exchange, 'version', ''))})",
            html_cells=True,
        )
    )
    parts.append("</div>")
    return Fragment("".join(parts))


#: The headings of :func:`gnupg_trust_html`, in one place.
_GNUPG_TRUST_WORDS = {
    "missing": "GnuPG is missing",
    "failed": "GnuPG failed: nothing to compare",
    "said": "What gpg said",
    "compared": "mailsec's model and {version}",
    "caption": "The same web of trust, computed twice",
    "headers": ("Key", "mailsec's model", "GnuPG (--check-trustdb)", ""),
    "no_row": "missing",
    "same": "same",
    "different": "different",
}


def gnupg_trust_html(check: object) -> Fragment:
    """The model's validity next to GnuPG's (:class:`mailsec.labs.pgp.trustcheck.GnupgTrustCheck`).

    A tick only when GnuPG ran without an error and agrees on every key; when gpg failed, its
    failure and what it said, and no comparison.
    """
    words = _GNUPG_TRUST_WORDS
    steps = getattr(check, "steps", ())
    verdict = steps[0].text if steps else ""
    if not getattr(check, "available", False):
        message = verdict or "GnuPG is not installed here."
        return Fragment(callout(escape(message), outcome=Outcome.WARN, title=words["missing"]))
    failure = getattr(check, "failure", None)
    if failure is not None:
        said = getattr(failure, "output", "")
        return Fragment(
            f'<div class="mailsec-gnupg-trust" style="{FONT}">'
            + callout(escape(verdict), outcome=Outcome.FAIL, title=words["failed"])
            + (code_block(said, label=words["said"], max_lines=12) if said else "")
            + "</div>"
        )
    agree = bool(getattr(check, "agree", False))
    rows = [
        (
            f"<strong>{escape(name)}</strong>",
            validity_badge(model),
            validity_badge(gnupg) if gnupg is not None else badge(Outcome.FAIL, words["no_row"]),
            badge(Outcome.OK, words["same"])
            if model is gnupg
            else badge(Outcome.FAIL, words["different"]),
        )
        for name, model, gnupg in getattr(check, "rows", ())
    ]
    title = words["compared"].format(version=getattr(check, "version", "") or "GnuPG")
    return Fragment(
        f'<div class="mailsec-gnupg-trust" style="{FONT}">'
        + callout(escape(verdict), outcome=Outcome.OK if agree else Outcome.FAIL, title=title)
        + (table(words["headers"], rows, caption=words["caption"], html_cells=True) if rows else "")
        + "</div>"
    )


def _sealed_html(pair: SealedSideBySide) -> Fragment:
    def verdict(text: str | None, refusal: str | None) -> tuple[bool, str, str]:
        if text is not None:
            return True, f"Bob reads: {text.strip()}", "decrypted"
        return False, refusal or "", "refused: nothing of the text is shown"

    pgp_ok, pgp_words, pgp_head = verdict(pair.pgp_text, pair.pgp_refusal)
    smime_ok, smime_words, smime_head = verdict(pair.smime_text, pair.smime_refusal)
    body = [
        f'<div class="mailsec-pgp-vs-smime" style="{FONT}">',
        callout(
            "One byte of the encrypted data was changed in transit, in both mails.",
            outcome=Outcome.WARN,
            title="Changed in transit",
        )
        if pair.changed
        else "",
        '<div style="display:flex;flex-wrap:wrap;gap:12px">',
        _column("PGP/MIME (RFC 3156)", pair.pgp_message, pgp_ok, pgp_words, pgp_head),
        _column("S/MIME (RFC 8551)", pair.smime_message, smime_ok, smime_words, smime_head),
        "</div>",
        table(("", "PGP/MIME", "S/MIME"), pair.rows, caption="The same text, encrypted two ways"),
        "</div>",
    ]
    return Fragment("".join(body))
