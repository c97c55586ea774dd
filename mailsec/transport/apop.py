"""APOP (RFC 1939 §7): a login that never sends the password, and why it is not enough.

How it works. A POP3 server that offers APOP puts a *timestamp banner* at the end of its greeting,
a ``msg-id`` such as ``<1896.697170952@dbc.mtview.ca.us>`` that is different for every connection
(RFC 1939 suggests ``<process-ID.clock@hostname>``). The client answers ``APOP name digest``, where
the digest is MD5 of the banner followed by the shared secret, in 32 lower-case hexadecimal digits
(:func:`apop_digest`). The server computes the same digest and compares. The password itself never
crosses the wire, and a digest seen once is useless on the next connection, whose banner differs.

What it does not protect:

- **A dictionary attack, offline.** Whoever saw the greeting and the APOP line (an eavesdropper on
  a plaintext connection) holds a test for any guess: MD5(banner + guess) equals the digest or it
  does not. No server is asked, so no server's penalty for wrong passwords slows the guessing down
  (:func:`dictionary_search` shows how fast a list of common passwords goes). Against a
  dictionary, the digest is as good as the password.
- **The server's password file.** To check MD5(banner + secret) for a banner it has just made up,
  the server needs the secret itself: it must store every password in the clear, or encrypted
  with a key it also holds. A salted hash, which protects USER/PASS passwords when the file is
  stolen, cannot serve APOP. (Dovecot can do APOP only with a passdb of plaintext passwords.)
- **MD5 itself (2007).** Gaëtan Leurent (FSE 2007, "Message Freedom in MD4 and MD5 Collisions:
  Application to APOP") and, independently, Yu Sasaki, Go Yamamoto and Kazumaro Aoki (2007)
  showed that an *active* attacker who can choose the banner -- a man in the middle, or a rogue
  server -- recovers the start of the password: it sends pairs of banners built as MD5
  collisions that still collide once a guess of the password's first characters is appended,
  and whether the client's two digests are equal tells whether the guess was right, one
  character at a time. The 2007 papers recovered three characters; Sasaki, Lei Wang, Kazuo Ohta
  and Noboru Kunihiro reached 31 (CT-RSA 2008). Mail clients answered (CVE-2007-1558) by
  refusing banners that are not plain ASCII ``msg-id``s, which makes the collisions much harder
  to build; MD5 was not fixed.
- **Everything else.** APOP protects only the login: the messages, and the user name, travel in
  the clear.

The advice since then is TLS, not a better challenge: RFC 8314 (2018, "Cleartext Considered
Obsolete", which updates RFC 1939), in BCP 14's key words, asks mail access to move to TLS,
preferably implicit TLS (port 995 for POP3), inside which the password itself may be sent; APOP
adds nothing there.

This module is pure: digests, banners and the dictionary search. Only :func:`new_banner` reads
the outside world (the system's randomness, clock, process ID and host name), each a parameter
the caller may replace; the POP3 server (:mod:`mailsec.retrieval.pop3`) calls it once per
connection. The built-in word list is the data file ``mailsec/data/apop/common-passwords.txt``
(:func:`common_passwords`).
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
import importlib.resources
import itertools
import os
import re
import socket
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailsec.errors import InputError, quoted
from mailsec.i18n import texts
from mailsec.limits import AUTH_PENALTY, AUTH_PENALTY_MAX
from mailsec.limits import MAX_APOP_WORD as MAX_WORD_LENGTH
from mailsec.limits import MAX_APOP_WORDS as MAX_WORDS
from mailsec.trace import Outcome, Step

__all__ = [
    "DIGEST_LENGTH",
    "MAX_BANNER",
    "MAX_WORDS",
    "MAX_WORD_LENGTH",
    "NONCE_BYTES",
    "ApopCapture",
    "DictionaryResult",
    "SearchOutcome",
    "apop_digest",
    "common_passwords",
    "dictionary_search",
    "is_digest",
    "make_banner",
    "new_banner",
    "online_guessing_seconds",
    "parse_apop",
    "parse_banner",
]

DIGEST_LENGTH = 32
"""Hexadecimal digits of an APOP digest: MD5's 16 octets (RFC 1939 §7, RFC 1321)."""

