"""HTML and SVG for chapter 04: the hybrid pipeline, signatures and the size/speed plot.

The plot of sizes and speeds (and the number formats it shares) is in
:mod:`mailsec.render.hybridplot`; its names are importable from here too.

Everything is drawn here as inline HTML/SVG (no matplotlib, no external files). Pictures carry a
``<title>``/``<desc>`` and an ``aria-label``; lines differ by dash and marker shape as well as colour,
and carry a word label, so nothing depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailsec.hybrid.demo import PipelineRun, SignatureRun, Transit, person
from mailsec.hybrid.envelope import HybridMessage, Part, WrapMethod
from mailsec.i18n import texts
from mailsec.render.html import (
    FONT,
    MONO,
    TABLE_STYLE,
    Fragment,
    badge,
    callout,
    data,
    escape,
    hex_preview,
    kv_table,
    table,
    td,
    th,
    trace_list,
)
from mailsec.render.hybridplot import (
    AXIS,
    HY_COLOUR,
    PK_COLOUR,
    Metric,
    format_bytes,
    format_seconds,
    measurement_table,
    size_speed_plot,
)
from mailsec.trace import Outcome

__all__ = [
    "Metric",
    "format_bytes",
    "format_seconds",
    "hybrid_diagram",
    "measurement_table",
    "message_parts_table",
    "pipeline_html",
    "protections_table",
    "signature_html",
    "size_speed_plot",
]

TEXT = texts(
    {
        "your_message": "your message",
        "ciphertext_tag": "ciphertext + tag",
        "gcm": "AES-256-GCM",
        "content_key": "content key",
        "locks": "locks the message",
        "sent_to_everyone": "sent to everyone",
        "public_key_of": "{name}'s public key",
        "wrapped_for": "wrapped key for {name}",
        "not_sent_1": "the content key is not sent",
        "not_sent_2": "in clear: only wrapped",
        "plus_wrapped_for": "+ wrapped key for {name}",
        "diagram_desc": "The message is encrypted once with a random one-time content key using "
        "AES-GCM, giving the ciphertext and a tag. The content key is then wrapped separately "
        "with each recipient's public key ({names}). What is sent: the ciphertext and the "
        "wrapped keys, never the content key itself.",
        "diagram_title": "Hybrid encryption",
        "protections_headers": ("What", "Protected by", "How", "Size"),
        "bytes": "{count} bytes",
        "protections_caption": "Which key protects what",
        "changed": "changed on the way",
        "nonce": "nonce",
        "ciphertext": "ciphertext",
        "tag": "authentication tag",
        "wrapped_row": "wrapped key for {recipient} ({method}, key id {key_id})",
        "ephemeral_row": "one-time public key for {recipient}",
        "travels": "What travels over the network ({count} bytes)",
        "decrypted": "{reader} decrypted the message: {text}",
        "can_read": "{reader} can read it",
        "no_plaintext": "{error} <strong>No plaintext was released</strong> — not even part of "
        "it: the tag is checked before anything is decrypted and shown.",
        "cannot_read": "{reader} cannot read it",
        "content_key_row": "content key (never sent)",
        "message_size": "message size",
        "sent_to": "sent to",
        "inside": "Inside the sender's computer",
        "forged": "The signature checks with {key} — but that is the forger's key. A signature "
        "proves who holds the private key, not who that is: the reader must get the sender's "
        "real public key (a certificate, chapter 05).",
        "forged_title": "Valid signature, wrong person",
        "valid": "The signature checks with {key}: the message is unchanged and was signed with "
        "the matching private key.",
        "valid_title": "Signature valid",
        "invalid": "The signature does not check with {key}: the message or signature was "
        "changed, or someone else signed it. Do not trust this message.",
        "invalid_title": "Signature NOT valid",
        "signed_message": "signed message",
        "received_message": "received message",
        "differs": "← differs",
        "algorithm": "algorithm",
        "signature": "signature",
        "sha256": "SHA-256 of what was signed",
        "signed_caption": "What was signed and what arrived",
        "no_hiding": "A signature does not hide anything: the message travels readable. Sign "
        "<em>and</em> encrypt when both are needed.",
        "steps": "Step by step",
    }
)
"""Chapter 04's pictures and tables in words (see :mod:`mailsec.i18n`)."""


# -- the concept diagram -------------------------------------------------------------------------


_BOX = (
    '<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" stroke="{stroke}" '
    'stroke-width="1.5"{dash}/>'
    '<text x="{tx}" y="{ty}" text-anchor="middle" font-size="13" fill="#111827">{label}</text>'
)


def _rect(
    x: float,
    y: float,
    w: float,
    h: float,
    label: str,
    fill: str = "#f3f4f6",
    stroke: str = AXIS,
    dashed: bool = False,
) -> str:
    """A labelled box of the diagram."""
    return _BOX.format(
        x=x,
        y=y,
        w=w,
        h=h,
        fill=fill,
        stroke=stroke,
        dash=' stroke-dasharray="5 3"' if dashed else "",
        tx=x + w / 2,
        ty=y + h / 2 + 4,
        label=escape(label),
    )


