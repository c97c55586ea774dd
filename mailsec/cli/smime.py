"""``mailsec smime``: sign, encrypt, decrypt and verify S/MIME mail on the command line.

The message comes on standard input and the result goes to standard output, so the commands
chain like filters::

    mailsec smime sign --key alice.key.pem --cert alice.pem < mail.eml \\
      | mailsec smime encrypt --recipient bob.pem > sealed.eml
    mailsec smime decrypt --key bob.key.pem --cert bob.pem < sealed.eml \\
      | mailsec smime verify --ca ca.pem

A failure ends with one line on standard error that names the cause, and exit status 1.
``verify`` prints the signed content only when everything checks out. Everything it says is in
the command line's language (``python -m mailsec --lang ja smime ...``, or ``LANG``; see
:mod:`mailsec.i18n`); the messages it writes are mail, as they go on the wire.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, BinaryIO

from mailsec.cli import one_line, read_file, read_stdin
from mailsec.errors import VerificationError
from mailsec.i18n import texts

if TYPE_CHECKING:
    from cryptography import x509

    from mailsec.pki.ca import PrivateKey

CIPHERS = ("aes256-gcm", "aes256-cbc", "aes128-gcm", "aes128-cbc")

HELP = texts(
    {
        "sign": "sign a message (multipart/signed, detached CMS signature)",
        "sign_description": "Sign the message on standard input; the signature carries the "
        "certificate.",
        "signer_key": "the signer's private key",
        "signer_cert": "the signer's certificate",
        "digest": "digest",
        "encrypt": "encrypt a message for one or more recipients",
        "encrypt_description": "Encrypt the message on standard input (header fields stay "
        "readable).",
        "recipient": "a recipient's certificate (repeat for several recipients)",
        "cipher": "content encryption: aes256-gcm (default, authenticated) or aes256-cbc (old "
        "clients)",
        "key_transport": "how RSA recipients get the content key: rsa-pkcs1v15 (default, every "
        "mail program reads it) or rsa-oaep (RFC 8551 recommends it; EC recipients always use "
        "ECDH)",
        "decrypt": "decrypt a message",
        "decrypt_description": "Decrypt the message on standard input with a recipient's key.",
        "your_key": "your private key",
        "your_cert": "your certificate",
        "verify": "verify a signed message and print its signed content",
        "verify_description": "Verify the signed message on standard input: signature, chain to "
        "the CA, validity dates and the signer's address against From:. Prints the signed "
        "content and exits 0 only if everything is valid.",
        "ca": "the CA certificate(s) to trust",
        "explain": "print how the result was reached on stderr",
    }
)
"""The subcommands' help (see :mod:`mailsec.i18n`)."""

MESSAGES = texts(
    {
        "note": "mailsec smime: {text}",
        "key_file": "The key file {path!r}",
        "certificate_file": "The certificate file {path!r}",
        "ca_file": "The CA file {path!r}",
        "not_authenticated": "warning: {cipher}: this message could have been changed on the way "
        "without anyone noticing; trust it only if it is also signed.",
        "failed": "Verification failed: {status}{detail}.",
        "detail": " ({reason})",
        "verified": "verification successful: signed by {signer}.",
        "holder": "the certificate holder",
    }
)
"""What the commands say (see :mod:`mailsec.i18n`)."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the sign / encrypt / decrypt / verify subcommands."""
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sign = commands.add_parser("sign", help=HELP["sign"], description=HELP["sign_description"])
    sign.add_argument("--key", required=True, metavar="KEY.pem", help=HELP["signer_key"])
    sign.add_argument("--cert", required=True, metavar="CERT.pem", help=HELP["signer_cert"])
    sign.add_argument(
        "--digest", default="sha256", choices=("sha256", "sha384", "sha512"), help=HELP["digest"]
    )

    encrypt = commands.add_parser(
        "encrypt", help=HELP["encrypt"], description=HELP["encrypt_description"]
    )
    encrypt.add_argument(
        "--recipient", action="append", required=True, metavar="CERT.pem", help=HELP["recipient"]
    )
    encrypt.add_argument("--cipher", default="aes256-gcm", choices=CIPHERS, help=HELP["cipher"])
    encrypt.add_argument(
        "--key-transport",
        default="rsa-pkcs1v15",
        choices=("rsa-pkcs1v15", "rsa-oaep"),
        help=HELP["key_transport"],
    )

    decrypt = commands.add_parser(
        "decrypt", help=HELP["decrypt"], description=HELP["decrypt_description"]
    )
    decrypt.add_argument("--key", required=True, metavar="KEY.pem", help=HELP["your_key"])
    decrypt.add_argument("--cert", required=True, metavar="CERT.pem", help=HELP["your_cert"])

    verify = commands.add_parser(
        "verify", help=HELP["verify"], description=HELP["verify_description"]
    )
    verify.add_argument("--ca", required=True, metavar="CA.pem", help=HELP["ca"])
    for sub in (decrypt, verify):
        sub.add_argument("--explain", action="store_true", help=HELP["explain"])


