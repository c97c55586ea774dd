"""``mailsec smime``: sign, encrypt, decrypt and verify S/MIME mail on the command line.

The message comes on standard input and the result goes to standard output, so the commands
chain like filters::

    mailsec smime sign --key alice.key.pem --cert alice.pem < mail.eml \\
      | mailsec smime encrypt --recipient bob.pem > sealed.eml
    mailsec smime decrypt --key bob.key.pem --cert bob.pem < sealed.eml \\
      | mailsec smime verify --ca ca.pem

A failure ends with one line on standard error that names the cause, and exit status 1.
``verify`` prints the signed content only when everything checks out.
"""

from __future__ import annotations

import argparse
import sys
from typing import BinaryIO

from mailsec.cli import one_line, read_file, read_stdin
from mailsec.errors import VerificationError

CIPHERS = ("aes256-gcm", "aes256-cbc", "aes128-gcm", "aes128-cbc")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the sign / encrypt / decrypt / verify subcommands."""
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sign = commands.add_parser(
        "sign",
        help="sign a message (multipart/signed, detached CMS signature)",
        description="Sign the message on standard input; the signature carries the certificate.",
    )
    sign.add_argument("--key", required=True, metavar="KEY.pem", help="the signer's private key")
    sign.add_argument("--cert", required=True, metavar="CERT.pem", help="the signer's certificate")
    sign.add_argument(
        "--digest", default="sha256", choices=("sha256", "sha384", "sha512"), help="digest"
    )

    encrypt = commands.add_parser(
        "encrypt",
        help="encrypt a message for one or more recipients",
        description="Encrypt the message on standard input (header fields stay readable).",
    )
    encrypt.add_argument(
        "--recipient",
        action="append",
        required=True,
        metavar="CERT.pem",
        help="a recipient's certificate (repeat for several recipients)",
    )
    encrypt.add_argument(
        "--cipher",
        default="aes256-gcm",
        choices=CIPHERS,
        help="content encryption: aes256-gcm (default, authenticated) or aes256-cbc (old clients)",
    )
    encrypt.add_argument(
        "--key-transport",
        default="rsa-pkcs1v15",
        choices=("rsa-pkcs1v15", "rsa-oaep"),
        help="how RSA recipients get the content key: rsa-pkcs1v15 (default, every mail program "
        "reads it) or rsa-oaep (RFC 8551 recommends it; EC recipients always use ECDH)",
    )

    decrypt = commands.add_parser(
        "decrypt",
        help="decrypt a message",
        description="Decrypt the message on standard input with a recipient's key.",
    )
    decrypt.add_argument("--key", required=True, metavar="KEY.pem", help="your private key")
    decrypt.add_argument("--cert", required=True, metavar="CERT.pem", help="your certificate")

    verify = commands.add_parser(
        "verify",
        help="verify a signed message and print its signed content",
        description=(
            "Verify the signed message on standard input: signature, chain to the CA, validity "
            "dates and the signer's address against From:. Prints the signed content and exits "
            "0 only if everything is valid."
        ),
    )
    verify.add_argument(
        "--ca", required=True, metavar="CA.pem", help="the CA certificate(s) to trust"
    )
    for sub in (decrypt, verify):
        sub.add_argument(
            "--explain", action="store_true", help="print how the result was reached on stderr"
        )


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
        print(f"mailsec smime: {one_line(text)}", file=sys.stderr)

    if args.command == "sign":
        key = load_private_key(read_file(args.key, "key"), source=f"The key file {args.key!r}")
        cert = load_certificate(
            read_file(args.cert, "certificate"), source=f"The certificate file {args.cert!r}"
        )
        sink.write(
            messages.sign_message(read_stdin(source), key=key, certificate=cert, digest=args.digest)
        )
    elif args.command == "encrypt":
        certs = [
            load_certificate(
                read_file(path, "certificate"), source=f"The certificate file {path!r}"
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
        key = load_private_key(read_file(args.key, "key"), source=f"The key file {args.key!r}")
        cert = load_certificate(
            read_file(args.cert, "certificate"), source=f"The certificate file {args.cert!r}"
        )
        # Decrypted where it lies; the message is written out as a view, without a copy.
        result = messages.decrypt_message_buffer(read_stdin(source), key=key, certificate=cert)
        if args.explain:
            print(steps_to_text(result.steps), file=sys.stderr)
        if not result.authenticated:
            note(
                f"warning: {result.cipher.description}: this message could have been changed on "
                "the way without anyone noticing; trust it only if it is also signed."
            )
        sink.write(result.message)
    elif args.command == "verify":
        trusted = load_certificates(
            read_file(args.ca, "CA certificate"), source=f"The CA file {args.ca!r}"
        )
        result = messages.verify_message(read_stdin(source), trusted=trusted)
        if args.explain:
            print(steps_to_text(result.steps), file=sys.stderr)
        if not result.valid or result.content is None:
            failed = [s.text for s in result.steps if s.outcome.value == "fail"]
            detail = f" ({failed[-1].rstrip('.')})" if failed else ""
            raise VerificationError(f"Verification failed: {result.status.description}{detail}.")
        signer = result.certificate_check.addresses if result.certificate_check else ()
        note(f"verification successful: signed by {', '.join(signer) or 'the certificate holder'}.")
        sink.write(result.content)
    sink.flush()
    return 0
