"""Fixtures shared by test modules."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from openpgp_builders import T0
from pgp_tools import GPG, SQOP, Gpg, sqop

from mailsec import openpgp
from mailsec.labs.frame import Lab
from mailsec.pki import course_pki
from tests.alllabs import close_all_labs, make_all_labs


@pytest.fixture(scope="session")
def all_labs() -> Iterator[dict[str, Lab]]:
    """One of every lab the notebooks show, by name (the wire and OP25B labs' servers stop after)."""
    made = make_all_labs()
    yield made
    close_all_labs(made)


# -- OpenPGP messages (test_openpgp_messages_*.py): three keys made at openpgp_builders.T0 --


@pytest.fixture(scope="module")
def alice():
    return openpgp.generate_key("Alice <alice@example.org>", now=T0)


@pytest.fixture(scope="module")
def bob():
    return openpgp.generate_key("Bob <bob@example.org>", algorithm="rsa3072", now=T0)


@pytest.fixture(scope="module")
def carol():
    return openpgp.generate_key("Carol <carol@example.org>", now=T0)


# -- OpenPGP interoperability (test_pgp_interop_*.py): mailsec's keys, gpg and its keys, sqop's --


@pytest.fixture(scope="module")
def keys() -> dict[str, openpgp.SecretKey]:
    """mailsec's own keys, one per algorithm it generates."""
    return {
        "ed25519": openpgp.generate_key("Mailsec Ed <ed@mailsec.example>"),
        "rsa3072": openpgp.generate_key("Mailsec RSA <rsa@mailsec.example>", algorithm="rsa3072"),
    }


@pytest.fixture(scope="module")
def gpg(tmp_path_factory, keys):
    if GPG is None:
        pytest.skip("gpg (Debian package gnupg) is not installed")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    tool = Gpg(home)
    try:
        for key in keys.values():
            tool("--import", stdin=key.to_bytes())
        tool.keys = {  # type: ignore[attr-defined]
            "ed25519": tool.generate("ged@tool.example", "ed25519", "cv25519"),
            "rsa3072": tool.generate("grsa@tool.example", "rsa3072", "rsa3072"),
            "nistp256": tool.generate("gp256@tool.example", "nistp256", "nistp256"),
        }
        yield tool
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env=tool.env,
            capture_output=True,
            timeout=30,
            check=False,
        )


@pytest.fixture(scope="module")
def sq_key(tmp_path_factory) -> dict[str, object]:
    if SQOP is None:
        pytest.skip("sqop (Debian package sqop) is not installed")
    folder = tmp_path_factory.mktemp("sqop")
    key = sqop("generate-key", "Sequoia <sq@tool.example>").stdout
    (folder / "sq.key").write_bytes(key)
    (folder / "sq.cert").write_bytes(sqop("extract-cert", stdin=key).stdout)
    return {"folder": folder, "key": folder / "sq.key", "cert": folder / "sq.cert"}


# -- S/MIME messages (test_smime_signing, _enveloping, _parsing, _oracle): the course's PKI -------


@pytest.fixture(scope="module")
def pki():
    return course_pki()
