"""The English and Japanese editions of the notebooks, and how they are kept in step.

The English notebooks (``notebooks/NN-*.ipynb``) are the source. ``notebooks/ja/`` holds a
Japanese notebook of the same name for each, with

- **the same code cells**, source for source and in the same order, plus one first code cell
  tagged ``mailsec-language`` (``import mailsec`` / ``mailsec.set_language("ja")``) that the
  English edition does not have;
- **every markdown cell translated**, one Japanese cell for each English one;
- **a translation record** in its notebook metadata, which says which English text it translates::

      "metadata": {"mailsec": {"translated_from": {
          "markdown": ["# Chapter 05 — S/MIME: ...", "## Prerequisites\\n...", ...],
          "markdown_sha256": "3f1c...",
          "notebook": "05-smime.ipynb"
      }}}

  ``markdown_sha256`` is :func:`markdown_hash` of the English notebook at translation time: the
  SHA-256 of its markdown cells' sources joined with ``"\\n\\x1e\\n"`` (a record separator on a
  line of its own), as :mod:`nbformat` reads them. ``markdown`` is those English sources
  themselves.

**Why the record keeps the English text.** A hash tells that the English changed, not what
changed, and a translator needs the second. The old text could be found in git instead (a
commit id or blob id in the record), but that works only in a full clone that still holds that
object: not in a shallow CI checkout, a Binder image, a source archive, or after a squash or
rebase rewrote the commit, and never for an English edit not committed yet. Keeping the English
markdown (10–20 KB a chapter, beside a notebook of 30–60 KB) makes :func:`check` and ``diff``
work from the files alone. The hash stays the key that is compared; the stored text must hash to
it, or the record counts as garbled. A record without ``markdown`` (only ``notebook`` and
``markdown_sha256``) is still valid; for it, ``diff`` looks for the English version with that
hash in the git history of the English notebook, when there is one.

**Commands** (from the repository root; ``--notebooks DIR`` picks another notebooks folder)::

    python -m mailsec.editions status      # one line per notebook: up to date, stale, missing ...
    python -m mailsec.editions diff 05     # what changed in the English markdown since translation
    python -m mailsec.editions stamp 05    # record that the Japanese now translates today's English

The workflow: ``status`` (or ``tests/test_editions.py``) says a chapter is stale; ``diff NN``
shows the English markdown as it was translated against the English now, cell by cell; the
translator updates the Japanese cells, copies any changed code cells, and runs ``stamp NN``,
which writes the new record (and refuses while the code cells differ). ``status`` exits 1 when
any pair is not up to date; bad input (an unknown chapter) is one line on standard error and
exit status 2.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import json
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from mailsec.errors import InputError, one_line
from mailsec.i18n import texts

__all__ = [
    "LANGUAGE_CELL",
    "LANGUAGE_TAG",
    "Problem",
    "ProblemKind",
    "Status",
    "check",
    "code_cells",
    "compare",
    "english_notebook",
    "markdown_diff",
    "markdown_hash",
    "markdown_sources",
    "pairs",
    "stamp",
    "status_of",
    "translation_record",
]

LANGUAGE_TAG = "mailsec-language"
"""The tag of the Japanese edition's extra first code cell."""

LANGUAGE_CELL = 'import mailsec\nmailsec.set_language("ja")'
"""The source of that cell."""

JAPANESE_FOLDER = "ja"
SEPARATOR = "\n\x1e\n"
ENGLISH_PATTERN = "[0-9][0-9]-*.ipynb"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_GIT_VERSIONS = 500  # the most commits of one notebook ``diff`` reads when the record has no text

#: The repository's notebooks folder, when the package runs from a checkout.
DEFAULT_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

