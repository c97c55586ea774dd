"""A week of mail that claims to come from bank.example, and what its DMARC reports tell the bank.

Chapter 07's report viewer needs reports worth reading. Rather than made-up numbers, this module
sends a simulated week of mail through real checks: every message is written, signed where its
sender signs, and checked by :func:`mailsec.dmarc.receiver.check_inbound` against the course's
DNS (:func:`mailsec.dkim.course.course_resolver`), as the receiving server would. Each receiver
then writes its aggregate report with :func:`mailsec.dmarc.write_report` (RFC 7489 §7.2), and
the reports are read back with :func:`mailsec.dmarc.read_report`, as the bank would read them.

Four sources send mail with ``From: ...@bank.example`` (p=reject, SPF ``ip4:192.0.2.40
ip4:192.0.2.41 -all``):

- the bank's own server, 192.0.2.40, signing with the bank's DKIM key: SPF and DKIM pass and align;
- university.example's server, 203.0.113.80, forwarding the bank's mail from students' university
  addresses to their private ones: the forwarder is not in the bank's SPF record, so SPF fails,
  but the signature survives the forwarding, so DMARC passes by DKIM;
- a phisher at 203.0.113.66 on two days: half unsigned with the bank's name in MAIL FROM (SPF
  fails), half from the phisher's own domain evil.example, whose SPF and DKIM pass, but for
  evil.example, which does not align with bank.example;
- a newsletter service, 198.51.100.25 (mailhost.example), that sends the bank's Tuesday newsletter
  and signs it as mailhost.example; the bank forgot to put the service in its SPF record or to let
  it sign as bank.example, so its own newsletter fails DMARC and is rejected.

Three receivers report: a large mailbox provider (mx.example.com), the university
(mail.university.example) and a Japanese company (mail.example.co.jp). Real receivers send a
report a day; here each sends one report for the whole week, which is shorter to read.

Everything is seeded: the same ``seed`` gives the same messages, evaluations and report contents
(the DKIM keys are made once per process, so signatures differ between runs, results never do).

:func:`assess` reads any set of reports (the simulated week's or a learner's own) source by
source and says what each source's numbers suggest, as data the renderer turns into sentences.
"""

from __future__ import annotations

import enum
import functools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from mailsec.dkim.course import course_resolver, sign_as
from mailsec.dkim.result import DkimResult
from mailsec.dmarc.receiver import InboundCheck, check_inbound
from mailsec.dmarc.reports import AggregateReport, SourceSummary, summarize
from mailsec.dmarc.reportxml import read_report, write_report
from mailsec.i18n import texts

__all__ = [
    "BANK",
    "RECEIVERS",
    "SEED",
    "Delivery",
    "Receiver",
    "ReportFile",
    "Source",
    "SourceNote",
    "Verdict",
    "Week",
    "assess",
    "simulated_week",
]

#: The domain whose reports these are.
BANK = "bank.example"
#: The default seed: which messages are sent how often.
SEED = 7489
#: The simulated week starts on Monday, 2 March 2026, at midnight UTC.
WEEK_START = datetime(2026, 3, 2, tzinfo=timezone.utc)
DAYS = 7


class Source(str, enum.Enum):
    """Who sent a message of the simulated week."""

    BANK = "bank"
    """The bank's own mail server."""
    FORWARDER = "forwarder"
    """university.example's server, forwarding students' mail to their private addresses."""
    PHISHING = "phishing"
    """A phisher using the bank's name."""
    NEWSLETTER = "newsletter"
    """The newsletter service the bank forgot to authorise."""

    @property
    def client_ip(self) -> str:
        return _SENDERS[self][0]

    @property
    def helo(self) -> str:
        return _SENDERS[self][1]

    @property
    def description(self) -> str:
        """Who this is, in one sentence for a learner."""
        return _DESCRIPTIONS[self.value]


_SENDERS = {
    Source.BANK: ("192.0.2.40", "mx.bank.example"),
    Source.FORWARDER: ("203.0.113.80", "mx.university.example"),
    Source.PHISHING: ("203.0.113.66", "dyn-203-0-113-66.isp.example"),
    Source.NEWSLETTER: ("198.51.100.25", "out1.mailhost.example"),
}

