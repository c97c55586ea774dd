"""``mailsec sop``: the Stateless OpenPGP command line (draft-dkg-openpgp-stateless-cli) over
:mod:`mailsec.openpgp`.

The `sop` package parses the arguments and knows the spec's exit codes; this module overrides its
operations with calls into :mod:`mailsec.openpgp`, and turns mailsec's errors into the spec's exit
codes (e.g. 3 when no acceptable signature is found, 29 when a message cannot be decrypted, 41 for
input that is not OpenPGP data). Data goes in on standard input and comes out on standard output;
keys and certificates are named as files (or ``@ENV:NAME`` / ``@FD:N``)::

    python -m mailsec sop generate-key "Alice <alice@example.org>" > alice.key
    python -m mailsec sop extract-cert < alice.key > alice.cert
    echo hello | python -m mailsec sop encrypt alice.cert | python -m mailsec sop decrypt alice.key

Nothing here prints a traceback: every failure ends with one line on standard error and the exit
code the spec gives it (a command-line mistake too: 19 for a missing argument, 37 for an unknown
option, 69 for an unknown subcommand). One extension: ``list-packets [KEYS...]`` lists the packets
on standard input like ``gpg --list-packets``, opening encrypted data when secret keys are given.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import logging
import os
import sys
from collections.abc import Callable, MutableMapping, Sequence
from datetime import datetime, timezone
from typing import Any, BinaryIO, TypeVar, cast

import cryptography
import sop

from mailsec import __version__, openpgp
from mailsec.cli import one_line
from mailsec.errors import DecryptionError, InputError, MailsecError, VerificationError
from mailsec.i18n import texts

__all__ = ["MailsecSop", "main", "run"]

TEXT = texts(
    {
        "description": "mailsec's Stateless OpenPGP command line (OpenPGP v4, RFC 4880).",
        "designator": "Unknown special designator {name!r}",
        "no_variable": "The environment variable in {name!r} is not set.",
        "unreadable": "Cannot read {name!r}: {error}.",
        "exists": "The output file {name!r} exists already; sop never overwrites.",
        "date": "Cannot read the date {when!r}; give ISO 8601 such as 2026-01-31T12:00:00Z.",
        "list_packets": "list the packets of OpenPGP data (a mailsec extension)",
        "list_keys": "secret keys to open encrypted data",
        "profile_default": "Ed25519 signing primary key with a Curve25519 encryption subkey",
        "profile_rfc4880": "RSA 3072 primary key with an RSA 3072 encryption subkey",
        "named": "{name}: {message}",
        "no_signature": "No acceptable signature was found in the time window.",
        "encrypt_needs": "encrypt needs at least one certificate (CERTS) or --with-password.",
        "decrypt_needs": "decrypt needs a secret key (KEYS), --with-password or "
        "--with-session-key.",
        "clearsigned": "--as=clearsigned: mailsec makes cleartext signatures with one key at a "
        "time.",
        "password": "The password is not UTF-8 text.",
        "not_utf8": "--as=text needs UTF-8 text, and the input is not.",
        # One line on standard error: the spec's mnemonic stays as it is.
        "error": "mailsec sop: [{mnemonic}] {message}",
        "plain_error": "mailsec sop: {message}",
    }
)
"""What the command line says (see :mod:`mailsec.i18n`). The subcommands, options, mnemonics
and exit codes are the spec's and stay as they are."""

F = TypeVar("F", bound=Callable[..., Any])

#: Signing hash as the micalg parameter of multipart/signed (RFC 3156 §5).
MICALG = {"SHA-256": "pgp-sha256", "SHA-384": "pgp-sha384", "SHA-512": "pgp-sha512"}


