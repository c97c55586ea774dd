"""The README's two commands work as written, in a fresh clone, with only Python 3 and venv.

The commands are read from the README itself, so the test checks the text a learner copies. The
test environment only adds what a machine without a desktop needs: Jupyter's own folders in a
temporary place, no browser to open, and (when the tests run as root, as CI does) permission to
run as root. The test command runs one quick test instead of the whole suite, which is already
running around it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mailsec.retrieval.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"


def readme_commands() -> tuple[str, str]:
    """The two commands under '## Two commands': open the course, run the tests."""
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(
        r"Set up and (?:open the course|run all the tests):\n\n```sh\n(.+?)\n```", section
    )
    assert len(commands) == 2, f"expected two commands, found {commands}"
    return commands[0], commands[1]


def test_the_commands_use_python3_and_a_virtual_environment() -> None:
    for command in readme_commands():
        assert command.startswith("python3 -m venv .venv && "), command
        assert " python " not in f" {command} " and "pip install" in command
        assert ".venv/bin/python -m pip install" in command


def test_ci_runs_the_readmes_test_command_as_written() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert readme_commands()[1] in ci.splitlines()


def _environment(home: Path) -> dict[str, str]:
    config = home / "jupyter-config"
    config.mkdir(parents=True)
    server = {
        "ServerApp": {
            "open_browser": False,
            "allow_root": os.geteuid() == 0,
            # A port of its own, so a JupyterLab already on 8888 does not get in the way.
            "port": free_port(),
            "port_retries": 0,
        }
    }
    (config / "jupyter_server_config.json").write_text(json.dumps(server))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    return {
        **env,
        "JUPYTER_CONFIG_PATH": str(config),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "BROWSER": "true",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


class _Lines:
    """Collects a process's output lines in a thread, so reading never blocks the test."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.lines: list[str] = []
        self.found = threading.Event()
        self.url: str | None = None
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            self.lines.append(line)
            # The 127.0.0.1 address, not "localhost", which may resolve to ::1 first.
            match = re.search(r"(http://127\.0\.0\.1:\d+/lab\?token=\w+)", line)
            if match and self.url is None:
                self.url = match.group(1)
                self.found.set()
        self.found.set()  # the process ended


def _first_answer(url: str, printed: list[str]) -> str:
    """The page at ``url``. JupyterLab prints its address a moment before it listens there, so
    connecting is retried (the server's readiness is the condition; 60 s is a last guard)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as page:
                return page.read().decode("utf-8")
        except ConnectionRefusedError:
            pass
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError):
                raise
        if time.monotonic() > deadline:
            pytest.fail(
                f"JupyterLab at {url} never answered; it printed:\n" + "".join(printed[-40:])
            )
        time.sleep(0.1)


@pytest.mark.slow
def test_the_two_commands_work_as_written_in_a_fresh_clone(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout to clone")
    clone = tmp_path / "mailsec"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    env = _environment(tmp_path / "home")
    open_course, run_tests = readme_commands()

    course = subprocess.Popen(
        ["bash", "-c", open_course],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output = _Lines(course.stdout)
        assert output.found.wait(timeout=900), "JupyterLab did not start within 15 minutes"
        assert output.url, "the course command ended without serving:\n" + "".join(
            output.lines[-40:]
        )
        html = _first_answer(output.url, output.lines)
        config = json.loads(
            re.search(
                r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                html,
                re.S,
            ).group(1)  # type: ignore[union-attr]
        )
        assert ANNOUNCEMENTS in config["disabledExtensions"], config["disabledExtensions"]
    finally:
        os.killpg(course.pid, signal.SIGTERM)  # SIGINT would make JupyterLab ask to confirm
        try:
            course.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(course.pid, signal.SIGKILL)
            course.wait(timeout=30)

    quick = "tests/test_selfcheck.py::test_the_data_files_are_valid_json_named_after_their_chapter"
    tests = subprocess.run(
        ["bash", "-c", run_tests],
        cwd=clone,
        env={**env, "PYTEST_ADDOPTS": f"-p no:cacheprovider {quick}"},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert tests.returncode == 0, (tests.stdout + tests.stderr)[-3000:]
    assert "1 passed" in tests.stdout, tests.stdout[-2000:]