def run(
    args: argparse.Namespace, *, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> int:
    """Carry out one subcommand; returns the exit status."""
    from mailsec.pki.ca import load_certificate, load_certificates, load_private_key
    from mailsec.smime import messages
    from mailsec.smime.cms import ContentCipher, KeyTransport
    from mailsec.trace import steps_to_text

    source = stdin or sys.stdin.buffer
    sink = stdout or sys.stdout.buffer

    def note(text: str) -> None:
        print(MESSAGES["note"].format(text=one_line(text)), file=sys.stderr)

    def key_and_certificate() -> tuple[PrivateKey, x509.Certificate]:
        key = load_private_key(
            read_file(args.key, "key"), source=MESSAGES["key_file"].format(path=args.key)
        )
        cert = load_certificate(
            read_file(args.cert, "certificate"),
            source=MESSAGES["certificate_file"].format(path=args.cert),
        )
        return key, cert

    if args.command == "sign":
        key, cert = key_and_certificate()
        sink.write(
            messages.sign_message(read_stdin(source), key=key, certificate=cert, digest=args.digest)
        )
    elif args.command == "encrypt":
        certs = [
            load_certificate(
                read_file(path, "certificate"),
                source=MESSAGES["certificate_file"].format(path=path),
            )
            for path in args.recipient
        ]
        cipher = ContentCipher(args.cipher)
        transport = KeyTransport(args.key_transport)
        # Written piece by piece: the Base64 text is made a block at a time as it goes out.
        for piece in messages.encrypt_message_parts(
            read_stdin(source), certs, cipher=cipher, key_transport=transport
        ):
            sink.write(piece)
    elif args.command == "decrypt":
        key, cert = key_and_certificate()
        # Decrypted where it lies; the message is written out as a view, without a copy.
        result = messages.decrypt_message_buffer(read_stdin(source), key=key, certificate=cert)
        if args.explain:
            print(steps_to_text(result.steps), file=sys.stderr)
        if not result.authenticated:
            note(MESSAGES["not_authenticated"].format(cipher=result.cipher.description))
        sink.write(result.message)
    elif args.command == "verify":
        trusted = load_certificates(
            read_file(args.ca, "CA certificate"), source=MESSAGES["ca_file"].format(path=args.ca)
        )
        checked = messages.verify_message(read_stdin(source), trusted=trusted)
        if args.explain:
            print(steps_to_text(checked.steps), file=sys.stderr)
        if not checked.valid or checked.content is None:
            failed = [s.text for s in checked.steps if s.outcome.value == "fail"]
            detail = MESSAGES["detail"].format(reason=failed[-1].rstrip(".。")) if failed else ""
            raise VerificationError(
                MESSAGES["failed"].format(status=checked.status.description, detail=detail)
            )
        signer = checked.certificate_check.addresses if checked.certificate_check else ()
        note(MESSAGES["verified"].format(signer=", ".join(signer) or MESSAGES["holder"]))
        sink.write(checked.content)
    sink.flush()
    return 0
