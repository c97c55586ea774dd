"""Chapter 08's APOP pictures: what an eavesdropper captured of an APOP login, and what a word
list made of it.

Every function takes results of :mod:`mailsec.transport.apop` (and the server's transcript) and
returns a :class:`Fragment`. Meaning is never in colour alone: the verdict is a symbol and a word
("✗ password found", "✓ not in the word list"). The sentences are in :data:`TEXT`, with named
placeholders, for translation.
"""

from __future__ import annotations

from mailsec.i18n import texts
from mailsec.render.html import (
    FONT,
    MONO,
    TABLE_STYLE,
    Fragment,
    badge,
    callout,
    escape,
    td,
    th,
    trace_list,
)
from mailsec.render.transcript import conversation
from mailsec.retrieval.transcript import Transcript
from mailsec.trace import Outcome
from mailsec.transport.apop import ApopCapture, DictionaryResult, online_guessing_seconds

__all__ = ["TEXT", "capture_html", "explanation_html", "verdict_html", "wire_html"]

TEXT = texts(
    {
        "verdict": "Eavesdropper:",
        "found": "password found",
        "not_found": "not in the word list",
        "logged_in": "APOP login succeeded",
        "login_refused": "APOP login refused",
        "found_why": "The password {password} was found after {guesses:,} guesses in {time}, from "
        "the banner and the digest alone.",
        "not_found_why": "The password is not in the word list: {guesses:,} guesses in {time} "
        "found nothing. A longer list, or rules that vary the words, might.",
        "capture_caption": "What the eavesdropper captured (everything needed to test a guess)",
        "capture_rows": (
            "Banner (in the server's greeting)",
            "User name (in the APOP line)",
            "Digest = MD5(banner + password)",
        ),
        "wire_title": "The login on the wire, as the server recorded it",
        "never_sent_title": "The password never crossed the wire",
        "never_sent": "Look at the client's lines: there is a user name and 32 hexadecimal digits, "
        "no password. A digest seen once cannot be replayed either, because the next "
        "connection's banner is different (RFC 1939 §7).",
        "dictionary_title": "Yet the digest is as good as the password against a dictionary",
        "dictionary": "With the banner and the digest, anyone can test a guess at home: MD5(banner "
        "+ guess) equals the digest or it does not. This search ran at about {rate} guesses a "
        "second; the same {guesses:,} guesses against the server would have waited at least "
        "{online}, because each wrong password's answer is slowed down. Offline, no server "
        "slows anything.",
        "server_title": "The server keeps the password in the clear",
        "server": "To check MD5(banner + password) for a banner it has just made up, the server "
        "needs the password itself, not a salted hash of it: whoever steals the server's "
        "password file can log in as every user.",
        "md5_title": "And MD5 is broken (2007)",
        "md5": "An attacker in the middle who chooses the banner can send banners built as MD5 "
        "collisions and learn the password's first characters from the client's answers "
        "(Leurent; Sasaki et al., 2007; CVE-2007-1558).",
        "advice_title": "What to do instead",
        "advice": "Use TLS: POP3S on port 995, or STLS before the login (RFC 8314). Inside TLS the "
        "eavesdropper sees neither the banner nor the digest, and APOP adds nothing.",
        "trace_title": "How the search went",
        "ms": "{ms:,.1f} ms",
        "seconds": "{seconds:,.1f} s",
        "minutes": "{minutes:,.0f} minutes",
        "hours": "{hours:,.1f} hours",
    }
)
"""Every sentence and label shown (named placeholders, for translation)."""


def _duration(seconds: float) -> str:
    """A time as a learner reads it: ``0.3 ms``, ``14.0 s``, ``25 minutes``, ``4.1 hours``."""
    if seconds < 1:
        return TEXT["ms"].format(ms=seconds * 1000)
    if seconds < 120:
        return TEXT["seconds"].format(seconds=seconds)
    if seconds < 7200:
        return TEXT["minutes"].format(minutes=seconds / 60)
    return TEXT["hours"].format(hours=seconds / 3600)