def _sop_errors(function: F) -> F:
    """Translate mailsec's exceptions into the SOP exceptions that carry the spec's exit codes."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except sop.SOPException:
            raise
        except openpgp.ProtectedKeyError as exc:
            raise sop.SOPKeyIsProtected(exc.message) from None
        except openpgp.UnsupportedAlgorithmError as exc:
            raise sop.SOPAsymmetricAlgorithmUnsupported(exc.message) from None
        except openpgp.CannotEncryptError as exc:
            raise sop.SOPCertificateNotEncryptionCapable(exc.message) from None
        except openpgp.CannotSignError as exc:
            raise sop.SOPKeyCannotSign(exc.message) from None
        except DecryptionError as exc:
            raise sop.SOPCouldNotDecrypt(exc.message) from None
        except VerificationError as exc:
            raise sop.SOPNoSignature(exc.message) from None
        except InputError as exc:
            raise sop.SOPInvalidDataType(exc.message) from None

    # The wrapper takes the arguments ``function`` takes and returns what it returns.
    return cast(F, wrapper)


def _result(verification: openpgp.Verification) -> sop.SOPSigResult:
    created = verification.created
    key, signer = verification.signing_key_fingerprint, verification.signer_fingerprint
    if created is None or key is None or signer is None:
        # mailsec.openpgp sets all three on every valid outcome, the only ones passed here.
        raise ValueError(f"a valid signature without its time or fingerprints: {verification!r}")
    return sop.SOPSigResult(
        created,
        key,
        signer,
        sop.SOPSigType.text if verification.mode == "text" else sop.SOPSigType.binary,
    )


def _in_window(
    verification: openpgp.Verification, start: datetime | None, end: datetime | None
) -> bool:
    """The --not-before / --not-after window (draft-dkg-openpgp-stateless-cli, "verify")."""
    created = verification.created
    if created is None:
        return False
    if start is not None and created < start:
        return False
    return not (end is not None and created > end)


class MailsecSop(sop.StatelessOpenPGP):
    """The SOP operations, each one call into :mod:`mailsec.openpgp`."""

    def __init__(self, *, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(
            version=__version__,
            name="mailsec",
            description=TEXT["description"],
            backend=f"cryptography {cryptography.__version__}",
            extended="OpenPGP v4 keys; PKESK v3 + SEIPD v1 (MDC, AES-256); RFC 4880 / RFC 6637.",
        )
        self._now = now or (lambda: datetime.now(timezone.utc))

    # -- plumbing ----------------------------------------------------------------------------------

    def _get_indirect_input(self, name: str) -> bytes:
        if name.startswith("@") and not name.startswith(("@ENV:", "@FD:")):
            raise sop.SOPUnsupportedSpecialPrefix(TEXT["designator"].format(name=name))
        try:
            return super()._get_indirect_input(name)
        except KeyError:
            raise sop.SOPMissingInput(TEXT["no_variable"].format(name=name)) from None
        except OSError as exc:
            raise sop.SOPMissingInput(
                TEXT["unreadable"].format(name=name, error=exc.strerror)
            ) from None

    def _write_indirect_output(self, name: str, data: bytes) -> None:
        if not name.startswith("@FD:") and os.path.exists(name):
            raise sop.SOPOutputExists(TEXT["exists"].format(name=name))
        super()._write_indirect_output(name, data)

    def parse_timestamp(self, when: str | None) -> datetime | None:
        if when is None or when == "-":
            return None
        if when == "now":
            return self._now()
        try:
            moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            raise sop.SOPUnsupportedOption(TEXT["date"].format(when=when)) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

    def extend_parsers(
        self, subcommands: Any, subparsers: dict[str, argparse.ArgumentParser]
    ) -> None:
        """Add ``list-packets``, mailsec's own extension: the packets of OpenPGP data on standard
        input, like ``gpg --list-packets`` (decrypted data too, when secret keys are given)."""
        listing = subcommands.add_parser("list-packets", help=TEXT["list_packets"])
        listing.add_argument("secretkeys", metavar="KEYS", nargs="*", help=TEXT["list_keys"])
        subparsers["list-packets"] = listing

    @_sop_errors
    def _handle_list_packets(self, inp: BinaryIO, secretkeys: Sequence[str] = ()) -> bytes:
        keys = self._keys({name: self._get_indirect_input(name) for name in secretkeys})
        return (
            openpgp.packets_to_text(openpgp.list_packets(inp.read(), keys=keys)) + "\n"
        ).encode()

    @property
    def generate_key_profiles(self) -> list[sop.SOPProfile]:
        return [
            sop.SOPProfile("default", TEXT["profile_default"]),
            sop.SOPProfile("rfc4880", TEXT["profile_rfc4880"]),
        ]

    @staticmethod
    def _keys(
        named: MutableMapping[str, bytes], passwords: MutableMapping[str, bytes] | None = None
    ) -> list[openpgp.SecretKey]:
        # A key password is tried as it is and without trailing white space (the spec's advice).
        secrets = [v for p in (passwords or {}).values() for v in dict.fromkeys((p, p.rstrip()))]
        keys: list[openpgp.SecretKey] = []
        for name, data in named.items():
            try:
                keys += openpgp.read_keys(data, passphrases=secrets)
            except InputError as exc:
                raise type(exc)(TEXT["named"].format(name=name, message=exc.message)) from None
        return keys

    @staticmethod
    def _certs(named: MutableMapping[str, bytes]) -> list[openpgp.Certificate]:
        certs: list[openpgp.Certificate] = []
        for name, data in named.items():
            try:
                certs += openpgp.read_certs(data)
            except InputError as exc:
                raise type(exc)(TEXT["named"].format(name=name, message=exc.message)) from None
        return certs

    # -- operations --------------------------------------------------------------------------------

    @_sop_errors
    def generate_key(
        self,
        armor: bool = True,
        uids: Sequence[str] = (),
        keypassword: bytes | None = None,
        profile: sop.SOPProfile | None = None,
        **kwargs: Any,
    ) -> bytes:
        self.raise_on_unknown_options(**kwargs)
        passphrase = None if keypassword is None else _human_password(keypassword).rstrip()
        algorithm = "rsa3072" if profile is not None and profile.name == "rfc4880" else "ed25519"
        key = openpgp.generate_key(
            list(uids), algorithm=algorithm, now=self._now(), passphrase=passphrase
        )
        return key.to_bytes(armor=armor)

    @_sop_errors
    def extract_cert(self, key: bytes = b"", armor: bool = True, **kwargs: Any) -> bytes:
        self.raise_on_unknown_options(**kwargs)
        try:
            certs = [k.public for k in openpgp.read_keys(key)]
        except openpgp.ProtectedKeyError:
            certs = list(openpgp.read_certs(key))  # the public parts need no passphrase
        binary = b"".join(c.to_bytes(armor=False) for c in certs)
        return openpgp.armor(binary, openpgp.ArmorLabel.PUBLIC_KEY) if armor else binary

    @_sop_errors
    def sign(
        self,
        data: bytes,
        armor: bool = True,
        sigtype: sop.SOPSigType = sop.SOPSigType.binary,
        signers: MutableMapping[str, bytes] | None = None,
        wantmicalg: bool = False,
        keypasswords: MutableMapping[str, bytes] | None = None,
    ) -> tuple[bytes, str | None]:
        keys = self._keys(signers or {}, keypasswords)
        text = sigtype == sop.SOPSigType.text
        if text:
            _require_utf8(data)
        moment = self._now()
        signatures = [
            openpgp.dearmor(openpgp.sign(data, key, text=text, now=moment))[1] for key in keys
        ]
        binary = b"".join(signatures)
        out = openpgp.armor(binary, openpgp.ArmorLabel.SIGNATURE) if armor else binary
        return out, MICALG["SHA-512"] if wantmicalg else None

    @_sop_errors
    def verify(
        self,
        data: bytes,
        start: datetime | None = None,
        end: datetime | None = None,
        sig: bytes = b"",
        signers: MutableMapping[str, bytes] | None = None,
        **kwargs: Any,
    ) -> list[sop.SOPSigResult]:
        self.raise_on_unknown_options(**kwargs)
        certs = self._certs(signers or {})
        results = openpgp.verify(data, sig, certs, now=end or self._now())
        good = [_result(v) for v in results if v.valid and _in_window(v, start, end)]
        if not good:
            raise sop.SOPNoSignature(TEXT["no_signature"])
        return good

    @_sop_errors
    def encrypt(
        self,
        data: bytes,
        literaltype: sop.SOPLiteralDataType = sop.SOPLiteralDataType.binary,
        armor: bool = True,
        passwords: MutableMapping[str, bytes] | None = None,
        signers: MutableMapping[str, bytes] | None = None,
        keypasswords: MutableMapping[str, bytes] | None = None,
        recipients: MutableMapping[str, bytes] | None = None,
        profile: sop.SOPProfile | None = None,
        **kwargs: Any,
    ) -> bytes:
        self.raise_on_unknown_options(**kwargs)
        secrets = [_human_password(p).rstrip() for p in (passwords or {}).values()]
        if not recipients and not secrets:
            raise sop.SOPMissingRequiredArgument(TEXT["encrypt_needs"])
        text = literaltype == sop.SOPLiteralDataType.text
        if text:
            _require_utf8(data)
        from mailsec.openpgp.encryption import encrypt_buffer

        # The buffer is written out as it is: a large message is not copied into bytes first.
        # sop annotates the result as bytes, but writes it with a buffer's write(), which takes
        # any buffer: copying a large message into bytes is what this avoids.
        return encrypt_buffer(  # type: ignore[return-value]
            data,
            self._certs(recipients or {}),
            sign_with=self._keys(signers or {}, keypasswords),
            armor=armor,
            text=text,
            now=self._now(),
            passwords=secrets,
        )

    @_sop_errors
    def decrypt(
        self,
        data: bytes,
        wantsessionkey: bool = False,
        sessionkeys: MutableMapping[str, sop.SOPSessionKey] | None = None,
        passwords: MutableMapping[str, bytes] | None = None,
        signers: MutableMapping[str, bytes] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        keypasswords: MutableMapping[str, bytes] | None = None,
        secretkeys: MutableMapping[str, bytes] | None = None,
        **kwargs: Any,
    ) -> tuple[bytes, list[sop.SOPSigResult], sop.SOPSessionKey | None]:
        self.raise_on_unknown_options(**kwargs)
        keys = self._keys(secretkeys or {}, keypasswords)
        given = [(k.algo, k.key) for k in (sessionkeys or {}).values()]
        # A password is tried as it is and without trailing white space (the spec's advice).
        secrets = [v for p in (passwords or {}).values() for v in dict.fromkeys((p, p.rstrip()))]
        if not keys and not given and not secrets:
            raise sop.SOPMissingRequiredArgument(TEXT["decrypt_needs"])
        from mailsec.openpgp.encryption import decrypt_buffer

        # The plaintext is a view into the decrypted buffer, written out without a copy.
        result = decrypt_buffer(
            data,
            keys,
            verify_with=self._certs(signers or {}),
            now=end or self._now(),
            session_keys=given,
            passwords=secrets,
        )
        good = [_result(v) for v in result.verifications if v.valid and _in_window(v, start, end)]
        session = None
        if wantsessionkey and result.session_key:
            session = sop.SOPSessionKey(result.session_key[0], result.session_key[1])
        # sop annotates the plaintext as bytes, but writes it with a buffer's write(), which
        # takes any buffer: copying a large message into bytes is what the view avoids.
        return result.plaintext, good, session  # type: ignore[return-value]

    @_sop_errors
    def armor(
        self, data: bytes, label: sop.SOPArmorLabel = sop.SOPArmorLabel.auto, **kwargs: Any
    ) -> bytes:
        self.raise_on_unknown_options(**kwargs)
        if openpgp.is_armored(data):
            openpgp.dearmor(data)  # check it, then leave it as it is (armor is idempotent)
            return data
        packets = openpgp.list_packets(data)
        labels = {
            sop.SOPArmorLabel.sig: openpgp.ArmorLabel.SIGNATURE,
            sop.SOPArmorLabel.cert: openpgp.ArmorLabel.PUBLIC_KEY,
            sop.SOPArmorLabel.key: openpgp.ArmorLabel.PRIVATE_KEY,
            sop.SOPArmorLabel.message: openpgp.ArmorLabel.MESSAGE,
        }
        if label in labels:
            chosen = labels[label]
        else:
            top = {p.tag for p in packets if p.depth == 0}
            if openpgp.PacketTag.SECRET_KEY in top:
                chosen = openpgp.ArmorLabel.PRIVATE_KEY
            elif openpgp.PacketTag.PUBLIC_KEY in top:
                chosen = openpgp.ArmorLabel.PUBLIC_KEY
            elif top == {openpgp.PacketTag.SIGNATURE}:
                chosen = openpgp.ArmorLabel.SIGNATURE
            else:
                chosen = openpgp.ArmorLabel.MESSAGE
        return openpgp.armor(data, chosen)

    @_sop_errors
    def dearmor(self, data: bytes, **kwargs: Any) -> bytes:
        self.raise_on_unknown_options(**kwargs)
        binary = openpgp.dearmor(data)[1] if openpgp.is_armored(data) else data
        openpgp.list_packets(binary)  # raises if this is not OpenPGP data
        return binary

    @_sop_errors
    def inline_sign(
        self,
        data: bytes,
        armor: bool = True,
        sigtype: sop.SOPInlineSigType = sop.SOPInlineSigType.binary,
        signers: MutableMapping[str, bytes] | None = None,
        keypasswords: MutableMapping[str, bytes] | None = None,
        **kwargs: Any,
    ) -> bytes:
        self.raise_on_unknown_options(**kwargs)
        if sigtype == sop.SOPInlineSigType.clearsigned:
            _require_utf8(data)
            keys = self._keys(signers or {}, keypasswords)
            if len(keys) != 1:
                raise sop.SOPUnsupportedOption(TEXT["clearsigned"])
            return openpgp.clearsign(data, keys[0], now=self._now())
        text = sigtype == sop.SOPInlineSigType.text
        if text:
            _require_utf8(data)
        keys = self._keys(signers or {}, keypasswords)
        return openpgp.inline_sign(data, keys, text=text, armor=armor, now=self._now())

    @_sop_errors
    def inline_verify(
        self,
        data: bytes,
        start: datetime | None = None,
        end: datetime | None = None,
        signers: MutableMapping[str, bytes] | None = None,
        **kwargs: Any,
    ) -> tuple[bytes, list[sop.SOPSigResult]]:
        self.raise_on_unknown_options(**kwargs)
        certs = self._certs(signers or {})
        plaintext, results = openpgp.inline_verify(data, certs, now=end or self._now())
        good = [_result(v) for v in results if v.valid and _in_window(v, start, end)]
        if not good:
            raise sop.SOPNoSignature(TEXT["no_signature"])
        return plaintext, good


def _human_password(password: bytes) -> bytes:
    """Passwords for encryption must be UTF-8 text (the spec's PASSWORD_NOT_HUMAN_READABLE)."""
    try:
        password.decode("utf-8")
    except UnicodeDecodeError:
        raise sop.SOPPasswordNotHumanReadable(TEXT["password"]) from None
    return password


def _require_utf8(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise sop.SOPNotUTF8Text(TEXT["not_utf8"]) from None


def _usage_exit_code(tool: MailsecSop, argv: Sequence[str], message: str) -> int:
    """The spec's exit code for a command line that argparse refused."""
    words = [a for a in argv if not a.startswith("-")]
    known = next(
        a.choices for a in tool._parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    if words and words[0] not in known and "argument SUBCOMMAND" in message:
        return sop.SOPUnsupportedSubcommand.exit_code
    if "the following arguments are required" in message:
        return sop.SOPMissingRequiredArgument.exit_code
    if "argument --profile" in message:
        return sop.SOPUnsupportedProfile.exit_code
    if "unrecognized arguments" in message or "invalid choice" in message:
        return sop.SOPUnsupportedOption.exit_code
    return 1


def run(
    argv: Sequence[str],
    stdin: BinaryIO,
    stdout: BinaryIO,
    stderr: io.TextIOBase | Any,
    *,
    now: Callable[[], datetime] | None = None,
) -> int:
    """Run one SOP command with the given streams; returns the exit code (0 on success)."""
    tool = MailsecSop(now=now)
    argv = list(argv)
    usage = io.StringIO()
    try:
        with contextlib.redirect_stderr(usage), contextlib.redirect_stdout(usage):
            args = tool._parser.parse_args(argv)
    except SystemExit as exc:
        text = usage.getvalue()
        if exc.code in (0, None):  # --help
            stdout.write(text.encode())
            return 0
        stderr.write(text)
        return _usage_exit_code(tool, argv, text)
    method = getattr(tool, f"_handle_{args.subcmd.replace('-', '_')}")
    method = getattr(tool, f"_handle_{args.subcmd.replace('-', '_')}")
    options = vars(args)
    del options["subcmd"], options["debug"]
    try:
        out = method(stdin, **options)
    except sop.SOPException as exc:
        print(TEXT["error"].format(mnemonic=exc.mnemonic, message=one_line(str(exc))), file=stderr)
        return exc.exit_code
    except MailsecError as exc:  # an error the operations did not translate
        print(TEXT["plain_error"].format(message=one_line(exc.message)), file=stderr)
        return 1
    except TypeError as exc:  # the sop package passes an option we do not take
        print(
            TEXT["error"].format(mnemonic="UNSUPPORTED_OPTION", message=one_line(str(exc))),
            file=stderr,
        )
        return sop.SOPUnsupportedOption.exit_code
    stdout.write(out)
    stdout.flush()
    return 0


def main(argv: Sequence[str]) -> int:
    """Entry point for ``python -m mailsec sop ...``."""
    logging.getLogger().setLevel(logging.ERROR)
    try:
        return run(argv, sys.stdin.buffer, sys.stdout.buffer, sys.stderr)
    except BrokenPipeError:
        return 1
