"""Release hygiene: licences, the version written once, the CI workflow and the contributor aids.

The version is ``mailsec.__version__``; ``pyproject.toml`` reads it, ``CITATION.cff`` and
``CHANGELOG.md`` name it. The GitHub Actions workflow passes actionlint (a broken one fails here)
and does what ``.ci/run`` does. The pre-commit hooks' own commands work.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib
import yaml

import mailsec

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
    "actionlint"
)


def test_the_code_is_mit_and_the_course_text_cc_by() -> None:
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License\n")
    content = (ROOT / "LICENSE-CONTENT").read_text("utf-8")
    assert "Creative Commons Attribution 4.0 International" in content
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in content
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT"
    assert set(project["license-files"]) == {"LICENSE", "LICENSE-CONTENT"}
    for readme in ("README.md", "README.ja.md"):
        text = (ROOT / readme).read_text("utf-8")
        assert "LICENSE-CONTENT" in text and "CC BY 4.0" in text, readme


def test_the_version_is_written_once() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "mailsec.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", mailsec.__version__)
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text("utf-8"))
    assert citation["version"] == mailsec.__version__
    assert citation["cff-version"] == "1.2.0" and citation["title"].startswith("mailsec")
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert f"## [{mailsec.__version__}]" in changelog


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    if ACTIONLINT is None:
        pytest.fail("actionlint is a test dependency (pip install -e '.[test]')")
    return subprocess.run(
        [ACTIONLINT, "-no-color", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def test_the_workflows_pass_actionlint() -> None:
    workflows = sorted(WORKFLOWS.glob("*.yml"))
    assert workflows
    found = _actionlint(*workflows)
    assert found.returncode == 0, found.stdout + found.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.nonexistent_context_property }}\n"
        "      - uses: actions/checkout@v5\n        with:\n          no-such-input: 1\n",
        "utf-8",
    )
    found = _actionlint(broken)
    assert found.returncode == 1
    assert "no-such-input" in found.stdout


def test_the_workflow_does_what_ci_run_does() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "ci.yml").read_text("utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(run.strip() == "bash .ci/run" for run in runs)
    uploads = [
        s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")
    ]
    assert uploads and uploads[0]["with"]["path"] == "artifacts/screenshots/"
    assert uploads[0]["if"] == "always()"


def test_the_pre_commit_hooks_commands_exist() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "notebooks-stripped", "checked-outputs-reminder"} <= set(
        hooks
    )
    for hook in hooks.values():
        if "entry" in hook:
            script = hook["entry"].split()[1]
            assert script == "-m" or (ROOT / script).is_file(), hook["id"]


def test_the_stripped_notebook_check_fails_on_outputs(tmp_path: Path) -> None:
    script = ROOT / "tests" / "nbexpected.py"
    notebook = tmp_path / "n.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(nb, notebook)
    clean = subprocess.run([sys.executable, script, "--check", notebook], capture_output=True)
    assert clean.returncode == 0
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
    nb.cells[0].execution_count = 1
    nbformat.write(nb, notebook)
    dirty = subprocess.run([sys.executable, script, "--check", notebook], capture_output=True)
    assert dirty.returncode == 1 and b"has outputs" in dirty.stdout


def test_contributing_names_the_commands_that_exist() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text("utf-8")
    for path in re.findall(r"(?:tests|mailsec|docs|notebooks)/[\w./*-]+\.(?:py|json|md)", text):
        if "*" not in path and "<" not in path and "NN" not in path:
            assert (ROOT / path).exists(), path
