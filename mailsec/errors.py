"""The exceptions mailsec raises, all in one place.

::

    MailsecError                 anything mailsec refuses to do
    ├── InputError (ValueError)  the input is wrong: a bad address, port, key file, record ...
    ├── NotAvailable             a tool, the network or a feature is not there on this machine
    └── CryptoError              a cryptographic operation failed
        ├── DecryptionError      the message cannot be decrypted or failed its integrity check
        └── VerificationError    a signature or certificate does not verify

Protocol outcomes are not exceptions: an SPF ``permerror``, a POP3 ``-ERR`` or an SMTP ``550`` are
results that the labs show. Exceptions are for what the caller asked that cannot be done.

Every message is a plain-language sentence that quotes the bad input and says what to do, so a lab
or the command line can show it as it is. Quoted input may hold line breaks or terminal escape
sequences: :func:`one_line` is the one rule for showing it (the command line's errors and the
header fields the course writes use it).
"""

from __future__ import annotations

__all__ = [
    "CryptoError",
    "DecryptionError",
    "InputError",
    "MailsecError",
    "NotAvailable",
    "VerificationError",
    "one_line",
    "quoted",
]


class MailsecError(Exception):
    """mailsec could not do what was asked."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _default_message(type(self)))

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InputError(MailsecError, ValueError):
    """The input is not valid."""


class NotAvailable(MailsecError):
    """A tool or service this needs is not available here."""


class CryptoError(MailsecError):
    """A cryptographic operation failed."""


class DecryptionError(CryptoError):
    """The message could not be decrypted: wrong key, or it was changed after it was sent."""


class VerificationError(CryptoError):
    """The signature or certificate does not verify."""


def _default_message(kind: type[MailsecError]) -> str:
    """The sentence of an error raised without one, in the current language: the docstring of
    the classes above (a subclass elsewhere keeps its own docstring, in English)."""
    # Imported here: mailsec.i18n imports this module (its own errors are InputErrors).
    from mailsec.i18n import gettext

    defaults = {
        MailsecError: gettext("mailsec could not do what was asked."),
        InputError: gettext("The input is not valid."),
        NotAvailable: gettext("A tool or service this needs is not available here."),
        CryptoError: gettext("A cryptographic operation failed."),
        DecryptionError: gettext(
            "The message could not be decrypted: wrong key, or it was changed after it was sent."
        ),
        VerificationError: gettext("The signature or certificate does not verify."),
    }
    return defaults.get(kind) or (kind.__doc__ or "").strip()


def one_line(text: str) -> str:
    """``text`` as one printable line: a line break, a control character or another character
    that is not printable (quoted from hostile input) is shown as its escape, such as ``\\n``."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def quoted(text: str, limit: int = 60) -> str:
    """``text`` quoted for an error message, cut to ``limit`` characters: hostile input may be
    megabytes long, and the message that names it stays a line."""
    if len(text) <= limit:
        return repr(text)
    from mailsec.i18n import gettext  # see _default_message

    return gettext("{text}… ({count} more characters)").format(
        text=repr(text[:limit]), count=f"{len(text) - limit:,}"
    )
