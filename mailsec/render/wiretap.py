"""Chapter 08's wiretap pictures: the verdict, the eavesdropper's view of the lines (the password
marked), what TLS still shows (server name, record sizes, timing), and what the attacker did.

Every function takes results of :mod:`mailsec.transport.relay_view` and
:mod:`mailsec.transport.relay_clients` and returns a :class:`Fragment`. Meaning is never in
colour alone: the verdict is a symbol and a word, the captured password is marked *and*
labelled "password", and each line says who sent it (``C:``/``S:``). The sentences are in
:data:`TEXT`, with named placeholders, for translation.
"""

from __future__ import annotations

from mailsec.i18n import texts
from mailsec.render.html import (
    FONT,
    MONO,
    Fragment,
    badge,
    callout,
    escape,
    kv_table,
    table,
    trace_list,
)
from mailsec.trace import Outcome
from mailsec.transport.relay_clients import LoginOutcome, LoginResult
from mailsec.transport.relay_recording import Direction
from mailsec.transport.relay_tls import cipher_suite_name, version_name
from mailsec.transport.relay_view import Eavesdropped, SeenLine

__all__ = [
    "MAX_RECORD_ROWS",
    "TEXT",
    "attack_html",
    "lines_html",
    "login_html",
    "tls_html",
    "verdict_html",
    "wiretap_html",
]

#: Records listed one per row; the rest are counted in the summary above the table.
MAX_RECORD_ROWS = 40

#: Plaintext lines shown; a login is a dozen.
MAX_LINE_ROWS = 200

TEXT = texts(
    {
        "verdict": "Eavesdropper:",
        "captured": "password captured",
        "not_captured": "nothing captured",
        "captured_why": (
            "The password of {user} crossed the wire in plaintext: whoever can see the connection "
            "(a shared Wi-Fi, a compromised router) now has it."
        ),
        "tls_why": (
            "The password went inside TLS ({version}): the eavesdropper sees that a login happened, "
            "to which server and how big each message was, but not the password."
        ),
        "unsent_why": "The mail program never sent the password: {reason}",
        "channel": {"plaintext": "channel: plaintext", "tls": "channel: TLS"},
        "login": {
            LoginOutcome.LOGGED_IN: "logged in",
            LoginOutcome.CLIENT_REFUSED: "the mail program refused",
            LoginOutcome.SERVER_REFUSED: "the server refused",
            LoginOutcome.FAILED: "connection failed",
        },
        "login_title": "What the mail program did",
        "view_title": "What the eavesdropper learned, and how",
        "lines_label": (
            "What the eavesdropper read on the wire: {count} plaintext lines, C: from the mail "
            "program, S: from the server"
        ),
        "lines_title": "The plaintext lines on the wire",
        "client": "C:",
        "server": "S:",
        "password": "password",
        "decoded": "base64 decoded:",
        "more_lines": "… {count} more lines",
        "no_lines": "No plaintext line at all: the connection was TLS from its first byte.",
        "tls_title": "What TLS still shows",
        "server_name": "Server name (SNI, sent in clear in the ClientHello)",
        "no_server_name": "(none: the client connected by IP address)",
        "alpn": "Application protocols offered (ALPN)",
        "no_alpn": "(none offered)",
        "versions": "TLS versions offered",
        "chosen": "Version and cipher suite chosen (ServerHello)",
        "client_records": "Records from the mail program",
        "server_records": "Records from the server",
        "records_value": "{count} records, {octets:,} octets",
        "sizes": "Sizes of the mail program's encrypted records (octets)",
        "timing": "Server's answer to the ClientHello",
        "timing_value": "after {ms:,.1f} ms",
        "duration": "Whole connection",
        "duration_value": "{ms:,.0f} ms",
        "records_caption": "The TLS records, one per row: only the header is readable",
        "records_headers": (
            "time (ms)",
            "from",
            "type",
            "version field (legacy, RFC 8446 §5.1)",
            "length (octets)",
        ),
        "more_records": "… and {count} more records",
        "from_client": "mail program",
        "from_server": "server",
        "attack_title": "What the attacker did",
        "none": "—",
        "at": "{who} {ms:,.1f} ms",
        "chosen_value": "{version}, {suite}",
    }
)
"""Every sentence and label shown (named placeholders, for translation)."""


