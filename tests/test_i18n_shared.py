"""The pieces every chapter shares speak the lab's language: the self-checks (their words through
the catalog, their questions as data in both languages), the glossary, the building blocks'
errors, and Japanese line breaking in diagrams and in the defence matrix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailsec.errors import InputError, MailsecError, NotAvailable, quoted
from mailsec.glossary import GLOSSARY, Term
from mailsec.i18n import PSEUDO, using
from mailsec.labs.quiz import self_check
from mailsec.limits import MAX_HEADER_SECTION, MAX_MESSAGE
from mailsec.mime import check_message
from mailsec.render.defence import defence_matrix
from mailsec.render.html import escape, glossary_table
from mailsec.render.svg import NO_END, NO_START, is_wide, text_width, wrap_text
from mailsec.selfcheck import CHAPTERS, _question, questions
from mailsec.trace import Outcome
from tests.pseudolocale import words_outside_marks
from tests.test_render_mailsystem import campaign

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "mailsec" / "data" / "selfcheck"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _data(chapter: str) -> dict[str, dict]:
    """The chapter's questions as written in its file, by id."""
    return {
        q["id"]: q for q in json.loads((DATA / f"{chapter}.json").read_text("utf-8"))["questions"]
    }


# -- the self-check under the pseudo-locale ---------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_word_of_a_self_check_is_marked_under_the_pseudo_locale(chapter: str) -> None:
    quiz = self_check(chapter, lang=PSEUDO)
    assert words_outside_marks(quiz) == []
    assert quiz.header.value.count("⟦") == 2  # the title and the introduction
    for widget in quiz.questions:
        wrong = next(c for c in widget.question.choices if not c.correct)
        widget.picker.value = wrong.text
        assert "⟦Not quite⟧" in widget.feedback.value
    assert words_outside_marks(quiz) == []
    first = quiz.questions[0]
    first.picker.value = next(c.text for c in first.question.choices if c.correct)
    assert "⟦Correct⟧" in first.feedback.value
    assert "⟦Score: <strong>1 of" in quiz.result.value
    assert words_outside_marks(quiz) == []


def test_the_feedback_keeps_the_labs_language_whatever_the_kernels() -> None:
    quiz = self_check("03", lang=PSEUDO)
    widget = quiz.questions[0]
    with using("en"):  # a callback runs in whatever language the kernel has now
        widget.picker.value = widget.question.choices[0].text
    assert "⟦" in widget.feedback.value


def test_an_unknown_chapter_is_refused_in_the_labs_language() -> None:
    with pytest.raises(InputError, match=r"^⟦Chapter 42 has no self-check"):
        self_check("42", lang=PSEUDO)
    with using(PSEUDO), pytest.raises(InputError, match=r"^⟦.* is not a chapter number"):
        questions("3")


# -- the self-check's questions in Japanese are data -------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_in_japanese_every_question_choice_and_explanation_is_the_japanese_data(
    chapter: str,
) -> None:
    data = _data(chapter)
    english = self_check(chapter, lang="en")
    japanese = self_check(chapter, lang="ja")
    assert len(japanese.questions) == len(data)
    for en_widget, ja_widget in zip(english.questions, japanese.questions, strict=True):
        item = data[ja_widget.question.id]
        assert en_widget.question.id == ja_widget.question.id
        assert escape(item["prompt"]["ja"]) in ja_widget.prompt.value
        assert escape(item["prompt"]["en"]) in en_widget.prompt.value
        pairs = {c["text"]["en"]: c for c in item["choices"]}
        # The same arrangement in both languages: the i-th Japanese choice is the i-th English one.
        expected = tuple(pairs[c.text]["text"]["ja"] for c in en_widget.question.choices)
        assert ja_widget.picker.options == expected
        for en_choice, ja_choice in zip(
            en_widget.question.choices, ja_widget.question.choices, strict=True
        ):
            assert ja_choice.correct == en_choice.correct
            assert ja_choice.why == pairs[en_choice.text]["why"]["ja"]
            ja_widget.picker.value = ja_choice.text
            assert escape(ja_choice.why) in ja_widget.feedback.value
        for text in (ja_widget.question.prompt, *(c.text for c in ja_widget.question.choices)):
            assert JAPANESE.search(text), text


