"""The check a receiving mail server performs (RFC 7208 §2.3, §2.4, §4.3).

The server knows three things about an incoming SMTP session: the client's IP address, the name
it gave in HELO/EHLO, and the envelope sender of MAIL FROM. :func:`check` checks the MAIL FROM
identity; for a null sender (``MAIL FROM:<>``, used by bounces) it checks ``postmaster@<HELO>``
instead, as §2.4 says. :func:`check_helo` checks the HELO identity on its own (§2.3).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mailsec.spf.evaluate import TIME_LIMIT, check_host
from mailsec.spf.result import SpfCheck

__all__ = ["as_text", "check", "check_helo", "sender_identity"]


def sender_identity(mail_from: str, helo: str) -> tuple[str, str, str]:
    """``(sender, domain, identity)`` for a MAIL FROM and HELO (RFC 7208 §2.4, §4.3).

    Angle brackets are removed; an empty sender becomes ``postmaster@<helo>`` with identity
    ``"helo"``; a sender without a local-part gets ``postmaster``; a sender without ``@`` is taken
    as a bare domain.
    """
    value = mail_from.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    if not value:
        helo_name = helo.strip()
        return f"postmaster@{helo_name}", helo_name, "helo"
    local, at, domain = value.rpartition("@")
    if not at:
        return f"postmaster@{value}", value, "mailfrom"
    if not local:
        return f"postmaster@{domain}", domain, "mailfrom"
    return value, domain, "mailfrom"


def as_text(value: object) -> str:
    """Inputs as text: None is empty, bytes are decoded (never raises; check must not either)."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def check(
    ip: str,
    mail_from: str,
    helo: str,
    *,
    resolver: object | None = None,
    receiver: str = "unknown",
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
    time_limit: float = TIME_LIMIT,
) -> SpfCheck:
    """Check an SMTP client the way a receiving MTA does.

    ``ip`` is the connecting client's address, ``mail_from`` the envelope sender (empty for a null
    sender, then ``postmaster@helo`` is checked) and ``helo`` the HELO/EHLO name. ``resolver`` is
    a ``dns.resolver.Resolver`` (used exactly as given), the offline
    :class:`~mailsec.spf.zone.ZoneResolver`, or None for the system's DNS.

    Returns an :class:`~mailsec.spf.result.SpfCheck`: ``.result`` is one of the seven results
    (a str-valued enum), ``.explanation`` the expanded exp= text for fail (or None) and
    ``.trace`` the evaluation steps. Never raises for bad input.
    """
    ip, mail_from, helo = as_text(ip), as_text(mail_from), as_text(helo)
    sender, domain, identity = sender_identity(mail_from, helo)
    return check_host(
        ip,
        domain,
        sender,
        helo=helo,
        resolver=resolver,
        receiver=receiver,
        clock=clock,
        now=now,
        time_limit=time_limit,
        identity=identity,
        mail_from=mail_from,
    )


def check_helo(
    ip: str,
    helo: str,
    *,
    resolver: object | None = None,
    receiver: str = "unknown",
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
    time_limit: float = TIME_LIMIT,
) -> SpfCheck:
    """Check the HELO identity alone (RFC 7208 §2.3): the policy of the HELO name itself."""
    ip, helo = as_text(ip), as_text(helo)
    name = helo.strip()
    return check_host(
        ip,
        name,
        f"postmaster@{name}",
        helo=helo,
        resolver=resolver,
        receiver=receiver,
        clock=clock,
        now=now,
        time_limit=time_limit,
        identity="helo",
        mail_from="",
    )
