"""The pseudo-locale's collector: what a lab shows a learner, and which of it was not translated.

A lab built and driven under the pseudo-locale ``qps`` gets every translated string back inside
``⟦…⟧``. :func:`words_outside_marks` lists what is left outside the marks that is not data.

**What is seen.** :func:`visible` collects what a learner sees: every widget's ``description``, ``tooltip`` and ``placeholder``, every menu option's label, and
the text of every HTML value (text nodes outside ``<script>``/``<style>``, and the ``aria-label``,
``title`` and ``alt`` attributes), plus the lab's static view. :func:`unmarked` takes out what
is inside the marks; what is left must be *data* (:func:`is_data`), defined narrowly:

- numbers, punctuation and symbols (``#3``, ``✓``, ``→``, ``—``);
- addresses: e-mail addresses, host names (``mx.example.com``, ``bank.example``), IP addresses,
  ``host:port``;
- RFC section references (``RFC 5321 §4.4``, ``[RFC 1939 §5 (RETR)]``);
- what was on the wire: text inside ``<pre>``/``<code>`` (transcripts, header fields), an SMTP
  reply quoted as sent (a three-digit code first, RFC 5321 §4.2, English by the protocol), and
  a transcript's protocol name (``SMTP``, ``POP3``, ``IMAP``, ``IMAP4:993``, ``SMTP + AUTH``),
  IMAP flags (``\\Seen``), mailbox names (``INBOX``, ``Archive``) and chapter 01's message
  labels (``M1``), and the exam practice's IPA exam names and choice letters (``ア``–``エ``).

Everything else fails. A label cut to fit (it ends with "…") loses its closing mark: the
collector closes the cut mark there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import ipywidgets as widgets

from mailsec.labs.frame import Lab

_MARKED = re.compile(r"⟦[^⟦⟧]*⟧")
_DATA = [
    re.compile(p)
    for p in (
        r"\[RFC \d+(?: §[\d.]+)? \([A-Z]+\)\]",  # [RFC 1939 §5 (RETR)]
        r"RFC \d+(?: §[\d.]+)?",  # RFC 5321 §4.4
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # an address
        r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?",  # an IP address
        r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?",  # a host name, with a port
        r"\b(?:IMAP4(?:rev1)?|HTTPS|SMTP \+ AUTH|POP3S|IMAPS)\b",  # a protocol before its port
        r"\b(?:SMTP|POP3|IMAP)\b",  # a transcript's protocol
        r"\\(?:Seen|Answered|Flagged|Deleted|Draft|Recent)\b",  # IMAP flags (RFC 9051 §2.3.2)
        r"\bM\d+\b",  # a message's label in chapter 01 (M1, M2)
        r"\b(?:INBOX|Archive)\b",  # mailbox names on the server
        # The exam practice's level names and choice letters: the IPA exams' own names and
        # letters, shown as they are in both editions.
        r"基本情報技術者|情報セキュリティマネジメント|応用情報技術者|情報処理安全確保支援士",
        r"\b[アイウエ]\b",
    )
]
_REPLY = re.compile(r"\s*[2-5]\d\d[ -]\S.*")
_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


class _Text(HTMLParser):
    """Text nodes and labelling attributes of an HTML value, in order: (text, on_the_wire)."""

    SKIP = frozenset({"script", "style"})
    WIRE = frozenset({"pre", "code"})
    VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.found: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(attrs)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(attrs)

    def _attributes(self, attrs: list[tuple[str, str | None]]) -> None:
        # An attribute is its own segment: "\x00" ends whatever the text before it left open.
        self.found += [("\x00" + v + "\x00", False) for k, v in attrs if k in _ATTRIBUTES and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self.SKIP.intersection(self.open):
            self.found.append((data, bool(self.WIRE.intersection(self.open))))


def _html_segments(html: str) -> list[tuple[str, bool]]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.found


def unmarked(segments: list[tuple[str, bool]]) -> list[str]:
    """The text outside ``⟦…⟧`` of one value's segments (text nodes in order), one string per
    stretch; text on the wire (``<pre>``) is left out. A mark may span segments (a tag inside a
    sentence, a diagram's label over several lines); a cut label ("…" then a mark, or the end of
    a segment) closes its open mark."""
    found: list[str] = []
    depth = 0
    for text, wire in segments:
        if text.startswith("\x00"):
            depth = 0
        here: list[str] = []
        for i, char in enumerate(text):
            rest = text[i + 1 :].lstrip(". ")
            if char == "⟦":
                depth += 1
            elif char == "⟧":
                depth = max(0, depth - 1)
            elif char == "…" and depth and (not rest or rest[0] in "⟦⟧\x00"):
                depth -= 1
            elif depth == 0 and not wire and char != "\x00":
                here.append(char)
        if text.rstrip().endswith("…"):
            depth = 0
        found.append("".join(here))
    return [part for part in found if part.strip()]


def is_data(text: str) -> bool:
    """Whether ``text`` (outside the marks) is data, not words (module docstring)."""
    if _REPLY.fullmatch(text):
        return True
    rest = text
    for pattern in _DATA:
        rest = pattern.sub(" ", rest)
    return not re.search(r"[^\W\d_]", rest)


def _widgets(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from _widgets(child)


def visible(lab: Lab) -> list[tuple[str, list[tuple[str, bool]]]]:
    """Every string of ``lab`` a learner sees, as (where, segments) (module docstring)."""
    found: list[tuple[str, list[tuple[str, bool]]]] = []
    for widget in _widgets(lab):
        kind = type(widget).__name__
        for name in ("description", "tooltip", "placeholder"):
            value = getattr(widget, name, None)
            if isinstance(value, str) and value:
                found.append((f"{kind}.{name}", [(value, False)]))
        for label in getattr(widget, "_options_labels", ()) or ():
            found.append((f"{kind} option", [(label, False)]))
        if isinstance(widget, widgets.HTML) and widget.value:
            found.append((f"{kind}.value", _html_segments(widget.value)))
    found.append(("static view", _html_segments(lab.static_html())))
    return found


def words_outside_marks(lab: Lab) -> list[str]:
    """What ``lab`` shows outside the marks that is not data (with where). A diagram wraps a long host name over
    two lines: a stretch that is data only when joined to the one before it is data."""
    wrong = []
    for where, segments in visible(lab):
        before = ""
        for text in unmarked(segments):
            previous, before = before, text
            if is_data(text) or (is_data(previous) and is_data(previous + text)):
                continue
            wrong.append(f"{where}: {text.strip()[:200]!r}")
    return wrong
