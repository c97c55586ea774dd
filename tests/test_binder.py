"""The Binder environment (binder/) installs the package and everything the notebooks import.

repo2docker itself needs Docker, which CI does not have; this test does what it does with the
Python environment: a fresh virtual environment, ``pip install -r binder/requirements.txt`` from the
repository root, then every import statement of every notebook.

``binder/requirements.txt`` installs ``binder/requirements.lock`` (every package pinned, made by
pip-tools from ``pyproject.toml``) and the package itself: the lock must satisfy every range
``pyproject.toml`` asks for, and the fresh environment must hold exactly the lock's versions.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def notebook_imports() -> list[str]:
    """Every top-level import statement in the notebooks' code cells, as source lines."""
    found: set[str] = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(
                line for line in cell.source.splitlines() if not line.startswith(("%", "!"))
            )
            for node in ast.parse(source).body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    found.add(ast.unparse(node))
    return sorted(found)


def test_binder_files_are_the_ones_repo2docker_reads() -> None:
    assert (BINDER / "requirements.txt").exists()
    assert (BINDER / "runtime.txt").read_text().strip().startswith("python-3.")
    lines = [
        line.strip()
        for line in (BINDER / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "." in lines, "binder/requirements.txt must install this package ('.')"
    assert "-r requirements.lock" in lines, "binder/requirements.txt must install the lock"


def lock() -> dict[str, str]:
    """``binder/requirements.lock`` as {canonical name: pinned version}; every line pinned."""
    pins: dict[str, str] = {}
    for line in (BINDER / "requirements.lock").read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"the lock pins every package: {line!r}"
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def project_requirements() -> list[Requirement]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return [Requirement(r) for r in project["dependencies"]]


def test_the_lock_satisfies_every_range_of_the_project() -> None:
    pins = lock()
    assert len(pins) > 50
    for requirement in project_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in binder/requirements.lock: refresh it"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"the lock pins {name}=={pins[name]}, outside {requirement}: refresh it"
        )


def test_the_lock_check_catches_a_range_the_lock_misses() -> None:
    pins = lock()
    assert not Requirement("cryptography>=999").specifier.contains(pins["cryptography"])


def test_notebooks_import_only_the_package_and_the_standard_library() -> None:
    allowed = {
        "mailsec",
        "ipywidgets",
        "IPython",
        "cryptography",
        "dns",
        "email",
        "imaplib",
        "poplib",
        "smtplib",
    }
    stdlib = set(sys.stdlib_module_names)
    for line in notebook_imports():
        top = ast.parse(line).body[0]
        names = [a.name for a in top.names] if isinstance(top, ast.Import) else [top.module or ""]
        for name in names:
            root = name.split(".")[0]
            assert root in allowed or root in stdlib, (
                f"notebooks import {root!r}, which binder does not promise"
            )


@pytest.mark.slow
def test_fresh_environment_from_binder_requirements_runs_the_notebook_imports(
    tmp_path: Path,
) -> None:
    env_dir = tmp_path / "binder-env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(BINDER / "requirements.txt")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    frozen = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(frozen.stdout)}
    assert installed.pop("mailsec") == __import__("mailsec").__version__
    different = {n: (v, installed.get(n)) for n, v in lock().items() if installed.get(n) != v}
    assert different == {}, "installed versions differ from the lock"
    script = "\n".join(notebook_imports()) + "\nimport mailsec, jupyterlab, ipywidgets\nprint('ok')"
    check = subprocess.run(
        [str(python), "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0, check.stderr[-3000:]
    assert check.stdout.strip().endswith("ok")
    # JupyterLab's news pop-up would cover the labs: the environment turns it off.
    page_config = subprocess.run(
        [
            str(python),
            "-c",
            "import json; from jupyterlab_server.config import get_static_page_config; "
            "print(json.dumps(get_static_page_config()))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")},
    )
    disabled = json.loads(page_config.stdout)["disabledExtensions"]
    assert disabled.get("@jupyterlab/apputils-extension:announcements") is True
