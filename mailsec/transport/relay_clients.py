"""The mail program's TLS setting: small clients over smtplib, poplib and imaplib (chapter 08).

A mail program's account settings ask one question about TLS, and the answer decides what a
wiretap or an attacker in the path gets:

============================  ===================================================================
:class:`TlsSetting`           what the client does
============================  ===================================================================
``none``                      never TLS: every line, the password too, in clear
``opportunistic``             STARTTLS *if the server offers it*, else plaintext -- so an attacker
                              who deletes the offer gets the password (RFC 3207 §6)
``required``                  STARTTLS or nothing: when TLS is not offered or is refused, it
                              stops before the password (RFC 2595 §2.2, RFC 8314 §5.2)
``implicit``                  TLS from the first byte on the TLS port (POP3S 995, IMAPS 993,
                              submissions 465), RFC 8314 §3's recommendation
============================  ===================================================================

:func:`log_in` (or :func:`login_smtp`, :func:`login_pop3`, :func:`login_imap`) logs in once
with one setting and returns a :class:`LoginResult`: logged in over plaintext or over TLS,
refused by the client or by the server, and whether the password was sent. The certificate is
always checked (``context`` or ``cafile``; the system's trust store by default); a failed check
is a refusal (RFC 8314 §5.3). ``host`` is the server's name, used for SNI and for the
certificate check; ``address`` is where to connect when that is not where the name points
(a relay on 127.0.0.1, say).

The clients honour what the server says: like a careful mail program, and unlike ``imaplib``
alone, the IMAP client does not send LOGIN when the server says LOGINDISABLED (RFC 3501 §6.2.3).
"""

from __future__ import annotations

import contextlib
import enum
import imaplib
import poplib
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.limits import MAIL_CLIENT_TIMEOUT as CLIENT_TIMEOUT
from mailsec.trace import Outcome, Step, Trace
from mailsec.transport.relay_recording import MailProtocol

__all__ = [
    "CLIENT_TIMEOUT",
    "LoginOutcome",
    "LoginResult",
    "TlsSetting",
    "log_in",
    "login_imap",
    "login_pop3",
    "login_smtp",
]


CLIENT_NAME = "localhost"
"""The name the SMTP client gives in EHLO (without it smtplib asks DNS for this host's name)."""


class TlsSetting(enum.Enum):
    """The mail program's TLS setting (see the module's docstring)."""

    NONE = "none"
    OPPORTUNISTIC = "opportunistic"
    REQUIRED = "required"
    IMPLICIT = "implicit"

    @property
    def label(self) -> str:
        return MESSAGES["settings"][self.value]

    @property
    def section(self) -> str:
        return {
            "none": "RFC 8314 §4.1",
            "opportunistic": "RFC 3207 §6",
            "required": "RFC 2595 §2.2",
            "implicit": "RFC 8314 §3",
        }[self.value]


class LoginOutcome(enum.Enum):
    """How a login attempt ended."""

    LOGGED_IN = "logged-in"
    """The server accepted the password."""
    CLIENT_REFUSED = "client-refused"
    """The mail program stopped before sending the password: it wanted TLS and got none."""
    SERVER_REFUSED = "server-refused"
    """The server did not allow the login (not before TLS) or refused the password."""
    FAILED = "failed"
    """The connection failed."""


@dataclass(frozen=True)
class LoginResult:
    """One login attempt with one TLS setting."""

    protocol: MailProtocol
    setting: TlsSetting
    outcome: LoginOutcome
    tls_version: str | None
    """The TLS version when the connection was inside TLS at the end; ``None``: plaintext."""
    password_sent: bool
    """Whether the client sent the password (in clear, or inside TLS)."""
    reason: str
    steps: Trace = field(default=())

    @property
    def logged_in(self) -> bool:
        return self.outcome is LoginOutcome.LOGGED_IN


