"""The web-of-trust model against GnuPG's own trust database, on the same graphs.

For every graph, real keys are made with gpg in a temporary GNUPGHOME, the certifications are made
with ``--quick-sign-key`` (revoked with ``--quick-revoke-sig``), revoked keys get their revocation
certificate imported, owner trust is set with ``--import-ownertrust``, and then
``gpg --check-trustdb --trust-model classic`` computes validity. Field 2 of each ``pub`` line of
``--list-keys --with-colons`` must equal :attr:`Validity.gpg_letter` from our model.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsec.errors import InputError
from mailsec.openpgp.trust import (
    POLICY_LIMITS,
    OwnerTrust,
    TrustPolicy,
    Validity,
    WebOfTrust,
    evaluate,
)

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        shutil.which("gpg") is None, reason="gpg is not installed (Debian package gnupg)"
    ),
]

NAMES = ("You", "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace")


def _gpg(home: Path, *args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(home),
            "--batch",
            "--yes",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            *args,
        ],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"gpg {' '.join(args)} failed:\n{result.stderr.decode()}")
    return result.stdout.decode()


def _ago(seconds: int) -> str:
    """A --faked-system-time value: keys (2 h ago), certifications (1.5 h), their revocations,
    then expiry (the keys expire 4000 s ago); key revocations are imported now."""
    return f"{int(time.time()) - seconds}!"


def _kill_agent(home: Path) -> None:
    subprocess.run(
        ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
        capture_output=True,
        timeout=30,
        check=False,
    )


@pytest.fixture(scope="module")
def base_home() -> Iterator[tuple[Path, dict[str, str]]]:
    """A GNUPGHOME with one fresh Ed25519 key per name; yields it and name -> fingerprint."""
    root = Path(tempfile.mkdtemp(prefix="wot", dir="/tmp"))  # short path for agent sockets
    home = root / "base"
    home.mkdir(mode=0o700)
    try:
        for name in NAMES:
            _gpg(
                home,
                "--faked-system-time",
                _ago(7200),
                "--quick-gen-key",
                f"{name} <{name.lower()}@example.org>",
                "ed25519",
                "cert",
                "0",
            )
        fingerprints: dict[str, str] = {}
        current = None
        for line in _gpg(home, "--list-keys", "--with-colons").splitlines():
            fields = line.split(":")
            if fields[0] == "pub":
                current = None
            elif fields[0] == "fpr" and current is None:
                current = fields[9]
            elif fields[0] == "uid" and current is not None:
                fingerprints[fields[9].split()[0]] = current
        assert sorted(fingerprints) == sorted(NAMES)
        _kill_agent(home)
        yield home, fingerprints
    finally:
        _kill_agent(home)
        shutil.rmtree(root, ignore_errors=True)


def gnupg_validity(
    base: tuple[Path, dict[str, str]], web: WebOfTrust, policy: TrustPolicy
) -> dict[str, Validity]:
    """Build ``web`` in a copy of the base keyring and return gpg's validity for every key."""
    base_dir, fpr = base
    home = base_dir.parent / f"h{random.SystemRandom().randrange(10**9)}"
    shutil.copytree(base_dir, home, ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
    try:
        for cert in web.certifications:
            _gpg(
                home,
                "--faked-system-time",
                _ago(5400),
                "-u",
                fpr[cert.signer],
                "--quick-sign-key",
                fpr[cert.signee],
            )
        for cert in web.certifications:
            if cert.revoked:  # before any key expires: an expired key cannot sign any more
                _gpg(
                    home,
                    "--faked-system-time",
                    _ago(5200),
                    "--quick-revoke-sig",
                    fpr[cert.signee],
                    fpr[cert.signer],
                )
        for key in web.keys:
            if key.expired:  # made to expire 4000 s ago, after its certifications were made
                _gpg(
                    home,
                    "--faked-system-time",
                    _ago(5000),
                    "--quick-set-expire",
                    fpr[key.name],
                    "seconds=1000",
                )
        for key in web.keys:
            if key.revoked:
                rev = (home / "openpgp-revocs.d" / f"{fpr[key.name]}.rev").read_text()
                # gpg stores the certificate with its armor line "disarmed" by a leading colon.
                armored = rev.replace(
                    ":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----"
                )
                _gpg(home, "--import", stdin=armored.encode())
        # gpg makes every key it generates ultimately trusted: give every key its level.
        levels = {name: OwnerTrust.UNKNOWN.gpg_level for name in fpr}
        levels.update({k.name: k.owner_trust.gpg_level for k in web.keys})
        ownertrust = "".join(f"{fpr[name]}:{level}:\n" for name, level in levels.items())
        _gpg(home, "--import-ownertrust", stdin=ownertrust.encode())
        options = (
            "--trust-model",
            "classic",
            "--completes-needed",
            str(policy.completes_needed),
            "--marginals-needed",
            str(policy.marginals_needed),
            "--max-cert-depth",
            str(policy.max_cert_depth),
        )
        _gpg(home, *options, "--check-trustdb")
        by_fpr = {v: k for k, v in fpr.items()}
        result: dict[str, Validity] = {}
        current = None
        for line in _gpg(home, *options, "--list-keys", "--with-colons").splitlines():
            fields = line.split(":")
            if fields[0] == "pub":
                current = fields[1]
            elif fields[0] == "fpr" and current is not None:
                if by_fpr.get(fields[9]) in web.names:
                    result[by_fpr[fields[9]]] = Validity.from_gpg_letter(current)
                current = None
        return result
    finally:
        _kill_agent(home)
        shutil.rmtree(home, ignore_errors=True)


def _model(web: WebOfTrust, policy: TrustPolicy) -> dict[str, Validity]:
    return {k.name: k.validity for k in evaluate(web, policy).keys}


def test_chapter_example_agrees_with_gnupg(base_home: tuple[Path, dict[str, str]]) -> None:
    """Three marginals from different path lengths add up (counts accumulate across rounds)."""
    web = WebOfTrust.build(
        {
            "You": "ultimate",
            "Alice": "full",
            "Bob": "marginal",
            "Carol": "marginal",
            "Dave": "marginal",
            "Erin": "unknown",
        },
        [
            ("You", "Alice"),
            ("You", "Bob"),
            ("You", "Carol"),
            ("Alice", "Dave"),
            ("Bob", "Erin"),
            ("Carol", "Erin"),
            ("Dave", "Erin"),
        ],
    )
    policy = TrustPolicy()
    model = _model(web, policy)
    assert model["Erin"] is Validity.FULL
    assert gnupg_validity(base_home, web, policy) == model


def test_marginal_key_does_not_introduce_in_gnupg(base_home: tuple[Path, dict[str, str]]) -> None:
    """A marginally valid key's certification counts for nothing, even with full owner trust."""
    web = WebOfTrust.build(
        {"You": "ultimate", "Alice": "marginal", "Bob": "full", "Carol": "unknown"},
        [("You", "Alice"), ("Alice", "Bob"), ("Bob", "Carol")],
    )
    policy = TrustPolicy()
    model = _model(web, policy)
    assert model == {
        "You": Validity.ULTIMATE,
        "Alice": Validity.FULL,
        "Bob": Validity.MARGINAL,
        "Carol": Validity.UNKNOWN,
    }
    assert gnupg_validity(base_home, web, policy) == model


def test_revocations_agree_with_gnupg(base_home: tuple[Path, dict[str, str]]) -> None:
    """RFC 4880 §5.2.1: a revoked key (0x20) and a revoked certification (0x30) stop counting."""
    web = (
        WebOfTrust.build(
            {
                "You": "ultimate",
                "Alice": "full",
                "Bob": "full",
                "Carol": "unknown",
                "Dave": "unknown",
            },
            [("You", "Alice"), ("You", "Bob"), ("Alice", "Carol"), ("Bob", "Dave")],
        )
        .with_key_revoked("Alice")
        .with_certification_revoked("Bob", "Dave")
    )
    policy = TrustPolicy()
    model = _model(web, policy)
    assert model == {
        "You": Validity.ULTIMATE,
        "Alice": Validity.REVOKED,
        "Bob": Validity.FULL,
        "Carol": Validity.UNKNOWN,
        "Dave": Validity.UNKNOWN,
    }
    assert gnupg_validity(base_home, web, policy) == model


def test_expiry_agrees_with_gnupg(base_home: tuple[Path, dict[str, str]]) -> None:
    """RFC 4880 §5.2.3.6: an expired key is not valid and its certifications stop counting."""
    web = (
        WebOfTrust.build(
            {
                "You": "ultimate",
                "Alice": "full",
                "Bob": "unknown",
                "Carol": "full",
                "Dave": "unknown",
            },
            [("You", "Alice"), ("Alice", "Bob"), ("You", "Carol"), ("Carol", "Dave")],
        )
        .with_key_expired("Alice")
        .with_key_expired("Dave")
    )
    policy = TrustPolicy()
    model = _model(web, policy)
    assert model == {
        "You": Validity.ULTIMATE,
        "Alice": Validity.EXPIRED,
        "Bob": Validity.UNKNOWN,
        "Carol": Validity.FULL,
        "Dave": Validity.EXPIRED,
    }
    assert gnupg_validity(base_home, web, policy) == model


def _random_web(rng: random.Random) -> tuple[WebOfTrust, TrustPolicy]:
    count = rng.randint(4, len(NAMES))
    names = NAMES[:count]
    levels = [OwnerTrust.UNKNOWN, OwnerTrust.NEVER, OwnerTrust.MARGINAL, OwnerTrust.FULL]
    trust = {n: rng.choice(levels) for n in names[1:]}
    web = WebOfTrust.build({"You": OwnerTrust.ULTIMATE, **trust})
    pairs = [(a, b) for a in names for b in names if a != b and b != "You"]
    for signer, signee in rng.sample(pairs, k=min(len(pairs), rng.randint(count, 2 * count + 2))):
        web = web.with_certification(signer, signee)
        if rng.random() < 0.1:
            web = web.with_certification_revoked(signer, signee)
    for name in names[1:]:
        if rng.random() < 0.08:
            web = web.with_key_revoked(name)
        if rng.random() < 0.08:
            web = web.with_key_expired(name)
    # A second key of your own now and then (GnuPG: several ultimately trusted keys), and now and
    # then your own key revoked.
    others = [k.name for k in web.keys if k.name != "You"]
    if others and rng.random() < 0.3:
        web = web.with_owner_trust(rng.choice(others), OwnerTrust.ULTIMATE)
    if rng.random() < 0.1:
        web = web.with_key_revoked("You")
    policy = TrustPolicy(
        completes_needed=rng.choice((1, 1, 2)),
        marginals_needed=rng.choice((2, 3, 3)),
        max_cert_depth=rng.choice((1, 2, 3, 5)),
    )
    return web, policy


@pytest.mark.parametrize("seed", range(24))
def test_random_graphs_agree_with_gnupg(seed: int, base_home: tuple[Path, dict[str, str]]) -> None:
    web, policy = _random_web(random.Random(seed))
    assert gnupg_validity(base_home, web, policy) == _model(web, policy), (web, policy)


def test_policy_limits_are_gnupgs(tmp_path: Path) -> None:
    """gpg runs with each number at the model's limits and refuses one step beyond them."""
    home = tmp_path / "h"
    home.mkdir(mode=0o700)

    def gpg_accepts(option: str, value: int) -> bool:
        result = subprocess.run(
            [
                "gpg",
                "--homedir",
                str(home),
                "--batch",
                "--no-tty",
                "--trust-model",
                "classic",
                option,
                str(value),
                "--check-trustdb",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        return result.returncode == 0

    for name, limit in POLICY_LIMITS.items():
        for value in (limit.low, limit.high):
            TrustPolicy(**{name: value})
            assert gpg_accepts(limit.option, value), (name, value)
        for value in (limit.low - 1, limit.high + 1):
            with pytest.raises(InputError):
                TrustPolicy(**{name: value})
            assert not gpg_accepts(limit.option, value), (name, value)


def test_large_numbers_agree_with_gnupg(base_home: tuple[Path, dict[str, str]]) -> None:
    """Numbers the lab once refused (above 9) are GnuPG's to use, and GnuPG agrees with the model.

    258 marginals do not fit the byte of the trust database's version record (GnuPG tdbio.c);
    gpg computes with the option's value, not the stored byte, so Erin's two marginals stay two.
    """
    web = WebOfTrust.build(
        {
            "You": "ultimate",
            "Alice": "full",
            "Bob": "marginal",
            "Carol": "marginal",
            "Erin": "unknown",
        },
        [("You", "Alice"), ("You", "Bob"), ("You", "Carol"), ("Bob", "Erin"), ("Carol", "Erin")],
    )
    web = web.with_key("Dave", "full").with_certification("Alice", "Dave")
    web = web.with_certification("Dave", "Erin")
    for policy in (
        TrustPolicy(completes_needed=2, marginals_needed=258, max_cert_depth=255),
        TrustPolicy(completes_needed=12, marginals_needed=2, max_cert_depth=200),
    ):
        assert gnupg_validity(base_home, web, policy) == _model(web, policy), policy
