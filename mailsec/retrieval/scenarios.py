"""Prepared scenarios for the devices lab: everyday situations where POP3 and IMAP4 differ.

Each scenario is plain data (:class:`~mailsec.retrieval.model.Scenario`); play it under a protocol
with :func:`~mailsec.retrieval.model.run`, or under both at once with
:func:`~mailsec.retrieval.model.compare` (importable from here too, as the notebook and the tests
import it)::

    from mailsec.retrieval.scenarios import SCENARIOS, compare
    pop, imap = compare(SCENARIOS["phone-then-laptop"])
    pop.final.device("Laptop").labels()     # what the laptop ends up with under POP3
"""

from __future__ import annotations

from datetime import timedelta

from mailsec.errors import InputError
from mailsec.i18n import texts
from mailsec.retrieval.model import (
    AddDevice,
    DeleteMessage,
    DeviceSpec,
    FlagMessage,
    GoOffline,
    GoOnline,
    ImapSettings,
    MailArrives,
    MoveMessage,
    PopSettings,
    ReadMessage,
    ReplyToMessage,
    Scenario,
    Sync,
    TimePasses,
    compare,
)

__all__ = ["DEVICE_NAMES", "NAMES", "SCENARIOS", "TEXT", "compare", "devices", "get_scenario"]

TEXT = texts(
    {
        "count": "{count!r} devices is not possible here: choose 1 to {most} devices.",
        "unknown": "There is no prepared scenario called {key!r}: use one of {keys!r}.",
    }
)
"""This module's error messages (see :mod:`mailsec.i18n`)."""

NAMES = texts(
    {
        "devices": ("Phone", "Laptop", "Tablet", "Desktop", "New phone", "Old laptop"),
        "titles": (
            "Read on the phone, then open the laptop",
            "Commute offline",
            "Mailbox full",
            "New phone",
            "Pitfall: an old POP3 laptop beside an IMAP phone",
        ),
        "stories": (
            "In the morning Aiko reads her mail on her phone: she answers a dinner invitation and "
            "deletes an advert. In the evening she opens her laptop. What does the laptop show?",
            "Aiko's phone fetches her mail before she boards the train. In the tunnel there is no "
            "signal: she reads one message, deletes a newsletter and files an invoice. Meanwhile "
            "a colleague's message arrives and she reads it on her office laptop. Then the train "
            "comes out of the tunnel.",
            "Aiko's provider gives her a small mailbox (100 KB here, to keep the numbers small). "
            "Reports and photos keep arriving. Which mail gets in, which waits at the sender's "
            "server, and which goes back to the sender?",
            "Aiko has used her laptop for mail for a while: she read one message, archived "
            "another and flagged a third. Three days later she sets up a new phone with the same "
            "account.",
            "Aiko's phone uses IMAP. Her old laptop still has the account set up with POP3 and "
            "'download and delete'. She opens the laptop once. (These devices name their own "
            "protocol, so the lab's protocol choice does not change them.)",
        ),
        "subjects": (
            "Dinner on Friday?",
            "Train timetable",
            "50% off today only",
            "Meeting agenda",
            "Weekly newsletter",
            "Invoice 2026-11",
            "Lunch today?",
            "Report draft",
            "Minutes",
            "Slides",
            "Team photo",
            "Holiday photos",
            "Welcome to the club",
            "Contract (signed)",
            "Flight booking",
            "Seat upgrade",
            "Doctor's appointment",
            "Photos from Sunday",
        ),
    }
)
"""The prepared scenarios' names, subjects, titles and stories, listed here so they are
extracted for translation: the scenarios keep them in English as data, and the screen shows
them through :func:`~mailsec.retrieval.model.shown` (a test checks that every one is here)."""

KB = 1024

#: Names for the devices of a scenario the learner builds, in order.
DEVICE_NAMES: tuple[str, ...] = ("Phone", "Laptop", "Tablet", "Desktop")


def devices(count: int, *, capacity: int) -> tuple[DeviceSpec, ...]:
    """``count`` devices (1-4) named Phone, Laptop, ... each with ``capacity`` bytes, online."""
    if not 1 <= count <= len(DEVICE_NAMES):
        raise InputError(TEXT["count"].format(count=count, most=len(DEVICE_NAMES)))
    return tuple(DeviceSpec(name, capacity) for name in DEVICE_NAMES[:count])


def _m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


PHONE_THEN_LAPTOP = Scenario(
    title="Read on the phone, then open the laptop",
    story=(
        "In the morning Aiko reads her mail on her phone: she answers a dinner invitation and "
        "deletes an advert. In the evening she opens her laptop. What does the laptop show?"
    ),
    devices=(DeviceSpec("Phone", 512 * KB), DeviceSpec("Laptop", 4096 * KB, online=False)),
    events=(
        MailArrives(_m(0), "Dinner on Friday?", 12 * KB, "ken@example.org"),
        MailArrives(_m(2), "Train timetable", 20 * KB, "rail@example.net"),
        MailArrives(_m(4), "50% off today only", 35 * KB, "shop@example.com"),
        Sync(_m(10), "Phone"),
        ReadMessage(_m(12), "Phone", "M1"),
        ReplyToMessage(_m(14), "Phone", "M1"),
        DeleteMessage(_m(16), "Phone", "M3"),
        GoOnline(_m(600), "Laptop"),
    ),
)

