"""The catalogs and the pseudo-locale: every string the converted labs show went through gettext.

**The tools** (:mod:`mailsec.i18n_tools`): ``check`` passes on the repository (the template is
what the source extracts to, every ``.po`` has every message and is fully translated into
Japanese, every ``.mo`` is what ``compile`` writes, every translation keeps its placeholders), and
it catches a translation that drops a placeholder; ``extract`` refuses a positional placeholder
and a value that is not a literal, naming file and line.

Chapter 09's labs are driven under the pseudo-locale ``qps`` and every string a learner sees
must carry its mark (:mod:`tests.pseudolocale` says what counts as seen and as data).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec import i18n_tools
from mailsec.i18n import PSEUDO, using
from mailsec.labs.capstone import DefenceLab, ScenarioLab, defence_lab, scenario_lab
from mailsec.mailsystem.plan import PRESETS
from mailsec.mailsystem.scenarios import SCENARIOS
from tests.pseudolocale import is_data, unmarked, words_outside_marks

PACKAGE = Path(i18n_tools.__file__).resolve().parent
LOCALE = PACKAGE / "locale"

# -- the tools ----------------------------------------------------------------------------------


def test_the_repository_catalogs_are_current() -> None:
    """The template, every .po and .mo, and every translation's placeholders."""
    assert i18n_tools.check(PACKAGE, LOCALE) == []


def test_every_message_is_translated_into_japanese() -> None:
    """Every module's messages, none fuzzy; and the messages come from every part of the course."""
    from babel.messages.pofile import read_po

    with (LOCALE / "ja" / "LC_MESSAGES" / "mailsec.po").open("rb") as handle:
        catalog = read_po(handle, locale="ja")
    messages = [m for m in catalog if m.id]
    assert len(messages) > 3000
    untranslated = [m.id for m in messages if m.fuzzy or not all(i18n_tools._strings(m))]
    assert untranslated == []
    files = {p for m in messages for p, _line in m.locations}
    for part in ("retrieval", "op25b", "spf", "hybrid", "smime", "openpgp", "dkim", "dmarc",
                 "arc", "transport", "mailsystem", "labs", "render", "cli", "pki", "editions"):  # fmt: skip
        assert any(f.startswith(f"mailsec/{part}") for f in files), part


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


def test_a_context_is_extracted_with_its_messages(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "menu.py").write_text(
        "from mailsec.i18n import texts\n\n"
        "TEXT = texts({'never': 'never'})\n"
        "AFTER = texts({'never': 'never'}, context='delete after')\n",
        "utf-8",
    )
    catalog = i18n_tools.extract(package)
    assert catalog.get("never") is not None
    assert catalog.get("never", context="delete after") is not None
    assert len(catalog) == 2
    (package / "menu.py").write_text(
        "from mailsec.i18n import texts\nWHERE = 'x'\nA = texts({'a': 'b'}, context=WHERE)\n",
        "utf-8",
    )
    with pytest.raises(i18n_tools.ExtractError) as refused:
        i18n_tools.extract(package)
    assert "context=...) takes a string literal" in refused.value.problems[0]


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
    for preset in ("recommended", "nothing"):
        journey.preset.value = preset
        wrong.update(words_outside_marks(journey))  # the "not run yet" view
        for one in SCENARIOS:
            journey.scenario.value = one.name
            journey.run_button.click()
            assert journey.error.value == "", journey.error.value
            wrong.update(words_outside_marks(journey))
            for _label, index in journey.transcript.options[1:]:
                journey.transcript.value = index
                wrong.update(words_outside_marks(journey))
    assert sorted(wrong) == []


@pytest.mark.slow
def test_every_string_of_the_defence_lab_is_translated(
    labs: tuple[ScenarioLab, DefenceLab],
) -> None:
    _journey, game = labs
    wrong: set[str] = set()
    wrong.update(words_outside_marks(game))
    for preset in ("nothing", "monitoring"):
        game.preset.value = preset
        wrong.update(words_outside_marks(game))  # the "not run yet" view
        game.run_button.click()
        assert game.error.value == "", game.error.value
        wrong.update(words_outside_marks(game))
    game.switches["smime"].value = not game.switches["smime"].value  # a mix no preset has
    wrong.update(words_outside_marks(game))
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
