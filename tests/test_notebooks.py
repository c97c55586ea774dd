"""The notebooks' shape and hygiene; nbval runs them (pytest collects notebooks/ with --nbval-lax)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.nbexpected import MARKER, is_checked

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
CHAPTERS = [p for p in NOTEBOOKS if p.name[:2] not in ("00", "90")]
"""The chapter notebooks: not 00 (how to use the course) or 90 (the exam practice)."""


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _headings(nb: nbformat.NotebookNode) -> list[str]:
    return [
        line.lstrip("#").strip().lower()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("#")
    ]


def test_there_is_a_start_here_notebook() -> None:
    assert (ROOT / "notebooks" / "00-start-here.ipynb").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = _read(path)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or execution counts; strip them"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_keeps_no_widget_state_or_timings(path: Path) -> None:
    """A saved widget state would show stale labs on GitHub and bloat every diff."""
    nb = _read(path)
    assert "widgets" not in nb.metadata, f"{path.name} keeps widget state; strip it"
    timed = [i for i, cell in enumerate(nb.cells) if "execution" in cell.metadata]
    assert not timed, f"{path.name}: cells {timed} keep execution timings; strip them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_cells_have_expected_outputs(path: Path) -> None:
    nb = _read(path)
    missing = [
        i
        for i, cell in enumerate(nb.cells)
        if is_checked(cell) and "expected_outputs" not in cell.metadata.get("mailsec", {})
    ]
    assert not missing, (
        f"{path.name}: cells {missing} are marked {MARKER!r} but have no expected output; "
        f"run: python tests/nbexpected.py notebooks/{path.name}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_python3_kernel(path: Path) -> None:
    assert _read(path).metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_the_course_shape(path: Path) -> None:
    """COURSE.md: objectives, a story, concepts, labs, limits, self-check, summary."""
    headings = " | ".join(_headings(_read(path)))
    for part in ("objectives", "story", "concepts", "lab", "limits", "self-check", "summary"):
        assert part in headings, f"{path.name} has no heading about {part!r}: {headings}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_a_self_check_and_glossary(path: Path) -> None:
    code = "\n".join(c.source for c in _read(path).cells if c.cell_type == "code")
    assert "self_check(" in code, f"{path.name} has no self-check"
    assert "glossary_table(" in code, f"{path.name} shows no key terms"


def test_chapter_map_links_resolve() -> None:
    nb = _read(ROOT / "notebooks" / "00-start-here.ipynb")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    links = set(re.findall(r"\]\((\d\d-[\w-]+\.ipynb)\)", text))
    expected = {p.name for p in NOTEBOOKS if not p.name.startswith("00-")}
    assert links == expected, f"the chapter map should link every notebook but itself: {links}"
    missing = sorted(name for name in links if not (ROOT / "notebooks" / name).exists())
    assert not missing, f"the chapter map links to notebooks that do not exist: {missing}"


def test_nbval_compares_checked_cells_with_their_expected_output(tmp_path: Path) -> None:
    """A checked cell whose output differs from the recorded one fails the notebook run."""
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(f"{MARKER}\nprint(6 * 7)")],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    expected = [{"output_type": "stream", "name": "stdout", "text": "42\n"}]
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")

    def run(outputs: list[dict]) -> int:
        nb.cells[0].metadata["mailsec"] = {"expected_outputs": outputs}
        nbformat.write(nb, tmp_path / "check.ipynb")
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--nbval-lax",
                "check.ipynb",
            ],
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
        ).returncode

    assert run(expected) == 0
    assert run([{**expected[0], "text": "41\n"}]) == 1


SHOWN = [
    ('"<table><tr><td>x</td></tr></table>"', True),
    ('print("<div>x</div>")', True),
    ("class Thing: pass\nThing()", True),
    ("from mailsec.render.html import Fragment\nFragment('<b>x</b>')", False),
    ("from IPython.display import HTML\nHTML('<b>x</b>')", False),
    ("import ipywidgets\nipywidgets.IntSlider()", False),
    ('"a plain string"', False),
    ('print("a < b")', False),
]


def test_nbval_fails_output_that_jupyter_would_show_as_code(tmp_path: Path) -> None:
    """A quoted HTML string, printed HTML or an object's repr fails the notebook run."""
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source, _ in SHOWN],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, tmp_path / "shown.ipynb")
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "shown.ipynb",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    failed = {int(n) for n in re.findall(r"::Cell (\d+) FAILED", run.stdout)}
    passed = {int(n) for n in re.findall(r"::Cell (\d+) PASSED", run.stdout)}
    assert failed | passed == set(range(len(SHOWN))), run.stdout[-2000:]
    assert failed == {i for i, (_, fails) in enumerate(SHOWN) if fails}, run.stdout[-3000:]
    assert run.stdout.count("instead of rendered output") >= len(failed)