_DESCRIPTIONS = texts(
    {
        "bank": "The bank's own mail server: listed in its SPF record, and it signs with the "
        "bank's key.",
        "forwarder": "The university's server, forwarding the bank's mail to students' private "
        "addresses: not in the bank's SPF record, but the bank's signature survives.",
        "phishing": "A phisher: some messages unsigned, some signed by the phisher's own domain "
        "evil.example.",
        "newsletter": "The newsletter service mailhost.example, which signs as itself; the bank "
        "never added it to its SPF record nor let it sign as bank.example.",
    }
)


@dataclass(frozen=True)
class Receiver:
    """A receiving organization that sends the bank aggregate reports."""

    org_name: str
    email: str
    domain: str
    """Where its users' addresses are."""


RECEIVERS = (
    Receiver("mx.example.com", "dmarc-noreply@example.com", "example.com"),
    Receiver("mail.university.example", "postmaster@university.example", "university.example"),
    Receiver("mail.example.co.jp", "dmarc-reports@example.co.jp", "example.co.jp"),
)
_LARGE, _UNIVERSITY, _COMPANY = RECEIVERS

#: Genuine messages a day to each receiver's users (weekday range, weekend range).
_VOLUME = {_LARGE: ((10, 16), (2, 5)), _UNIVERSITY: ((2, 5), (0, 2)), _COMPANY: ((2, 4), (0, 1))}
#: The share of the university's bank mail that students forward to example.com.
_FORWARDED = 0.4
#: Phishing messages a day to each receiver, on the campaign's days (Wednesday and Thursday).
_PHISHING = {_LARGE: (12, 20), _UNIVERSITY: (3, 7), _COMPANY: (1, 3)}
_PHISHING_DAYS = (2, 3)
#: Newsletter recipients at each receiver, sent on Tuesday.
_NEWSLETTER = {_LARGE: 24, _UNIVERSITY: 6, _COMPANY: 5}
_NEWSLETTER_DAY = 1

_SUBJECTS = (
    "Your monthly statement is ready",
    "A new sign-in to online banking",
    "Payment received",
    "Your card was used abroad",
)


@dataclass(frozen=True)
class Delivery:
    """One message as one receiver saw it, and what its checks concluded."""

    day: int
    """0 (Monday) to 6."""
    receiver: Receiver
    source: Source
    check: InboundCheck

    @property
    def client_ip(self) -> str:
        return self.source.client_ip


@dataclass(frozen=True)
class ReportFile:
    """One receiver's aggregate report: the file as it arrives, and what it says."""

    receiver: Receiver
    filename: str
    """Named as RFC 7489 §7.2.1.1 says: ``receiver!policy-domain!begin!end.xml``."""
    data: bytes
    report: AggregateReport


@dataclass(frozen=True)
class Week:
    """The simulated week: every delivery, and each receiver's report of it."""

    begin: datetime
    end: datetime
    deliveries: tuple[Delivery, ...]
    files: tuple[ReportFile, ...]

    @property
    def reports(self) -> tuple[AggregateReport, ...]:
        return tuple(file.report for file in self.files)

    def file(self, org_name: str) -> ReportFile:
        """The report of the receiver called ``org_name``."""
        return next(f for f in self.files if f.receiver.org_name == org_name)


@functools.cache
def simulated_week(seed: int = SEED) -> Week:
    """The week of mail of the module docstring, checked and reported (made once per seed)."""
    rng = random.Random(seed)
    deliveries: list[Delivery] = []
    for day in range(DAYS):
        deliveries.extend(_day(day, rng))
    begin = WEEK_START
    end = begin + timedelta(days=DAYS) - timedelta(seconds=1)
    files = tuple(_report_file(receiver, deliveries, begin, end, seed) for receiver in RECEIVERS)
    return Week(begin, end, tuple(deliveries), files)


