"""The web of trust built with real keys, and GnuPG's validity next to the model's (not a widget).

:func:`gnupg_trust_check` builds a :class:`~mailsec.openpgp.trust.WebOfTrust` in a temporary
GNUPGHOME and lets ``gpg --check-trustdb`` compute every key's validity; the chapter's trust lab
asks it through :meth:`~mailsec.labs.pgp.trust.TrustLab.ask_gnupg`, and
:func:`mailsec.render.openpgp.gnupg_trust_html` shows the result. If gpg fails, the result says
so and agrees with nothing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from mailsec.i18n import texts
from mailsec.labs.pgp.gnupg import (
    GPG_ERROR_KEYWORDS,
    GpgFailed,
    GpgHome,
    GpgRun,
    find_gpg,
    gpg_missing,
)
from mailsec.openpgp.trust import (
    TrustPolicy,
    TrustResult,
    Validity,
    WebOfTrust,
    evaluate,
)
from mailsec.openpgp.trust.graph import gnupg_model
from mailsec.trace import Outcome, Step, Trace

__all__ = ["TRUST_CHECK_WORDS", "GnupgTrustCheck", "gnupg_trust_check"]

#: What the GnuPG check says about its outcome, in one place (looked up in the current language).
TRUST_CHECK_WORDS: Mapping[str, str] = texts(
    {
        "same": "GnuPG computes the same validity for every key.",
        "different": "GnuPG disagrees with the model for: {names}.",
        "missing": "GnuPG listed no validity for: {names}.",
        "failed": "gpg stopped with an error (exit status {returncode}{status}), so GnuPG "
        "computed nothing to compare with the model: {command}",
        "status": ", status {keywords}",
        "stale": "gpg's trust database was not brought up to date with these rules (its 'tru' "
        "record says {flags!r}), so its validity cannot be compared with the model's.",
        "no_keys": "The graph has no keys, so there is nothing to compare.",
    }
)

#: Every command of the check: no questions, and keys made without a passphrase.
_OPTIONS = ("--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "")


@dataclass(frozen=True)
class GnupgTrustCheck:
    """The same web of trust computed by GnuPG with real keys, next to the model's answer."""

    available: bool
    version: str = ""
    rows: tuple[tuple[str, Validity, Validity | None], ...] = ()
    """(key, the model's validity, GnuPG's validity) for every key; empty when gpg failed."""
    commands: tuple[str, ...] = ()
    steps: Trace = ()
    failure: GpgRun | None = None
    """The gpg command that failed, with its exit status and what it said, if one did."""

    @property
    def agree(self) -> bool:
        """GnuPG ran without an error and gave every key the model's validity."""
        return (
            self.available
            and self.failure is None
            and bool(self.rows)
            and all(gnupg is not None and model is gnupg for _name, model, gnupg in self.rows)
        )


def gnupg_trust_check(
    web: WebOfTrust,
    policy: TrustPolicy | None = None,
    *,
    gpg: str | None = None,
    timeout: float = 60.0,
) -> GnupgTrustCheck:
    """Build ``web`` with real keys in a temporary GNUPGHOME and let GnuPG compute validity.

    One Ed25519 key per person (``gpg --quick-gen-key``), one ``--quick-sign-key`` per
    certification, ``--quick-revoke-sig`` and the stored revocation certificate for revocations,
    owner trust with ``--import-ownertrust``, then ``gpg --check-trustdb --trust-model classic``
    with the policy's three numbers, and the validity letters of ``--list-keys --with-colons``.
    Keys, certifications, their revocations and expiry are dated in that order one to two hours
    back, so each revocation is newer than what it revokes and expired keys expired before now.

    Success is read from what gpg says for programs, never from its messages to people (which
    are translated): its exit status, the ERROR and FAILURE lines of ``--status-fd``, and the
    ``tru`` record of ``--with-colons``, which says whether the trust database is up to date. If
    any command fails, the result carries it in ``failure``, has no rows, and does not agree.
    """
    policy = policy or TrustPolicy()
    model = evaluate(web, policy)
    binary = find_gpg(gpg)
    if not binary:
        return GnupgTrustCheck(False, steps=(gpg_missing("check"),))
    now = int(time.time())
    version = ""
    with GpgHome(
        binary, prefix="mailsec-wot-", options=_OPTIONS, timeout=timeout, stop_on_failure=True
    ) as home:
        try:
            version = home.version()
            if not web.keys:
                return GnupgTrustCheck(
                    True, version, (), home.commands, (Step(TRUST_CHECK_WORDS["no_keys"]),)
                )
            fingerprints = _make_keys(home, web, now)
            _certify(home, web, fingerprints, now)
            _revoke_and_expire(home, web, fingerprints, now)
            _set_owner_trust(home, web, fingerprints)
            letters, stale = _gnupg_validity(home, policy, fingerprints)
        except GpgFailed as failed:
            return _failed(version, home.commands, failed.run)
        if stale:
            verdict = Step(TRUST_CHECK_WORDS["stale"].format(flags=stale), Outcome.FAIL)
            return GnupgTrustCheck(True, version, (), home.commands, (verdict,))
        return _compared(model, letters, version, home.commands)


# -- the steps, in the order the check runs them ---------------------------------------------------


