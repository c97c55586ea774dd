"""Mail from mailsec to GnuPG and back, in a temporary GNUPGHOME (chapter 06, not a widget).

:func:`exchange_with_gnupg` lets Alice (mailsec) write PGP/MIME mail to Bob, who uses GnuPG, and
lets GnuPG answer; mailsec reads the answer. It says plainly when gpg is not installed.
:func:`mailsec.render.openpgp.gnupg_html` shows the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailsec import openpgp
from mailsec.errors import MailsecError
from mailsec.i18n import texts
from mailsec.labs.pgp.gnupg import GpgHome, GpgRun, find_gpg, gpg_missing
from mailsec.openpgp.pgpmime import encrypt_message, read_message
from mailsec.trace import Outcome, Step, Trace

__all__ = ["GnupgExchange", "exchange_with_gnupg"]


TEXT = texts(
    {
        "imported": "{version}: imported Bob's secret key and Alice's certificate into a "
        "temporary GNUPGHOME.",
        "gpg_read": "gpg decrypted mailsec's PGP/MIME mail and found a good signature from Alice.",
        "gpg_failed": "gpg could not decrypt or verify mailsec's mail; see its messages below.",
        "refused": "mailsec refused gpg's reply: {error}",
        "we_read": "mailsec decrypted GnuPG's reply and found a good signature from Bob.",
        "we_failed": "mailsec could not read GnuPG's reply.",
    }
)
"""What the exchange says (see :mod:`mailsec.i18n`)."""


@dataclass(frozen=True)
class GnupgExchange:
    """Mail between mailsec and GnuPG, both ways, in a throw-away GNUPGHOME."""

    available: bool
    version: str
    runs: tuple[GpgRun, ...] = ()
    gpg_read_ours: bool = False
    """gpg decrypted Alice's PGP/MIME mail to Bob and found a good signature."""
    we_read_theirs: bool = False
    """mailsec decrypted gpg's reply and found a good signature."""
    reply_text: str = ""
    steps: Trace = ()


def exchange_with_gnupg(
    alice: openpgp.SecretKey,
    bob: openpgp.SecretKey,
    *,
    text: str = "Hi Bob, this mail was encrypted by mailsec.\n",
    reply: str = "Hi Alice, GnuPG read it and wrote this reply.\n",
    gpg: str | None = None,
    timeout: float = 60.0,
) -> GnupgExchange:
    # ``gpg``: the program to run (a name on PATH or a path); None means "gpg".
    """Alice (mailsec) writes to Bob, who uses GnuPG; Bob answers with GnuPG; mailsec reads it.

    Bob's secret key and Alice's certificate are imported into a temporary GNUPGHOME, removed at
    the end. Without gpg the result says so (``available`` False) and nothing is run.
    """
    binary = find_gpg(gpg)
    if not binary:
        return GnupgExchange(False, "", steps=(gpg_missing("exchange"),))
    steps: list[Step] = []
    options = ("--batch", "--no-tty")
    with GpgHome(binary, prefix="mailsec-gpg-", options=options, timeout=timeout) as home:
        version = home.version()
        home.run("--import", stdin=bob.to_bytes(armor=True))
        home.run("--import", stdin=alice.public.to_bytes(armor=True))
        steps.append(
            Step(
                TEXT["imported"].format(version=version),
                Outcome.INFO,
            )
        )
        gpg_read_ours = _gpg_reads_ours(home, alice, bob, text)
        steps.append(
            Step(
                TEXT["gpg_read" if gpg_read_ours else "gpg_failed"],
                Outcome.OK if gpg_read_ours else Outcome.FAIL,
                "RFC 3156 §6.2",
            )
        )
        we_read_theirs, reply_text = False, ""
        sealed = _gpg_replies(home, alice, bob, reply)
        if sealed is not None:
            try:
                result = read_message(_pgp_mime(sealed), keys=[alice], certs=[bob.public])
                we_read_theirs = bool(result.signature_valid)
                reply_text = result.text or ""
            except MailsecError as exc:
                steps.append(Step(TEXT["refused"].format(error=exc.message), Outcome.FAIL))
        steps.append(
            Step(
                TEXT["we_read" if we_read_theirs else "we_failed"],
                Outcome.OK if we_read_theirs else Outcome.FAIL,
                "RFC 3156 §6.2",
            )
        )
        return GnupgExchange(
            True, version, tuple(home.runs), gpg_read_ours, we_read_theirs, reply_text, tuple(steps)
        )


def _gpg_reads_ours(
    home: GpgHome, alice: openpgp.SecretKey, bob: openpgp.SecretKey, text: str
) -> bool:
    """mailsec encrypts and signs ``text`` for Bob; whether gpg decrypts it to a good signature."""
    mail = encrypt_message(
        text,
        [bob.public],
        sign_with=[alice],
        headers={"From": alice.user_ids[0], "To": bob.user_ids[0], "Subject": "From mailsec"},
    )
    payload = list(mail.iter_parts())[1].get_payload(decode=True)
    armored = payload if isinstance(payload, bytes) else b""
    opened, plaintext = home.run("--trust-model", "always", "--decrypt", stdin=armored)
    # A good signature is a VALIDSIG line naming Alice's primary key (its last argument);
    # gpg's "Good signature" message is in the user's language.
    return (
        not opened.failed
        and bool(opened.said("DECRYPTION_OKAY"))
        and any(args[-1:] == (alice.fingerprint,) for args in opened.said("VALIDSIG"))
        and not opened.said("BADSIG")
        and text.strip().encode() in plaintext
    )


def _gpg_replies(
    home: GpgHome, alice: openpgp.SecretKey, bob: openpgp.SecretKey, reply: str
) -> bytes | None:
    """Bob's gpg signs and encrypts ``reply`` for Alice; the armored data, or None if it failed."""
    entity = (
        b'Content-Type: text/plain; charset="utf-8"\r\n\r\n' + reply.replace("\n", "\r\n").encode()
    )
    sealed, sealed_bytes = home.run(
        "--trust-model",
        "always",
        "--armor",
        "--sign",
        "--encrypt",
        "-u",
        bob.fingerprint,
        "-r",
        alice.fingerprint,
        stdin=entity,
    )
    return None if sealed.failed else sealed_bytes


def _pgp_mime(armored: bytes) -> bytes:
    """``armored`` encrypted data as a PGP/MIME mail (RFC 3156 §4)."""
    return (
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="gpg"\r\n'
        b"\r\n--gpg\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
        b"--gpg\r\nContent-Type: application/octet-stream\r\n\r\n" + armored + b"\r\n--gpg--\r\n"
    )
