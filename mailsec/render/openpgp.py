"""Draw chapter 06: the web of trust as an SVG graph, packet listings, PGP next to S/MIME.

The graph puts each key in a column by its path length from your own key (the round of GnuPG's
calculation in which it was decided), so the picture reads left to right like the calculation.
Meaning never rests on colour: every key says its validity in words with a symbol, valid keys
have a solid double border and invalid ones a dashed border, counted certifications are solid
arrows labelled "complete" or "marginal", certifications that count for nothing are thin dashed
arrows, and revoked ones are labelled "revoked". The SVG has a title and a description that
read out every key and arrow, and :func:`trust_html` adds a table with the same facts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence

from mailsec.openpgp.pgpmime import Delivery, SealedSideBySide, SideBySide
from mailsec.openpgp.trust import (
    COMPARISON,
    CertificationUse,
    Comparison,
    KeyValidity,
    TrustResult,
    Validity,
)
from mailsec.render.html import (
    FONT,
    MONO,
    OUTCOME_COLOURS,
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

_BOX_W, _BOX_H = 128, 54
_COL_GAP, _ROW_GAP = 70, 26
_LEFT, _TOP = 12, 40
_ids = itertools.count(1)

_VALIDITY_OUTCOME = {
    Validity.ULTIMATE: Outcome.OK,
    Validity.FULL: Outcome.OK,
    Validity.MARGINAL: Outcome.WARN,
    Validity.UNDEFINED: Outcome.WARN,
    Validity.UNKNOWN: Outcome.INFO,
    Validity.REVOKED: Outcome.FAIL,
    Validity.EXPIRED: Outcome.FAIL,
}
_VALIDITY_WORD = {
    Validity.ULTIMATE: "✓ ultimate",
    Validity.FULL: "✓ full: valid",
    Validity.MARGINAL: "! marginal",
    Validity.UNDEFINED: "? undefined",
    Validity.UNKNOWN: "✗ unknown",
    Validity.REVOKED: "✗ revoked",
    Validity.EXPIRED: "✗ expired",
}
_USE_LABEL = {
    CertificationUse.ULTIMATE: "your key",
    CertificationUse.COMPLETE: "complete",
    CertificationUse.MARGINAL: "marginal",
    CertificationUse.REVOKED: "✗ revoked",
}


def validity_badge(validity: Validity) -> str:
    """A badge with a symbol and the validity word."""
    word = validity.value + (" (valid)" if validity.is_valid else " (not valid)")
    if validity in (Validity.REVOKED, Validity.EXPIRED):
        word = f"{validity.value} (not valid)"
    return badge(_VALIDITY_OUTCOME[validity], word)


def _columns(result: TrustResult) -> list[list[KeyValidity]]:
    depth = result.policy.max_cert_depth
    columns: list[list[KeyValidity]] = [[] for _ in range(depth + 2)]
    for key in result.keys:
        if key.path_length is None or key.validity in (Validity.REVOKED, Validity.EXPIRED):
            columns[-1].append(key)
        else:
            columns[key.path_length].append(key)
    # Drop empty path-length columns between the first and the "not reached" one.
    kept = [c for c in columns[:-1] if c]
    return [*kept, columns[-1]] if columns[-1] else kept


def _column_title(column: Sequence[KeyValidity], last: bool, has_unreached: bool) -> str:
    if last and has_unreached:
        return "not reached"
    length = column[0].path_length if column else 0
    return "your key" if length == 0 else f"path length {length}"


def _clip(cx: float, cy: float, dx: float, dy: float) -> tuple[float, float]:
    """Where a ray from a box centre in direction (dx, dy) leaves the box."""
    if dx == 0 and dy == 0:
        return cx, cy
    sx = (_BOX_W / 2 + 3) / abs(dx) if dx else math.inf
    sy = (_BOX_H / 2 + 3) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return cx + dx * s, cy + dy * s


def _alt_text(result: TrustResult) -> str:
    parts = []
    for key in result.keys:
        signers = ", ".join(
            f"{c.signer} ({'counted' if c.use.counted else 'not counted'})"
            for c in key.certifications
        )
        parts.append(
            f"{key.name}: {key.validity.description}; owner trust {key.owner_trust.value}"
            + (f"; certified by {signers}" if signers else "; not certified by anyone")
            + "."
        )
    return " ".join(parts)


def trust_graph_svg(result: TrustResult, *, title: str = "Web of trust") -> Fragment:
    """The graph: one box per key, one arrow per certification (signer → key certified)."""
    uid = f"wot{next(_ids)}"
    columns = _columns(result)
    has_unreached = any(
        k.path_length is None or k.validity in (Validity.REVOKED, Validity.EXPIRED)
        for k in result.keys
    )
    rows = max((len(c) for c in columns), default=1)
    width = _LEFT * 2 + len(columns) * (_BOX_W + _COL_GAP) - _COL_GAP
    # Every other column is shifted down by half a row, so an arrow between two neighbouring
    # columns never runs straight through a third box.
    stagger = (_BOX_H + _ROW_GAP) / 2 if len(columns) > 2 else 0
    height = int(_TOP + rows * (_BOX_H + _ROW_GAP) - _ROW_GAP + stagger + 40)
    column_of: dict[str, int] = {}
    nodes: list[str] = []
    centre: dict[str, tuple[float, float]] = {}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="max-width:100%;height:auto;{FONT}" '
        f'aria-labelledby="{uid}-t {uid}-d" class="mailsec-wot-graph">'
        f'<title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(_alt_text(result))}</desc>'
        "<defs>"
        f'<marker id="{uid}-a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1f2d3d"/></marker>'
        f'<marker id="{uid}-g" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#8a94a3"/></marker>'
        "</defs>"
    ]
    for index, column in enumerate(columns):
        x = _LEFT + index * (_BOX_W + _COL_GAP)
        heading = _column_title(column, index == len(columns) - 1, has_unreached)
        parts.append(
            f'<text x="{x + _BOX_W / 2}" y="18" text-anchor="middle" font-size="12" '
            f'fill="#4a5563" font-family="sans-serif">{escape(heading)}</text>'
        )
        for row, key in enumerate(column):
            y = _TOP + row * (_BOX_H + _ROW_GAP) + (stagger if index % 2 else 0)
            centre[key.name] = (x + _BOX_W / 2, y + _BOX_H / 2)
            column_of[key.name] = index
            bg, fg = OUTCOME_COLOURS[_VALIDITY_OUTCOME[key.validity]]
            valid = key.validity.is_valid
            stroke = f'stroke="{fg}" stroke-width="{2.5 if valid else 1.5}"' + (
                "" if valid else ' stroke-dasharray="5 3"'
            )
            nodes.append(
                f'<g class="mailsec-wot-node" data-name="{escape(key.name)}" '
                f'data-validity="{key.validity.value}">'
                f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="7" fill="{bg}" {stroke}/>'
            )
            if valid:  # a second inner border: "valid" is visible without colour
                nodes.append(
                    f'<rect x="{x + 3}" y="{y + 3}" width="{_BOX_W - 6}" height="{_BOX_H - 6}" '
                    f'rx="5" fill="none" stroke="{fg}" stroke-width="1"/>'
                )
            nodes.append(
                f'<text x="{x + _BOX_W / 2}" y="{y + 17}" text-anchor="middle" font-size="13" '
                f'font-weight="bold" fill="{fg}" font-family="sans-serif">{escape(key.name)}</text>'
                f'<text x="{x + _BOX_W / 2}" y="{y + 32}" text-anchor="middle" font-size="11.5" '
                f'fill="{fg}" font-family="sans-serif">{escape(_VALIDITY_WORD[key.validity])}</text>'
                f'<text x="{x + _BOX_W / 2}" y="{y + 46}" text-anchor="middle" font-size="10.5" '
                f'fill="#374151" font-family="sans-serif">owner trust: '
                f"{escape(key.owner_trust.value)}</text></g>"
            )
            if key.validity is Validity.REVOKED:
                nodes.append(
                    f'<line x1="{x + 6}" y1="{y + _BOX_H - 6}" x2="{x + _BOX_W - 6}" y2="{y + 6}" '
                    f'stroke="{fg}" stroke-width="1.5"/>'
                )
    labels: list[str] = []
    for key in result.keys:
        for cert in key.certifications:
            span = abs(column_of[cert.signee] - column_of[cert.signer])
            labels.append(_edge(parts, uid, centre, cert.signer, cert.signee, cert.use, span))
    # Arrows first, boxes over them, labels on top of everything.
    parts.extend(nodes)
    parts.extend(labels)
    parts.append("</svg>")
    return Fragment("".join(parts))


def _edge(
    parts: list[str],
    uid: str,
    centre: Mapping[str, tuple[float, float]],
    signer: str,
    signee: str,
    use: CertificationUse,
    span: int,
) -> str:
    """Draw one certification arrow into ``parts``; return its label (drawn last, on top)."""
    (x1, y1), (x2, y2) = centre[signer], centre[signee]
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    # Bend every arrow a little to its right, so A→B and B→A do not lie on top of each other.
    nx, ny = -dy / length, dx / length
    # Arrows that skip columns (or run inside one column) bend further, around the boxes between.
    bend = 40 if span == 0 else 16 + 34 * (span - 1)
    mx, my = (x1 + x2) / 2 + nx * bend, (y1 + y2) / 2 + ny * bend
    sx, sy = _clip(x1, y1, mx - x1, my - y1)
    ex, ey = _clip(x2, y2, mx - x2, my - y2)
    if use.counted:
        style = f'stroke="#1f2d3d" stroke-width="2" marker-end="url(#{uid}-a)"'
    elif use is CertificationUse.REVOKED:
        style = (
            f'stroke="#7f1d1d" stroke-width="1.5" stroke-dasharray="2 3" marker-end="url(#{uid}-g)"'
        )
    else:
        style = (
            f'stroke="#8a94a3" stroke-width="1.3" stroke-dasharray="6 4" marker-end="url(#{uid}-g)"'
        )
    parts.append(
        f'<path class="mailsec-wot-edge" data-signer="{escape(signer)}" data-signee="{escape(signee)}" '
        f'data-use="{use.value}" d="M{sx:.1f},{sy:.1f} Q{mx:.1f},{my:.1f} {ex:.1f},{ey:.1f}" '
        f'fill="none" {style}/>'
    )
    label = _USE_LABEL.get(use)
    if not label:
        return ""
    # The label sits on the curve's midpoint (a quadratic Bézier at t = 0.5).
    lx, ly = 0.25 * sx + 0.5 * mx + 0.25 * ex, 0.25 * sy + 0.5 * my + 0.25 * ey
    w = 7 * len(label) + 6
    colour = "#7f1d1d" if use is CertificationUse.REVOKED else "#1f2d3d"
    return (
        f'<rect x="{lx - w / 2:.1f}" y="{ly - 8:.1f}" width="{w}" height="15" rx="3" '
        f'fill="#ffffff" fill-opacity="0.9"/>'
        f'<text x="{lx:.1f}" y="{ly + 3.5:.1f}" text-anchor="middle" font-size="10.5" '
        f'fill="{colour}" font-family="sans-serif">{escape(label)}</text>'
    )


_LEGEND = (
    "<strong>How to read the graph.</strong> An arrow goes from the person who certified a key "
    "to the key they certified. <strong>Solid arrow</strong> labelled <em>complete</em> or "
    "<em>marginal</em>: the certification counted. <strong>Thin dashed arrow</strong>: it "
    "counted for nothing (the signer's key is not fully valid, or you do not trust the signer "
    "to check keys, or the path is too long). Boxes with a <strong>double border</strong> are "
    "valid keys; <strong>dashed boxes</strong> are not valid. Columns are path lengths from "
    "your own key."
)


def trust_table(result: TrustResult) -> str:
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
    return table(
        ("Key", "Your owner trust", "Validity", "Path length", "Counted", "Why"),
        rows,
        caption="Every key's validity",
        html_cells=True,
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
    """The mailsec ↔ GnuPG exchange (:class:`mailsec.labs.pgp.GnupgExchange`): verdicts, commands."""
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
    """The model's validity next to GnuPG's (:class:`mailsec.labs.pgp.GnupgTrustCheck`).

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