def _channel(seen: Eavesdropped) -> str:
    return "tls" if seen.channel.encrypted else "plaintext"


def verdict_html(login: LoginResult, seen: Eavesdropped) -> Fragment:
    """The verdict: captured or not, the channel, how the login ended; with ``data-*``
    attributes (``data-captured``, ``data-channel``, ``data-login``) for tests and tools."""
    channel = _channel(seen)
    captured = seen.captured
    mark = (
        badge(Outcome.FAIL, TEXT["captured"])
        if captured
        else badge(Outcome.OK, TEXT["not_captured"])
    )
    if captured:
        user = seen.credentials[0].user or "?"
        why = TEXT["captured_why"].format(user=user)
    elif login.password_sent and login.tls_version:
        why = TEXT["tls_why"].format(version=login.tls_version)
    else:
        why = TEXT["unsent_why"].format(reason=login.reason)
    login_word = TEXT["login"][login.outcome]
    return Fragment(
        f'<div class="mailsec-wiretap-verdict" data-captured="{"yes" if captured else "no"}" '
        f'data-channel="{channel}" data-login="{login.outcome.value}" aria-live="polite" '
        f'style="{FONT}font-size:16px;margin:4px 0">{escape(TEXT["verdict"])} {mark} '
        f"{badge(Outcome.INFO, TEXT['channel'][channel])} "
        f"{badge(Outcome.OK if login.logged_in else Outcome.INFO, login_word)}"
        f'<div style="font-size:14px;color:#333;margin-top:4px">{escape(why)}</div></div>'
    )


def _marked(text: str, password: str | None) -> str:
    """``text`` escaped, with each occurrence of ``password`` marked and labelled."""
    if not password or password not in text:
        return escape(text)
    label = (
        f'<mark class="mailsec-wiretap-password" style="background:#fde4e4;color:#7f1d1d;'
        f'border:1px solid #7f1d1d;border-radius:3px;padding:0 2px;font-weight:700">'
        f"{escape(password)}</mark>"
        f'<span class="mailsec-wiretap-password-label" style="{FONT}font-size:11px;'
        f'color:#7f1d1d;font-weight:700"> ◀ {escape(TEXT["password"])}</span>'
    )
    return label.join(escape(part) for part in text.split(password))


def _line(line: SeenLine) -> str:
    client = line.direction is Direction.TO_SERVER
    who = TEXT["client"] if client else TEXT["server"]
    bg, fg = ("#eef2f7", "#1f2d3d") if client else ("#e3f4e8", "#14532d")
    decoded = ""
    if line.decoded is not None:
        decoded = (
            f'<div style="{FONT}font-size:12px;color:#333">{escape(TEXT["decoded"])} '
            f'<code style="{MONO}">{_marked(line.decoded, line.password)}</code></div>'
        )
    side = "margin:2px 18% 2px 0" if client else "margin:2px 0 2px 18%"
    return (
        f'<div class="mailsec-wiretap-line" data-from="{line.direction.value}" style="{side}">'
        f'<span style="{FONT}font-size:12px;color:#333;font-weight:600">'
        f"{escape(TEXT['at'].format(who=who, ms=line.at * 1000))}</span>"
        f'<pre style="{MONO}background:{bg};color:{fg};border:1px solid {fg}55;border-radius:6px;'
        f'padding:2px 8px;margin:0;white-space:pre-wrap;word-break:break-all">'
        f"{_marked(line.text, line.password)}</pre>{decoded}</div>"
    )


