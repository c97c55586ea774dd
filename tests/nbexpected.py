"""Record the expected outputs of notebook cells marked ``# NBVAL_CHECK_OUTPUT``.

Notebooks are committed with their outputs stripped. The cells whose output is deterministic carry
their expected output in the cell's metadata instead (``metadata.mailsec.expected_outputs``); the
top-level ``conftest.py`` hands it to nbval, which compares it with what the cell prints.

Usage (from the repository root)::

    python tests/nbexpected.py notebooks/03-spf.ipynb [more notebooks ...]

It runs each notebook top to bottom, stores the outputs of the marked cells in their metadata, and
writes the notebook back with every output stripped.
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


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/nbexpected.py NOTEBOOK.ipynb [...]")
    for name in sys.argv[1:]:
        print(f"{name}: recorded {record(Path(name))} checked cells")
