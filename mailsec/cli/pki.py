"""``mailsec pki``: make the course CA and S/MIME certificates in a folder, and look at them.

::

    mailsec pki init course-pki/            # CA, Alice (RSA), Bob (EC) and the failure cases
    mailsec pki issue course-pki/ --email dave@example.org --name Dave --key-type ec-p256
    mailsec pki show course-pki/alice.pem --ca course-pki/ca.pem

Keys are generated on your machine when you run the command and written unencrypted with
owner-only permissions: they are for trying the course, never for real mail. What it says is in
the command line's language (``python -m mailsec --lang ja pki ...``, or ``LANG``; see
:mod:`mailsec.i18n`); the files it writes (README.txt included) are the same in every language.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from mailsec.cli import os_reason
from mailsec.errors import InputError
from mailsec.i18n import texts

HELP = texts(
    {
        "init": "write the course CA and user certificates to a folder",
        "init_folder": "the folder to write into (created if missing)",
        "force": "overwrite existing files",
        "issue": "issue one more S/MIME certificate from the CA",
        "issue_folder": "a folder made by 'mailsec pki init'",
        "email": "the address, e.g. dave@example.org",
        "name": "the person's name, e.g. Dave",
        "key_type": "key type",
        "days": "how long it is valid (days)",
        "show": "show a certificate and check it for S/MIME",
        "certificate": "a PEM certificate",
        "ca": "the CA certificate to check the chain against",
        "show_email": "the address the certificate should carry",
    }
)
"""The subcommands' help (see :mod:`mailsec.i18n`)."""

MESSAGES = texts(
    {
        "exists": "{path!r} already exists; add --force to overwrite it.",
        "unreadable": "Cannot read {path!r}: {reason}.",
        "cannot_create": "Cannot create the folder {path!r}: {reason}.",
        "not_folder": "{path!r} is not a folder; make one with 'mailsec pki init {path}'.",
        "days": "--days {days} is not a number of days; give 1 or more.",
        "no_ca": "{folder!r} has no ca.pem and ca.key.pem; run 'mailsec pki init' first.",
        "wrote_pki": "Wrote the course PKI to {folder}/ ({count} certificates with keys; see "
        "README.txt).",
        "wrote": "Wrote {certificate} and {key}.",
        "file": "The file {path!r}",
        "ca_file": "The CA file {path!r}",
        "subject": "Subject:   {name}",
        "issuer": "Issuer:    {name}",
        "serial": "Serial:    {serial}",
        "valid": "Valid:     {start} to {end} UTC",
        "addresses": "Addresses: {addresses}",
        "no_addresses": "(none)",
        "verdict": "Verdict:   {verdict}",
    }
)
"""What the commands say (see :mod:`mailsec.i18n`); README.txt is a file, written in English."""

README = """\
The mailsec course PKI (made {when} UTC). For learning only: the keys are not protected.

  ca.pem                      the course root CA certificate (trust this one with --ca)
  ca.key.pem                  its private key (used by 'mailsec pki issue')
  alice.pem / .key.pem        alice@example.org, RSA 2048
  bob.pem / .key.pem          bob@example.net, EC P-256
  expired.pem / .key.pem      alice@example.org, expired
  wrong-address.pem / ...     carol@example.com (sign as Alice with it: wrong address)
  unknown-ca.pem / ...        alice@example.org from an untrusted CA (unknown-root.pem)

Try:
  mailsec smime sign --key alice.key.pem --cert alice.pem < mail.eml > signed.eml
  mailsec smime verify --ca ca.pem < signed.eml
  mailsec smime encrypt --recipient bob.pem --recipient alice.pem < signed.eml > sealed.eml
  mailsec smime decrypt --key bob.key.pem --cert bob.pem < sealed.eml
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the init / issue / show subcommands."""
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init = commands.add_parser("init", help=HELP["init"])
    init.add_argument("folder", help=HELP["init_folder"])
    init.add_argument("--force", action="store_true", help=HELP["force"])

    issue = commands.add_parser("issue", help=HELP["issue"])
    issue.add_argument("folder", help=HELP["issue_folder"])
    issue.add_argument("--email", required=True, help=HELP["email"])
    issue.add_argument("--name", required=True, help=HELP["name"])
    issue.add_argument(
        "--key-type", default="rsa", choices=("rsa", "ec-p256"), help=HELP["key_type"]
    )
    issue.add_argument("--days", type=int, default=365, help=HELP["days"])
    issue.add_argument("--force", action="store_true", help=HELP["force"])

    show = commands.add_parser("show", help=HELP["show"])
    show.add_argument("certificate", help=HELP["certificate"])
    show.add_argument("--ca", help=HELP["ca"])
    show.add_argument("--email", help=HELP["show_email"])