def _arrow(x1: float, y1: float, x2: float, y2: float, label: str = "") -> str:
    """A straight arrow of the diagram, with a word above its middle."""
    mid = (
        f'<text x="{(x1 + x2) / 2}" y="{(y1 + y2) / 2 - 6}" text-anchor="middle" '
        f'font-size="11" fill="{AXIS}">{escape(label)}</text>'
        if label
        else ""
    )
    return (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{AXIS}" stroke-width="1.5" '
        f'marker-end="url(#mailsec-hy-arrow)"/>{mid}'
    )


def _diagram_keys(names: Sequence[str]) -> list[str]:
    """The left half: the message locked with the content key, the key wrapped for each person."""
    parts = [
        '<defs><marker id="mailsec-hy-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{AXIS}"/></marker></defs>',
        _rect(10, 30, 130, 40, TEXT["your_message"]),
        _arrow(140, 50, 250, 50, TEXT["gcm"]),
        _rect(250, 30, 190, 40, TEXT["ciphertext_tag"], fill="#dbeafe", stroke=HY_COLOUR),
        _rect(10, 110, 130, 40, TEXT["content_key"], fill="#fef3c7", stroke="#92400e"),
        '<line x1="75" y1="110" x2="300" y2="72" stroke="#92400e" stroke-width="1.2" '
        'stroke-dasharray="3 3"/>',
        f'<text x="190" y="100" font-size="11" fill="#92400e">{escape(TEXT["locks"])}</text>',
        '<text x="470" y="24" font-size="12" font-weight="600" fill="#111827">'
        f"{escape(TEXT['sent_to_everyone'])}</text>",
    ]
    for i, name in enumerate(names):
        y = 170 + 58 * i
        parts.append(
            f'<path d="M75,150 L75,{y + 20} L250,{y + 20}" fill="none" stroke="{AXIS}" '
            'stroke-width="1.5" marker-end="url(#mailsec-hy-arrow)"/>'
        )
        parts.append(
            f'<text x="160" y="{y + 14}" text-anchor="middle" font-size="11" fill="{AXIS}">'
            f"{escape(TEXT['public_key_of'].format(name=name))}</text>"
        )
        parts.append(
            _rect(
                250,
                y,
                190,
                40,
                TEXT["wrapped_for"].format(name=name),
                fill="#fce7f3",
                stroke=PK_COLOUR,
            )
        )
    return parts


def _diagram_sent(names: Sequence[str], height: int) -> list[str]:
    """The right half: what is sent to everyone, and that the content key is not among it."""
    parts = [
        f'<rect x="460" y="30" width="170" height="{height - 40}" rx="8" fill="none" '
        f'stroke="{AXIS}" stroke-dasharray="6 4"/>',
        f'<text x="545" y="{height - 36}" text-anchor="middle" font-size="11" fill="{AXIS}">'
        f"{escape(TEXT['not_sent_1'])}</text>",
        f'<text x="545" y="{height - 21}" text-anchor="middle" font-size="11" fill="{AXIS}">'
        f"{escape(TEXT['not_sent_2'])}</text>",
        '<text x="545" y="90" text-anchor="middle" font-size="12" fill="#111827">'
        f"{escape(TEXT['ciphertext_tag'])}</text>",
    ]
    for i, name in enumerate(names):
        parts.append(
            f'<text x="545" y="{115 + 20 * i}" text-anchor="middle" font-size="12" fill="#111827">'
            f"{escape(TEXT['plus_wrapped_for'].format(name=name))}</text>"
        )
    return parts


def hybrid_diagram(recipients: Sequence[str] = ("Bob", "Carol")) -> Fragment:
    """How hybrid encryption fits together, as an SVG with a text alternative."""
    names = list(recipients) or ["Bob"]
    height = 180 + 58 * len(names)
    desc = TEXT["diagram_desc"].format(names=", ".join(names))
    parts = _diagram_keys(names) + _diagram_sent(names, height)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(desc)}" '
        f'viewBox="0 0 640 {height}" width="640" height="{height}" style="{FONT}max-width:100%">'
        f"<title>{escape(TEXT['diagram_title'])}</title><desc>{escape(desc)}</desc>{''.join(parts)}</svg>"
    )
    return Fragment(
        f'<figure style="margin:6px 0">{svg}<figcaption style="{FONT}color:#374151">'
        f"{escape(desc)}</figcaption></figure>"
    )


# -- tables of a message ---------------------------------------------------------------------------


def protections_table(run: PipelineRun) -> Fragment:
    """Which key protects what, with the size of each protected piece."""
    return Fragment(
        table(
            TEXT["protections_headers"],
            (
                (
                    escape(p.what),
                    escape(p.protected_by),
                    data(p.method),
                    escape(TEXT["bytes"].format(count=f"{p.size:,}")),
                )
                for p in run.encryption.protections
            ),
            caption=TEXT["protections_caption"],
            html_cells=True,
        )
    )


