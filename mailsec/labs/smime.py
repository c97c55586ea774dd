"""Chapter 05's labs: an S/MIME message from Alice to Bob, a certificate viewer, and EFAIL.

The course PKI (root CA, Alice, Bob and the failure certificates) is made once per Python session
by :func:`default_pki` (a fraction of a second) and shared by the labs; no callback generates keys,
so every change answers in milliseconds. Tests pass their own PKI.
"""

from __future__ import annotations

import functools

import ipywidgets as widgets

from mailsec.errors import DecryptionError, InputError
from mailsec.i18n import texts
from mailsec.labs.frame import Lab, checkbox, dropdown, tagged
from mailsec.pki import CertificateCheck, CoursePKI, check_certificate, course_pki
from mailsec.render.html import trace_list
from mailsec.render.smime import (
    certificate_html,
    cms_tree_html,
    efail_html,
    mime_tree_html,
    plain_client_html,
    raw_message_html,
    smime_client_html,
)
from mailsec.smime import ContentCipher, decrypt_message, encrypt_message
from mailsec.smime.demo import Delivery, compose, deliver, entity_text
from mailsec.smime.inspect import cms_outline, efail_rewrite, mime_tree, plain_client_view
from mailsec.trace import Step

__all__ = [
    "CertificateLab",
    "EfailLab",
    "MessageLab",
    "certificate_lab",
    "default_pki",
    "efail_lab",
    "message_lab",
]

TEXT = texts(
    {
        "views": {
            "smime": "Bob's mail program (with S/MIME)",
            "plain": "A mail program without S/MIME",
            "mime": "MIME tree",
            "cms": "CMS structure (inside smime.p7m / smime.p7s)",
            "raw": "The raw message as it travels",
        },
        "signers": {
            "alice": "her own certificate (valid)",
            "expired": "an old certificate that has expired",
            "wrong_address": "Carol's certificate (another address)",
            "unknown_ca": "a certificate from a CA Bob does not trust",
        },
        "ciphers": {
            "gcm": "AES-256-GCM (S/MIME 4.0, authenticated)",
            "cbc": "AES-256-CBC (older clients, not authenticated)",
        },
        "subject": "Subject:",
        "text": "Text:",
        "sign": "Sign",
        "encrypt": "Encrypt",
        "alice_signs": "Alice signs with:",
        "encryption": "Encryption:",
        "on_the_way": "On the way:",
        "nothing": "nothing happens",
        "one_byte": "one byte is changed",
        "byte": "at byte number:",
        "show": "Show:",
        "message_title": "Lab: an S/MIME message from Alice to Bob",
        "message_intro": "Alice writes to Bob. Tick <em>Sign</em> and <em>Encrypt</em>, pick the "
        "certificate Alice signs with, let a byte change on the way, and switch the view to see "
        "what Bob's program says, what a program without S/MIME shows, and what is inside.",
        "no_cms": "A plain message has no CMS structure: tick Sign or Encrypt to make one.",
        "certificates": {
            "alice": "Alice (RSA, alice@example.org)",
            "bob": "Bob (EC P-256, bob@example.net)",
            "expired": "Alice's old certificate (expired)",
            "wrong_address": "Carol (carol@example.com)",
            "unknown_ca": "'Alice' from an unknown CA",
            "ca": "The course root CA itself",
        },
        "certificate": "Certificate:",
        "claims": "The mail says it is from:",
        "trusts": "Bob's program trusts the course root CA",
        "certificate_title": "Lab: certificate viewer",
        "certificate_intro": "Pick a certificate and the address the mail claims to come from. "
        "The viewer shows the fields and checks what Bob's program checks: dates, purpose, "
        "address and a chain to a root CA it trusts.",
        "not_address": "{address} is not a mail address; write it like alice@example.org, or "
        "leave it empty to skip the address check.",
        "counted": "{text} is {size} bytes",
        "counted_utf8": "{text} is {length} characters but {size} bytes in UTF-8 (a kanji or "
        "kana takes 3 bytes)",
        "block": "{counted}; the attack rewrites exactly one AES block of {block} bytes, so make "
        "it {block} bytes: for example 16 ASCII characters, or 5 kanji and 1 ASCII character.",
        "efail_ciphers": {
            "cbc": "AES-256-CBC (EnvelopedData, before S/MIME 4.0)",
            "gcm": "AES-256-GCM (AuthEnvelopedData, S/MIME 4.0)",
        },
        "encrypts_with": "Alice encrypts with:",
        "injected": "Attacker's 16 bytes:",
        "efail_title": "Lab: EFAIL (2018) — changing encrypted mail without the key",
        "efail_intro": "Mallory captures an encrypted message. She cannot decrypt it, but she "
        "knows how every such message starts (<code>Content-Type: te</code>). She changes the "
        "encrypted bytes so that the start decrypts to her own text, exactly one AES block of 16 "
        "bytes (16 ASCII characters; a kanji takes 3 bytes in UTF-8), and forwards it to Bob.",
    }
)
"""The labs' words (see :mod:`mailsec.i18n`). The sample messages stay English: they are the
learner's own input, which they may type over."""