#: The longest banner read (characters). The banner sits in the greeting, one reply line of at
#: most 512 octets with its CRLF (RFC 2449 §4); Dovecot's banners are about 50.
MAX_BANNER = 500


#: Random octets in each banner the course's server makes (as Dovecot's 16): unpredictable, so
#: that neither a past digest nor a precomputed table fits the next connection.
NONCE_BYTES = 16

_BANNER = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
"""A timestamp banner: an RFC 822 ``msg-id`` of printable ASCII without spaces or angle
brackets. Mail clients were changed to refuse anything else after CVE-2007-1558; so does
this module."""

_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
"""A host name as the banner may carry it (RFC 1123 §2.1 letters, digits, hyphens, dots)."""

_serials = itertools.count(1)
"""Banners made by this process, numbered as Dovecot numbers its connections."""


def apop_digest(banner: str, secret: str) -> str:
    """MD5 of the banner (angle brackets included) followed by the shared secret, as 32
    lower-case hexadecimal digits (RFC 1939 §7). Both are encoded as UTF-8, as Python's poplib
    encodes them."""
    return hashlib.md5((banner + secret).encode("utf-8", "surrogatepass")).hexdigest()


def is_digest(text: str) -> bool:
    """Whether ``text`` is 32 hexadecimal digits (either case: Dovecot accepts upper case too)."""
    return len(text) == DIGEST_LENGTH and all(c in string.hexdigits for c in text)


def parse_banner(greeting: str | bytes) -> str | None:
    """The timestamp banner of a POP3 greeting (RFC 1939 §7), or ``None`` when the greeting
    carries none (the server does not offer APOP). The last ``<...@...>`` of the line counts;
    a banner of anything but printable ASCII, or longer than :data:`MAX_BANNER`, is none."""
    if isinstance(greeting, bytes):
        greeting = greeting.decode("ascii", "replace")
    found = _BANNER.findall(greeting.split("\n", 1)[0])
    if not found or len(found[-1]) > MAX_BANNER:
        return None
    return found[-1]


def parse_apop(line: str) -> tuple[str, str] | None:
    """The user name and digest of a client's ``APOP name digest`` line, or ``None`` when the line
    is not one (the command word in any case, RFC 1939 §3)."""
    command, _, rest = line.rstrip("\r\n").partition(" ")
    name, space, digest = rest.partition(" ")
    if command.upper() != "APOP" or not space or not is_digest(digest):
        return None
    return name, digest.lower()


TEXT = texts(
    {
        "bad_host": "The host name {host} cannot go into a banner: use letters, digits, hyphens "
        "and dots, like 'mail.example.net'.",
        "short_nonce": "A banner's random part needs at least 8 octets, not {count}: a short one "
        "could repeat.",
        "no_banner": "The greeting {greeting} carries no timestamp banner: the server does not "
        "offer APOP, so there is nothing to capture.",
        "no_apop": "The client sent no APOP line (APOP name digest): nothing to capture; log in "
        "with APOP.",
        "meanings": {
            "found": "the password is in the word list: the digest gave it away",
            "not-found": "the password is not in this word list",
        },
        "too_many": "The word list has more than {limit:,} words: give a shorter list (the "
        "course's search stops there).",
        "not_text": "The word list holds {word}, which is not text: give strings.",
        "too_long": "The word {word} is {length:,} characters long: words of at most {limit} are "
        "tried.",
        "bad_banner": "{banner} is not a timestamp banner: give it with its angle brackets, like "
        "'<1896.697170952@dbc.mtview.ca.us>'.",
        "bad_digest": "{digest} is not an APOP digest: give the 32 hexadecimal digits after the "
        "user name in the APOP line.",
        "banner": "The banner {banner} came in the greeting; the digest in the client's APOP line.",
        "computed": "Computed MD5(banner + word) for {guesses:,} of the {words:,} words, without "
        "asking any server: no penalty for wrong guesses applies offline.",
        "found": "Guess {guesses:,} gives the captured digest: it is the password.",
        "not_found": "No word gives the captured digest: the password is not in this list (a "
        "longer list, or rules that vary the words, might still find it).",
    }
)
"""The errors and the search's trace (named placeholders, for translation)."""


