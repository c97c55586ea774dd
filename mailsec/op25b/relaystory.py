"""The relay lesson's story as data, and what the pure model decides for each of its senders.

Hanako works at Sakura Trading, whose mail is hosted on ``mail.hosting.example``
(:data:`~mailsec.op25b.model.RELAY_WORLD`). At 10:00 her mail program checks her mail: a POP3
login, from the office's one public address (its NAT router's). Then one of four senders
(:class:`Sender`) sends a message through the hosting company's server:

- ``USER`` — Hanako's mail program, two minutes later;
- ``COLLEAGUE`` — a program on Ken's PC, behind the same NAT router, five minutes later, with no
  login of its own (Hanako's program has logged out by then);
- ``EXPIRED`` — Hanako's mail program again, fifteen minutes later, after the window closed;
- ``SPAMMER`` — a machine on another network, three minutes later, with no login.

Hanako's program is set up for the server's setting: SMTP AUTH on the submission port 587 where
the server relays only for SMTP AUTH (RFC 6409 §4.3), plain SMTP on port 25 otherwise. The other
senders know no password and use port 25 without a login.

:func:`plan` turns a setting, a sender and a recipient into the events with their times;
:func:`model_ruling` decides the plan in the pure model, the POP3 login being a model event.
:mod:`mailsec.op25b.relaywire` plays the same plan over real POP3 and SMTP.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from mailsec.op25b.model import (
    OFFICE_DOMAIN,
    OFFICE_PASSWORD,
    OFFICE_USER,
    RELAY_WORLD,
    Credentials,
    World,
)
from mailsec.op25b.relaycontrol import (
    DEFAULT_WINDOW,
    PopBeforeSmtp,
    RelayRuling,
    RelaySetting,
    relay_ruling,
)
from mailsec.op25b.rules import auth_ruling

__all__ = [
    "JST",
    "LOGIN_HOST",
    "SERVER",
    "START",
    "STORIES",
    "Plan",
    "Recipient",
    "Sender",
    "Story",
    "model_ruling",
    "plan",
]

JST = dt.timezone(dt.timedelta(hours=9), "JST")
START = dt.datetime(2026, 6, 1, 10, 0, tzinfo=JST)
"""When Hanako checks her mail: the story's clock starts here (fixed, so every run reads alike)."""
SERVER = "hosting-mail"
"""The model host whose relay setting the lesson changes."""
LOGIN_HOST = "user-pc"
"""Whose mail program logs in to POP3 at :data:`START`."""


class Sender(enum.Enum):
    """Who sends through the hosting company's server after Hanako's POP3 login."""

    USER = "user"
    """Hanako's own mail program, two minutes after her POP3 login."""
    COLLEAGUE = "colleague"
    """A program on Ken's PC, behind the same NAT router, with no login of its own."""
    EXPIRED = "expired"
    """Hanako's mail program, after the POP-before-SMTP window has closed."""
    SPAMMER = "spammer"
    """A spammer's machine on another network, with no login."""


class Recipient(enum.Enum):
    """Where the message goes: another domain (relaying) or the server's own (delivery)."""

    OUTSIDE = "taro@example.net"
    """Taro at example.net: the server would relay it to mx.example.net."""
    OWN_DOMAIN = f"info@{OFFICE_DOMAIN}"
    """The office's own address: the server delivers it, no relaying involved."""


@dataclass(frozen=True)
class Story:
    """One sender of the story: which machine, which sender address, and when."""

    sender: Sender
    host: str
    mail_from: str
    after: dt.timedelta
    """How long after Hanako's POP3 login it sends."""
    knows_password: bool
    """Whether its program has Hanako's password (only her own program does)."""


STORIES: dict[Sender, Story] = {
    Sender.USER: Story(Sender.USER, "user-pc", OFFICE_USER, dt.timedelta(minutes=2), True),
    Sender.COLLEAGUE: Story(
        Sender.COLLEAGUE, "colleague-pc", f"ken@{OFFICE_DOMAIN}", dt.timedelta(minutes=5), False
    ),
    Sender.EXPIRED: Story(Sender.EXPIRED, "user-pc", OFFICE_USER, dt.timedelta(minutes=15), True),
    Sender.SPAMMER: Story(
        Sender.SPAMMER, "spammer", "prize@lucky-winner.example", dt.timedelta(minutes=3), False
    ),
}


@dataclass(frozen=True)
class Plan:
    """The events of one run: Hanako's POP3 login, then one sender's SMTP session."""

    setting: RelaySetting
    story: Story
    rcpt: str
    login_at: dt.datetime
    send_at: dt.datetime
    port: int
    """The SMTP port the sender's program uses: 587 with SMTP AUTH, or 25."""
    credentials: Credentials | None

    @property
    def sender(self) -> Sender:
        return self.story.sender


def plan(
    setting: RelaySetting,
    sender: Sender,
    recipient: Recipient = Recipient.OUTSIDE,
    *,
    start: dt.datetime = START,
) -> Plan:
    """The events for ``sender`` under ``setting``, with their times from ``start``."""
    story = STORIES[Sender(sender)]
    with_auth = story.knows_password and RelaySetting(setting) is RelaySetting.SMTP_AUTH
    return Plan(
        RelaySetting(setting),
        story,
        Recipient(recipient).value,
        start,
        start + story.after,
        587 if with_auth else 25,
        Credentials(OFFICE_USER, OFFICE_PASSWORD) if with_auth else None,
    )


def model_ruling(
    events: Plan, *, world: World = RELAY_WORLD, window: dt.timedelta = DEFAULT_WINDOW
) -> RelayRuling:
    """What the server decides at RCPT TO for ``events``, in the pure model: the POP3 login is
    a model event that opens its address's window."""
    server = world.host(SERVER)
    windows = PopBeforeSmtp(window=window)
    windows.record_login(
        world.public_ipv4(world.host(LOGIN_HOST)), user=OFFICE_USER, at=events.login_at
    )
    service = server.service(events.port)
    assert service is not None
    credentials = events.credentials
    return relay_ruling(
        world,
        server,
        service.kind,
        world.host(events.story.host),
        events.rcpt,
        authenticated=credentials is not None and auth_ruling(server, credentials).allowed,
        setting=events.setting,
        windows=windows,
        at=events.send_at,
    )