COMMUTE_OFFLINE = Scenario(
    title="Commute offline",
    story=(
        "Aiko's phone fetches her mail before she boards the train. In the tunnel there is no "
        "signal: she reads one message, deletes a newsletter and files an invoice. Meanwhile a "
        "colleague's message arrives and she reads it on her office laptop. Then the train "
        "comes out of the tunnel."
    ),
    devices=(DeviceSpec("Phone", 512 * KB), DeviceSpec("Laptop", 4096 * KB)),
    events=(
        MailArrives(_m(0), "Meeting agenda", 30 * KB, "boss@example.org"),
        MailArrives(_m(1), "Weekly newsletter", 40 * KB, "news@example.net"),
        MailArrives(_m(2), "Invoice 2026-11", 25 * KB, "billing@example.com"),
        Sync(_m(5), "Phone"),
        GoOffline(_m(10), "Phone"),
        ReadMessage(_m(15), "Phone", "M1"),
        DeleteMessage(_m(20), "Phone", "M2"),
        MoveMessage(_m(25), "Phone", "M3"),
        MailArrives(_m(30), "Lunch today?", 10 * KB, "mei@example.org"),
        Sync(_m(35), "Laptop"),
        ReadMessage(_m(36), "Laptop", "M4"),
        GoOnline(_m(50), "Phone"),
    ),
)

MAILBOX_FULL = Scenario(
    title="Mailbox full",
    story=(
        "Aiko's provider gives her a small mailbox (100 KB here, to keep the numbers small). "
        "Reports and photos keep arriving. Which mail gets in, which waits at the sender's "
        "server, and which goes back to the sender?"
    ),
    devices=(DeviceSpec("Phone", 1024 * KB),),
    quota=100 * KB,
    events=(
        MailArrives(_m(0), "Report draft", 30 * KB, "boss@example.org"),
        MailArrives(_m(1), "Minutes", 30 * KB, "team@example.org"),
        MailArrives(_m(2), "Slides", 30 * KB, "team@example.org"),
        MailArrives(_m(3), "Team photo", 30 * KB, "mei@example.org"),
        Sync(_m(10), "Phone"),
        ReadMessage(_m(15), "Phone", "M1"),
        MailArrives(_m(20), "Holiday photos", 60 * KB, "ken@example.org"),
        Sync(_m(30), "Phone"),
        DeleteMessage(_m(40), "Phone", "M2"),
        Sync(_m(75), "Phone"),
        TimePasses(timedelta(days=5, hours=1)),
    ),
)

NEW_PHONE = Scenario(
    title="New phone",
    story=(
        "Aiko has used her laptop for mail for a while: she read one message, archived another "
        "and flagged a third. Three days later she sets up a new phone with the same account."
    ),
    devices=(DeviceSpec("Laptop", 4096 * KB),),
    events=(
        MailArrives(_m(0), "Welcome to the club", 15 * KB, "club@example.org"),
        MailArrives(_m(1), "Contract (signed)", 45 * KB, "office@example.com"),
        MailArrives(_m(2), "Flight booking", 20 * KB, "air@example.net"),
        Sync(_m(10), "Laptop"),
        ReadMessage(_m(15), "Laptop", "M1"),
        MoveMessage(_m(20), "Laptop", "M2"),
        FlagMessage(_m(25), "Laptop", "M3"),
        AddDevice(timedelta(days=3), DeviceSpec("New phone", 512 * KB)),
        MailArrives(timedelta(days=3, minutes=5), "Seat upgrade", 8 * KB, "air@example.net"),
        Sync(timedelta(days=3, minutes=10), "New phone"),
    ),
)

MIXED_CLIENTS = Scenario(
    title="Pitfall: an old POP3 laptop beside an IMAP phone",
    story=(
        "Aiko's phone uses IMAP. Her old laptop still has the account set up with POP3 and "
        "'download and delete'. She opens the laptop once. (These devices name their own "
        "protocol, so the lab's protocol choice does not change them.)"
    ),
    devices=(
        DeviceSpec("Phone", 512 * KB, client=ImapSettings()),
        DeviceSpec("Old laptop", 4096 * KB, client=PopSettings(), online=False),
    ),
    events=(
        MailArrives(_m(0), "Doctor's appointment", 10 * KB, "clinic@example.org"),
        MailArrives(_m(1), "Photos from Sunday", 60 * KB, "ken@example.org"),
        ReadMessage(_m(5), "Phone", "M1"),
        GoOnline(_m(30), "Old laptop"),
        GoOffline(_m(40), "Old laptop"),
        ReadMessage(_m(45), "Phone", "M2"),
    ),
)

#: The prepared scenarios, by key.
SCENARIOS: dict[str, Scenario] = {
    "phone-then-laptop": PHONE_THEN_LAPTOP,
    "commute-offline": COMMUTE_OFFLINE,
    "mailbox-full": MAILBOX_FULL,
    "new-phone": NEW_PHONE,
    "mixed-clients": MIXED_CLIENTS,
}


def get_scenario(key: str) -> Scenario:
    """A prepared scenario by its key."""
    try:
        return SCENARIOS[key]
    except KeyError:
        raise InputError(TEXT["unknown"].format(key=key, keys=sorted(SCENARIOS))) from None
