"""The catalogs and the pseudo-locale: every string the converted labs show went through gettext.

**The tools** (:mod:`mailsec.i18n_tools`): ``check`` passes on the repository (the template is
what the source extracts to, every ``.po`` has every message and is fully translated into
Japanese, every ``.mo`` is what ``compile`` writes, every translation keeps its placeholders), and
it catches a translation that drops a placeholder; ``extract`` refuses a positional placeholder
and a value that is not a literal, naming file and line.

**Completeness.** Chapter 09's labs are built and driven under the pseudo-locale ``qps``, where
every translated string comes back inside ``⟦…⟧``. :func:`visible` collects what a learner sees:
every widget's ``description``, ``tooltip`` and ``placeholder``, every menu option's label, and
the text of every HTML value (text nodes outside ``<script>``/``<style>``, and the ``aria-label``,
``title`` and ``alt`` attributes), plus the lab's static view. :func:`unmarked` takes out what
is inside the marks; what is left must be *data* (:func:`is_data`), defined narrowly:

- numbers, punctuation and symbols (``#3``, ``✓``, ``→``, ``—``);
- addresses: e-mail addresses, host names (``mx.example.com``, ``bank.example``), IP addresses,
  ``host:port``;
- RFC section references (``RFC 5321 §4.4``);
- what was on the wire: text inside ``<pre>``/``<code>`` (transcripts, header fields), an SMTP
  reply quoted as sent (a three-digit code first, RFC 5321 §4.2, English by the protocol), and
  a transcript's protocol name (``SMTP``, ``POP3``, ``IMAP``).

Everything else fails -- except the sentences of modules not converted yet, listed one by one in
:data:`PENDING` with the module they come from; an entry that no longer matches anything fails
too, so the list only shrinks. A label cut to fit (it ends with "…") loses its closing mark: the
collector closes the cut mark there.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import ipywidgets as widgets
import pytest

from mailsec import i18n_tools
from mailsec.i18n import PSEUDO, using
from mailsec.labs.capstone import DefenceLab, ScenarioLab, defence_lab, scenario_lab
from mailsec.labs.frame import Lab
from mailsec.mailsystem.plan import PRESETS
from mailsec.mailsystem.scenarios import SCENARIOS

PACKAGE = Path(i18n_tools.__file__).resolve().parent
LOCALE = PACKAGE / "locale"

# -- the tools ----------------------------------------------------------------------------------


#: The modules converted so far (chapter 09, the lab frame, the HTML blocks, the command line's
#: frame): every one of their messages must have a Japanese translation.
CONVERTED = (
    "mailsec/__main__.py",
    "mailsec/i18n.py",
    "mailsec/cli/__init__.py",
    "mailsec/cli/mailsystem.py",
    "mailsec/cli/pki.py",
    "mailsec/cli/smime.py",
    "mailsec/labs/capstone.py",
    "mailsec/labs/frame.py",
    "mailsec/mailsystem/",
    "mailsec/pki/ca.py",
    "mailsec/pki/validate.py",
    "mailsec/render/defence.py",
    "mailsec/render/html.py",
    "mailsec/render/mailsystem.py",
    "mailsec/smime/cms.py",
    "mailsec/smime/enveloped.py",
    "mailsec/smime/messages.py",
    "mailsec/smime/mime.py",
    "mailsec/smime/signed.py",
)


def test_the_repository_catalogs_are_current() -> None:
    """The template, every .po and .mo, and every translation's placeholders."""
    assert i18n_tools.check(PACKAGE, LOCALE) == []


def test_the_converted_modules_are_translated_into_japanese() -> None:
    from babel.messages.pofile import read_po

    with (LOCALE / "ja" / "LC_MESSAGES" / "mailsec.po").open("rb") as handle:
        catalog = read_po(handle, locale="ja")
    converted = [
        m for m in catalog if m.id and any(p.startswith(CONVERTED) for p, _line in m.locations)
    ]
    assert len(converted) > 300
    untranslated = [m.id for m in converted if m.fuzzy or not all(i18n_tools._strings(m))]
    assert untranslated == []
    files = {p for m in converted for p, _line in m.locations}
    for module in CONVERTED:
        assert any(f.startswith(module) for f in files), module


def test_the_japanese_catalog_has_one_plural_form() -> None:
    po = (LOCALE / "ja" / "LC_MESSAGES" / "mailsec.po").read_text("utf-8")
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in po
    assert (LOCALE / "ja" / "LC_MESSAGES" / "mailsec.mo").is_file()