def lines_html(seen: Eavesdropped) -> Fragment:
    """The plaintext lines as the wiretap read them, the password marked where it shows."""
    if not seen.lines:
        return Fragment(f'<p style="{FONT}">{escape(TEXT["no_lines"])}</p>')
    shown = seen.lines[:MAX_LINE_ROWS]
    body = "".join(_line(line) for line in shown)
    if len(seen.lines) > len(shown):
        body += f"<p>{escape(TEXT['more_lines'].format(count=len(seen.lines) - len(shown)))}</p>"
    label = TEXT["lines_label"].format(count=len(seen.lines))
    return Fragment(
        f'<section role="log" class="mailsec-wiretap-lines" aria-label="{escape(label)}" '
        f'style="{FONT}border:1px solid #c8d1dc;border-radius:6px;padding:6px 8px;margin:6px 0;'
        f'max-width:760px"><div style="font-weight:600">{escape(TEXT["lines_title"])}</div>'
        f"{body}</section>"
    )


def tls_html(seen: Eavesdropped) -> Fragment:
    """What TLS still shows: the server's name, the offers, the choice, sizes and timing."""
    if not seen.records:
        return Fragment("")
    hello, answer = seen.client_hello, seen.server_hello
    client = seen.totals(Direction.TO_SERVER)
    server = seen.totals(Direction.TO_CLIENT)
    none = TEXT["none"]
    pairs: list[tuple[str, object]] = [
        (TEXT["server_name"], (hello.server_name or TEXT["no_server_name"]) if hello else none),
        (TEXT["alpn"], (", ".join(hello.alpn) or TEXT["no_alpn"]) if hello else none),
        (
            TEXT["versions"],
            ", ".join(version_name(v) for v in hello.versions)
            if hello and hello.versions
            else none,
        ),
        (
            TEXT["chosen"],
            TEXT["chosen_value"].format(
                version=version_name(answer.version), suite=cipher_suite_name(answer.cipher_suite)
            )
            if answer
            else none,
        ),
        (
            TEXT["client_records"],
            TEXT["records_value"].format(count=client.records, octets=client.octets),
        ),
        (
            TEXT["server_records"],
            TEXT["records_value"].format(count=server.records, octets=server.octets),
        ),
        (TEXT["sizes"], ", ".join(str(n) for n in client.application) or none),
    ]
    if seen.hello_at is not None and seen.answer_at is not None:
        ms = max(0.0, seen.answer_at - seen.hello_at) * 1000
        pairs.append((TEXT["timing"], TEXT["timing_value"].format(ms=ms)))
    pairs.append((TEXT["duration"], TEXT["duration_value"].format(ms=seen.duration * 1000)))
    rows = [
        (
            f"{record.at * 1000:,.1f}",
            TEXT["from_client" if record.direction is Direction.TO_SERVER else "from_server"],
            record.content_type.label,
            version_name(record.version),
            f"{record.length:,}",
        )
        for record in seen.records[:MAX_RECORD_ROWS]
    ]
    more = len(seen.records) - len(rows)
    tail = f"<p>{escape(TEXT['more_records'].format(count=more))}</p>" if more > 0 else ""
    return Fragment(
        f'<div class="mailsec-wiretap-tls" style="{FONT}">'
        f'<div style="font-weight:600;margin-top:6px">{escape(TEXT["tls_title"])}</div>'
        + kv_table(pairs)
        + table(TEXT["records_headers"], rows, caption=TEXT["records_caption"])
        + tail
        + "</div>"
    )


def attack_html(seen: Eavesdropped) -> Fragment:
    """What the attacker did, one sentence each, with the RFC section."""
    if not seen.attack:
        return Fragment("")
    items = "".join(
        f"<li>{escape(note.text)}"
        + (f' <span style="font-size:12px">[{escape(note.section)}]</span>' if note.section else "")
        + "</li>"
        for note in seen.attack
    )
    return callout(
        f'<ul class="mailsec-wiretap-attack" style="margin:2px 0 2px 18px;padding:0">{items}</ul>',
        outcome=Outcome.WARN,
        title=TEXT["attack_title"],
    )


def login_html(login: LoginResult) -> Fragment:
    """The mail program's steps, from connecting to the login's end."""
    return trace_list(login.steps, title=TEXT["login_title"])


def wiretap_html(login: LoginResult, seen: Eavesdropped) -> Fragment:
    """The whole result: verdict, the attacker's deeds, the lines and the TLS summary."""
    return Fragment(
        verdict_html(login, seen) + attack_html(seen) + lines_html(seen) + tls_html(seen)
    )
