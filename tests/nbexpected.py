"""Record the expected outputs of notebook cells marked ``# NBVAL_CHECK_OUTPUT``.

Notebooks are committed with their outputs stripped. The cells whose output is deterministic carry
their expected output in the cell's metadata instead (``metadata.mailsec.expected_outputs``); the
top-level ``conftest.py`` hands it to nbval, which compares it with what the cell prints.

Usage (from the repository root)::

    python tests/nbexpected.py notebooks/03-spf.ipynb [more notebooks ...]

It runs each notebook top to bottom, stores the outputs of the marked cells in their metadata, and
writes the notebook back with every output stripped. Two modes for the pre-commit hooks
(``.pre-commit-config.yaml``) need no kernel:

- ``--check NOTEBOOK...`` exits 1, naming each notebook that holds outputs, execution counts,
  timings or widget state (committed notebooks are stripped);
- ``--remind [FILE...]`` prints which notebooks' checked outputs to record again after a change
  to the package's renderers, labs or catalogs, and exits 0 (a reminder, not a gate).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

MARKER = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell that nbval compares (marker on a whole line)."""
    return cell.cell_type == "code" and any(
        line.strip() == MARKER for line in cell.source.splitlines()
    )


def comparable(output: nbformat.NotebookNode) -> dict:
    """An output as nbval compares it: no metadata, no execution count."""
    return {
        k: v for k, v in output.items() if k not in ("metadata", "execution_count", "transient")
    }


def strip(nb: nbformat.NotebookNode) -> None:
    """Remove every output, execution count, timing and saved widget state."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def record(path: Path) -> int:
    """Run the notebook, store the marked cells' outputs, write it back stripped."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("mailsec", None)
        if is_checked(cell):
            cell.metadata["mailsec"] = {"expected_outputs": [comparable(o) for o in cell.outputs]}
            count += 1
    strip(nb)
    nbformat.write(nb, path)
    return count


def unstripped(path: Path) -> bool:
    """Whether the notebook at ``path`` holds anything :func:`strip` removes."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    strip(nb)
    return nbformat.writes(nb) != before


REMINDER = (
    "The package's renderers, labs or catalogs changed ({files}). If a notebook's checked cells "
    "(# NBVAL_CHECK_OUTPUT) print what changed, record them again, in both editions:\n"
    "    .venv/bin/python tests/nbexpected.py notebooks/NN-*.ipynb notebooks/ja/NN-*.ipynb\n"
    "(the notebook tests fail and name the cell when an expected output is stale)."
)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python tests/nbexpected.py [--check|--remind] NOTEBOOK.ipynb [...]")
        return 2
    if argv[0] == "--check":
        dirty = [name for name in argv[1:] if unstripped(Path(name))]
        for name in dirty:
            print(f"{name}: has outputs; strip it: python tests/nbexpected.py {name}")
        return 1 if dirty else 0
    if argv[0] == "--remind":
        if argv[1:]:
            print(REMINDER.format(files=", ".join(argv[1:4]) + (" …" if len(argv) > 4 else "")))
        return 0
    for name in argv:
        print(f"{name}: recorded {record(Path(name))} checked cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