def make_banner(*, pid: int, serial: int, clock: float, nonce: bytes, hostname: str) -> str:
    """A banner in Dovecot's form, ``<pid.serial.clock.nonce@hostname>`` (hexadecimal numbers,
    the nonce in base64), which follows RFC 1939 §7's ``<process-ID.clock@hostname>`` and adds
    a counter and random octets: unique per connection, and not predictable."""
    if not _HOSTNAME.fullmatch(hostname):
        raise InputError(TEXT["bad_host"].format(host=quoted(hostname)))
    if len(nonce) < 8:
        raise InputError(TEXT["short_nonce"].format(count=len(nonce)))
    random_part = base64.b64encode(nonce).decode("ascii")
    return f"<{pid:x}.{serial:x}.{int(clock):x}.{random_part}@{hostname}>"


def _local_hostname() -> str:
    name = socket.gethostname()
    return name if _HOSTNAME.fullmatch(name) else "localhost"


def new_banner(
    *,
    random_bytes: Callable[[int], bytes] = os.urandom,
    clock: Callable[[], float] = time.time,
    hostname: str | None = None,
) -> str:
    """A fresh banner for one connection: this process's ID, the next serial number, the clock,
    :data:`NONCE_BYTES` random octets and the host name (the system's own unless given)."""
    return make_banner(
        pid=os.getpid(),
        serial=next(_serials),
        clock=clock(),
        nonce=random_bytes(NONCE_BYTES),
        hostname=_local_hostname() if hostname is None else hostname,
    )


@dataclass(frozen=True)
class ApopCapture:
    """What an eavesdropper saw of an APOP login: the banner from the greeting and the client's
    user name and digest. Never the password."""

    banner: str
    user: str
    digest: str
    """32 lower-case hexadecimal digits."""

    @classmethod
    def from_lines(cls, greeting: str, client_lines: Iterable[str]) -> ApopCapture:
        """The capture from a session's greeting and the lines the client sent (its first
        APOP line counts)."""
        banner = parse_banner(greeting)
        if banner is None:
            raise InputError(TEXT["no_banner"].format(greeting=quoted(greeting)))
        for line in client_lines:
            found = parse_apop(line)
            if found is not None:
                return cls(banner, *found)
        raise InputError(TEXT["no_apop"])


class SearchOutcome(enum.Enum):
    """How a dictionary search ended."""

    FOUND = "found"
    """A word of the list gives the captured digest: it is the password."""
    NOT_FOUND = "not-found"
    """No word of the list gives the digest: the password is not in this list."""

    @property
    def meaning(self) -> str:
        return TEXT["meanings"][self.value]


@dataclass(frozen=True)
class DictionaryResult:
    """The end of :func:`dictionary_search`: what was found, after how many guesses, how fast."""

    outcome: SearchOutcome
    password: str | None
    """The word that gives the digest (``None`` when none does)."""
    guesses: int
    """Digests computed: the position of the password in the list, or the whole list."""
    words: int
    """Words in the list."""
    seconds: float
    trace: tuple[Step, ...]

    @property
    def found(self) -> bool:
        return self.outcome is SearchOutcome.FOUND

    @property
    def rate(self) -> float:
        """Guesses per second (0 when too fast to measure)."""
        return self.guesses / self.seconds if self.seconds > 0 else 0.0


@functools.cache
def common_passwords() -> tuple[str, ...]:
    """The course's list of common passwords, most common first (a few hundred, from
    ``mailsec/data/apop/common-passwords.txt``; lines starting with ``#`` are comments)."""
    text = (
        importlib.resources.files("mailsec")
        .joinpath("data/apop/common-passwords.txt")
        .read_text(encoding="utf-8")
    )
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


