"""The Japanese edition keeps in step with the English notebooks (:mod:`mailsec.editions`).

The first tests check the repository: every English notebook has a Japanese one in
``notebooks/ja/`` with the same code cells and the hash of the English markdown it translates.
The rest build small notebooks in a temporary folder and check that each problem is found and
that the commands ``status``, ``diff`` and ``stamp`` do what their help says.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mailsec import editions
from mailsec.editions import LANGUAGE_CELL, LANGUAGE_TAG, ProblemKind, command

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ENGLISH = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
JAPANESE = sorted((NOTEBOOKS / "ja").glob("*.ipynb"))


# --- the repository ---------------------------------------------------------------------------


def test_the_english_notebooks_are_found() -> None:
    assert len(ENGLISH) >= 10, [p.name for p in ENGLISH]


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.name)
def test_every_english_notebook_has_a_japanese_edition_in_step(english: Path) -> None:
    japanese = NOTEBOOKS / "ja" / english.name
    problems = editions.check(english, japanese)
    assert not problems, (
        f"notebooks/ja/{english.name} is not in step with notebooks/{english.name} "
        "(python -m mailsec.editions status shows every pair):\n"
        + "\n".join(f"- {p.kind.value}: {p}" for p in problems)
    )


@pytest.mark.parametrize("japanese", JAPANESE, ids=lambda p: p.name)
def test_every_japanese_notebook_translates_an_english_one(japanese: Path) -> None:
    assert (NOTEBOOKS / japanese.name).exists(), (
        f"notebooks/ja/{japanese.name} has no English notebook notebooks/{japanese.name}"
    )


@pytest.mark.parametrize("japanese", JAPANESE, ids=lambda p: p.name)
def test_japanese_notebooks_are_stripped_and_use_ipa_terms(japanese: Path) -> None:
    nb = nbformat.read(japanese, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata, "saved widget state: strip the notebook"
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"cell {number} keeps its outputs: run python tests/nbexpected.py "
                f"notebooks/ja/{japanese.name}"
            )
    markdown = "\n".join(editions.markdown_sources(nb))
    assert "改竄" not in markdown, "IPA writes 改ざん (mailsec/glossary.py)"


# --- small notebooks in a temporary folder ------------------------------------------------------

NAME = "42-test.ipynb"
SUBJECT = "## Concepts\n\nSPF checks the envelope sender.\nIt does not check From:.\nDKIM does."


def english_notebook() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [
        new_markdown_cell("# Chapter 42 — A test\n\nAn overview."),
        new_code_cell("x = 1\nprint(x)"),
        new_markdown_cell(SUBJECT),
        new_code_cell("for n in range(3):\n    print(n)"),
        new_markdown_cell("## Summary\n\nThat is all."),
    ]
    return nb


def japanese_edition(
    english: nbformat.NotebookNode, *, record: bool = True
) -> nbformat.NotebookNode:
    japanese = copy.deepcopy(english)
    for cell in japanese.cells:
        if cell.cell_type == "markdown":
            cell.source = "（訳）" + cell.source
    language = new_code_cell(LANGUAGE_CELL, metadata={"tags": [LANGUAGE_TAG]})
    japanese.cells.insert(1, language)
    if record:
        japanese.metadata["mailsec"] = {
            "translated_from": editions.translationrecord_of(english, NAME)
        }
    return japanese


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A notebooks folder with one English notebook and its faithful Japanese edition."""
    english = english_notebook()
    write(english, tmp_path / "notebooks" / NAME)
    write(japanese_edition(english), tmp_path / "notebooks" / "ja" / NAME)
    return tmp_path / "notebooks"


@pytest.fixture(autouse=True)
def _english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    # The command line follows LC_ALL/LANG; these tests read its English messages.
    monkeypatch.setenv("LC_ALL", "C")