MESSAGES = texts(
    {
        "connected": "Connected to {host} port {port} ({how}).",
        "implicit": "TLS from the first byte: {version}, certificate of {host} verified.",
        "plain_connect": "plaintext",
        "tls_connect": "implicit TLS",
        "offered": "The server offers {command}.",
        "not_offered_go_on": "The server does not offer {command}: this setting carries on in plaintext.",
        "upgraded": "{command} accepted: {version}, certificate of {host} verified.",
        "logged_in_tls": "Logged in over TLS ({version}).",
        "logged_in_plain": "Logged in over plaintext.",
        "not_offered": (
            "The server does not offer {command}: TLS is required, so the mail program stops "
            "before sending the password."
        ),
        "tls_refused": (
            "{command} was refused ({reply}): TLS is required, so the mail program stops before "
            "sending the password."
        ),
        "handshake": (
            "The TLS handshake failed ({reason}): the mail program stops before sending the password."
        ),
        "no_auth": (
            "The server offers no login on this connection (it lists AUTH only after STARTTLS): "
            "the password was not sent."
        ),
        "login_disabled": (
            "The server says LOGINDISABLED (no login before TLS): the mail program does not send "
            "the password."
        ),
        "user_refused": "The server refused USER ({reply}): the password was not sent.",
        "refused": "The server refused the login ({reply}).",
        "failed": "The connection failed ({reason}).",
        "bad_setting": "The TLS setting {value!r} is not one of: {choices}.",
        "both": "Give a TLS context or a CA file (cafile), not both.",
        "bad_port": "The port {port!r} is not a TCP port (1 to 65535).",
        "bad_account": "The user name and password must be one line each and not empty.",
        "settings": {
            "none": "No TLS",
            "opportunistic": "Use TLS if available (STARTTLS when offered)",
            "required": "Require STARTTLS",
            "implicit": "TLS from the first byte (implicit TLS port)",
        },
    }
)
"""Every sentence this module says (named placeholders, for translation)."""


# -- clients that connect to an address but name a host -------------------------------------------

Wrap = ssl.SSLContext | None
"""The context for implicit TLS from the first byte, or ``None`` for a plaintext connection."""


def _connect(
    host: str,
    port: int,
    address: str | None,
    timeout: float,
    wrap: Wrap,
) -> socket.socket:
    """A connection to ``address`` (or ``host``), inside TLS for ``host`` when ``wrap``."""
    sock = socket.create_connection((address or host, port), timeout)
    if wrap is None:
        return sock
    try:
        return wrap.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


class _Named:
    """A client that connects to ``address`` (when given) while naming ``host`` for SNI and
    the certificate check. poplib's, imaplib's and smtplib's constructors connect at once, so
    the address is set before them."""

    host: str
    port: int

    def _aim(self, address: str | None, wrap: Wrap) -> None:
        """Set where to connect, before the library's constructor connects."""
        self._address, self._wrap = address, wrap

    def _create_socket(self, timeout: float) -> socket.socket:  # poplib, imaplib
        return _connect(self.host, self.port, self._address, timeout, self._wrap)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:  # smtplib
        return _connect(host, port, self._address, timeout, self._wrap)


class _Smtp(_Named, smtplib.SMTP):
    def __init__(self, host: str, port: int, address: str | None, timeout: float, wrap: Wrap):
        self._aim(address, wrap)
        super().__init__(host, port, local_hostname=CLIENT_NAME, timeout=timeout)


class _Pop3(_Named, poplib.POP3):
    def __init__(self, host: str, port: int, address: str | None, timeout: float, wrap: Wrap):
        self._aim(address, wrap)
        super().__init__(host, port, timeout=timeout)


class _Imap(_Named, imaplib.IMAP4):
    def __init__(self, host: str, port: int, address: str | None, timeout: float, wrap: Wrap):
        self._aim(address, wrap)
        super().__init__(host, port, timeout=timeout)