def test_the_template_is_extracted_the_same_twice() -> None:
    first = i18n_tools._po_bytes(i18n_tools.extract(PACKAGE))
    assert first == i18n_tools._po_bytes(i18n_tools.extract(PACKAGE))
    assert first == (LOCALE / "mailsec.pot").read_bytes()


def _copy_catalogs(tmp_path: Path) -> Path:
    target = tmp_path / "locale"
    shutil.copytree(LOCALE, target)
    return target


def _translate(po: Path, msgid: str, msgstr: str) -> None:
    """Replace the translation of ``msgid`` (a one-line entry) in ``po``."""
    text = po.read_text("utf-8")
    entry = re.compile(r'(msgid "' + re.escape(msgid) + r'"\nmsgstr )"(?:[^"\\]|\\.)*"')
    changed, count = entry.subn(lambda m: m.group(1) + '"' + msgstr + '"', text)
    assert count == 1, msgid
    po.write_text(changed, "utf-8")


def test_a_translation_that_drops_or_renames_a_placeholder_is_caught(tmp_path: Path) -> None:
    locale = _copy_catalogs(tmp_path)
    po = locale / "ja" / "LC_MESSAGES" / "mailsec.po"
    _translate(po, "Stored in {rcpt}'s {folder}", "{folder} に保存しました")
    _translate(po, "Result: {outcome} ({how})", "結果：{result}（{how}）")
    problems = i18n_tools.check(PACKAGE, locale)
    dropped = [p for p in problems if "Stored in {rcpt}" in p]
    assert dropped and "drops {rcpt}" in dropped[0]
    renamed = [p for p in problems if "Result: {outcome}" in p]
    assert renamed and "has {result}" in renamed[0]
    # The .mo no longer matches the changed .po either; compiling fixes that, not the rest.
    assert any("mailsec.mo is not compiled" in p for p in problems)
    i18n_tools.compile_catalogs(locale)
    assert len(i18n_tools.check(PACKAGE, locale)) == 2


def test_an_untranslated_message_fails_only_the_completeness_check(tmp_path: Path) -> None:
    locale = _copy_catalogs(tmp_path)
    po = locale / "ja" / "LC_MESSAGES" / "mailsec.po"
    _translate(po, "Verdicts:", "")
    i18n_tools.compile_catalogs(locale)
    assert i18n_tools.check(PACKAGE, locale) == []
    words = "'Verdicts:' is not translated"
    assert any(words in p for p in i18n_tools.check(PACKAGE, locale, complete=["ja"]))
    assert not any(words in p for p in i18n_tools.check(PACKAGE, LOCALE, complete=["ja"]))


def test_a_stale_template_or_po_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "pkg"
    source.mkdir()
    module = source / "strings.py"
    module.write_text(
        "from mailsec.i18n import texts\n\nTEXT = texts({'hello': 'Hello, {name}'})\n", "utf-8"
    )
    locale = tmp_path / "locale"
    i18n_tools.write_template(source, locale)
    i18n_tools.update(locale)
    i18n_tools.compile_catalogs(locale)
    assert i18n_tools.check(source, locale) == []
    module.write_text(
        "from mailsec.i18n import texts\n\nTEXT = texts({'hello': 'Hello, {name}', 'bye': 'Bye'})\n",
        "utf-8",
    )
    problems = i18n_tools.check(source, locale)
    assert any("is not what the source extracts to" in p for p in problems)
    i18n_tools.write_template(source, locale)
    assert any("lacks 1 message(s)" in p for p in i18n_tools.check(source, locale))
    i18n_tools.update(locale)
    i18n_tools.compile_catalogs(locale)
    assert i18n_tools.check(source, locale) == []
    po = (locale / "ja" / "LC_MESSAGES" / "mailsec.po").read_text("utf-8")
    assert "#: pkg/strings.py" in po and "#, python-brace-format" in po
    assert "#. TEXT['hello']" in po


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("TEXT = texts({'a': 'Stored in {}'})", "positional placeholder {}"),
        ("TEXT = texts({'a': ('ok', 'Step {0} of {1}')})", "positional placeholder {0}"),
        ("x = gettext('{} more')", "positional placeholder {}"),
        ("name = 'x'\nTEXT = texts({'a': f'Hello {name}'})", "is an f-string"),
        ("WORD = 'x'\nTEXT = texts({'a': WORD})", "is not a string literal"),
    ],
)
def test_extract_refuses_what_cannot_be_translated(tmp_path: Path, source: str, words: str) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "bad.py").write_text(
        "from mailsec.i18n import gettext, texts\n\n" + source + "\n", "utf-8"
    )
    with pytest.raises(i18n_tools.ExtractError) as refused:
        i18n_tools.extract(package)
    (problem,) = refused.value.problems
    assert re.match(r"pkg/bad\.py:\d+: ", problem), problem
    assert words in problem


