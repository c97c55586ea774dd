"""Draw chapter 06: the web of trust, packet listings, PGP next to S/MIME, GnuPG's answers.

The web-of-trust graph itself is drawn by :mod:`mailsec.render.trustgraph`
(:func:`trust_graph_svg`, re-exported here for chapter 06's notebook); :func:`trust_html` puts it
with a legend, a table with the same facts and the explanation of one key. Meaning never rests on
colour: every validity is said in words with a symbol.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from mailsec.i18n import texts
from mailsec.openpgp.pgpmime import Delivery, SealedSideBySide, SideBySide
from mailsec.openpgp.pgpmime.compare import Wire
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
from mailsec.render.trustgraph import VALIDITY_OUTCOME, person, trust_graph_svg
from mailsec.trace import Outcome

__all__ = [
    "TEXT",
    "comparison_table",
    "delivery_html",
    "gnupg_html",
    "gnupg_trust_html",
    "packet_table",
    "person",
    "side_by_side_html",
    "trust_graph_svg",
    "trust_html",
    "trust_table",
    "validity_badge",
]


TEXT = texts(
    {
        "valid": "{validity} (valid)",
        "not_valid": "{validity} (not valid)",
        "legend": "<strong>How to read the graph.</strong> An arrow goes from the person who "
        "certified a key to the key they certified. <strong>Solid arrow</strong> labelled "
        "<em>complete</em> or <em>marginal</em>: the certification counted. <strong>Thin dashed "
        "arrow</strong>: it counted for nothing (the signer's key is not fully valid, or you do "
        "not trust the signer to check keys, or the path is too long). Boxes with a "
        "<strong>double border</strong> are valid keys; <strong>dashed boxes</strong> are not "
        "valid. Columns are path lengths from your own key.",
        "counts": "{completes} complete, {marginals} marginal",
        "trust_headers": ("Key", "Your owner trust", "Validity", "Path length", "Counted", "Why"),
        "trust_caption": "Every key's validity",
        "wot_title": "Web of trust",
        "why_key": "Why {name}'s key is {validity}",
        "rounds": "The calculation, round by round",
        "packets": "Packets",
        "packet_headers": ("#", "Packet", "Tag", "Length (bytes)", "Fields"),
        "models": ("", "PGP: web of trust", "S/MIME: CA hierarchy"),
        "models_caption": "Two ways to decide that a key belongs to a person",
        "refused_text": "{reader}'s program refuses the mail and shows none of its text: {refusal}",
        "refused": "Refused",
        "bad_signature_text": "The signature does <strong>not</strong> verify: the mail was "
        "changed after it was signed, or it was not signed by a key you have. Do not trust this "
        "text.",
        "bad_signature": "Bad signature",
        "not_signed_text": "Decrypted, but not signed: only you could read it, yet anyone who "
        "has your public key could have written it.",
        "not_signed": "Decrypted, not signed",
        "good_encrypted_text": "Decrypted, and the signature is good ({signer}).",
        "good_text": "The signature is good ({signer}).",
        "good_encrypted": "Good signature on an encrypted mail",
        "good": "Good signature",
        "changed": "Changed in transit",
        "shows": "The text {reader}'s program shows",
        "decrypted_label": "decrypted text",
        "arrived": "The mail as it arrived",
        "raw_label": "raw mail",
        "packets_caption": "OpenPGP packets in the mail (like gpg --list-packets)",
        "did": "What {reader}'s program did",
        "mail_label": "{title} mail",
        "verified": "signature verified",
        "not_verified": "signature NOT verified",
        "one_letter": "One letter of the signed text was changed in transit, in both mails.",
        "signed_two_ways": "The same text, signed two ways",
        "no_gnupg": "GnuPG is not installed here.",
        "gnupg_missing": "GnuPG is missing",
        "gpg_read_ours": "GnuPG decrypted mailsec's mail and found Alice's signature good.",
        "gpg_not_ours": "GnuPG could not read mailsec's mail.",
        "we_read_theirs": "mailsec decrypted GnuPG's reply and found Bob's signature good.",
        "we_not_theirs": "mailsec could not read GnuPG's reply.",
        "works": "{title}: works",
        "failed": "{title}: failed",
        "reply": "GnuPG's reply, as mailsec read it",
        "reply_label": "reply from GnuPG",
        "exit": "exit {code}",
        "gpg_headers": ("Command", "Result", "What gpg said"),
        "gpg_caption": "The gpg commands ({version})",
        # The headings of gnupg_trust_html.
        "gnupg_trust": {
            "missing": "GnuPG is missing",
            "failed": "GnuPG failed: nothing to compare",
            "said": "What gpg said",
            "compared": "mailsec's model and {version}",
            "caption": "The same web of trust, computed twice",
            "headers": ("Key", "mailsec's model", "GnuPG (--check-trustdb)", ""),
            "no_row": "missing",
            "same": "same",
            "different": "different",
        },
        "bob_reads": "Bob reads: {text}",
        "decrypted": "decrypted",
        "refused_nothing": "refused: nothing of the text is shown",
        "one_byte": "One byte of the encrypted data was changed in transit, in both mails.",
        "encrypted_two_ways": "The same text, encrypted two ways",
        "pgp_title": "PGP/MIME (RFC 3156)",
        "smime_title": "S/MIME (RFC 8551)",
        "side_headers": ("", "PGP/MIME", "S/MIME"),
    }
)
"""Chapter 06's words (see :mod:`mailsec.i18n`)."""