def _checked_words(words: Iterable[str]) -> tuple[str, ...]:
    """The words, at most :data:`MAX_WORDS` of at most :data:`MAX_WORD_LENGTH` characters."""
    listed = tuple(itertools.islice(words, MAX_WORDS + 1))
    if len(listed) > MAX_WORDS:
        raise InputError(TEXT["too_many"].format(limit=MAX_WORDS))
    for word in listed:
        if not isinstance(word, str):
            raise InputError(TEXT["not_text"].format(word=repr(word)))
        if len(word) > MAX_WORD_LENGTH:
            raise InputError(
                TEXT["too_long"].format(word=quoted(word), length=len(word), limit=MAX_WORD_LENGTH)
            )
    return listed


def _checked_capture(banner: str, digest: str) -> tuple[str, bytes]:
    if parse_banner(banner) != banner:
        raise InputError(TEXT["bad_banner"].format(banner=quoted(banner)))
    if not is_digest(digest):
        raise InputError(TEXT["bad_digest"].format(digest=quoted(digest)))
    return banner, bytes.fromhex(digest)


def dictionary_search(
    banner: str,
    digest: str,
    words: Iterable[str] | None = None,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> DictionaryResult:
    """Find the password behind a captured APOP digest by trying every word of a list, offline:
    MD5(banner + word) for each word, in order, until one gives the digest.

    ``words`` defaults to :func:`common_passwords`; at most :data:`MAX_WORDS` words of at most
    :data:`MAX_WORD_LENGTH` characters are accepted (a longer list is refused before any guess).
    ``clock`` times the search (seconds)."""
    banner, wanted = _checked_capture(banner, digest)
    listed = common_passwords() if words is None else _checked_words(words)
    prefix = hashlib.md5(banner.encode("ascii"))  # the banner's blocks are hashed once
    started = clock()
    found: str | None = None
    guesses = 0
    for word in listed:
        guesses += 1
        attempt = prefix.copy()
        attempt.update(word.encode("utf-8", "surrogatepass"))
        if attempt.digest() == wanted:
            found = word
            break
    seconds = max(0.0, clock() - started)
    outcome = SearchOutcome.NOT_FOUND if found is None else SearchOutcome.FOUND
    return DictionaryResult(
        outcome, found, guesses, len(listed), seconds, _trace(banner, outcome, guesses, listed)
    )


def _trace(
    banner: str, outcome: SearchOutcome, guesses: int, listed: tuple[str, ...]
) -> tuple[Step, ...]:
    steps = [
        Step(TEXT["banner"].format(banner=banner), section="RFC 1939 §7"),
        Step(TEXT["computed"].format(guesses=guesses, words=len(listed)), section="RFC 1321"),
    ]
    if outcome is SearchOutcome.FOUND:
        steps.append(
            Step(
                TEXT["found"].format(guesses=guesses),
                Outcome.FAIL,
                section="RFC 1939 §7",
            )
        )
    else:
        steps.append(
            Step(
                TEXT["not_found"],
                Outcome.OK,
                section="RFC 1939 §7",
            )
        )
    return tuple(steps)


def online_guessing_seconds(
    guesses: int, *, penalty: float = AUTH_PENALTY, cap: float = AUTH_PENALTY_MAX
) -> float:
    """The least time ``guesses`` wrong passwords would take against the course's server from
    one address: each answer waits ``penalty`` seconds, doubling per failure up to ``cap``
    (Dovecot's auth penalty; :mod:`mailsec.limits`). Offline, none of it applies."""
    if guesses <= 0 or penalty <= 0:
        return 0.0
    total, wait = 0.0, penalty
    for done in range(guesses):
        if wait >= cap:  # every further guess waits the cap
            return total + cap * (guesses - done)
        total += wait
        wait *= 2
    return total