def test_the_command_line_of_the_tools(tmp_path: Path, capsys) -> None:
    assert i18n_tools.main(["check"]) == 0
    assert "current" in capsys.readouterr().out
    locale = _copy_catalogs(tmp_path)
    _translate(locale / "ja" / "LC_MESSAGES" / "mailsec.po", "Verdicts:", "判定{x}:")
    assert i18n_tools.main(["check", "--locale-dir", str(locale)]) == 1
    assert "has {x}, which its message does not have" in capsys.readouterr().err


def test_placeholders_are_read_by_name() -> None:
    assert i18n_tools.placeholders("{count:,} of {total} ({lang!r})") == {"count", "total", "lang"}
    assert i18n_tools.placeholders("{{literal}} {name}") == {"name"}
    assert i18n_tools.placeholders("a { b") is None
    with pytest.raises(i18n_tools.PositionalPlaceholder):
        i18n_tools.placeholders("{} and {name}")


# -- the pseudo-locale --------------------------------------------------------------------------

#: Sentences of modules not converted yet, each with the module it comes from: allowed unmarked
#: for now. When a module is converted, its entries match nothing and the test says to drop them.
PENDING: dict[str, str] = {
    # The edge router's reasons, a step's detail (chapter 02).
    r"Dropped by OP25B: ISP A's edge drops outbound TCP port 25 from its dynamic pool \(\S+\) "
    r"to servers outside ISP A \(\S+ is outside\)\. Mail must go through ISP A's mail server or "
    r"a submission port \(587/465\)\.": "mailsec.op25b.rules",
    r"ISP A's edge passes port 25 from its dynamic pool \(\S+\) because OP25B is switched "
    r"off\.": "mailsec.op25b.rules",
    r"ISP A's edge passes port \d+: OP25B blocks only port 25, so submission \(587, 465\) and "
    r"web traffic \(443\) leave freely\.": "mailsec.op25b.rules",
    # The on-path attacker's notes (chapter 08).
    r"changed the message in transit: '[\d-]+' became '[\d-]+'": "mailsec.transport.relay_strip",
    r"removed the STARTTLS line from the server's EHLO reply": "mailsec.transport.relay_strip",
    r"hid the server's offer of STLS from the client and used it itself \(TLSv[\d.]+\): the "
    r"server sees an encrypted connection and allows a login, while the client's .*": (
        "mailsec.transport.relay_strip"
    ),
    # The mail program's login (chapter 08).
    r"Logged in over (?:TLS \(TLSv[\d.]+\)|plaintext)\.": "mailsec.transport.relay_clients",
    r"The server does not offer STLS: TLS is required, so the mail program stops before sending "
    r"the password\.": "mailsec.transport.relay_clients",
}