def validity_badge(validity: Validity) -> Fragment:
    """A badge with a symbol and the validity word."""
    word = TEXT["valid" if validity.is_valid else "not_valid"].format(validity=validity.word)
    return Fragment(badge(VALIDITY_OUTCOME[validity], word))


def trust_table(result: TrustResult) -> Fragment:
    """One row per key: owner trust, validity, path length, counts and the deciding reason."""
    rows = []
    for key in result.keys:
        counts = (
            TEXT["counts"].format(completes=key.completes, marginals=key.marginals)
            if key.completes or key.marginals
            else "-"
        )
        rows.append(
            (
                f"<strong>{escape(person(key.name))}</strong>",
                escape(key.owner_trust.word),
                validity_badge(key.validity),
                "-" if key.path_length is None else str(key.path_length),
                escape(counts),
                escape(key.steps[0].text) if key.steps else "",
            )
        )
    return Fragment(
        table(
            TEXT["trust_headers"],
            rows,
            caption=TEXT["trust_caption"],
            html_cells=True,
        )
    )


def trust_html(
    result: TrustResult, *, focus: str | None = None, title: str | None = None
) -> Fragment:
    """The graph, the legend, the table and the explanation of one key (``focus``); ``title``:
    the graph's (None: "Web of trust" in the current language)."""
    title = TEXT["wot_title"] if title is None else title
    legend = (
        f'<div style="{FONT}font-size:12.5px;color:#374151;max-width:820px;margin:4px 0">'
        f"{TEXT['legend']}</div>"
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
                result[focus].steps,
                title=TEXT["why_key"].format(name=focus, validity=result[focus].validity.word),
            )
        )
    body.append(trace_list(result.steps, title=TEXT["rounds"]))
    body.append("</div>")
    return Fragment("".join(body))


_GPG_WORDS = "font-family:inherit;font-size:inherit;background:none;padding:0;"
"""gpg's words in the packet table: code (data), in the table's own font."""


def _fact(value: object) -> str:
    """One cell of a side-by-side table: a fact on the wire as code, words as they are."""
    if isinstance(value, Wire):
        return f'<code style="{MONO}">{escape(value)}</code>'
    return escape(value)


def packet_table(packets: Iterable[object], *, caption: str | None = None) -> Fragment:
    """Packets the way ``gpg --list-packets`` shows them: nesting, tag, name, length, fields.

    Each packet is anything with ``tag``, ``name``, ``length``, ``depth`` and ``fields``
    (:class:`mailsec.openpgp.PacketInfo`). ``caption``: None says "Packets". The names and
    fields are gpg's own words, as gpg shows them (code, never translated).
    """
    caption = TEXT["packets"] if caption is None else caption
    rows = []
    for number, packet in enumerate(packets, start=1):
        depth = int(getattr(packet, "depth", 0))
        fields: Mapping[str, object] = getattr(packet, "fields", {}) or {}
        details = "<br>".join(
            f'<code style="{_GPG_WORDS}color:#4a5563">{escape(k)}:</code> '
            f'<code style="{MONO}">{escape(v)}</code>'
            for k, v in fields.items()
        )
        indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth
        arrow = "↳ " if depth else ""
        rows.append(
            (
                str(number),
                f'{indent}<code style="{_GPG_WORDS}">'
                f"{arrow}{escape(getattr(packet, 'name', '?'))}</code>",
                str(getattr(packet, "tag", "?")),
                f"{int(getattr(packet, 'length', 0)):,}",
                details or "-",
            )
        )
    return Fragment(
        table(
            TEXT["packet_headers"],
            rows,
            caption=caption,
            html_cells=True,
        )
    )


