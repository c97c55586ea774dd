"""HTML and SVG for chapter 05: S/MIME messages, their MIME tree and CMS structure, certificates.

All inline HTML/SVG. Trees are nested lists (a screen reader reads them as such); the diagram has a
``<title>`` and an ``aria-label``; every verdict carries a symbol and a word, not only a colour.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mailsec.pki.validate import CertificateCheck, certificate_addresses, describe_name
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
)
from mailsec.smime.inspect import CmsNode, MimeNode
from mailsec.trace import Outcome

__all__ = [
    "certificate_fields",
    "certificate_html",
    "cms_tree_html",
    "mime_tree_html",
    "plain_client_html",
    "raw_message_html",
    "smime_client_html",
    "smime_diagram",
]

_BOX = "border:1px solid #c8d1dc;border-radius:6px;padding:8px 12px;margin:6px 0;"


def _tree(items: str, label: str) -> str:
    return (
        f'<ul role="tree" aria-label="{escape(label)}" '
        f'style="{FONT}list-style:none;padding-left:0;margin:4px 0">{items}</ul>'
    )


def _subtree(items: str) -> str:
    """A tree item's children, indented under it with a line ("" when it has none)."""
    if not items:
        return ""
    return (
        f'<ul role="group" style="list-style:none;padding-left:22px;'
        f'border-left:2px solid #c8d1dc;margin:2px 0 2px 6px">{items}</ul>'
    )


def mime_tree_html(node: MimeNode) -> Fragment:
    """The MIME tree as a nested list: type, size, file name and what the part is."""

    def item(n: MimeNode, depth: int) -> str:
        name = f" <em>({escape(n.filename)})</em>" if n.filename else ""
        children = "".join(item(c, depth + 1) for c in n.children)
        nested = _subtree(children)
        return (
            f'<li role="treeitem" style="margin:3px 0">'
            f'<code style="{MONO}font-weight:600">{escape(n.content_type)}</code>{name} '
            f'<span style="color:#444">— {escape(n.meaning)}; {n.size:,} bytes</span>{nested}</li>'
        )

    return Fragment(_tree(item(node, 0), "MIME structure of the message"))


def cms_tree_html(node: CmsNode) -> Fragment:
    """The CMS structure as a nested list with the RFC section of each element."""

    def item(n: CmsNode) -> str:
        cite = (
            f' <span style="color:#555;font-size:12px">[{escape(n.section)}]</span>'
            if n.section
            else ""
        )
        detail = f' <span style="color:#333">— {escape(n.detail)}</span>' if n.detail else ""
        children = "".join(item(c) for c in n.children)
        nested = _subtree(children)
        return (
            f'<li role="treeitem" style="margin:3px 0"><code style="{MONO}font-weight:600">'
            f"{escape(n.label)}</code>{detail}{cite}{nested}</li>"
        )

    return Fragment(_tree(item(node), "CMS structure inside the message"))


def raw_message_html(message: bytes, *, max_lines: int = 40) -> Fragment:
    """The message as it travels (text, shortened), with the size."""
    text = message.decode("utf-8", "replace").replace("\r\n", "\n")
    return Fragment(
        f'<div style="{FONT}">The message as it travels ({len(message):,} bytes):</div>'
        + code_block(text, label="The raw message", max_lines=max_lines)
    )


def plain_client_html(rows: Sequence[tuple[str, str]], *, body_text: str | None) -> Fragment:
    """A mail window of a program without S/MIME: header fields, text if any, an attachment."""
    head = kv_table(
        [(k, v) for k, v in rows if k not in ("Shows as text", "Attachments")],
        caption=None,
    )
    attachments = dict(rows).get("Attachments", "(none)")
    body = (
        f'<pre style="{MONO}white-space:pre-wrap;margin:6px 0">{escape(body_text)}</pre>'
        if body_text
        else '<p style="margin:6px 0;color:#444"><em>(no text it can show)</em></p>'
    )
    return Fragment(
        f'<div role="group" aria-label="A mail program without S/MIME support" '
        f'style="{FONT}{_BOX}background:#fafafa"><div style="font-weight:600;margin-bottom:4px">'
        f"Mail program without S/MIME</div>{head}{body}"
        f'<div style="margin-top:4px">Attachment: <code style="{MONO}">{escape(attachments)}</code>'
        f" — it cannot open it.</div></div>"
    )