STYLE = {"description_width": "initial"}
WIDE = widgets.Layout(width="560px")
DEFAULT_SUBJECT = "Salary table for next year"
DEFAULT_BODY = "Hi Bob,\nthe new salary table: team leads +3%, everyone else +2%.\nAlice\n"


@functools.cache
def default_pki() -> CoursePKI:
    """The labs' course PKI, made once per Python session and shared by every lab."""
    return course_pki()


# -- the message lab ----------------------------------------------------------------------------


def _views() -> list[tuple[str, str]]:
    """The message lab's views of one delivery."""
    return [(label, key) for key, label in TEXT["views"].items()]


def _signers() -> list[tuple[str, str]]:
    """The certificates Alice may sign with (the failures of the course PKI)."""
    return [(label, key) for key, label in TEXT["signers"].items()]


def _ciphers() -> list[tuple[str, ContentCipher]]:
    """The content encryption Alice may pick: authenticated (S/MIME 4.0) or not."""
    named = TEXT["ciphers"]
    return [(named["gcm"], ContentCipher.AES256_GCM), (named["cbc"], ContentCipher.AES256_CBC)]


class MessageLab(Lab):
    """Compose a message from Alice to Bob; sign, encrypt, change a byte, and look inside."""

    def __init__(self, pki: CoursePKI, *, lang: str | None = None) -> None:
        self.pki = pki
        self.subject = tagged(
            widgets.Text(
                value=DEFAULT_SUBJECT, description=TEXT["subject"], style=STYLE, layout=WIDE
            ),
            "mailsec-smime-subject",
        )
        self.body = tagged(
            widgets.Textarea(
                value=DEFAULT_BODY,
                description=TEXT["text"],
                style=STYLE,
                layout=widgets.Layout(width="560px", height="72px"),
            ),
            "mailsec-smime-body",
        )
        self.sign = checkbox(TEXT["sign"], "mailsec-smime-sign", value=True)
        self.encrypt = checkbox(TEXT["encrypt"], "mailsec-smime-encrypt", value=True)
        self.signer = dropdown(TEXT["alice_signs"], _signers(), "alice", "mailsec-smime-signer")
        self.cipher = dropdown(
            TEXT["encryption"], _ciphers(), ContentCipher.AES256_GCM, "mailsec-smime-cipher"
        )
        self.transit = dropdown(
            TEXT["on_the_way"],
            [(TEXT["nothing"], False), (TEXT["one_byte"], True)],
            False,
            "mailsec-smime-transit",
        )
        self.byte = tagged(
            widgets.BoundedIntText(
                value=20, min=0, max=1_000_000, description=TEXT["byte"], style=STYLE
            ),
            "mailsec-smime-byte",
        )
        self.view = dropdown(TEXT["show"], _views(), "smime", "mailsec-smime-view")
        super().__init__(
            TEXT["message_title"],
            intro=TEXT["message_intro"],
            controls=[
                self.subject,
                self.body,
                widgets.HBox([self.sign, self.encrypt]),
                self.signer,
                self.cipher,
                self.transit,
                self.byte,
                self.view,
            ],
            lang=lang,
        )
        self.add_class("mailsec-smime-message")
        self.delivery: Delivery | None = None
        self.on_change(
            [
                self.subject,
                self.body,
                self.sign,
                self.encrypt,
                self.signer,
                self.cipher,
                self.transit,
                self.byte,
            ],
            self.update,
        )
        # Switching the view only draws the same delivery another way.
        self.on_change([self.view], self.redraw)
        self.action(self.update)()

    def update(self) -> None:
        pki = self.pki
        self.delivery = delivery = deliver(
            subject=self.subject.value,
            body=self.body.value,
            sign=self.sign.value,
            encrypt=self.encrypt.value,
            signer=pki.users[self.signer.value],
            recipients=[pki.bob, pki.alice],
            reader=pki.bob,
            trusted=[pki.ca.certificate],
            cipher=self.cipher.value,
            flip_at=self.byte.value if self.transit.value else None,
        )
        self.show(self.render(delivery, self.view.value), trace_list(delivery.steps))

    def redraw(self) -> None:
        if self.delivery is None:
            self.update()
            return
        self.show(self.render(self.delivery, self.view.value), trace_list(self.delivery.steps))

    def render(self, delivery: Delivery, view: str) -> str:
        message = delivery.received
        if view == "smime":
            headers = [
                (k, v)
                for k, v in mime_tree(message).headers
                if k.lower() in ("from", "to", "subject")
            ]
            return str(
                smime_client_html(
                    headers=headers,
                    body_text=delivery.text,
                    marks=delivery.marks,
                    refused=delivery.refused,
                )
            )
        if view == "plain":
            text = None if delivery.encrypted else _plain_text(message)
            return str(plain_client_html(plain_client_view(message), body_text=text))
        if view == "mime":
            return str(mime_tree_html(mime_tree(message)))
        if view == "cms":
            if not (delivery.signed or delivery.encrypted):
                raise InputError(TEXT["no_cms"])
            return str(cms_tree_html(cms_outline(message)))
        return str(raw_message_html(message))


