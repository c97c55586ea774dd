"""``mailsec dkim``: make a DKIM key, sign a message, verify its signatures (chapter 07).

::

    mailsec dkim keygen --algorithm rsa-sha256|ed25519-sha256 --selector S --domain D --out KEY.pem
    mailsec dkim sign --domain D --selector S --key KEY.pem [--algorithm A]
        [--canonicalization simple/simple|relaxed/relaxed|relaxed/simple|simple/relaxed]
        [--headers from:to:subject:date...] [--body-length]       < message > signed
    mailsec dkim verify [--zone FILE | --nameserver HOST[:PORT]]   < message

``keygen`` writes the private key (PEM, readable by its owner only, never over an existing file)
and prints the TXT record line to publish at ``S._domainkey.D``. ``verify`` prints one line per
signature, ``RESULT d=DOMAIN s=SELECTOR [reason]`` (``none`` for an unsigned message), and exits 0
when at least one signature passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import BinaryIO

from mailsec.cli import read_file, read_stdin
from mailsec.cli.dns import add_dns_options, dns_resolver
from mailsec.errors import InputError
from mailsec.i18n import texts

__all__ = ["configure", "run"]

ALGORITHMS = ("rsa-sha256", "ed25519-sha256")
CANONICALIZATIONS = ("simple/simple", "relaxed/relaxed", "relaxed/simple", "simple/relaxed")

HELP = texts(
    {
        "keygen": "make a signing key and print the DNS record that publishes it",
        "sign": "add a DKIM-Signature to the message on standard input",
        "verify": "verify every DKIM-Signature of the message on standard input",
        "algorithm": "rsa-sha256 (RSA 2048) or ed25519-sha256 (RFC 8463)",
        "selector": "the selector: the key is published at SELECTOR._domainkey.DOMAIN",
        "domain": "the signing domain (d=)",
        "out": "where to write the private key (PEM); an existing file is never overwritten",
        "key": "the private key (PEM) made by 'mailsec dkim keygen'",
        "canonicalization": "header/body canonicalization (default relaxed/relaxed)",
        "headers": "the header fields to sign, separated by colons (default: the usual ones)",
        "body_length": "write l= (the signed body length): text appended later still verifies",
    }
)

MESSAGES = texts(
    {
        "exists": "{path!r} already exists; choose another --out (a key is never overwritten).",
        "cannot_write": "Cannot write the key file {path!r}: {reason}.",
        "key_algorithm": "The key in {path!r} is {kind}, which signs with {actual}, not {wanted}.",
        "wrote": "wrote the private key to {path} (keep it secret); publish this TXT record:",
        "none": "none (the message has no DKIM-Signature)",
        "line": "{result} d={domain} s={selector}",
        "ed25519_key": "an Ed25519 key",
        "rsa_key": "an RSA key",
        "not_pem": "The key file {path!r} is not an unencrypted PEM private key; make one with "
        "'mailsec dkim keygen'.",
    }
)


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    keygen = sub.add_parser("keygen", help=HELP["keygen"], description=HELP["keygen"])
    keygen.add_argument("--algorithm", required=True, choices=ALGORITHMS, help=HELP["algorithm"])
    keygen.add_argument("--selector", required=True, help=HELP["selector"])
    keygen.add_argument("--domain", required=True, help=HELP["domain"])
    keygen.add_argument("--out", required=True, metavar="KEY.pem", help=HELP["out"])

    sign = sub.add_parser("sign", help=HELP["sign"], description=HELP["sign"])
    sign.add_argument("--domain", required=True, help=HELP["domain"])
    sign.add_argument("--selector", required=True, help=HELP["selector"])
    sign.add_argument("--key", required=True, metavar="KEY.pem", help=HELP["key"])
    sign.add_argument("--algorithm", choices=ALGORITHMS, help=HELP["algorithm"])
    sign.add_argument(
        "--canonicalization",
        choices=CANONICALIZATIONS,
        default="relaxed/relaxed",
        help=HELP["canonicalization"],
    )
    sign.add_argument("--headers", metavar="from:to:subject:date...", help=HELP["headers"])
    sign.add_argument("--body-length", action="store_true", help=HELP["body_length"])

    verify = sub.add_parser("verify", help=HELP["verify"], description=HELP["verify"])
    add_dns_options(verify)


def run(
    args: argparse.Namespace, *, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> int:
    """Carry out one subcommand; returns the exit status."""
    source = stdin or sys.stdin.buffer
    sink = stdout or sys.stdout.buffer
    if args.command == "keygen":
        return _keygen(args)
    if args.command == "sign":
        sink.write(_sign(args, read_stdin(source)))
        sink.flush()
        return 0
    return _verify(args, read_stdin(source))


def _keygen(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    from mailsec import dkim

    if args.algorithm == "ed25519-sha256":
        key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey = ed25519.Ed25519PrivateKey.generate()
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # Checked before the key is written: a selector or domain the record cannot carry.
    line = dkim.zone_entry(args.selector, args.domain, dkim.key_record(key))
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(args.out, pem)
    print(MESSAGES["wrote"].format(path=args.out), file=sys.stderr)
    print(line)
    return 0


def _write_new(path: str, data: bytes) -> None:
    """Write a new file readable by its owner only; an existing file (or a link) is refused."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(MESSAGES["exists"].format(path=path)) from None
    except OSError as exc:
        raise InputError(MESSAGES["cannot_write"].format(path=path, reason=exc.strerror)) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _sign(args: argparse.Namespace, message: bytes) -> bytes:
    from mailsec import dkim
    from mailsec.dkim.canon import canonicalize_body, read_message

    key = _load_key(args.key)
    actual = "ed25519-sha256" if type(key).__name__.startswith("Ed25519") else "rsa-sha256"
    if args.algorithm and args.algorithm != actual:
        kind = MESSAGES["ed25519_key" if actual.startswith("ed25519") else "rsa_key"]
        raise InputError(
            MESSAGES["key_algorithm"].format(
                path=args.key, kind=kind, actual=actual, wanted=args.algorithm
            )
        )
    header, body = args.canonicalization.split("/")
    headers = dkim.DEFAULT_HEADERS
    if args.headers:
        headers = tuple(name.strip() for name in args.headers.split(":") if name.strip())
    length = None
    if args.body_length:
        length = len(canonicalize_body(read_message(message).body, dkim.Canon(body)))
    return dkim.sign(
        message,
        domain=args.domain,
        selector=args.selector,
        private_key=key,
        headers=headers,
        canonicalization=(header, body),
        body_length=length,
    )


def _load_key(path: str) -> object:
    from cryptography.hazmat.primitives import serialization

    data = read_file(path, "key")
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InputError(MESSAGES["not_pem"].format(path=path)) from None


def _verify(args: argparse.Namespace, message: bytes) -> int:
    from mailsec import dkim

    checks = dkim.verify(message, resolver=dns_resolver(args, course_keys=True))
    if not checks:
        print(MESSAGES["none"])
        return 1
    for check in checks:
        line = MESSAGES["line"].format(
            result=check.result.value, domain=check.domain or "-", selector=check.selector or "-"
        )
        print(line if check.passed else f"{line} [{check.reason}]")
    return 0 if any(c.passed for c in checks) else 1


if __name__ == "__main__":  # pragma: no cover
    from mailsec.__main__ import main

    sys.exit(main(["dkim", *sys.argv[1:]]))