# -- the attempt's log ---------------------------------------------------------------------------


class _Log:
    """Collects the steps of one attempt and makes its result."""

    def __init__(self, protocol: MailProtocol, setting: TlsSetting, host: str) -> None:
        self.protocol, self.setting, self.host = protocol, setting, host
        self.steps: list[Step] = []
        self.version: str | None = None
        self.sent = False

    def step(self, text: str, outcome: Outcome = Outcome.INFO, section: str | None = None) -> None:
        self.steps.append(Step(text, outcome, section))

    def secured(self, sock: object, key: str, section: str) -> None:
        version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        self.version = version or "TLS"
        self.step(
            MESSAGES[key].format(
                command=self.protocol.upgrade_command, version=self.version, host=self.host
            ),
            Outcome.OK,
            section,
        )

    def wants_tls(self) -> bool:
        """Whether this setting asks for STARTTLS on the plaintext connection."""
        return self.setting in (TlsSetting.OPPORTUNISTIC, TlsSetting.REQUIRED)

    def offer(self, offered: bool) -> bool:
        """Note whether the upgrade is offered; whether this setting tries it."""
        command = self.protocol.upgrade_command
        if offered:
            self.step(
                MESSAGES["offered"].format(command=command), section=self.protocol.upgrade_section
            )
        elif self.setting is TlsSetting.OPPORTUNISTIC:
            self.step(
                MESSAGES["not_offered_go_on"].format(command=command),
                Outcome.WARN,
                TlsSetting.OPPORTUNISTIC.section,
            )
        return offered or self.setting is TlsSetting.REQUIRED

    def end(self, outcome: LoginOutcome, reason: str, section: str | None = None) -> LoginResult:
        look = {
            LoginOutcome.LOGGED_IN: Outcome.OK if self.version else Outcome.WARN,
            LoginOutcome.CLIENT_REFUSED: Outcome.OK,
            LoginOutcome.SERVER_REFUSED: Outcome.INFO,
            LoginOutcome.FAILED: Outcome.FAIL,
        }[outcome]
        self.step(reason, look, section)
        return LoginResult(
            self.protocol,
            self.setting,
            outcome,
            self.version,
            self.sent,
            reason,
            tuple(self.steps),
        )

    def logged_in(self) -> LoginResult:
        if self.version:
            said = MESSAGES["logged_in_tls"].format(version=self.version)
        else:
            said = MESSAGES["logged_in_plain"]
        return self.end(LoginOutcome.LOGGED_IN, said)

    def refused(self, reply: object) -> LoginResult:
        """The server said no to the password."""
        return self.end(
            LoginOutcome.SERVER_REFUSED, MESSAGES["refused"].format(reply=_reply(reply))
        )

    def not_offered(self) -> LoginResult:
        command = self.protocol.upgrade_command
        return self.end(
            LoginOutcome.CLIENT_REFUSED,
            MESSAGES["not_offered"].format(command=command),
            TlsSetting.REQUIRED.section,
        )

    def tls_refused(self, reply: object) -> LoginResult:
        return self.end(
            LoginOutcome.CLIENT_REFUSED,
            MESSAGES["tls_refused"].format(
                command=self.protocol.upgrade_command, reply=_reply(reply)
            ),
            TlsSetting.REQUIRED.section,
        )

    def handshake(self, exc: BaseException) -> LoginResult:
        reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc
        return self.end(
            LoginOutcome.CLIENT_REFUSED,
            MESSAGES["handshake"].format(reason=str(reason).lower().replace("_", " ")),
            "RFC 8314 §5.3",
        )

    def failed(self, exc: BaseException) -> LoginResult:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return self.end(LoginOutcome.FAILED, MESSAGES["failed"].format(reason=reason))


def _reply(value: object) -> str:
    """A server's reply as short text for a sentence."""
    if isinstance(value, (list, tuple)):
        value = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in value)
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:200]