def _plain_text(message: bytes) -> str | None:
    try:
        return entity_text(message)
    except Exception:  # a damaged message: a plain program would show nothing useful either
        return None


def message_lab(pki: CoursePKI | None = None, *, lang: str | None = None) -> MessageLab:
    """The message lab, ready to display."""
    return MessageLab(pki or default_pki(), lang=lang)


# -- the certificate viewer ---------------------------------------------------------------------


class CertificateLab(Lab):
    """Look at the course certificates and see which ones Bob's program accepts, and why."""

    def __init__(self, pki: CoursePKI, *, lang: str | None = None) -> None:
        self.pki = pki
        self.which = dropdown(
            TEXT["certificate"],
            [(label, key) for key, label in TEXT["certificates"].items()],
            "alice",
            "mailsec-cert-which",
        )
        self.address = tagged(
            widgets.Text(
                value="alice@example.org",
                description=TEXT["claims"],
                style=STYLE,
                layout=WIDE,
            ),
            "mailsec-cert-address",
        )
        self.trusts = checkbox(TEXT["trusts"], "mailsec-cert-trust", value=True)
        super().__init__(
            TEXT["certificate_title"],
            intro=TEXT["certificate_intro"],
            controls=[self.which, self.address, self.trusts],
            lang=lang,
        )
        self.add_class("mailsec-smime-certificates")
        self.check: CertificateCheck | None = None
        self.on_change([self.which, self.address, self.trusts], self.update)
        self.action(self.update)()

    def update(self) -> None:
        pki = self.pki
        cert = (
            pki.ca.certificate
            if self.which.value == "ca"
            else pki.users[self.which.value].certificate
        )
        address = self.address.value.strip() or None
        if address is not None and "@" not in address:
            raise InputError(TEXT["not_address"].format(address=repr(address)))
        trusted = [pki.ca.certificate] if self.trusts.value else [pki.unknown_root.certificate]
        self.check = check = check_certificate(cert, trusted=trusted, email=address)
        self.show(str(certificate_html(check)), trace_list(check.steps))


