"""The chapter's prepared scenarios: one click each in the lab, ``mailsec op25b scenarios`` on the
command line. Each names its attempt, the policy in force and the verdict the story expects (the
tests check that the model reaches it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailsec.errors import InputError
from mailsec.i18n import gettext, texts
from mailsec.op25b.model import (
    BOT_WEBMAIL,
    BOT_WEBMAIL_PASSWORD,
    HANAKO,
    HANAKO_PASSWORD,
    STANDARD_WORLD,
    Attempt,
    Credentials,
    Policy,
    World,
)
from mailsec.op25b.path import PathResult, Verdict, evaluate

__all__ = ["SCENARIOS", "Scenario", "scenario"]


@dataclass(frozen=True)
class Scenario:
    """A prepared attempt with its story."""

    id: str
    title: str
    story: str
    source: str
    destination: str
    port: int
    mail_from: str
    rcpt_to: str = "taro@example.net"
    user: str | None = None
    password: str | None = None
    policy: Policy = field(default_factory=Policy)
    expected: Verdict = Verdict.DELIVERED

    @property
    def credentials(self) -> Credentials | None:
        if self.user is None or self.password is None:
            return None
        return Credentials(self.user, self.password)

    def attempt(self, world: World = STANDARD_WORLD) -> Attempt:
        return Attempt.create(
            world,
            source=self.source,
            destination=self.destination,
            port=self.port,
            mail_from=self.mail_from,
            rcpt_to=self.rcpt_to,
            credentials=self.credentials,
        )

    @property
    def shown_title(self) -> str:
        """:attr:`title` in the current language."""
        return gettext(self.title)

    @property
    def shown_story(self) -> str:
        """:attr:`story` in the current language."""
        return gettext(self.story)

    def evaluate(self, world: World = STANDARD_WORLD) -> PathResult:
        return evaluate(self.attempt(world), self.policy, world)


TEXT = texts(
    {
        "scenarios": {
            "user-via-isp": (
                "Hanako through ISP A's mail server",
                "Hanako's mail program sends through her ISP's own mail server, as ISP A asks. "
                "The server relays for its customers and passes the message to example.net's "
                "MX.",
            ),
            "user-direct-25": (
                "Hanako straight to the recipient's MX on port 25",
                "Hanako's mail program is set to talk to mx.example.net directly. ISP A's edge "
                "router sees port 25 from a dynamic address to an outside server and drops it.",
            ),
            "user-submission-587": (
                "Hanako through her provider's port 587 with AUTH",
                "Hanako uses her mail provider's submission port 587 and logs in. OP25B leaves "
                "587 alone, and the provider relays for its logged-in user.",
            ),
            "user-wrong-password": (
                "Hanako with a wrong password",
                "Hanako mistypes her password. The submission server refuses the login (535), "
                "so nothing is sent.",
            ),
            "bot-direct-25": (
                "The bot straight to port 25",
                "Malware on the neighbour's PC sends spam directly to the recipient's MX, with "
                "a forged sender. This is what OP25B is for: the edge drops it.",
            ),
            "bot-webmail": (
                "The bot through webmail",
                "The bot signs up for a free webmail account and sends through the web page. "
                "That is HTTPS on port 443, not SMTP on port 25, so OP25B does not stop it.",
            ),
            "bot-stolen-587": (
                "The bot with stolen credentials through 587",
                "The malware has stolen Hanako's password from her mail program and submits "
                "through her provider on port 587. OP25B does not cover 587, and the login is "
                "valid: delivered. This is why receivers also check senders (SPF, chapter 03).",
            ),
            "no-op25b": (
                "OP25B switched off: the bot gets through",
                "ISP A switches OP25B off. The bot's direct port-25 connection now reaches the "
                "MX, which accepts mail for its own domain from anyone.",
            ),
            "isp-b-ip25b": (
                "A PC on ISP B with IP25B at the MX",
                "ISP B has no OP25B, so its customer's direct port-25 connection leaves ISP B. "
                "The MX uses IP25B and refuses port-25 mail from other ISPs' dynamic pools.",
            ),
        },
        "unknown": "Unknown scenario {name!r}: choose one of {ids}.",
    }
)


def _told(scenario_id: str) -> tuple[str, str]:
    """The English title and story of a scenario (data; shown translated by
    :attr:`Scenario.shown_title` and :attr:`Scenario.shown_story`)."""
    title, story = TEXT.source["scenarios"][scenario_id]
    return title, story


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "user-via-isp",
        *_told("user-via-isp"),
        "home-pc",
        "isp-a-mail",
        25,
        "hanako@isp-a.example",
    ),
    Scenario(
        "user-direct-25",
        *_told("user-direct-25"),
        "home-pc",
        "recipient-mx",
        25,
        "hanako@isp-a.example",
        expected=Verdict.DROPPED,
    ),
    Scenario(
        "user-submission-587",
        *_told("user-submission-587"),
        "home-pc",
        "provider-smtp",
        587,
        HANAKO,
        user=HANAKO,
        password=HANAKO_PASSWORD,
    ),
    Scenario(
        "user-wrong-password",
        *_told("user-wrong-password"),
        "home-pc",
        "provider-smtp",
        587,
        HANAKO,
        user=HANAKO,
        password="sakura-2025",
        expected=Verdict.REFUSED,
    ),
    Scenario(
        "bot-direct-25",
        *_told("bot-direct-25"),
        "infected-pc",
        "recipient-mx",
        25,
        "support@bank.example",
        expected=Verdict.DROPPED,
    ),
    Scenario(
        "bot-webmail",
        *_told("bot-webmail"),
        "infected-pc",
        "webmail",
        443,
        BOT_WEBMAIL,
        user=BOT_WEBMAIL,
        password=BOT_WEBMAIL_PASSWORD,
    ),
    Scenario(
        "bot-stolen-587",
        *_told("bot-stolen-587"),
        "infected-pc",
        "provider-smtp",
        587,
        "support@bank.example",
        user=HANAKO,
        password=HANAKO_PASSWORD,
    ),
    Scenario(
        "no-op25b",
        *_told("no-op25b"),
        "infected-pc",
        "recipient-mx",
        25,
        "support@bank.example",
        policy=Policy(op25b=False),
    ),
    Scenario(
        "isp-b-ip25b",
        *_told("isp-b-ip25b"),
        "isp-b-host",
        "recipient-mx",
        25,
        "jiro@isp-b.example",
        policy=Policy(ip25b=True),
        expected=Verdict.REFUSED,
    ),
)


def scenario(scenario_id: str) -> Scenario:
    """The prepared scenario called ``scenario_id``."""
    for s in SCENARIOS:
        if s.id == scenario_id.strip():
            return s
    raise InputError(
        TEXT["unknown"].format(name=scenario_id, ids=", ".join(s.id for s in SCENARIOS))
    )