def test_a_japanese_edition_notebook_shows_no_japanese_explanation() -> None:
    explanations = [c.why for ch in CHAPTERS for q in questions(ch, lang="ja") for c in q.choices]
    for path in sorted((ROOT / "notebooks" / "ja").glob("[0-9][0-9]-*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            leaked = [why for why in explanations if why[:40] in cell.source]
            assert not leaked, f"{path.name} shows a self-check explanation: {leaked[0]!r}"


def _item(**changes: object) -> dict:
    item = {
        "id": "which",
        "prompt": {"en": "Which?", "ja": "どれですか。"},
        "choices": [
            {
                "text": {"en": "a", "ja": "あ"},
                "correct": True,
                "why": {"en": "Yes.", "ja": "正解です。"},
            },
            {
                "text": {"en": "b", "ja": "い"},
                "correct": False,
                "why": {"en": "No.", "ja": "いいえ。"},
            },
        ],
    }
    item.update(changes)
    return item


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"prompt": {"en": "Which?"}}, r"'which' of chapter 03: its prompt has no text in 'ja'"),
        ({"prompt": {"en": "Which?", "ja": "  "}}, r"its prompt has no text in 'ja'"),
        ({"prompt": "Which?"}, r"its prompt is not a pair of texts"),
        ({"prompt": {"en": "Which?", "ja": "どれ", "fr": "Lequel ?"}}, r"language 'fr'"),
        (
            {"choices": [_item()["choices"][0], {**_item()["choices"][1], "why": {"en": "No."}}]},
            r"its choice 2's explanation has no text in 'ja'",
        ),
        (
            {"choices": [{**_item()["choices"][0], "text": {"ja": "あ"}}, _item()["choices"][1]]},
            r"its choice 1's text has no text in 'en'",
        ),
    ],
)
def test_a_missing_japanese_text_is_an_error_that_names_it(changes: dict, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        _question(_item(**changes), "03")
    assert _question(_item(), "03")["prompt"] == {"en": "Which?", "ja": "どれですか。"}


# -- the glossary -----------------------------------------------------------------------------


def test_every_glossary_term_has_a_japanese_meaning() -> None:
    for term in GLOSSARY.values():
        assert JAPANESE.search(term.meaning_ja), term.english
        assert term.meaning_in("en") == term.meaning
        assert term.meaning_in("ja") == term.meaning_ja
    # A term a notebook writes itself (chapter 05's) shows the glossary's Japanese meaning.
    own = Term(
        "root certificate",
        "ルート証明書",
        "A CA certificate that a program trusts by itself; chains of signatures end there.",
    )
    assert own.meaning_in("ja") == GLOSSARY["root certificate"].meaning_ja
    assert Term("x", "エックス", "An x.").meaning_in("ja") == "An x."


def test_the_glossary_table_shows_the_meaning_in_the_current_language() -> None:
    term = GLOSSARY["mail server"]
    english = glossary_table("mail server")
    assert "<th" in english and ">English<" in english and ">Meaning<" in english
    assert term.meaning in english
    with using("ja"):
        japanese = glossary_table("mail server")
    # The English term first, then the Japanese term, then the Japanese meaning.
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", japanese)
    assert cells == ["mail server", "メールサーバ", term.meaning_ja]
    with using(PSEUDO):
        pseudo = glossary_table("mail server")
    assert "⟦English⟧" in pseudo and "⟦Meaning⟧" in pseudo and "⟦Key terms⟧" in pseudo
    assert f"⟦{term.meaning}⟧" in pseudo


# -- the building blocks' errors --------------------------------------------------------------


def test_the_building_blocks_errors_go_through_the_catalog() -> None:
    big = b"x" * (MAX_MESSAGE + 1)
    long_header = b"X: " + b"a" * (MAX_HEADER_SECTION + 10) + b"\r\n\r\nbody"
    for data in (big, long_header):
        with pytest.raises(InputError) as english:
            check_message(data)
        assert english.value.message.startswith("The message ")
        with using(PSEUDO), pytest.raises(InputError) as pseudo:
            check_message(data)
        assert pseudo.value.message.startswith("⟦The message ") or pseudo.value.message.startswith(
            "⟦⟦The message⟧ "
        )
        assert pseudo.value.message.endswith("⟧")
    with pytest.raises(InputError, match=r"^The S/MIME body is "):
        check_message(big, what="The S/MIME body")
    assert InputError().message == "The input is not valid."
    assert MailsecError().message == "mailsec could not do what was asked."
    with using(PSEUDO):
        assert NotAvailable().message == "⟦A tool or service this needs is not available here.⟧"
        assert quoted("y" * 70, limit=60).endswith("… (10 more characters)⟧")
        assert Outcome.OK.label == "⟦passed⟧"
    assert quoted("y" * 1070, limit=60) == repr("y" * 60) + "… (1,010 more characters)"
    assert [o.label for o in Outcome] == ["info", "passed", "warning", "failed"]


# -- Japanese line breaking in diagrams -------------------------------------------------------


def test_english_wraps_exactly_as_before() -> None:
    assert wrap_text("Mail provider (submission)", 12.5, 152, bold=True) == (
        "Mail provider",
        "(submission)",
    )
    assert wrap_text("Plan B", 12.5, 40) == ("Plan", "B")  # a lone Latin letter stays alone
    assert wrap_text("Bank's outbound MTA (DKIM signs)", 11, 120) == (
        "Bank's outbound",
        "MTA (DKIM signs)",
    )
    assert wrap_text("smtp.mailprovider.example.invalid", 10, 100) == (
        "smtp.mailprovide",
        "r.example.invali",
        "d",
    )


def test_japanese_punctuation_small_kana_and_brackets_obey_kinsoku() -> None:
    # Before: ("受信者のサーバが拒否しました", "。") and ("ボブのメ", "ールソフ", ...).
    assert wrap_text("受信者のサーバが拒否しました。", 12.5, 180) == (
        "受信者のサーバが拒否しまし",
        "た。",
    )
    assert wrap_text("ボブのメールソフトが気づきます", 12.5, 60) == (
        "ボブの",
        "メールソ",
        "フトが気",
        "づきます",
    )
    assert wrap_text("SPFレコードを確認します（RFC 7208）。", 12.5, 120) == (
        "SPFレコードを確認",
        "します（RFC",
        "7208）。",
    )
    # An opening bracket stays with what follows it.
    lines = wrap_text("大学経由の「転送」です", 12.5, 70)
    assert not any(line.endswith("「") for line in lines), lines


def test_the_last_line_is_not_a_single_japanese_character() -> None:
    assert wrap_text("メールは配送されます", 12.5, 120) == ("メールは配送され", "ます")
    assert wrap_text("パケットは届きませんでした", 12.5, 150) == ("パケットは届きませんで", "した")


def test_latin_words_and_numbers_inside_japanese_are_never_cut() -> None:
    for width in range(110, 300, 7):  # STARTTLS alone is 100 px wide
        lines = wrap_text("OP25BはDMARCとSTARTTLSの前に25番ポートで働きます", 12.5, width)
        assert all(text_width(line, 12.5) <= width for line in lines), (width, lines)
        for word in ("OP25B", "DMARC", "STARTTLS", "25"):
            assert any(word[:2] in line and word in line for line in lines), (width, lines)


_WORD = st.one_of(
    st.sampled_from("メルサバ送信受者"),
    st.tuples(st.sampled_from("メルサバ送信"), st.sampled_from("、。）」ーッょ")).map("".join),
    st.tuples(st.sampled_from("（「"), st.sampled_from("送信受信者")).map("".join),
    st.sampled_from(["SPF", "25", " ", "mx"]),
)


@given(st.lists(_WORD, max_size=25).map("".join), st.integers(min_value=40, max_value=220))
def test_no_japanese_line_starts_or_ends_where_kinsoku_forbids(text: str, width: int) -> None:
    """Every unit the rules join fits a line here, so no break is ever forced."""
    lines = wrap_text(text, 10, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(text_width(line, 10) <= width for line in lines), lines
    for line in lines[1:]:
        assert line[:1] not in NO_START, (text, width, lines)
    for line in lines[:-1]:
        assert line[-1:] not in NO_END, (text, width, lines)


def test_a_lone_character_is_only_brought_company_in_japanese() -> None:
    lines = wrap_text("接続は暗号化されています。", 12.5, 80)
    assert lines[-1] != "。" and len(lines[-1]) >= 2
    assert all(is_wide(c) for line in lines for c in line)


# -- the defence matrix's line breaking --------------------------------------------------------


def test_the_defence_matrix_keeps_japanese_words_whole_and_english_as_it_was() -> None:
    english = defence_matrix(campaign())
    assert "keep-all" not in english and "line-break" not in english
    with using("ja"):
        japanese = defence_matrix(campaign())
    assert "word-break:keep-all;overflow-wrap:break-word;line-break:strict" in japanese
    assert "overflow-wrap:anywhere;line-break:strict" in japanese  # the scenario titles
    assert "white-space:nowrap" in japanese  # the attack / legitimate tag