def pair(folder: Path) -> tuple[Path, Path]:
    return folder / NAME, folder / "ja" / NAME


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = command.main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_markdown_hash_is_sha256_of_the_markdown_joined_with_a_record_separator() -> None:
    nb = english_notebook()
    joined = "\n\x1e\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert editions.markdown_hash(nb) == hashlib.sha256(joined.encode("utf-8")).hexdigest()
    nb.cells[1].source = "x = 2"  # code does not count
    assert editions.markdown_hash(nb) == hashlib.sha256(joined.encode("utf-8")).hexdigest()


def test_code_cells_leave_out_the_language_cell() -> None:
    english = english_notebook()
    japanese = japanese_edition(english)
    assert editions.code_cells(japanese) == editions.code_cells(english)
    assert editions.code_cells(english) == ["x = 1\nprint(x)", "for n in range(3):\n    print(n)"]


def test_a_faithful_translation_is_up_to_date(folder: Path) -> None:
    assert editions.check(*pair(folder)) == []
    status, out, err = run("--notebooks", str(folder), "status")
    assert (status, err) == (0, "")
    assert out.split() == [NAME, "up", "to", "date"]


def test_changed_english_markdown_is_stale_and_diff_shows_the_change(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    english = read(english_path)
    english.cells[2].source = SUBJECT.replace("It does not check From:.", "It never checks From:.")
    write(english, english_path)

    problems = editions.check(english_path, japanese_path)
    assert [p.kind for p in problems] == [ProblemKind.STALE]
    assert "python -m mailsec.editions diff 42" in problems[0].message
    assert "python -m mailsec.editions stamp 42" in problems[0].message

    status, out, _ = run("--notebooks", str(folder), "status")
    assert status == 1
    assert out.splitlines()[0].split() == [NAME, "stale"]

    status, out, err = run("--notebooks", str(folder), "diff", "42")
    assert (status, err) == (0, "")
    assert f"--- {NAME}, markdown cell 2 (as translated)" in out
    assert f"+++ {NAME}, markdown cell 2 (now)" in out
    assert "\n-It does not check From:.\n" in out
    assert "\n+It never checks From:.\n" in out
    assert " SPF checks the envelope sender." in out  # context
    assert "That is all" not in out  # an unchanged cell is not shown

    # The translator updates the Japanese text, then stamps it.
    before = read(japanese_path)
    status, out, err = run("--notebooks", str(folder), "stamp", "42")
    assert (status, err) == (0, "")
    assert "Stamped" in out
    assert editions.check(english_path, japanese_path) == []
    after = read(japanese_path)
    assert after.cells == before.cells  # only the record changed
    assert after.metadata.mailsec.translated_from.markdown[1] == english.cells[2].source

    status, out, _ = run("--notebooks", str(folder), "diff", "42")
    assert status == 0
    assert "nothing changed" in out


def test_diff_shows_an_added_and_a_removed_english_cell(folder: Path) -> None:
    english_path, _ = pair(folder)
    english = read(english_path)
    english.cells.insert(4, new_markdown_cell("## Limits\n\nA new section."))
    del english.cells[0]  # the title cell goes
    write(english, english_path)
    status, out, _ = run("--notebooks", str(folder), "diff", "42")
    assert status == 0
    assert "\n-# Chapter 42 — A test\n" in out
    assert "\n+## Limits\n" in out
    assert "no markdown cell" in out


def test_an_edited_code_cell_is_reported_with_its_number_and_line(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    japanese = read(japanese_path)
    japanese.cells[4].source = "for n in range(3):\n    print(n * 2)"  # the second code cell
    write(japanese, japanese_path)

    (problem,) = editions.check(english_path, japanese_path)
    assert problem.kind is ProblemKind.CODE_DIFFERS
    assert problem.cell == 2
    assert "Code cell 2 differs" in problem.message
    assert "cell 4 of the English notebook, cell 5 of the Japanese" in problem.message
    assert "line 2: English '    print(n)', Japanese '    print(n * 2)'" in problem.message

    status, out, _ = run("--notebooks", str(folder), "status")
    assert status == 1
    assert "needs attention" in out.splitlines()[0]
    assert "Code cell 2 differs" in out


def test_a_code_cell_missing_from_the_japanese_is_reported(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    japanese = read(japanese_path)
    del japanese.cells[4]
    write(japanese, japanese_path)
    messages = [p.message for p in editions.check(english_path, japanese_path)]
    assert messages[0].startswith("The English notebook has 2 code cells and the Japanese 1")
    assert (
        "Code cell 2 is in one edition only: the Japanese notebook has no code cell 2"
        in (messages[1])
    )


def test_a_code_cell_that_differs_only_by_a_final_line_end_is_reported(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    japanese = read(japanese_path)
    japanese.cells[2].source += "\n"
    write(japanese, japanese_path)
    (problem,) = editions.check(english_path, japanese_path)
    assert problem.cell == 1
    assert "line 2: English 'print(x)', Japanese 'print(x)\\n'" in problem.message


def test_a_missing_translation_record_is_reported(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    write(japanese_edition(read(english_path), record=False), japanese_path)
    (problem,) = editions.check(english_path, japanese_path)
    assert problem.kind is ProblemKind.NO_RECORD
    assert "python -m mailsec.editions stamp 42" in problem.message
    status, _, err = run("--notebooks", str(folder), "diff", "42")
    assert status == 1
    assert "no usable translation record" in err
    assert run("--notebooks", str(folder), "stamp", "42")[0] == 0
    assert editions.check(english_path, japanese_path) == []


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ("05-smime.ipynb", "it is not an object"),
        ({"notebook": "41-other.ipynb", "markdown_sha256": "0" * 64}, "it names the notebook"),
        ({"notebook": NAME, "markdown_sha256": "not a hash"}, "64 lower-case hexadecimal"),
        ({"notebook": NAME, "markdown_sha256": "A" * 64}, "64 lower-case hexadecimal"),
        ({"notebook": NAME, "markdown_sha256": "0" * 64, "markdown": "x"}, "not a list"),
        ({"notebook": NAME, "markdown_sha256": "0" * 64, "markdown": ["x"]}, "does not hash"),
    ],
)
def test_agarbled_translation_record_is_reported(folder: Path, record: object, why: str) -> None:
    english_path, japanese_path = pair(folder)
    japanese = read(japanese_path)
    japanese.metadata.mailsec["translated_from"] = record
    write(japanese, japanese_path)
    (problem,) = editions.check(english_path, japanese_path)
    assert problem.kind is ProblemKind.GARBLED_RECORD
    assert why in problem.message


def test_a_record_with_only_the_hash_is_valid(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    japanese = read(japanese_path)
    del japanese.metadata.mailsec.translated_from["markdown"]
    write(japanese, japanese_path)
    assert editions.check(english_path, japanese_path) == []


def test_a_missing_japanese_notebook_is_reported_clearly(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    japanese_path.unlink()
    (problem,) = editions.check(english_path, japanese_path)
    assert problem.kind is ProblemKind.MISSING
    assert problem.message.startswith(f"There is no Japanese notebook {japanese_path}")
    assert f"translate {english_path}" in problem.message
    status, out, _ = run("--notebooks", str(folder), "status")
    assert status == 1
    assert out.splitlines()[0].split() == [NAME, "missing"]
    status, _, err = run("--notebooks", str(folder), "stamp", "42")
    assert status == 1
    assert "Not stamped" in err


def test_a_japanese_notebook_without_an_english_one_is_listed(folder: Path) -> None:
    shutil.copy(folder / "ja" / NAME, folder / "ja" / "43-orphan.ipynb")
    status, out, _ = run("--notebooks", str(folder), "status")
    assert status == 1
    assert "43-orphan.ipynb  no English notebook" in out


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (lambda nb: nb.cells.pop(1), "it has no such cell"),
        (lambda nb: nb.cells.insert(3, nb.cells.pop(1)), "the tagged cell is code cell 2"),
        (
            lambda nb: setattr(nb.cells[1], "source", 'import mailsec\nmailsec.set_language("en")'),
            "the tagged cell's source is",
        ),
    ],
)
def test_the_language_cell_must_come_first(folder: Path, change, found: str) -> None:  # type: ignore[no-untyped-def]
    english_path, japanese_path = pair(folder)
    japanese = read(japanese_path)
    change(japanese)
    write(japanese, japanese_path)
    problems = editions.check(english_path, japanese_path)
    assert [p.kind for p in problems] == [ProblemKind.LANGUAGE_CELL]
    assert found in problems[0].message


def test_stamp_refuses_while_the_code_cells_differ(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    english = read(english_path)
    english.cells[1].source = "x = 2\nprint(x)"
    english.cells[0].source += " More."
    write(english, english_path)
    before = japanese_path.read_bytes()
    status, out, err = run("--notebooks", str(folder), "stamp", "42")
    assert (status, out) == (1, "")
    assert "Not stamped" in err
    assert "Code cell 1 differs" in err
    assert japanese_path.read_bytes() == before


def test_an_unreadable_notebook_is_reported(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    japanese_path.write_text("{ not json", encoding="utf-8")
    (problem,) = editions.check(english_path, japanese_path)
    assert problem.kind is ProblemKind.UNREADABLE


@pytest.mark.parametrize(
    "argv", [["diff", "77"], ["stamp", "4x2"], ["diff", "142"], ["frobnicate"]]
)
def test_bad_input_is_one_line_on_stderr(folder: Path, argv: list[str]) -> None:
    status, out, err = run("--notebooks", str(folder), *argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1, err
    if argv[0] != "frobnicate":
        assert "Unknown chapter" in err
        assert "are 42" in err


def test_a_chapter_number_may_be_given_without_its_zero(tmp_path: Path) -> None:
    english = english_notebook()
    write(english, tmp_path / "05-five.ipynb")
    assert editions.english_notebook(tmp_path, "5") == tmp_path / "05-five.ipynb"
    assert editions.english_notebook(tmp_path, "05") == tmp_path / "05-five.ipynb"


def test_status_of_a_folder_without_notebooks_is_bad_input(tmp_path: Path) -> None:
    status, _, err = run("--notebooks", str(tmp_path), "status")
    assert status == 2
    assert "no English notebooks" in err


def test_the_markdown_diff_is_empty_for_the_same_text() -> None:
    assert editions.markdown_diff(["a", "b"], ["a", "b"], name=NAME) == ""


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_finds_the_translated_english_in_git_when_the_record_keeps_only_the_hash(
    folder: Path,
) -> None:
    english_path, japanese_path = pair(folder)
    japanese = read(japanese_path)
    del japanese.metadata.mailsec.translated_from["markdown"]
    write(japanese, japanese_path)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args],
            cwd=folder.parent,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "translated")
    english = read(english_path)
    english.cells[4].source = "## Summary\n\nThat is not all."
    write(english, english_path)
    git("commit", "-q", "-am", "the English changed")

    status, out, err = run("--notebooks", str(folder), "diff", "42")
    assert (status, err) == (0, "")
    assert "\n-That is all.\n" in out
    assert "\n+That is not all.\n" in out


def test_diff_without_the_old_text_says_so(folder: Path) -> None:
    english_path, japanese_path = pair(folder)
    japanese = read(japanese_path)
    del japanese.metadata.mailsec.translated_from["markdown"]
    write(japanese, japanese_path)
    english = read(english_path)
    english.cells[0].source += " Changed."
    write(english, english_path)
    status, out, err = run("--notebooks", str(folder), "diff", "42")
    assert (status, out) == (1, "")
    assert "keeps only the hash" in err


def test_the_module_runs_as_a_command(folder: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mailsec.editions", "--notebooks", str(folder), "status"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [NAME, "up", "to", "date"]