def certificate_lab(pki: CoursePKI | None = None, *, lang: str | None = None) -> CertificateLab:
    """The certificate viewer, ready to display."""
    return CertificateLab(pki or default_pki(), lang=lang)


# -- EFAIL --------------------------------------------------------------------------------------

EFAIL_TEXT = "Hi Bob,\nthe password for the payroll system is tulip-42-river.\nAlice\n"
BLOCK = 16
"""The attack rewrites exactly one AES block."""


def block_size_error(text: str, size: int) -> str:
    """Why ``text`` (``size`` bytes in UTF-8) does not fill one AES block, counted in bytes."""
    if size == len(text):
        counted = TEXT["counted"].format(text=repr(text), size=size)
    else:
        counted = TEXT["counted_utf8"].format(text=repr(text), length=len(text), size=size)
    return TEXT["block"].format(counted=counted, block=BLOCK)


class EfailLab(Lab):
    """Without the key, rewrite the start of an encrypted message: CBC lets it through, GCM not."""

    def __init__(self, pki: CoursePKI, *, lang: str | None = None) -> None:
        self.pki = pki
        self.cipher = dropdown(
            TEXT["encrypts_with"],
            [
                (TEXT["efail_ciphers"]["cbc"], ContentCipher.AES256_CBC),
                (TEXT["efail_ciphers"]["gcm"], ContentCipher.AES256_GCM),
            ],
            ContentCipher.AES256_CBC,
            "mailsec-efail-cipher",
        )
        self.injected = tagged(
            widgets.Text(
                value="<img src='http:/",
                description=TEXT["injected"],
                style=STYLE,
                layout=WIDE,
            ),
            "mailsec-efail-injected",
        )
        super().__init__(
            TEXT["efail_title"],
            intro=TEXT["efail_intro"],
            controls=[self.cipher, self.injected],
            lang=lang,
        )
        self.add_class("mailsec-smime-efail")
        message = compose(
            sender="Alice <alice@example.org>",
            to="Bob <bob@example.net>",
            subject="Payroll access",
            body=EFAIL_TEXT,
        )
        # Encrypt both ways once: the callback only rewrites and decrypts.
        self.sealed = {
            cipher: encrypt_message(message, [pki.bob.certificate], cipher=cipher)
            for cipher in (ContentCipher.AES256_CBC, ContentCipher.AES256_GCM)
        }
        self.result_text: str | None = None
        self.on_change([self.cipher, self.injected], self.update)
        self.action(self.update)()

    def update(self) -> None:
        injected = self.injected.value.encode("utf-8")
        if len(injected) != BLOCK:
            raise InputError(block_size_error(self.injected.value, len(injected)))
        cipher = self.cipher.value
        known = b"Content-Type: te"
        attack = efail_rewrite(self.sealed[cipher], known=known, injected=injected)
        try:
            opened = decrypt_message(
                attack.message, key=self.pki.bob.key, certificate=self.pki.bob.certificate
            )
        except DecryptionError:
            self.result_text = None
            steps: tuple[Step, ...] = (attack.step,)
        else:
            # decrypt_message gives bytes (a view only from its _buffer twin): not copied.
            self.result_text = bytes(opened.entity).decode("utf-8", "replace").replace("\r\n", "\n")
            steps = (attack.step, *opened.steps)
        self.show(
            str(
                efail_html(
                    cipher_text=cipher.description,
                    original_start=known.decode(),
                    injected=self.injected.value,
                    result_text=self.result_text,
                    authenticated=cipher.authenticated,
                )
            ),
            trace_list(steps),
        )


def efail_lab(pki: CoursePKI | None = None, *, lang: str | None = None) -> EfailLab:
    """The EFAIL lab, ready to display."""
    return EfailLab(pki or default_pki(), lang=lang)