def smime_client_html(
    *,
    headers: Sequence[tuple[str, str]],
    body_text: str | None,
    marks: Iterable[tuple[Outcome, str]],
    refused: str | None = None,
) -> Fragment:
    """Bob's S/MIME mail program: header fields, the verdict marks, and the text (or why not)."""
    badges = " ".join(badge(outcome, text) for outcome, text in marks)
    if body_text is not None:
        body = f'<pre style="{MONO}white-space:pre-wrap;margin:6px 0">{escape(body_text)}</pre>'
    elif refused is not None:
        body = f'<p style="margin:6px 0"><strong>No text is shown.</strong> {escape(refused)}</p>'
    else:
        body = '<p style="margin:6px 0"><em>(the message has no text part to show)</em></p>'

    return Fragment(
        f'<div role="group" aria-label="Bob\'s mail program with S/MIME" style="{FONT}{_BOX}">'
        f'<div style="font-weight:600;margin-bottom:4px">Bob\'s mail program (with S/MIME)</div>'
        f"{kv_table(headers)}"
        f'<div style="margin:6px 0" aria-live="polite">{badges}</div>{body}</div>'
    )


def _key_text(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}-bit"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name} ({key.key_size}-bit)"
    return type(key).__name__


def _extension(cert: x509.Certificate, kind: type) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def certificate_fields(cert: x509.Certificate) -> list[tuple[str, str]]:
    """The fields a learner should look at, as (name, value) text."""
    usage = _extension(cert, x509.KeyUsage)
    usages = []
    if isinstance(usage, x509.KeyUsage):
        for attr, word in (
            ("digital_signature", "digitalSignature"),
            ("key_encipherment", "keyEncipherment"),
            ("key_agreement", "keyAgreement"),
            ("key_cert_sign", "keyCertSign"),
            ("crl_sign", "cRLSign"),
        ):
            if getattr(usage, attr):
                usages.append(word)
    eku = _extension(cert, x509.ExtendedKeyUsage)
    eku_text = (
        ", ".join(getattr(oid, "_name", oid.dotted_string) for oid in eku)  # type: ignore[attr-defined]
        if isinstance(eku, x509.ExtendedKeyUsage)
        else "(none)"
    )
    basic = _extension(cert, x509.BasicConstraints)
    fingerprint = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return [
        ("Subject (who)", describe_name(cert.subject)),
        ("Email addresses (subjectAltName)", ", ".join(certificate_addresses(cert)) or "(none)"),
        ("Issuer (who vouches)", describe_name(cert.issuer)),
        (
            "Valid",
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} to {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
        ),
        ("Public key", _key_text(cert)),
        ("Key usage", ", ".join(usages) or "(none)"),
        ("Extended key usage", eku_text),
        (
            "Is a CA",
            "yes" if isinstance(basic, x509.BasicConstraints) and basic.ca else "no",
        ),
        ("Serial number", f"{cert.serial_number:x}"),
        ("SHA-256 fingerprint", fingerprint[:32] + "…"),
    ]


def certificate_html(check: CertificateCheck) -> Fragment:
    """A certificate viewer: the verdict with a word, then the fields."""
    outcome = Outcome.OK if check.valid else Outcome.FAIL
    verdict = f"{badge(outcome, check.status.description)}"
    return Fragment(
        f'<div style="{FONT}{_BOX}" role="group" aria-label="Certificate viewer">'
        f'<div style="margin-bottom:6px">Verdict for S/MIME: {verdict}</div>'
        f"{kv_table(certificate_fields(check.certificate), caption='Certificate fields')}</div>"
    )


def efail_html(
    *,
    cipher_text: str,
    original_start: str,
    injected: str,
    result_text: str | None,
    authenticated: bool,
) -> Fragment:
    """The EFAIL outcome: what the attacker did, and what Bob's program would show."""
    if result_text is None:
        outcome = callout(
            "Bob's program refuses the message: the AES-GCM tag does not match, so the attacker's "
            "change is detected and <strong>no text at all</strong> is shown — nothing to "
            "exfiltrate.",
            outcome=Outcome.OK,
            title="Change detected",
        )
        shown = ""
    else:
        outcome = callout(
            "Bob's program decrypts the message <strong>without noticing</strong>: AES-CBC has no "
            "integrity check. The first 16 bytes are now the attacker's. In the real EFAIL attack "
            'they open an HTML <code>&lt;img src="http://attacker/</code> element, so the mail '
            "program itself sends the decrypted text that follows to the attacker's server.",
            outcome=Outcome.FAIL,
            title="Change not detected",
        )
        shown = f'<div style="{FONT}">What Bob\'s program decrypts (start):</div>' + code_block(
            result_text, label="Decrypted text after the attack", max_lines=8
        )
    facts = kv_table(
        [
            ("Content encryption", cipher_text),
            ("The attacker guessed the start", original_start),
            ("and wants it to read", injected),
            ("Attacker needs the key?", "no"),
            ("Integrity check", "yes (AES-GCM tag)" if authenticated else "none (AES-CBC)"),
        ]
    )
    return Fragment(f'<div style="{FONT}">{facts}{outcome}{shown}</div>')