_MARKED = re.compile(r"⟦[^⟦⟧]*⟧")
_DATA = [
    re.compile(p)
    for p in (
        r"RFC \d+(?: §[\d.]+)?",  # RFC 5321 §4.4
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # an address
        r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?",  # an IP address
        r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?",  # a host name, with a port
        r"\b(?:SMTP|POP3|IMAP)\b",  # a transcript's protocol
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


def _pending(text: str) -> str | None:
    stripped = text.strip()
    return next((p for p in PENDING if re.fullmatch(p, stripped)), None)


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


def words_outside_marks(lab: Lab, seen: set[str] | None = None) -> list[str]:
    """What ``lab`` shows outside the marks that is neither data nor pending (with where);
    ``seen`` collects the pending patterns that matched. A diagram wraps a long host name over
    two lines: a stretch that is data only when joined to the one before it is data."""
    wrong = []
    for where, segments in visible(lab):
        before = ""
        for text in unmarked(segments):
            previous, before = before, text
            if is_data(text) or (is_data(previous) and is_data(previous + text)):
                continue
            pattern = _pending(text)
            if pattern is not None:
                if seen is not None:
                    seen.add(pattern)
                continue
            wrong.append(f"{where}: {text.strip()[:200]!r}")
    return wrong


@pytest.fixture(scope="module")
def labs() -> Iterator[tuple[ScenarioLab, DefenceLab]]:
    journey, game = scenario_lab(lang=PSEUDO), defence_lab(lang=PSEUDO)
    yield journey, game
    journey.close()
    game.close()


def test_the_collector_catches_an_unmarked_word(labs: tuple[ScenarioLab, DefenceLab]) -> None:
    journey, _game = labs
    assert words_outside_marks(journey) == []
    before = journey.result.value
    try:
        journey.result.value = before + '<p>⟦Marked⟧ Forgotten <span title="Tooltip">x</span></p>'
        wrong = words_outside_marks(journey)
        assert any("'Forgotten'" in w for w in wrong), wrong
        assert any("'Tooltip'" in w for w in wrong), wrong
        assert not any("Marked" in w for w in wrong)
    finally:
        journey.result.value = before
    journey.run_button.description = "Run"  # an English label a widget kept
    try:
        assert any("Button.description: 'Run'" in w for w in words_outside_marks(journey))
    finally:
        journey.run_button.description = "⟦Run this scenario⟧"


def test_data_is_defined_narrowly() -> None:
    for data in (
        "#3",
        " ✓ → ",
        "mx.example.com:25",
        "bob@example.com",
        "192.0.2.10",
        "RFC 5321 §4.4",
        "250 2.0.0 OK: queued as bank-out",
        "SMTP",
    ):
        assert is_data(data), data
    for words in ("Run", "stopped it", "OK", "RFC", "the MX", "SMTP port 25", "Junk"):
        assert not is_data(words), words


def test_the_unmarked_stretches_of_marked_text() -> None:
    split = [("⟦Press ", False), ("Run", False), (" to play.⟧ Left", False)]
    assert unmarked(split) == [" Left"]
    cut = [("⟦Step 1: ⟦a long label…", False), ("⟧ Next", False)]
    assert [t.strip() for t in unmarked(cut)] == ["Next"]
    wire = [("C: EHLO", True), ("⟦ok⟧", False)]
    assert unmarked(wire) == []


@pytest.mark.slow
def test_every_string_of_the_scenario_lab_is_translated(
    labs: tuple[ScenarioLab, DefenceLab],
) -> None:
    """Every scenario under two presets, and every transcript of each run."""
    journey, _game = labs
    wrong: set[str] = set()
    seen: set[str] = set()
    for preset in ("recommended", "nothing"):
        journey.preset.value = preset
        wrong.update(words_outside_marks(journey, seen))  # the "not run yet" view
        for one in SCENARIOS:
            journey.scenario.value = one.name
            journey.run_button.click()
            assert journey.error.value == "", journey.error.value
            wrong.update(words_outside_marks(journey, seen))
            for _label, index in journey.transcript.options[1:]:
                journey.transcript.value = index
                wrong.update(words_outside_marks(journey, seen))
    assert sorted(wrong) == []
    unused = set(PENDING) - seen
    assert not unused, f"these PENDING entries match nothing any more, drop them: {unused}"


@pytest.mark.slow
def test_every_string_of_the_defence_lab_is_translated(
    labs: tuple[ScenarioLab, DefenceLab],
) -> None:
    _journey, game = labs
    wrong: set[str] = set()
    seen: set[str] = set()
    wrong.update(words_outside_marks(game, seen))
    for preset in ("nothing", "monitoring"):
        game.preset.value = preset
        wrong.update(words_outside_marks(game, seen))  # the "not run yet" view
        game.run_button.click()
        assert game.error.value == "", game.error.value
        wrong.update(words_outside_marks(game, seen))
    game.switches["smime"].value = not game.switches["smime"].value  # a mix no preset has
    wrong.update(words_outside_marks(game, seen))
    assert sorted(wrong) == []


def test_an_error_in_a_lab_is_marked(labs: tuple[ScenarioLab, DefenceLab]) -> None:
    _journey, game = labs
    saved = game.dmarc.value
    game.switches["op25b"].value = not game.switches["op25b"].value
    game._closed = True  # the closed lab's sentence, through the frame's error box
    try:
        game.action(game.run)()
        assert "⟦" in game.error.value
        assert words_outside_marks(game) == []
    finally:
        game._closed = False
        game.dmarc.value = saved


def test_the_pseudo_locale_keeps_placeholders_and_nested_texts() -> None:
    from mailsec.labs.capstone import TEXT as LAB
    from mailsec.render.defence import TEXT

    with using(PSEUDO):
        assert TEXT["score"].startswith("⟦Attacks stopped: {stopped} of {attacks}")
        assert TEXT["score"].format(stopped=1, attacks=2, delivered=3, legitimate=4).endswith("4⟧")
        assert set(LAB["presets"]) == {*PRESETS, "custom"}
        assert all(v.startswith("⟦") for v in LAB["presets"].values())