TEXT = texts(
    {
        "description": "Keep the Japanese notebooks (notebooks/ja/) in step with the English ones.",
        "notebooks_help": "the folder of the English notebooks (default: notebooks/ of this "
        "checkout)",
        "status_help": "one line per notebook: up to date, stale or missing",
        "diff_help": "show what changed in the English markdown since it was translated",
        "stamp_help": "record that the Japanese notebook translates today's English markdown",
        "number_help": "the chapter number, such as 05",
        "status": {
            "current": "up to date",
            "stale": "stale",
            "missing": "missing",
            "broken": "needs attention",
            "orphan": "no English notebook",
        },
        "missing": "There is no Japanese notebook {japanese}: translate {english} (see "
        "mailsec/editions.py for what it must hold).",
        "orphan": "The Japanese notebook {japanese} has no English notebook {english}.",
        "unreadable": "The notebook {path} cannot be read as a notebook: {reason}",
        "code_count": "The English notebook has {english} code cells and the Japanese {japanese} "
        "(not counting the mailsec-language cell).",
        "code_differs": "Code cell {number} differs from the English (cell {english_cell} of the "
        "English notebook, cell {japanese_cell} of the Japanese, counting from 1), first at line "
        "{line}: English {english_line}, Japanese {japanese_line}.",
        "code_extra": "Code cell {number} is in one edition only: {where} has no code cell "
        "{number}.",
        "the_english": "the English notebook",
        "the_japanese": "the Japanese notebook",
        "no_line": "(no such line)",
        "language_cell": "The Japanese notebook's first code cell must be the one tagged "
        "mailsec-language, with the source {source}; {found}.",
        "language_none": "it has no such cell",
        "language_many": "it has {count} cells with that tag",
        "language_place": "the tagged cell is code cell {number}",
        "language_source": "the tagged cell's source is {source}",
        "no_record": "The Japanese notebook has no translation record "
        "(metadata.mailsec.translated_from): after checking that it translates today's English, "
        "run python -m mailsec.editions stamp {number}.",
        "garbled": "The translation record (metadata.mailsec.translated_from) is garbled: {why}. "
        "Check the translation, then run python -m mailsec.editions stamp {number}.",
        "garbled_type": "it is not an object",
        "garbled_notebook": "it names the notebook {found}, not {expected}",
        "garbled_hash": "markdown_sha256 is {found}, not 64 lower-case hexadecimal digits",
        "garbled_markdown": "markdown is not a list of strings",
        "garbled_mismatch": "the English markdown it keeps does not hash to its markdown_sha256",
        "stale": "The English markdown changed since the translation: see what changed with "
        "python -m mailsec.editions diff {number}, update the Japanese text, then run "
        "python -m mailsec.editions stamp {number}.",
        "unknown_number": "Unknown chapter {number}: the English notebooks in {folder} are {known}.",
        "no_notebooks": "none",
        "no_english": "There are no English notebooks (NN-*.ipynb) in {folder}.",
        "diff_intro": "What changed in the English markdown of {english} since {japanese} was "
        "translated (markdown cells counted from 1; the Japanese notebook has one markdown cell "
        "for each English one, in the same order):",
        "diff_none": "{english}: the English markdown is the one {japanese} translates; nothing "
        "changed.",
        "diff_missing": "{japanese} does not exist, so there is no translation to compare with.",
        "diff_no_record": "{japanese} has no usable translation record, so the English text it "
        "translates is not known.",
        "diff_no_text": "{japanese}'s translation record keeps only the hash of the English "
        "markdown, and no version of {english} in git has that hash.",
        "label_cell": "{name}, markdown cell {number} ({when})",
        "label_cells": "{name}, markdown cells {first}-{last} ({when})",
        "label_none": "{name}, no markdown cell (before cell {number}, {when})",
        "as_translated": "as translated",
        "now": "now",
        "stamp_refused": "Not stamped: {japanese} does not match the English notebook yet.",
        "stamped": "Stamped {japanese}: it translates {english} as it is now.",
    }
)


class ProblemKind(enum.Enum):
    """What can be wrong with a pair of notebooks."""

    MISSING = "missing"
    """The English notebook has no Japanese counterpart."""
    ORPHAN = "orphan"
    """A Japanese notebook has no English notebook."""
    UNREADABLE = "unreadable"
    """One of the files is not a notebook."""
    CODE_DIFFERS = "code-differs"
    """The code cells are not the same, source for source."""
    LANGUAGE_CELL = "language-cell"
    """The Japanese notebook does not start its code with the mailsec-language cell."""
    NO_RECORD = "no-record"
    """The Japanese notebook has no translation record."""
    GARBLED_RECORD = "garbled-record"
    """The translation record is not in the format of this module."""
    STALE = "stale"
    """The English markdown changed since it was translated."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pair of notebooks, with a sentence that says what to do."""

    kind: ProblemKind
    message: str
    cell: int | None = None
    """For a code cell that differs: its number among the code cells, counting from 1."""

    def __str__(self) -> str:
        return self.message


class Status(enum.Enum):
    """How a pair of notebooks stands, as ``status`` shows it."""

    CURRENT = "current"
    STALE = "stale"
    MISSING = "missing"
    BROKEN = "broken"
    ORPHAN = "orphan"

    @property
    def label(self) -> str:
        """The word ``status`` prints."""
        return TEXT["status"][self.value]