def verdict_html(search: DictionaryResult, *, logged_in: bool) -> Fragment:
    """The verdict: found or not, after how many guesses, how long; with ``data-found``,
    ``data-guesses``, ``data-words`` and ``data-login`` for tests and tools."""
    mark = (
        badge(Outcome.FAIL, TEXT["found"]) if search.found else badge(Outcome.OK, TEXT["not_found"])
    )
    login = (
        badge(Outcome.INFO, TEXT["logged_in"])
        if logged_in
        else badge(Outcome.WARN, TEXT["login_refused"])
    )
    key = "found_why" if search.found else "not_found_why"
    why = TEXT[key].format(
        password=search.password, guesses=search.guesses, time=_duration(search.seconds)
    )
    return Fragment(
        f'<div class="mailsec-apop-verdict" data-found="{"yes" if search.found else "no"}" '
        f'data-guesses="{search.guesses}" data-words="{search.words}" '
        f'data-login="{"ok" if logged_in else "refused"}" aria-live="polite" '
        f'style="{FONT}font-size:16px;margin:4px 0">{escape(TEXT["verdict"])} {mark} {login}'
        f'<div class="mailsec-apop-why" style="font-size:14px;color:#333;margin-top:4px">'
        f"{escape(why)}</div></div>"
    )


def capture_html(capture: ApopCapture) -> Fragment:
    """The banner, the user name and the digest, as a table."""
    banner, user, digest = TEXT["capture_rows"]
    rows = [(banner, capture.banner), (user, capture.user), (digest, capture.digest)]
    # As kv_table lays it out, but each value is what went over the wire: code, not words.
    body = "".join(
        "<tr>"
        + th(
            escape(name),
            scope="row",
            style="padding:3px 8px;color:#444;font-weight:600;vertical-align:top",
        )
        + td(f'<code style="{MONO}">{escape(value)}</code>', style=f"padding:3px 8px;{MONO}")
        + "</tr>"
        for name, value in rows
    )
    caption = f'<caption style="text-align:left;font-weight:600">{escape(TEXT["capture_caption"])}</caption>'
    return Fragment(
        f'<div class="mailsec-apop-capture"><table style="{TABLE_STYLE}">{caption}'
        f"<tbody>{body}</tbody></table></div>"
    )


def wire_html(transcript: Transcript) -> Fragment:
    """The session as the server recorded it: the greeting with its banner, the APOP line."""
    return Fragment(
        f'<div class="mailsec-apop-wire" style="{FONT}"><div style="font-weight:600;'
        f'margin-top:6px">{escape(TEXT["wire_title"])}</div>{conversation(transcript)}</div>'
    )


def explanation_html(search: DictionaryResult) -> Fragment:
    """The lesson: never sent, yet as good as the password offline; the server's clear-text
    store; MD5's break; TLS instead. Then the search's trace."""
    rate = f"{search.rate:,.0f}" if search.rate else "—"
    dictionary = TEXT["dictionary"].format(
        rate=rate,
        guesses=search.guesses,
        online=_duration(online_guessing_seconds(search.guesses)),
    )
    parts = [
        callout(escape(TEXT["never_sent"]), outcome=Outcome.OK, title=TEXT["never_sent_title"]),
        callout(escape(dictionary), outcome=Outcome.FAIL, title=TEXT["dictionary_title"]),
        callout(escape(TEXT["server"]), outcome=Outcome.WARN, title=TEXT["server_title"]),
        callout(escape(TEXT["md5"]), outcome=Outcome.WARN, title=TEXT["md5_title"]),
        callout(escape(TEXT["advice"]), title=TEXT["advice_title"]),
        trace_list(search.trace, title=TEXT["trace_title"]),
    ]
    return Fragment(f'<div class="mailsec-apop-explanation">{"".join(parts)}</div>')