def _write(path: Path, data: bytes, *, secret: bool, force: bool) -> None:
    if path.exists() and not force:
        raise InputError(MESSAGES["exists"].format(path=str(path)))
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(MESSAGES["unreadable"].format(path=path, reason=os_reason(exc))) from None


def _folder(path: str, *, create: bool) -> Path:
    folder = Path(path)
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                MESSAGES["cannot_create"].format(path=path, reason=os_reason(exc))
            ) from None
    elif not folder.is_dir():
        raise InputError(MESSAGES["not_folder"].format(path=path))
    return folder


def run(args: argparse.Namespace) -> int:
    """Carry out one subcommand; returns the exit status."""
    return {"init": _init, "issue": _issue}.get(args.command, _show)(args)


def _init(args: argparse.Namespace) -> int:
    """Write the course PKI (CA, users, the failure certificates) into a folder."""
    from mailsec.pki import ca as calib

    folder = _folder(args.folder, create=True)
    pki = calib.course_pki()
    files = {
        "ca": pki.ca,
        "alice": pki.alice,
        "bob": pki.bob,
        "expired": pki.expired,
        "wrong-address": pki.wrong_address,
        "unknown-ca": pki.unknown_ca,
        "unknown-root": pki.unknown_root,
    }
    for stem, identity in files.items():
        _write(folder / f"{stem}.pem", identity.certificate_pem(), secret=False, force=args.force)
        _write(folder / f"{stem}.key.pem", identity.key_pem(), secret=True, force=args.force)
    now = dt.datetime.now(dt.timezone.utc)
    _write(
        folder / "README.txt",
        README.format(when=f"{now:%Y-%m-%d %H:%M}").encode(),
        secret=False,
        force=args.force,
    )
    print(MESSAGES["wrote_pki"].format(folder=folder, count=len(files)))
    return 0


def _issue(args: argparse.Namespace) -> int:
    """Issue one more S/MIME certificate with the folder's CA."""
    from mailsec.pki import ca as calib

    folder = _folder(args.folder, create=False)
    if args.days < 1:
        raise InputError(MESSAGES["days"].format(days=args.days))
    ca_cert = (
        calib.load_certificate((folder / "ca.pem").read_bytes(), source="ca.pem")
        if (folder / "ca.pem").exists()
        else None
    )
    ca_key_path = folder / "ca.key.pem"
    if ca_cert is None or not ca_key_path.exists():
        raise InputError(MESSAGES["no_ca"].format(folder=args.folder))
    ca = calib.Identity(
        "CA", calib.load_private_key(ca_key_path.read_bytes(), source="ca.key.pem"), ca_cert
    )
    now = dt.datetime.now(dt.timezone.utc)
    user = calib.issue_smime_certificate(
        ca,
        email=args.email,
        common_name=args.name,
        key_type=calib.KeyType(args.key_type),
        now=now,
        not_after=now + dt.timedelta(days=args.days),
    )
    stem = args.email.split("@")[0].lower()
    _write(folder / f"{stem}.pem", user.certificate_pem(), secret=False, force=args.force)
    _write(folder / f"{stem}.key.pem", user.key_pem(), secret=True, force=args.force)
    print(
        MESSAGES["wrote"].format(certificate=folder / f"{stem}.pem", key=folder / f"{stem}.key.pem")
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    """Print a certificate's fields, and check it against a CA when one is given."""
    from mailsec.pki import ca as calib
    from mailsec.pki.validate import certificate_addresses, check_certificate, describe_name
    from mailsec.trace import steps_to_text

    cert = calib.load_certificate(
        _read(args.certificate), source=MESSAGES["file"].format(path=args.certificate)
    )
    print(MESSAGES["subject"].format(name=describe_name(cert.subject)))
    print(MESSAGES["issuer"].format(name=describe_name(cert.issuer)))
    print(MESSAGES["serial"].format(serial=f"{cert.serial_number:x}"))
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    print(MESSAGES["valid"].format(start=f"{start:%Y-%m-%d %H:%M}", end=f"{end:%Y-%m-%d %H:%M}"))
    addresses = ", ".join(certificate_addresses(cert)) or MESSAGES["no_addresses"]
    print(MESSAGES["addresses"].format(addresses=addresses))
    if not args.ca:
        return 0
    trusted = calib.load_certificates(
        _read(args.ca), source=MESSAGES["ca_file"].format(path=args.ca)
    )
    check = check_certificate(cert, trusted=trusted, email=args.email)
    print(steps_to_text(check.steps))
    print(MESSAGES["verdict"].format(verdict=check.status.description))
    return 0 if check.valid else 1