def smime_diagram() -> Fragment:
    """S/MIME in one picture: the CA vouches for keys; sign with Alice's, encrypt to Bob's."""
    desc = (
        "S/MIME overview. The course root CA signs Alice's and Bob's certificates. Alice signs the "
        "message with her private key and attaches her certificate. The signed message is "
        "encrypted with a random content key (AES), and the content key is encrypted with Bob's "
        "public key from Bob's certificate. The header fields From, To and Subject stay readable. "
        "Bob decrypts the content key with his private key, decrypts the message, and checks "
        "Alice's signature with the certificate that came with it, which chains to the CA he trusts."
    )
    ink = "#1f2d3d"

    def box(
        x: int, y: int, w: int, h: int, lines: Sequence[str], fill: str, dashed: bool = False
    ) -> str:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        text = "".join(
            f'<text x="{x + w / 2}" y="{y + 18 + i * 16}" text-anchor="middle" font-size="12.5" '
            f'fill="{ink}">{escape(line)}</text>'
            for i, line in enumerate(lines)
        )
        return (
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" '
            f'stroke="{ink}"{dash}/>{text}'
        )

    def arrow(
        x1: float, y1: float, x2: float, y2: float, label: str = "", dy: int = -6, dx: int = 0
    ) -> str:
        mid_x, mid_y = (x1 + x2) / 2 + dx, (y1 + y2) / 2
        tag = (
            f'<text x="{mid_x}" y="{mid_y + dy}" text-anchor="middle" font-size="11.5" '
            f'fill="{ink}">{escape(label)}</text>'
            if label
            else ""
        )
        return (
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{ink}" stroke-width="1.5" '
            f'marker-end="url(#smime-arrow)"/>{tag}'
        )

    ok_bg = OUTCOME_COLOURS[Outcome.OK][0]
    info_bg = OUTCOME_COLOURS[Outcome.INFO][0]
    warn_bg = OUTCOME_COLOURS[Outcome.WARN][0]
    parts = [
        box(300, 10, 200, 40, ["Course root CA", "(Bob's program trusts it)"], warn_bg),
        box(
            20, 90, 180, 56, ["Alice", "private key + certificate", "(alice@example.org)"], info_bg
        ),
        box(600, 90, 180, 56, ["Bob", "private key + certificate", "(bob@example.net)"], info_bg),
        arrow(330, 50, 150, 90, "signs Alice's certificate", -2),
        arrow(470, 50, 650, 90, "signs Bob's certificate", -2),
        box(
            220,
            170,
            350,
            130,
            [
                "The mail on its way",
                "From / To / Subject: readable by anyone",
                "smime.p7m (AuthEnvelopedData):",
                "• the content key, locked with Bob's public key",
                "• AES-GCM(text + Alice's signature",
                "and her certificate)",
            ],
            ok_bg,
            dashed=True,
        ),
        arrow(110, 146, 220, 200, "1. sign, 2. encrypt", 22, -45),
        arrow(570, 235, 690, 146, "3. decrypt, 4. verify", 30, 40),
    ]
    return Fragment(
        f'<figure style="margin:6px 0"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(desc)}" viewBox="0 0 800 310" width="800" height="310" '
        f'style="max-width:100%;height:auto;{FONT}"><title>{escape(desc)}</title>'
        f'<defs><marker id="smime-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{ink}"/></marker></defs>'
        + "".join(parts)
        + f'</svg><figcaption style="{FONT}color:#444">{escape(desc)}</figcaption></figure>'
    )


def recipients_table(rows: Iterable[tuple[str, str, str]]) -> Fragment:
    """(who, key, how the content key reaches them) rows."""
    return Fragment(table(("Recipient", "Key", "How the content key reaches them"), rows))