# -- checking the arguments -----------------------------------------------------------------------


def _setting(tls: TlsSetting | str) -> TlsSetting:
    if isinstance(tls, TlsSetting):
        return tls
    try:
        return TlsSetting(tls)
    except ValueError:
        choices = ", ".join(s.value for s in TlsSetting)
        raise InputError(MESSAGES["bad_setting"].format(value=tls, choices=choices)) from None


def _checked(
    port: int, user: str, password: str, context: ssl.SSLContext | None, cafile: str | None
) -> ssl.SSLContext:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InputError(MESSAGES["bad_port"].format(port=port))
    for value in (user, password):
        if not value or "\r" in value or "\n" in value:
            raise InputError(MESSAGES["bad_account"])
    if context is not None and cafile is not None:
        raise InputError(MESSAGES["both"])
    return context if context is not None else ssl.create_default_context(cafile=cafile)


def _connected(log: _Log, port: int, sock: object) -> None:
    implicit = log.setting is TlsSetting.IMPLICIT
    how = MESSAGES["tls_connect" if implicit else "plain_connect"]
    log.step(MESSAGES["connected"].format(host=log.host, port=port, how=how))
    if implicit:
        log.secured(sock, "implicit", log.protocol.implicit_section)


# -- the three protocols: what each does once connected ------------------------------------------


def _smtp(
    client: _Smtp, log: _Log, verified: ssl.SSLContext, user: str, password: str
) -> LoginResult:
    client.ehlo()
    if log.wants_tls() and log.offer(client.has_extn("starttls")):
        try:
            client.starttls(context=verified)
        except smtplib.SMTPNotSupportedError:
            return log.not_offered()
        except smtplib.SMTPResponseException as exc:
            return log.tls_refused(f"{exc.smtp_code} {_reply(exc.smtp_error)}")
        log.secured(client.sock, "upgraded", MailProtocol.SMTP.upgrade_section)
        client.ehlo()
    if not client.has_extn("auth"):
        return log.end(LoginOutcome.SERVER_REFUSED, MESSAGES["no_auth"], "RFC 4954 §4")
    log.sent = True
    try:
        client.login(user, password)
    except smtplib.SMTPAuthenticationError as exc:
        return log.refused(f"{exc.smtp_code} {_reply(exc.smtp_error)}")
    return log.logged_in()


def _pop3(
    client: _Pop3, log: _Log, verified: ssl.SSLContext, user: str, password: str
) -> LoginResult:
    if log.wants_tls():
        try:
            capabilities = client.capa()
        except poplib.error_proto:  # no CAPA: no STLS either (RFC 2595 §4)
            capabilities = {}
        if log.offer("STLS" in capabilities):
            try:
                client.stls(context=verified)
            except poplib.error_proto as exc:
                if "not supported" in str(exc):  # poplib looked at CAPA again
                    return log.not_offered()
                return log.tls_refused(exc.args[0] if exc.args else exc)
            log.secured(client.sock, "upgraded", MailProtocol.POP3.upgrade_section)
    try:
        client.user(user)
    except poplib.error_proto as exc:
        reply = _reply(exc.args[0] if exc.args else exc)
        return log.end(LoginOutcome.SERVER_REFUSED, MESSAGES["user_refused"].format(reply=reply))
    log.sent = True
    try:
        client.pass_(password)
    except poplib.error_proto as exc:
        return log.refused(exc.args[0] if exc.args else exc)
    return log.logged_in()


