"""The type checker over the package: ``python -m mypy`` with the ``[tool.mypy]`` section of
``pyproject.toml`` (the whole of ``mailsec/``, as Python 3.10) reports no error, and the same
configuration does catch a module whose types are wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A cold run over the package takes about half a minute on two cores; a run with mypy's cache
# (.mypy_cache/, which mypy keeps out of git itself) a few seconds.
TIMEOUT = 900


def _mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.mark.slow
def test_mypy_finds_no_error_in_the_package() -> None:
    run = _mypy(cwd=ROOT)
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"mypy reported errors:\n{output}"
    assert "Success: no issues found" in run.stdout, output


WRONG = """\
def shout(name: str | None) -> str:
    return name.upper()


def count(text: str) -> int:
    return text
"""


@pytest.mark.slow
def test_mypy_with_the_project_settings_fails_on_a_wrong_module(tmp_path: Path) -> None:
    module = tmp_path / "wrong.py"
    module.write_text(WRONG, "utf-8")
    run = _mypy(
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(tmp_path / "cache"),
        str(module),
        cwd=tmp_path,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "wrong.py:2: error:" in output and "[union-attr]" in output
    assert "wrong.py:6: error:" in output and "[return-value]" in output
    assert "Found 2 errors in 1 file" in output
