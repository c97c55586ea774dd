"""The header block as it grew: which hop added which fields.

Every hop puts its fields on top of what it received (RFC 5321 §4.4 for ``Received:``, RFC 8601
§5 for ``Authentication-Results:``, RFC 8617 §4.1 for an ARC set, RFC 6376 §5.6 for a
``DKIM-Signature:``), so a stored message reads from the bottom up: first the author's fields,
then each hop's. :func:`header_stages` reads a stored message that way and groups its fields
by who added them:

- ``Received:`` by the host after ``by``;
- ``Authentication-Results:`` and ``ARC-Authentication-Results:`` by their authserv-id;
- ``DKIM-Signature:`` and the other ARC fields by their signing domain (``d=``);
- everything below the first of these by the author's mail client.
"""

from __future__ import annotations

import re

from mailsec.dkim.canon import read_message
from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.mailsystem.timeline import HeaderStage

__all__ = ["MAX_STAGES", "header_stages"]

MAX_STAGES = 40
"""Stages shown (a message of the course passes about six hops)."""

TEXT = texts({"author": "the author's mail client"})
"""Who added the fields below every hop's (see :mod:`mailsec.i18n`); the hops are host names."""
_BY = re.compile(rb"\bby\s+([A-Za-z0-9.\-\[\]:]+)", re.I)
_DOMAIN = re.compile(rb"(?:^|;)\s*d\s*=\s*([A-Za-z0-9.\-]+)", re.I)
_AUTHSERV = re.compile(rb"^\s*(?:i\s*=\s*\d+\s*;\s*)?([A-Za-z0-9.\-]+)", re.I)
_TRACE = {"received", "authentication-results", "arc-authentication-results",
          "dkim-signature", "arc-seal", "arc-message-signature"}  # fmt: skip


def _who(name: str, value: bytes) -> str:
    pattern = {"received": _BY, "authentication-results": _AUTHSERV,
               "arc-authentication-results": _AUTHSERV}.get(name, _DOMAIN)  # fmt: skip
    found = pattern.search(value)
    return found.group(1).decode("ascii", "replace") if found else "?"


def header_stages(message: bytes) -> tuple[HeaderStage, ...]:
    """The fields of ``message`` grouped by the hop that added them, oldest first."""
    try:
        fields = read_message(message).fields
    except InputError:
        return ()
    keys = [f.key for f in fields]
    lowest = max((i for i, k in enumerate(keys) if k in _TRACE), default=-1)
    stages: list[tuple[str, list[str]]] = []
    author = [f.raw.decode("utf-8", "replace") for f in fields[lowest + 1 :]]
    if author:
        stages.append((TEXT["author"], author))
    for field in reversed(fields[: lowest + 1]):
        who = _who(field.key, field.value) if field.key in _TRACE else "?"
        text = field.raw.decode("utf-8", "replace")
        if who == "?" and stages:
            stages[-1][1].insert(0, text)  # an unknown field goes with the hop below it
        elif stages and stages[-1][0] == who:
            stages[-1][1].insert(0, text)
        else:
            stages.append((who, [text]))
    return tuple(HeaderStage(who, tuple(lines)) for who, lines in stages[:MAX_STAGES])