# --- the pure part: notebooks in, hashes and problems out ------------------------------------


def markdown_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The sources of the notebook's markdown cells, in order."""
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def _hash(sources: Sequence[str]) -> str:
    return hashlib.sha256(SEPARATOR.join(sources).encode("utf-8")).hexdigest()


def markdown_hash(nb: nbformat.NotebookNode) -> str:
    """The SHA-256 (hex) of the notebook's markdown sources joined with ``"\\n\\x1e\\n"``."""
    return _hash(markdown_sources(nb))


def _is_language_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and LANGUAGE_TAG in cell.get("metadata", {}).get("tags", [])


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The sources of the notebook's code cells, in order, without the mailsec-language cell."""
    return [c.source for c in nb.cells if c.cell_type == "code" and not _is_language_cell(c)]


def translationrecord_of(english: nbformat.NotebookNode, name: str) -> dict[str, Any]:
    """The translation record for a Japanese notebook that translates ``english`` (whose file
    name is ``name``) as it is now; keys in sorted order, as :mod:`nbformat` writes them."""
    sources = markdown_sources(english)
    return {"markdown": sources, "markdown_sha256": _hash(sources), "notebook": name}


def _number(name: str) -> str:
    return name.split("-", 1)[0]


def _cell_positions(nb: nbformat.NotebookNode) -> list[int]:
    """Notebook cell numbers (from 1) of the code cells :func:`code_cells` returns."""
    return [
        i
        for i, c in enumerate(nb.cells, start=1)
        if c.cell_type == "code" and not _is_language_cell(c)
    ]


def _first_difference(a: str, b: str) -> tuple[int, str, str]:
    """The number (from 1) of the first line where the sources ``a`` and ``b`` differ, and that
    line of each, quoted; with its line end when only the line end differs."""
    a_lines, b_lines = a.splitlines(keepends=True), b.splitlines(keepends=True)
    n = 0
    while n < min(len(a_lines), len(b_lines)) and a_lines[n] == b_lines[n]:
        n += 1
    a_line = a_lines[n] if n < len(a_lines) else None
    b_line = b_lines[n] if n < len(b_lines) else None
    ends = (
        a_line is not None and b_line is not None and a_line.rstrip("\r\n") == b_line.rstrip("\r\n")
    )

    def quoted(text: str | None) -> str:
        if text is None:
            return TEXT["no_line"]
        return repr(text if ends else text.rstrip("\r\n"))

    return n + 1, quoted(a_line), quoted(b_line)


def _code_problems(
    english: nbformat.NotebookNode, japanese: nbformat.NotebookNode
) -> list[Problem]:
    en, ja = code_cells(english), code_cells(japanese)
    en_at, ja_at = _cell_positions(english), _cell_positions(japanese)
    problems = []
    if len(en) != len(ja):
        problems.append(
            Problem(
                ProblemKind.CODE_DIFFERS,
                TEXT["code_count"].format(english=len(en), japanese=len(ja)),
            )
        )
    for index, (a, b) in enumerate(zip(en, ja, strict=False)):
        if a == b:
            continue
        line, english_line, japanese_line = _first_difference(a, b)
        problems.append(
            Problem(
                ProblemKind.CODE_DIFFERS,
                TEXT["code_differs"].format(
                    number=index + 1,
                    english_cell=en_at[index],
                    japanese_cell=ja_at[index],
                    line=line,
                    english_line=english_line,
                    japanese_line=japanese_line,
                ),
                cell=index + 1,
            )
        )
        break  # the first difference says where to look; the rest usually follow from it
    if len(en) != len(ja) and not any(p.cell for p in problems):
        shorter = min(len(en), len(ja))
        where = TEXT["the_japanese"] if len(ja) < len(en) else TEXT["the_english"]
        problems.append(
            Problem(
                ProblemKind.CODE_DIFFERS,
                TEXT["code_extra"].format(number=shorter + 1, where=where),
                cell=shorter + 1,
            )
        )
    return problems


def _language_problems(japanese: nbformat.NotebookNode) -> list[Problem]:
    code = [c for c in japanese.cells if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(code) if _is_language_cell(c)]
    if not tagged:
        found = TEXT["language_none"]
    elif len(tagged) > 1:
        found = TEXT["language_many"].format(count=len(tagged))
    elif tagged[0] != 0:
        found = TEXT["language_place"].format(number=tagged[0] + 1)
    elif code[0].source.strip() != LANGUAGE_CELL:
        found = TEXT["language_source"].format(source=repr(code[0].source))
    else:
        return []
    return [
        Problem(
            ProblemKind.LANGUAGE_CELL,
            TEXT["language_cell"].format(source=repr(LANGUAGE_CELL), found=found),
        )
    ]