def comparison_table(rows: Sequence[Comparison] = COMPARISON) -> Fragment:
    """The two trust models side by side."""
    return Fragment(
        table(
            TEXT["models"],
            (
                (f"<strong>{escape(r.aspect)}</strong>", escape(r.pgp), escape(r.smime))
                for r in (row.translated() for row in rows)
            ),
            caption=TEXT["models_caption"],
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
            TEXT["refused_text"].format(
                reader=escape(reader), refusal=escape(delivery.refusal or "")
            ),
            outcome=Outcome.FAIL,
            title=TEXT["refused"],
        )
    elif result.signature_valid is False:
        verdict = callout(
            TEXT["bad_signature_text"], outcome=Outcome.FAIL, title=TEXT["bad_signature"]
        )
    elif result.signature_valid is None:
        verdict = callout(TEXT["not_signed_text"], outcome=Outcome.WARN, title=TEXT["not_signed"])
    else:
        signer = result.verifications[0].reason if result.verifications else ""
        good = "good_encrypted" if delivery.encrypted else "good"
        verdict = callout(
            TEXT[good + "_text"].format(signer=escape(signer)),
            outcome=Outcome.OK,
            title=TEXT[good],
        )
    parts = [f'<div class="mailsec-pgp-delivery" style="{FONT}">', verdict]
    if delivery.change:
        parts.append(callout(escape(delivery.change), outcome=Outcome.WARN, title=TEXT["changed"]))
    if result is not None and result.text is not None:
        parts.append(f"<strong>{TEXT['shows'].format(reader=escape(reader))}</strong>")
        parts.append(code_block(result.text, label=TEXT["decrypted_label"], max_lines=20))
    parts.append(f"<strong>{TEXT['arrived']}</strong>")
    parts.append(
        code_block(
            delivery.message.decode("ascii", "replace"), label=TEXT["raw_label"], max_lines=32
        )
    )
    if packets is not None:
        parts.append(packet_table(packets, caption=TEXT["packets_caption"]))
    if packets_note:
        parts.append(f'<p style="color:#4a5563">{escape(packets_note)}</p>')
    parts.append(trace_list(delivery.steps, title=TEXT["did"].format(reader=reader)))
    parts.append("</div>")
    return Fragment("".join(parts))


def _column(title: str, raw: bytes, ok: bool, verdict: str, headline: str) -> str:
    return (
        f'<div style="flex:1 1 380px;min-width:300px">'
        f'<h4 style="margin:4px 0">{escape(title)}</h4>'
        + callout(escape(verdict), outcome=Outcome.OK if ok else Outcome.FAIL, title=headline)
        + code_block(
            raw.decode("ascii", "replace"),
            label=TEXT["mail_label"].format(title=title),
            max_lines=26,
        )
        + "</div>"
    )


def side_by_side_html(pair: SideBySide | SealedSideBySide) -> Fragment:
    """PGP/MIME and S/MIME on the same text: the two mails, their verdicts, the differences."""
    if isinstance(pair, SealedSideBySide):
        return _sealed_html(pair)

    def column(title: str, raw: bytes, ok: bool, verdict: str) -> str:
        headline = TEXT["verified" if ok else "not_verified"]
        return _column(title, raw, ok, verdict, headline)

    smime_steps = pair.smime.steps[-1].text if pair.smime.steps else ""
    pgp_steps = pair.pgp.steps[-1].text if pair.pgp.steps else ""
    body = [
        f'<div class="mailsec-pgp-vs-smime" style="{FONT}">',
        callout(TEXT["one_letter"], outcome=Outcome.WARN, title=TEXT["changed"])
        if pair.changed
        else "",
        '<div style="display:flex;flex-wrap:wrap;gap:12px">',
        column(TEXT["pgp_title"], pair.pgp_message, pair.pgp_valid, pgp_steps),
        column(TEXT["smime_title"], pair.smime_message, pair.smime_valid, smime_steps),
        "</div>",
        table(
            TEXT["side_headers"],
            [[_fact(cell) for cell in row] for row in pair.rows],
            caption=TEXT["signed_two_ways"],
            html_cells=True,
        ),
        "</div>",
    ]
    return Fragment("".join(body))


def gnupg_html(exchange: object) -> Fragment:
    """The mailsec ↔ GnuPG exchange (:class:`mailsec.labs.pgp.exchange.GnupgExchange`): verdicts, commands."""
    if not getattr(exchange, "available", False):
        steps = getattr(exchange, "steps", ())
        message = steps[0].text if steps else TEXT["no_gnupg"]
        return Fragment(callout(escape(message), outcome=Outcome.WARN, title=TEXT["gnupg_missing"]))
    parts = [f'<div class="mailsec-gnupg" style="{FONT}">']
    for title, ok, yes, no in (
        (
            "mailsec → GnuPG",
            getattr(exchange, "gpg_read_ours", False),
            TEXT["gpg_read_ours"],
            TEXT["gpg_not_ours"],
        ),
        (
            "GnuPG → mailsec",
            getattr(exchange, "we_read_theirs", False),
            TEXT["we_read_theirs"],
            TEXT["we_not_theirs"],
        ),
    ):
        parts.append(
            callout(
                escape(yes if ok else no),
                outcome=Outcome.OK if ok else Outcome.FAIL,
                title=TEXT["works" if ok else "failed"].format(title=title),
            )
        )
    reply = getattr(exchange, "reply_text", "")
    if reply:
        parts.append(f"<strong>{TEXT['reply']}</strong>")
        parts.append(code_block(reply, label=TEXT["reply_label"]))
    rows = [
        (
            f'<code style="{MONO}">{escape(run.command)}</code>',
            "ok" if run.returncode == 0 else TEXT["exit"].format(code=run.returncode),
            code_block(run.output, max_lines=8) if run.output else "",
        )
        for run in getattr(exchange, "runs", ())
    ]
    parts.append(
        table(
            TEXT["gpg_headers"],
            rows,
            caption=TEXT["gpg_caption"].format(version=escape(getattr(exchange, "version", ""))),
            html_cells=True,
        )
    )
    parts.append("</div>")
    return Fragment("".join(parts))


def gnupg_trust_html(check: object) -> Fragment:
    """The model's validity next to GnuPG's (:class:`mailsec.labs.pgp.trustcheck.GnupgTrustCheck`).

    A tick only when GnuPG ran without an error and agrees on every key; when gpg failed, its
    failure and what it said, and no comparison.
    """
    words = TEXT["gnupg_trust"]
    steps = getattr(check, "steps", ())
    verdict = steps[0].text if steps else ""
    if not getattr(check, "available", False):
        message = verdict or TEXT["no_gnupg"]
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
            f"<strong>{escape(person(name))}</strong>",
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
            return True, TEXT["bob_reads"].format(text=text.strip()), TEXT["decrypted"]
        return False, refusal or "", TEXT["refused_nothing"]

    pgp_ok, pgp_words, pgp_head = verdict(pair.pgp_text, pair.pgp_refusal)
    smime_ok, smime_words, smime_head = verdict(pair.smime_text, pair.smime_refusal)
    body = [
        f'<div class="mailsec-pgp-vs-smime" style="{FONT}">',
        callout(TEXT["one_byte"], outcome=Outcome.WARN, title=TEXT["changed"])
        if pair.changed
        else "",
        '<div style="display:flex;flex-wrap:wrap;gap:12px">',
        _column(TEXT["pgp_title"], pair.pgp_message, pgp_ok, pgp_words, pgp_head),
        _column(TEXT["smime_title"], pair.smime_message, smime_ok, smime_words, smime_head),
        "</div>",
        table(
            TEXT["side_headers"],
            [[_fact(cell) for cell in row] for row in pair.rows],
            caption=TEXT["encrypted_two_ways"],
            html_cells=True,
        ),
        "</div>",
    ]
    return Fragment("".join(body))