def _day(day: int, rng: random.Random) -> list[Delivery]:
    """One day's deliveries, in the order they happened."""
    sent: list[Delivery] = []
    start = WEEK_START + timedelta(days=day)
    number = 0
    for receiver, (weekdays, weekends) in _VOLUME.items():
        for _ in range(rng.randint(*(weekends if day >= 5 else weekdays))):
            number += 1
            when = start + timedelta(hours=rng.randint(7, 21), minutes=rng.randint(0, 59))
            message = _bank_message(receiver, when, day, number, rng)
            mail = (message, "bounces@bank.example")
            sent.append(_deliver(day, receiver, Source.BANK, mail, when, rng))
            if receiver is _UNIVERSITY and rng.random() < _FORWARDED:
                later = when + timedelta(minutes=2)
                mail = (_forwarded(message, later), "bounces@bank.example")
                sent.append(_deliver(day, _LARGE, Source.FORWARDER, mail, later, rng))
    if day == _NEWSLETTER_DAY:
        when = start + timedelta(hours=10)
        for receiver, count in _NEWSLETTER.items():
            for index in range(count):
                mail = (_newsletter(receiver, when, index), "news@bank.example")
                sent.append(_deliver(day, receiver, Source.NEWSLETTER, mail, when, rng))
    if day in _PHISHING_DAYS:
        for receiver, volume in _PHISHING.items():
            for index in range(rng.randint(*volume)):
                when = start + timedelta(hours=rng.randint(0, 5), minutes=rng.randint(0, 59))
                mail = _phish(receiver, when, index, own_domain=index % 2 == 1)
                sent.append(_deliver(day, receiver, Source.PHISHING, mail, when, rng))
    return sent


def _deliver(
    day: int,
    receiver: Receiver,
    source: Source,
    mail: tuple[bytes, str],
    when: datetime,
    rng: random.Random,
) -> Delivery:
    """``mail`` (the message and its MAIL FROM) checked by ``receiver`` a minute after ``when``."""
    message, mail_from = mail
    check = check_inbound(
        message,
        client_ip=source.client_ip,
        helo=source.helo,
        mail_from=mail_from,
        authserv_id=receiver.org_name,
        resolver=course_resolver(),
        sample=rng.random(),
        now=when.timestamp() + 60,
    )
    return Delivery(day, receiver, source, check)


def _stamp(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _message(
    sender: str, to: str, subject: str, when: datetime, message_id: str, body: str
) -> bytes:
    head = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {_stamp(when)}\r\n"
        f"Message-ID: <{message_id}>\r\n\r\n"
    )
    return (head + body.replace("\n", "\r\n")).encode("utf-8")


def _bank_message(
    receiver: Receiver, when: datetime, day: int, number: int, rng: random.Random
) -> bytes:
    subject = rng.choice(_SUBJECTS)
    message = _message(
        "Bank of Example <info@bank.example>",
        f"customer{number}@{receiver.domain}",
        subject,
        when,
        f"{day}.{number}.{rng.randrange(10**6)}@bank.example",
        f"Dear customer,\n{subject.lower()}: please sign in to online banking to see it.\n"
        "Bank of Example\n",
    )
    return sign_as(BANK, message, now=when.timestamp())


def _forwarded(message: bytes, when: datetime) -> bytes:
    """The message as the university forwards it: one Received field on top, nothing changed."""
    received = (
        f"Received: from mx.bank.example (192.0.2.40) by mx.university.example; {_stamp(when)}"
    )
    return received.encode("ascii") + b"\r\n" + message


def _newsletter(receiver: Receiver, when: datetime, index: int) -> bytes:
    message = _message(
        "Bank of Example <news@bank.example>",
        f"subscriber{index + 1}@{receiver.domain}",
        "March news: lower fees for young savers",
        when,
        f"news.{index}.{receiver.domain}@mailhost.example",
        "This month at Bank of Example: lower fees for savers under 25.\n",
    )
    return sign_as("mailhost.example", message, now=when.timestamp())