def _make_keys(home: GpgHome, web: WebOfTrust, now: int) -> dict[str, str]:
    """One key per person, two hours back; each person's name → their key's fingerprint."""
    uids = {
        key.name: f"{key.name} <{key.name.lower().replace(' ', '.')}@example.org>"
        for key in web.keys
    }
    for uid in uids.values():
        home.run("--quick-gen-key", uid, "ed25519", "cert", "0", when=now - 7200)
    fingerprints: dict[str, str] = {}
    current: str | None = None
    by_uid = {uid: name for name, uid in uids.items()}
    for line in home.text("--list-keys", "--with-colons").splitlines():
        fields = line.split(":")
        if fields[0] == "pub":
            current = None
        elif fields[0] == "fpr" and current is None:
            current = fields[9]
        elif fields[0] == "uid" and current is not None and fields[9] in by_uid:
            fingerprints[by_uid[fields[9]]] = current
    return fingerprints


def _certify(home: GpgHome, web: WebOfTrust, fingerprints: Mapping[str, str], now: int) -> None:
    """Every certification, an hour and a half back."""
    for cert in web.certifications:
        home.run(
            "-u",
            fingerprints[cert.signer],
            "--quick-sign-key",
            fingerprints[cert.signee],
            when=now - 5400,
        )


def _revoke_and_expire(
    home: GpgHome, web: WebOfTrust, fingerprints: Mapping[str, str], now: int
) -> None:
    """Revoked certifications, then expired keys, then revoked keys, each newer than before."""
    for cert in web.certifications:
        if cert.revoked:  # before any key expires: an expired key cannot sign any more
            home.run(
                "--quick-revoke-sig",
                fingerprints[cert.signee],
                fingerprints[cert.signer],
                when=now - 5200,
            )
    for key in web.keys:
        if key.expired:  # it expired 4000 s ago, after its certifications were made
            home.run("--quick-set-expire", fingerprints[key.name], "seconds=1000", when=now - 5000)
    for key in web.keys:
        if key.revoked:
            stored = (home.path / "openpgp-revocs.d" / f"{fingerprints[key.name]}.rev").read_text()
            # gpg stores the revocation certificate "disarmed" by a colon before the armor line.
            home.run("--import", stdin=stored.replace(":-----BEGIN", "-----BEGIN").encode())


def _set_owner_trust(home: GpgHome, web: WebOfTrust, fingerprints: Mapping[str, str]) -> None:
    """Your owner trust in every key, as ``gpg --export-ownertrust`` would write it."""
    ownertrust = "".join(f"{fingerprints[k.name]}:{k.owner_trust.gpg_level}:\n" for k in web.keys)
    home.run("--import-ownertrust", stdin=ownertrust.encode())


def _gnupg_validity(
    home: GpgHome, policy: TrustPolicy, fingerprints: Mapping[str, str]
) -> tuple[dict[str, str], str]:
    """``gpg --check-trustdb`` under ``policy``, then each key's validity letter by name, and
    the flags of the ``tru`` record that say the trust database is out of date ("" if not)."""
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
    home.run(*options, "--check-trustdb")
    letters: dict[str, str] = {}
    stale = ""
    current = None
    by_fpr = {fpr: name for name, fpr in fingerprints.items()}
    for line in home.text(*options, "--list-keys", "--with-colons").splitlines():
        fields = line.split(":")
        if fields[0] == "tru":
            # Field 2: "o" the trust database is out of date, "t" it was built with another
            # trust model (GnuPG doc/DETAILS). "m" (other numbers) is left out: the database
            # keeps each number in one byte, so numbers above 255 always differ from it.
            stale = "".join(flag for flag in fields[1] if flag in "ot")
        elif fields[0] == "pub":
            current = fields[1]
        elif fields[0] == "fpr" and current is not None:
            if fields[9] in by_fpr:
                letters[by_fpr[fields[9]]] = current
            current = None
    return letters, stale


def _compared(
    model: TrustResult, letters: Mapping[str, str], version: str, commands: tuple[str, ...]
) -> GnupgTrustCheck:
    """The model's validity and GnuPG's side by side, with the verdict."""
    rows = tuple(
        (
            k.name,
            k.validity,
            Validity.from_gpg_letter(letters[k.name]) if k.name in letters else None,
        )
        for k in model.keys
    )
    check = GnupgTrustCheck(True, version, rows, commands)
    missing = [n for n, _m, g in rows if g is None]
    different = [n for n, m, g in rows if g is not None and m is not g]
    verdicts = []
    if different:
        verdicts.append(TRUST_CHECK_WORDS["different"].format(names=", ".join(different)))
    if missing:
        verdicts.append(TRUST_CHECK_WORDS["missing"].format(names=", ".join(missing)))
    verdict = " ".join(verdicts) if verdicts else TRUST_CHECK_WORDS["same"]
    step = Step(verdict, Outcome.OK if check.agree else Outcome.FAIL, gnupg_model())
    return GnupgTrustCheck(True, version, rows, commands, (step,))


def _failed(version: str, commands: tuple[str, ...], run: GpgRun) -> GnupgTrustCheck:
    """The check stopped at the gpg command ``run``: say how, and compare nothing."""
    keywords = sorted({line[0] for line in run.status if line[0] in GPG_ERROR_KEYWORDS})
    verdict = TRUST_CHECK_WORDS["failed"].format(
        returncode=run.returncode,
        status=TRUST_CHECK_WORDS["status"].format(keywords=" ".join(keywords)) if keywords else "",
        command=run.command,
    )
    return GnupgTrustCheck(True, version, (), commands, (Step(verdict, Outcome.FAIL),), failure=run)