def _imap(
    client: _Imap, log: _Log, verified: ssl.SSLContext, user: str, password: str
) -> LoginResult:
    if log.wants_tls() and log.offer("STARTTLS" in client.capabilities):
        try:
            client.starttls(ssl_context=verified)
        except imaplib.IMAP4.abort:  # imaplib: "TLS not supported by server"
            return log.not_offered()
        except imaplib.IMAP4.error as exc:
            return log.tls_refused(exc)
        log.secured(client.sock, "upgraded", MailProtocol.IMAP.upgrade_section)
    if "LOGINDISABLED" in client.capabilities:
        return log.end(LoginOutcome.SERVER_REFUSED, MESSAGES["login_disabled"], "RFC 3501 §6.2.3")
    log.sent = True
    try:
        client.login(user, password)
    except imaplib.IMAP4.abort as exc:
        return log.failed(exc)
    except imaplib.IMAP4.error as exc:
        return log.refused(exc)
    return log.logged_in()


@dataclass(frozen=True)
class _Kind:
    """One protocol's client: its class, its errors, what it does once connected, goodbye."""

    client: Callable[..., Any]
    errors: tuple[type[Exception], ...]
    session: Callable[..., LoginResult]
    goodbye: Callable[[Any], None]


def _bye(polite: str, rude: str) -> Callable[[Any], None]:
    """Say goodbye (QUIT, LOGOUT); when the connection is broken, just close it."""

    def bye(client: Any) -> None:
        try:
            getattr(client, polite)()
        except Exception:
            with contextlib.suppress(Exception):
                getattr(client, rude)()

    return bye


_KINDS = {
    MailProtocol.SMTP: _Kind(_Smtp, (smtplib.SMTPException,), _smtp, _bye("quit", "close")),
    MailProtocol.POP3: _Kind(_Pop3, (poplib.error_proto,), _pop3, _bye("quit", "close")),
    MailProtocol.IMAP: _Kind(_Imap, (imaplib.IMAP4.error,), _imap, _bye("logout", "shutdown")),
}


def log_in(
    protocol: MailProtocol,
    host: str,
    port: int,
    user: str,
    password: str,
    *,
    tls: TlsSetting | str,
    context: ssl.SSLContext | None = None,
    cafile: str | None = None,
    address: str | None = None,
    timeout: float = CLIENT_TIMEOUT,
) -> LoginResult:
    """Log in once to the ``protocol`` server called ``host`` on ``port`` (at ``address``,
    when given) under the TLS setting ``tls``, checking its certificate with ``context`` or
    ``cafile`` (the system's trust store by default)."""
    setting = _setting(tls)
    verified = _checked(port, user, password, context, cafile)
    kind = _KINDS[protocol]
    errors: tuple[type[Exception], ...] = (OSError, *kind.errors)
    log = _Log(protocol, setting, host)
    wrap = verified if setting is TlsSetting.IMPLICIT else None
    try:
        client = kind.client(host, port, address, timeout, wrap)
    except ssl.SSLError as exc:
        return log.handshake(exc)
    except errors as exc:
        return log.failed(exc)
    try:
        _connected(log, port, client.sock)
        return kind.session(client, log, verified, user, password)
    except ssl.SSLError as exc:
        return log.handshake(exc)
    except errors as exc:
        return log.failed(exc)
    finally:
        kind.goodbye(client)


def login_smtp(host: str, port: int, user: str, password: str, **options: Any) -> LoginResult:
    """Log in to a submission server with SMTP AUTH (RFC 4954); the ``options`` (``tls``,
    ``context``, ``cafile``, ``address``, ``timeout``) are :func:`log_in`'s."""
    return log_in(MailProtocol.SMTP, host, port, user, password, **options)


def login_pop3(host: str, port: int, user: str, password: str, **options: Any) -> LoginResult:
    """Log in to a POP3 server with USER and PASS (RFC 1939 §7); ``options`` as :func:`log_in`."""
    return log_in(MailProtocol.POP3, host, port, user, password, **options)


def login_imap(host: str, port: int, user: str, password: str, **options: Any) -> LoginResult:
    """Log in to an IMAP server with LOGIN (RFC 3501 §6.2.3); ``options`` as :func:`log_in`."""
    return log_in(MailProtocol.IMAP, host, port, user, password, **options)