def _record_problems(
    english: nbformat.NotebookNode, japanese: nbformat.NotebookNode, name: str
) -> list[Problem]:
    number = _number(name)
    metadata = japanese.metadata.get("mailsec")
    record = metadata.get("translated_from") if isinstance(metadata, dict) else None
    if record is None:
        return [Problem(ProblemKind.NO_RECORD, TEXT["no_record"].format(number=number))]
    why = garbled(record, name)
    if why:
        return [Problem(ProblemKind.GARBLED_RECORD, TEXT["garbled"].format(why=why, number=number))]
    if record["markdown_sha256"] != markdown_hash(english):
        return [Problem(ProblemKind.STALE, TEXT["stale"].format(number=number))]
    return []


def garbled(record: Any, name: str) -> str | None:
    """Why ``record`` is not a translation record of the English notebook ``name``, or None."""
    if not isinstance(record, dict):
        return TEXT["garbled_type"]
    if record.get("notebook") != name:
        return TEXT["garbled_notebook"].format(found=repr(record.get("notebook")), expected=name)
    digest = record.get("markdown_sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        return TEXT["garbled_hash"].format(found=repr(digest)[:80])
    if "markdown" in record:
        stored = record["markdown"]
        if not isinstance(stored, list) or not all(isinstance(t, str) for t in stored):
            return TEXT["garbled_markdown"]
        if _hash(stored) != digest:
            return TEXT["garbled_mismatch"]
    return None


def compare(
    english: nbformat.NotebookNode, japanese: nbformat.NotebookNode, *, name: str
) -> list[Problem]:
    """What is wrong with ``japanese`` as the Japanese edition of ``english`` (whose file name is
    ``name``, such as ``"05-smime.ipynb"``): an empty list when they are in step."""
    return [
        *_language_problems(japanese),
        *_code_problems(english, japanese),
        *_record_problems(english, japanese, name),
    ]


def status_of(problems: Sequence[Problem]) -> Status:
    """The one word ``status`` shows for a pair with these problems."""
    kinds = {p.kind for p in problems}
    if not kinds:
        return Status.CURRENT
    if ProblemKind.MISSING in kinds:
        return Status.MISSING
    if ProblemKind.ORPHAN in kinds:
        return Status.ORPHAN
    if kinds == {ProblemKind.STALE}:
        return Status.STALE
    return Status.BROKEN


def _range_label(name: str, start: int, stop: int, when: str) -> str:
    if stop - start == 1:
        return TEXT["label_cell"].format(name=name, number=start + 1, when=when)
    if stop > start:
        return TEXT["label_cells"].format(name=name, first=start + 1, last=stop, when=when)
    return TEXT["label_none"].format(name=name, number=start + 1, when=when)


def markdown_diff(before: Sequence[str], after: Sequence[str], *, name: str) -> str:
    """A unified diff, cell by cell, of the markdown sources ``before`` (as translated) and
    ``after`` (now) of the English notebook ``name``; empty when they are the same."""
    chunks: list[str] = []
    was, now = TEXT["as_translated"], TEXT["now"]

    def add(old: str, new: str, i1: int, i2: int, j1: int, j2: int) -> None:
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(),
                new.splitlines(),
                fromfile=_range_label(name, i1, i2, was),
                tofile=_range_label(name, j1, j2, now),
                lineterm="",
            )
        )

    matcher = difflib.SequenceMatcher(a=list(before), b=list(after), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                add(before[i1 + k], after[j1 + k], i1 + k, i1 + k + 1, j1 + k, j1 + k + 1)
        else:
            add("\n\n".join(before[i1:i2]), "\n\n".join(after[j1:j2]), i1, i2, j1, j2)
    return "\n".join(chunks)


# --- files ------------------------------------------------------------------------------------


def shown(path: Path) -> str:
    """``path`` as a message shows it: relative to the working folder when it is inside it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def unreadable(path: Path, exc: Exception) -> Problem:
    return Problem(
        ProblemKind.UNREADABLE,
        TEXT["unreadable"].format(path=shown(path), reason=one_line(str(exc))[:200]),
    )


def check(english_path: Path, japanese_path: Path) -> list[Problem]:
    """What is wrong with the Japanese notebook at ``japanese_path`` as the edition of the English
    one at ``english_path``: an empty list when they are in step (see :func:`compare`)."""
    english_path, japanese_path = Path(english_path), Path(japanese_path)
    if not english_path.exists():
        return [
            Problem(
                ProblemKind.ORPHAN,
                TEXT["orphan"].format(japanese=shown(japanese_path), english=shown(english_path)),
            )
        ]
    if not japanese_path.exists():
        return [
            Problem(
                ProblemKind.MISSING,
                TEXT["missing"].format(japanese=shown(japanese_path), english=shown(english_path)),
            )
        ]
    notebooks = []
    for path in (english_path, japanese_path):
        try:
            notebooks.append(read_notebook(path))
        except Exception as exc:  # nbformat raises JSON, validation and OS errors alike
            return [unreadable(path, exc)]
    return compare(*notebooks, name=english_path.name)


def pairs(notebooks: Path) -> list[tuple[Path, Path]]:
    """Every English notebook in the folder ``notebooks`` with the path of its Japanese edition,
    then every Japanese notebook that has no English one (with the English path it would have)."""
    notebooks = Path(notebooks)
    found = [
        (p, notebooks / JAPANESE_FOLDER / p.name) for p in sorted(notebooks.glob(ENGLISH_PATTERN))
    ]
    orphans = [
        (notebooks / p.name, p)
        for p in sorted((notebooks / JAPANESE_FOLDER).glob(ENGLISH_PATTERN))
        if not (notebooks / p.name).exists()
    ]
    return found + orphans


def english_notebook(notebooks: Path, number: str) -> Path:
    """The English notebook of chapter ``number`` (``"05"`` or ``"5"``) in ``notebooks``."""
    notebooks = Path(notebooks)
    known = sorted(notebooks.glob(ENGLISH_PATTERN))
    text = str(number).strip()
    wanted = text.zfill(2) if text.isdigit() and len(text) <= 2 else None
    matches = [p for p in known if wanted and _number(p.name) == wanted]
    if len(matches) != 1:
        raise InputError(
            TEXT["unknown_number"].format(
                number=repr(text)[:40],
                folder=shown(notebooks),
                known=", ".join(_number(p.name) for p in known) or TEXT["no_notebooks"],
            )
        )
    return matches[0]


def git_markdown(english_path: Path, digest: str) -> list[str] | None:
    """The markdown sources of the version of ``english_path`` in git whose markdown hash is
    ``digest``, or None (no git, not in a repository, no such version)."""

    def git(*args: str, cwd: Path) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
        ).stdout

    try:
        path = english_path.resolve()
        root = Path(git("rev-parse", "--show-toplevel", cwd=path.parent).strip())
        relative = path.relative_to(root.resolve()).as_posix()
        commits = git("log", "--format=%H", "--", relative, cwd=root).split()
        for commit in commits[:_GIT_VERSIONS]:
            nb = nbformat.reads(git("show", f"{commit}:{relative}", cwd=root), as_version=4)
            if markdown_hash(nb) == digest:
                return markdown_sources(nb)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return None


def record_of(japanese: nbformat.NotebookNode) -> Any:
    metadata = japanese.metadata.get("mailsec")
    return metadata.get("translated_from") if isinstance(metadata, dict) else None


def stamp(english_path: Path, japanese_path: Path) -> list[Problem]:
    """Write the translation record of today's English markdown into the Japanese notebook, and
    return no problems; or write nothing and return the problems that a record cannot fix
    (a missing or unreadable notebook, different code cells, no mailsec-language cell).

    Only the record changes: the file is read as JSON and written back with
    ``json.dumps(..., indent=1, ensure_ascii=False)``, every other byte as it was."""
    english_path, japanese_path = Path(english_path), Path(japanese_path)
    fixable = {ProblemKind.NO_RECORD, ProblemKind.GARBLED_RECORD, ProblemKind.STALE}
    blocking = [p for p in check(english_path, japanese_path) if p.kind not in fixable]
    if blocking:
        return blocking
    record = translationrecord_of(read_notebook(english_path), english_path.name)
    data = json.loads(japanese_path.read_text(encoding="utf-8"))
    metadata = data.setdefault("metadata", {})
    if not isinstance(metadata.get("mailsec"), dict):
        metadata["mailsec"] = {}
    metadata["mailsec"]["translated_from"] = record
    japanese_path.write_text(
        json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return []
