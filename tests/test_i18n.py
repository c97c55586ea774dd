"""The course's languages (:mod:`mailsec.i18n`): choosing one, and seeing it.

- the API: ``set_language``, ``using`` (nesting, threads), ``language_from_environment``
  (``LC_ALL`` beats ``LC_MESSAGES`` beats ``LANG``; ``ja_JP.UTF-8`` is Japanese, ``C`` English),
  ``texts`` (nested values, looked up in the current language), ``gettext``/``ngettext``;
- the labs: every factory takes ``lang=``; chapter 09's labs built with ``lang="ja"`` show
  Japanese whatever the kernel's language, and keep it in their callbacks;
- the mail system's servers run in their own thread and still write the timeline in the
  language of the scenario being played;
- the command line: ``--lang ja`` before the group, or ``LANG=ja_JP.UTF-8``, prints Japanese; an
  unknown ``--lang`` is a one-line usage error; English stays the default.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import mailsec
from mailsec import i18n
from mailsec.errors import InputError
from mailsec.i18n import (
    PSEUDO,
    gettext,
    language,
    language_from_environment,
    ngettext,
    set_language,
    texts,
    using,
)

ROOT = Path(__file__).resolve().parents[1]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
"""Hiragana, katakana or a kanji."""
TIMEOUT = 60


@pytest.fixture(autouse=True)
def english_kernel() -> Iterator[None]:
    """Every test starts, and leaves the kernel, in English."""
    set_language("en")
    yield
    set_language("en")


# -- the API ------------------------------------------------------------------------------------


def test_set_language_is_exported_and_chooses_the_kernels_language() -> None:
    assert mailsec.set_language is set_language
    assert language() == "en"
    with pytest.raises(
        InputError, match=r"The language 'xx' is not one of the course's: choose en, ja\."
    ):
        set_language("xx")
    mailsec.set_language("ja")
    assert language() == "ja"
    mailsec.set_language("ja_JP.UTF-8")  # a locale name names its language
    assert language() == "ja"
    with pytest.raises(
        InputError, match=r"言語'xx'はこの講座にありません：en, jaから選んでください。"
    ):
        set_language("xx")
    assert language() == "ja"  # a refused choice changes nothing


def test_using_nests_and_restores() -> None:
    with using("ja"):
        assert language() == "ja"
        with using("en"):
            assert language() == "en"
            with using(None):  # None: the kernel's language
                assert language() == "en"
            set_language("ja")
            with using(None):
                assert language() == "ja"
            assert language() == "en"
        assert language() == "ja"
    assert language() == "ja"  # the kernel's, as set inside
    set_language("en")
    with pytest.raises(InputError), using("klingon"):
        pass
    assert language() == "en"


def test_using_is_per_thread() -> None:
    seen: list[str] = []
    with using("ja"):
        worker = threading.Thread(target=lambda: seen.append(language()))
        worker.start()
        worker.join()
    assert seen == ["en"]  # a new thread starts in the kernel's language


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "ja"}, "ja"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.eucJP", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LC_ALL": "en_GB.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, "en"),
    ],
)
def test_language_from_environment(environ: dict[str, str], expected: str) -> None:
    assert language_from_environment(environ) == expected


def test_texts_are_looked_up_in_the_current_language() -> None:
    table = texts(
        {
            "verdicts": "Verdicts:",
            "nested": {"a": ("Scenario", "Result"), "b": 3},
            "empty": "",
        }
    )
    assert table["verdicts"] == "Verdicts:"
    with using("ja"):
        assert table["verdicts"] == "判定："
        assert table["nested"]["a"] == ("シナリオ", "結果")
        assert table["nested"]["b"] == 3
        assert table["empty"] == ""  # never the catalog's header
        with pytest.raises(TypeError):
            table["nested"]["a"] = "x"  # type: ignore[index]
    with using(PSEUDO):
        assert table["verdicts"] == "⟦Verdicts:⟧"
        assert table["nested"]["a"] == ("⟦Scenario⟧", "⟦Result⟧")
    assert table.source["verdicts"] == "Verdicts:"
    assert list(table) == ["verdicts", "nested", "empty"] and len(table) == 3


def test_gettext_and_plural_forms() -> None:
    assert gettext("") == ""
    with using("ja"):
        assert gettext("") == ""
        assert gettext("Verdicts:") == "判定："
        assert gettext("A sentence no catalog has.") == "A sentence no catalog has."
    for count, english in ((1, "… 1 more line"), (3, "… 3 more lines")):
        form = ngettext("… {count} more line", "… {count} more lines", count)
        assert form.format(count=count) == english
        with using("ja"):  # Japanese has one form (nplurals=1)
            form = ngettext("… {count} more line", "… {count} more lines", count)
            assert form.format(count=count) == f"… ほかに{count}行"
    i18n.reload_catalogs()
    with using("ja"):
        assert gettext("Verdicts:") == "判定："


def test_a_context_tells_the_same_english_apart() -> None:
    """ "never" delete (chapter 01's menu) and "never" trust (a key's owner trust, chapter 06)."""
    from mailsec.labs.retrieval_controls import DELETE_AFTER

    assert DELETE_AFTER["never"] == gettext("never") == "never"
    with using("ja"):
        assert DELETE_AFTER["never"] == "削除しない"
        assert gettext("never") == "信用しない"
        assert i18n.pgettext("no such context", "never") == "never"
    with using(PSEUDO):
        assert DELETE_AFTER["never"] == "⟦never⟧"
    assert "context='delete from the server after'" in repr(DELETE_AFTER)


def test_the_catalogs_are_package_data() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    data = config["tool"]["setuptools"]["package-data"]["mailsec"]
    assert "locale/*/LC_MESSAGES/*.mo" in data and "locale/*/LC_MESSAGES/*.po" in data
    test_extra = config["project"]["optional-dependencies"]["test"]
    assert any(dep.lower().startswith("babel") for dep in test_extra)
    runtime = config["project"]["dependencies"]
    assert not any(dep.lower().startswith("babel") for dep in runtime)  # gettext reads .mo files
    assert any(dep.startswith("jupyterlab-language-pack-ja-jp") for dep in runtime)


# -- the labs -----------------------------------------------------------------------------------


def _factories() -> Iterator[tuple[str, ast.FunctionDef]]:
    """Every public function of mailsec.labs that returns a lab (by its return annotation)."""
    for path in sorted((ROOT / "mailsec" / "labs").rglob("*.py")):
        for node in ast.parse(path.read_text("utf-8")).body:
            if (
                isinstance(node, ast.FunctionDef)
                and not node.name.startswith("_")
                and node.returns is not None
                and re.fullmatch(r"\w*(Lab|SelfCheck)", ast.unparse(node.returns))
            ):
                yield f"{path.relative_to(ROOT)}:{node.name}", node


def test_every_lab_factory_takes_lang_and_passes_it_on() -> None:
    found = list(_factories())
    assert len(found) >= 28
    missing = []
    for where, node in found:
        names = [a.arg for a in node.args.kwonlyargs]
        passed = any(
            isinstance(call, ast.Call) and any(k.arg == "lang" for k in call.keywords)
            for call in ast.walk(node)
        )
        if "lang" not in names or not passed:
            missing.append(where)
    assert missing == []


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_scenario_lab_shows_japanese_in_an_english_kernel() -> None:
    from mailsec.labs.capstone import scenario_lab

    lab = scenario_lab(name="bot-port25", lang="ja")
    try:
        assert lab.lang == "ja" and language() == "en"
        assert lab.run_button.description == "このシナリオを実行"
        assert lab.scenario.description == "シナリオ："
        assert lab.scenario.label == "家庭のPCからポート25で銀行になりすまし（攻撃）"
        assert "ラボ：1通のメッセージがメールシステム全体を通る旅" in lab.header.value
        result = _text(lab.result.value)
        assert "防御成功：攻撃は阻止されました。" in result
        assert "OP25Bで遮断" in result and "阻止した" in result
        assert "各対策がしたこと" in result  # the verdict table's caption
        assert "なりすまし" in lab.status.value or "bot-port25" in lab.status.value
        # A callback runs in the lab's language, whatever the kernel's is now.
        lab.scenario.value = "normal"
        assert "まだ実行していません" in lab.result.value
        lab.run_button.click()
        assert "防御成功：正規のメッセージが届き、読むことができました。" in lab.result.value
        assert "やり取りの記録 #1" in lab.explanation.value
        assert "対話型ラボ" in lab.static_html()
        assert lab._repr_mimebundle_()["text/plain"].endswith(
            "（対話型ラボ：このノートブックをJupyterLabで実行してください）"
        )
    finally:
        lab.close()


def test_a_lab_without_lang_follows_the_kernel_and_a_bad_lang_is_refused() -> None:
    from mailsec.labs.capstone import scenario_lab

    set_language("ja")
    lab = scenario_lab(name="bot-port25")
    try:
        assert lab.lang is None
        assert lab.run_button.description == "このシナリオを実行"
    finally:
        lab.close()
    set_language("en")
    english = scenario_lab(name="bot-port25", lang="en")
    try:
        assert english.run_button.description == "Run this scenario"
        assert not JAPANESE.search(english.result.value)
    finally:
        english.close()
    with pytest.raises(InputError, match="is not one of the course's"):
        scenario_lab(lang="xx")


def test_an_error_in_a_japanese_lab_is_japanese() -> None:
    from mailsec.labs.capstone import defence_lab

    lab = defence_lab(preset="nothing", lang="ja")
    try:
        assert lab.run_button.description == "攻撃者の作戦を実行"
        assert "得点：攻撃7件中0件を阻止" in lab.result.value
        lab._closed = True
        lab.action(lab.run)()
        assert "実行できません：" in lab.error.value
        assert "このラボは閉じられています" in lab.error.value
    finally:
        lab._closed = False
        lab.close()


def test_the_servers_write_the_timeline_in_the_language_of_the_play() -> None:
    """The SMTP servers run in the system's own thread; started in English, a scenario played
    in Japanese still gets Japanese notes from them."""
    from mailsec.mailsystem.scenarios import run_scenario
    from mailsec.mailsystem.system import MailSystem

    with MailSystem() as system:
        assert system.lang == "en"
        with using("ja"):
            run = run_scenario(system, "normal")
        english = run_scenario(system, "normal")
    assert run.title == "普通のメッセージ、送信から受信まで"
    notes = [event.label for event in run.events if event.source == "mx" and event.target is None]
    assert any("がメッセージを検査しました" in note for note in notes), notes
    assert any("受け付けました" in event.label for event in run.events)
    # Every reason is Japanese, S/MIME's too (the S/MIME verifier's own words).
    reasons = {v.control.value: v.reason for v in run.verdicts}
    assert all(JAPANESE.search(reason) for reason in reasons.values()), reasons
    assert run.outcome == "メッセージはBobのINBOXにあります。"
    assert run.sources[-1] == "RFC 8551"
    assert english.outcome == "The message is in Bob's INBOX."
    assert not any(JAPANESE.search(event.label) for event in english.events)


# -- the command line ---------------------------------------------------------------------------


def _mailsec(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    environ.update(env or {})
    environ["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "mailsec", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environ,
        timeout=TIMEOUT,
    )


JAPANESE_ERROR = (
    "mailsec mailsystem：エラー：シナリオ'nope'はありません。シナリオはnormal, bot-port25,"
)


def test_lang_ja_before_the_group_prints_a_japanese_error() -> None:
    result = _mailsec("--lang", "ja", "mailsystem", "run", "nope")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(JAPANESE_ERROR)
    assert "Traceback" not in result.stderr


def test_lang_from_the_environment() -> None:
    result = _mailsec("mailsystem", "run", "nope", env={"LANG": "ja_JP.UTF-8"})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(JAPANESE_ERROR)
    # LC_ALL beats LANG; --lang beats both.
    english = _mailsec("mailsystem", "run", "nope", env={"LC_ALL": "C", "LANG": "ja_JP.UTF-8"})
    assert english.stderr.startswith("mailsec mailsystem: error: Unknown scenario 'nope'")
    forced = _mailsec("--lang", "en", "mailsystem", "run", "nope", env={"LANG": "ja_JP.UTF-8"})
    assert forced.stderr.startswith("mailsec mailsystem: error: Unknown scenario 'nope'")
    assert _mailsec("mailsystem", "run", "nope").stderr.startswith(
        "mailsec mailsystem: error: Unknown scenario 'nope'"
    )


def test_an_unknown_lang_is_a_one_line_usage_error() -> None:
    for argv in (("--lang", "xx"), ("--lang=xx",)):
        result = _mailsec(*argv, "mailsystem", "list")
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1, result.stderr
        assert "invalid choice: 'xx'" in result.stderr and "usage:" not in result.stderr


def test_other_groups_wrap_their_errors_in_japanese() -> None:
    """A usage error: one line, all of it Japanese (argparse's phrase too)."""
    result = _mailsec("--lang", "ja", "smime", "verify")
    assert result.returncode == 2
    assert result.stderr.startswith("mailsec smime：エラー：")
    assert result.stderr.rstrip().endswith("（'mailsec smime verify --help'を参照）")
    missing = _mailsec("--lang=ja", "smime", "verify", "--ca", "/nonexistent/ca.pem")
    assert missing.returncode == 1
    assert missing.stderr.startswith("mailsec smime：エラー：") and "を読めません" in missing.stderr


def test_the_mailsystem_commands_print_japanese(capsys) -> None:
    from mailsec.__main__ import main

    assert main(["--lang", "ja", "mailsystem", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "normal"
    assert "普通のメッセージ、送信から受信まで：" in lines[0]
    assert main(["--lang", "ja", "mailsystem", "run", "bot-port25"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "bot-port25：家庭のPCからポート25で銀行になりすまし（攻撃）"
    assert "[失敗] ISP Aのエッジ、ポート25：OP25Bで遮断" in out
    assert out.rstrip().endswith("（OP25Bが阻止）")
    assert language() == "en"  # the command line's language ends with the command
    with pytest.raises(SystemExit):
        main(["--lang", "ja", "--help"])
    assert "サブコマンドのグループ：" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "japanese"),
    [
        (["smime", "verify"], "次の引数が必要です：--ca"),
        (["mailsystem", "run", "normal", "--preset", "zzz"], "引数--preset：'zzz'は選べません（"),
        (["smime", "verify", "--ca"], "引数--ca：値を1つ指定してください"),
        (["mailsystem", "list", "--no-such"], "認識できない引数があります：--no-such"),
    ],
)
def test_argparse_errors_are_worded_in_japanese(argv: list[str], japanese: str) -> None:
    from mailsec.cli import argparse_phrase

    result = _mailsec("--lang", "ja", *argv)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert japanese in result.stderr, result.stderr
    english = _mailsec(*argv)
    assert "(see 'mailsec " in english.stderr and not re.search(r"[ぁ-ん]", english.stderr)
    with using("ja"):
        assert argparse_phrase("something argparse says one day") == (
            "something argparse says one day"
        )
    assert argparse_phrase("argument --x: expected one argument") == (
        "argument --x: expected one argument"
    )