def message_parts_table(
    message: HybridMessage, *, changed: Part | None = None, changed_recipient: str | None = None
) -> Fragment:
    """The parts of the message as sent over the wire, as hex previews; a changed part is marked."""

    def mark(part: Part, recipient: str | None = None) -> str:
        hit = changed is part and (recipient is None or recipient == changed_recipient)
        return Fragment(badge(Outcome.WARN, TEXT["changed"]) if hit else "")

    rows = [
        (TEXT["nonce"], f"{data(hex_preview(message.nonce))} {mark(Part.NONCE)}"),
        (
            TEXT["ciphertext"],
            f"{data(hex_preview(message.ciphertext, limit=24))} {mark(Part.CIPHERTEXT)}",
        ),
        (TEXT["tag"], f"{data(hex_preview(message.tag))} {mark(Part.TAG)}"),
    ]
    for entry in message.wrapped_keys:
        rows.append(
            (
                TEXT["wrapped_row"].format(
                    recipient=entry.recipient, method=entry.method.label, key_id=entry.key_id
                ),
                f"{data(hex_preview(entry.wrapped, limit=16))} "
                f"{mark(Part.WRAPPED_KEY, entry.recipient)}",
            )
        )
        if entry.method is WrapMethod.X25519_HKDF_AESKW:
            rows.append(
                (
                    TEXT["ephemeral_row"].format(recipient=entry.recipient),
                    f"{data(hex_preview(entry.ephemeral_public, limit=16))} "
                    f"{mark(Part.EPHEMERAL_KEY, entry.recipient)}",
                )
            )
    body = "".join(
        "<tr>"
        + th(escape(name), scope="row", style="padding:3px 8px;font-weight:600;vertical-align:top")
        + td(value, style=f"padding:3px 8px;{MONO}")
        + "</tr>"
        for name, value in rows
    )
    return Fragment(
        f'<table style="{TABLE_STYLE}"><caption style="text-align:left;'
        f'font-weight:600">{escape(TEXT["travels"].format(count=f"{message.size:,}"))}</caption>'
        f"<tbody>{body}</tbody></table>"
    )


def pipeline_html(run: PipelineRun) -> Fragment:
    """The result of one pass through the pipeline: outcome, protections, the wire view, the key."""
    if run.decryption is not None:
        text = run.decryption.plaintext.decode("utf-8", errors="replace")
        head = callout(
            TEXT["decrypted"].format(
                reader=escape(run.reader), text=f'<span style="{MONO}">{escape(text)}</span>'
            ),
            outcome=Outcome.OK,
            title=TEXT["can_read"].format(reader=run.reader),
        )
    else:
        head = callout(
            TEXT["no_plaintext"].format(error=escape(run.error or "")),
            outcome=Outcome.FAIL,
            title=TEXT["cannot_read"].format(reader=run.reader),
        )
    key = run.encryption.content_key
    names = ", ".join(person(name) for name in run.encryption.message.recipients)
    secret = kv_table(
        [
            (TEXT["content_key_row"], data(hex_preview(key.key))),
            (
                TEXT["message_size"],
                TEXT["bytes"].format(count=f"{run.encryption.plaintext_size:,}"),
            ),
            (TEXT["sent_to"], names),
        ],
        caption=TEXT["inside"],
    )
    return Fragment(
        head
        + protections_table(run)
        + message_parts_table(
            run.received, changed=run.tampered_part, changed_recipient=run.tampered_recipient
        )
        + secret
    )


# -- signatures ----------------------------------------------------------------------------------


def signature_html(run: SignatureRun) -> Fragment:
    """A signed message, what arrived and whether the signature checks."""
    check = run.check
    if check.valid and run.transit is Transit.FORGED:
        head = callout(
            TEXT["forged"].format(key=escape(check.checked_with)),
            outcome=Outcome.WARN,
            title=TEXT["forged_title"],
        )
    elif check.valid:
        head = callout(
            TEXT["valid"].format(key=escape(check.checked_with)),
            outcome=Outcome.OK,
            title=TEXT["valid_title"],
        )
    else:
        head = callout(
            TEXT["invalid"].format(key=escape(check.checked_with)),
            outcome=Outcome.FAIL,
            title=TEXT["invalid_title"],
        )
    sent = run.sent.decode("utf-8", errors="replace")
    received = run.received.decode("utf-8", errors="replace")
    differs = "" if received == sent else "   " + escape(TEXT["differs"])
    details = kv_table(
        [
            (TEXT["signed_message"], data(sent)),
            (TEXT["received_message"], Fragment(f"{data(received)}{differs}")),
            (TEXT["algorithm"], data(run.signature.algorithm.value)),
            (TEXT["signature"], data(hex_preview(run.received_signature.value, limit=16))),
            (TEXT["sha256"], data(run.signature.message_digest.hex()[:32] + "…")),
        ],
        caption=TEXT["signed_caption"],
    )
    note = f'<p style="{FONT}margin:4px 0;color:#374151">{TEXT["no_hiding"]}</p>'
    return Fragment(head + details + note)


def trace_html(run: PipelineRun | SignatureRun) -> Fragment:
    """The explanation trace of a lab run."""
    return Fragment(trace_list(run.steps, title=TEXT["steps"]))