def _phish(
    receiver: Receiver, when: datetime, index: int, *, own_domain: bool
) -> tuple[bytes, str]:
    """A phishing message and its MAIL FROM: unsigned with the bank's name in MAIL FROM, or
    sent and signed as the phisher's own domain."""
    message = _message(
        "Bank of Example Security <security@bank.example>",
        f"victim{index + 1}@{receiver.domain}",
        "Urgent: your account will be locked today",
        when,
        f"{index}.{int(when.timestamp())}@evil.example",
        "We noticed unusual activity. Confirm your password within 24 hours:\n"
        "http://bank-example.evil.example/login\n",
    )
    if own_domain:
        return sign_as("evil.example", message, now=when.timestamp()), "alerts@evil.example"
    return message, "security@bank.example"


def _report_file(
    receiver: Receiver, deliveries: list[Delivery], begin: datetime, end: datetime, seed: int
) -> ReportFile:
    evaluations = [(d.client_ip, d.check.dmarc) for d in deliveries if d.receiver is receiver]
    data = write_report(
        evaluations,
        org_name=receiver.org_name,
        email=receiver.email,
        report_id=f"{receiver.org_name}-{begin:%Y%m%d}-{seed}",
        begin=begin,
        end=end,
    )
    start, stop = int(begin.timestamp()), int(end.timestamp())
    filename = f"{receiver.org_name}!{BANK}!{start}!{stop}.xml"
    return ReportFile(receiver, filename, data, read_report(data))


# -- what the reports tell the domain owner -------------------------------------------------------


class Verdict(str, enum.Enum):
    """What one source's numbers in the reports suggest to the domain's owner."""

    ALIGNED = "aligned"
    """Every message passed with both SPF and DKIM aligned: a server the owner authorised."""
    DKIM_ONLY = "dkim_only"
    """Every message passed, but by DKIM alone: forwarded on the way (the signature survived),
    or a service that signs as the domain and is not in its SPF record."""
    SPF_ONLY = "spf_only"
    """Every message passed, but by SPF alone: an authorised server that does not sign, whose
    mail fails once it is forwarded."""
    PARTLY = "partly"
    """Some messages passed and some failed."""
    FAILING = "failing"
    """No message passed: a server the owner forgot to authorise, or someone using its name."""


@dataclass(frozen=True)
class SourceNote:
    """One source's totals, what they suggest, and who else vouched for its mail."""

    summary: SourceSummary
    verdict: Verdict
    other_signers: tuple[str, ...]
    """Domains whose DKIM signatures passed on this source's mail without aligning, sorted."""
    spf_results: tuple[tuple[str, str], ...]
    """The raw SPF results reported, as (domain, result) pairs, sorted."""

    @property
    def source_ip(self) -> str:
        return self.summary.source_ip


def assess(reports: Iterable[AggregateReport]) -> tuple[SourceNote, ...]:
    """A :class:`SourceNote` for each source IP address in ``reports``, most messages first."""
    reports = tuple(reports)
    signers: dict[str, set[str]] = {}
    spf: dict[str, set[tuple[str, str]]] = {}
    for report in reports:
        for record in report.records:
            ip = str(record.source_ip)
            found = signers.setdefault(ip, set())
            if not record.dkim_aligned:
                found.update(
                    d.domain.lower()
                    for d in record.auth_results.dkim
                    if d.result is DkimResult.PASS and d.domain
                )
            spf.setdefault(ip, set()).update(
                (s.domain.lower(), s.result.value) for s in record.auth_results.spf
            )
    return tuple(
        SourceNote(
            summary,
            _verdict(summary),
            tuple(sorted(signers[summary.source_ip])),
            tuple(sorted(spf[summary.source_ip])),
        )
        for summary in summarize(reports)
    )


def _verdict(summary: SourceSummary) -> Verdict:
    if summary.dmarc_pass == 0:
        return Verdict.FAILING
    if summary.dmarc_fail:
        return Verdict.PARTLY
    if summary.spf_aligned == summary.dkim_aligned == summary.messages:
        return Verdict.ALIGNED
    if summary.dkim_aligned == summary.messages:
        return Verdict.DKIM_ONLY
    if summary.spf_aligned == summary.messages:
        return Verdict.SPF_ONLY
    return Verdict.PARTLY
