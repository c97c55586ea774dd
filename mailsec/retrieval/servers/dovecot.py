"""Dovecot, the reference server: a private one over a Maildir, for side-by-side comparison.

:class:`DovecotServers` has the interface of :class:`~mailsec.retrieval.servers.shells.MailServers`
(``host``, ``pop3_port``, ``imap_port``, a context manager); the comparison tests and the
benchmark run the same clients against both. Given a certificate and key it speaks TLS too
(STLS, STARTTLS, and POP3S and IMAPS on ``pop3s_port`` and ``imaps_port``), with ``ssl =
required`` when ``require_tls`` is set. With ``apop=True`` it also accepts APOP (RFC 1939 §7):
``auth_mechanisms`` gains ``apop``, which the passwd-file's plaintext password makes possible,
and each greeting then ends with the timestamp banner.

Dovecot 2.3 counts a connection whose two ends have the same address as secure, whatever its
settings say ("localhost connections are always secured" in its login code): from 127.0.0.1 to
127.0.0.1 it allows a plaintext login even with ``ssl = required`` and never shows
LOGINDISABLED. The course's servers count no address as secure, so a comparison of refusals
connects to Dovecot from :data:`INSECURE_CLIENT`, another loopback address.
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections.abc import Iterable
from pathlib import Path

from mailsec.errors import InputError, NotAvailable
from mailsec.retrieval.servers.rules import free_port

__all__ = ["INSECURE_CLIENT", "DovecotServers"]


DOVECOT = "/usr/sbin/dovecot"
"""Where Debian's dovecot-core puts the server, which is not on an ordinary user's PATH."""
NOBODY = 65534
"""The user and group ``nobody``, which reads the mail when Dovecot is started as root."""
INTERNAL_USER = "dovecot"
"""Dovecot's ``default_internal_user`` as root (Debian creates it): its auth process runs as it."""
INSECURE_CLIENT = "127.0.0.2"
"""A client address Dovecot does not count as secure (the whole of 127/8 is loopback)."""


def _find_dovecot() -> str | None:
    return shutil.which("dovecot") or (DOVECOT if Path(DOVECOT).exists() else None)


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _hand_to_mail_user(maildir: Path) -> tuple[int, int, str]:
    """The user and group that read the mail, and the settings that say so.

    As root, the Maildir (and its parent) are handed to ``nobody``: Dovecot refuses mail access
    as root. Without root, every Dovecot process runs as this user, and its sockets belong to
    this user's group (checked as the user nobody with Dovecot 2.3.19).
    """
    if os.geteuid() == 0:
        # Only ever the private copy in the temporary folder (see DovecotServers.start); a link
        # inside it is changed itself, never what it points to.
        for root, dirs, files in os.walk(maildir):
            for name in [*dirs, *files]:
                os.chown(os.path.join(root, name), NOBODY, NOBODY, follow_symlinks=False)
        os.chown(maildir, NOBODY, NOBODY)
        os.chown(maildir.parent, NOBODY, NOBODY)
        return NOBODY, NOBODY, ""
    import grp

    uid, gid = os.getuid(), os.getgid()
    me, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
    users = (
        f"default_internal_user = {me}\ndefault_login_user = {me}\n"
        f"default_internal_group = {group}\n"
        "service imap-login {\n  chroot =\n}\nservice pop3-login {\n  chroot =\n}\n"
    )
    return uid, gid, users


def _quota_settings(quota: int | None) -> str:
    """The quota plugin with a "User quota" root of ``quota`` bytes (in whole KiB, at least 1)."""
    if quota is None:
        return ""
    return (
        "mail_plugins = quota\nprotocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n"
        f"plugin {{\n  quota = maildir:User quota\n  quota_rule = *:storage={max(quota // 1024, 1)}K\n}}\n"
    )


def _tls_settings(tls: tuple[Path, Path] | None, *, require: bool) -> str:
    """The ``ssl`` settings: off, or the certificate and key with TLS 1.2 or later, required
    before any login when ``require`` (``ssl = required`` implies no plaintext login)."""
    if tls is None:
        return "ssl = no\ndisable_plaintext_auth = no\n"
    cert, key = tls
    return (
        f"ssl = {'required' if require else 'yes'}\n"
        f"disable_plaintext_auth = {'yes' if require else 'no'}\n"
        f"ssl_cert = <{cert}\nssl_key = <{key}\nssl_min_protocol = TLSv1.2\n"
    )


def _configuration(
    work: Path,
    *,
    passwd: Path,
    maildir: Path,
    ports: dict[str, int],
    tls: str,
    extra: str,
    mechanisms: str = "plain login",
) -> str:
    """dovecot.conf: POP3 and IMAP on 127.0.0.1 only (``ports`` by listener name; port 0 turns
    a listener off), everything kept in ``work``."""
    return f"""
base_dir = {work}/run
state_dir = {work}/state
instance_name = mailsec-{ports["pop3"]}
protocols = imap pop3
listen = 127.0.0.1
log_path = {work}/dovecot.log
# Replies are compared, not their timing: no 2-second wait after each wrong password.
auth_failure_delay = 0
{tls}auth_mechanisms = {mechanisms}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}
mail_location = maildir:{maildir}
pop3_lock_session = yes
pop3_uidl_format = %08Xu%08Xv
{extra}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {ports["imap"]}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ports["imaps"]}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {ports["pop3"]}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {ports["pop3s"]}
  }}
}}
service anvil {{
  chroot =
}}
"""


#: Seconds Dovecot's master gets to finish a SIGTERM before it and its children are killed.
STOP_GRACE = 0.5


def _wait_for_exit(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` has ended within ``seconds`` (polled: it is not our child, so a
    zombie waiting for its parent to reap it counts as ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (ProcessLookupError, FileNotFoundError):
            return True
        except (OSError, IndexError):
            state = ""
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


class DovecotServers:
    """A private Dovecot (POP3 + IMAP) over a Maildir on 127.0.0.1, for comparison.

    It has its own configuration, ``base_dir`` and passwd-file in a temporary folder and never
    touches the system's Dovecot. The POP3 maildrop lock is switched on (``pop3_lock_session``),
    as RFC 1939 §8 asks; the quota, when given, is the "User quota" root of the quota plugin.
    When run as root, mail is accessed as the unprivileged user ``nobody`` (Dovecot refuses mail
    access as root): a Maildir given by the caller is then served from a private copy handed to
    that user, so nothing of the caller's changes owner. The passwd-file, which holds the
    password, is readable by its owner only.

    ``tls_certificate`` and ``tls_key`` (PEM files, copied into the private folder) switch TLS
    on: STLS and STARTTLS, and POP3S and IMAPS on two more free ports; ``require_tls`` sets
    ``ssl = required``. ``apop`` adds the APOP mechanism (Dovecot leaves it off by default):
    the greeting then carries a timestamp banner and ``APOP name digest`` logs in.
    """

    def __init__(
        self,
        maildir: str | os.PathLike[str] | None = None,
        *,
        user: str,
        password: str,
        quota: int | None = None,
        messages: Iterable[bytes] = (),
        binary: str | None = None,
        tls_certificate: str | os.PathLike[str] | None = None,
        tls_key: str | os.PathLike[str] | None = None,
        require_tls: bool = False,
        apop: bool = False,
    ) -> None:
        if (tls_certificate is None) != (tls_key is None):
            raise InputError("Give Dovecot both a certificate and its key, or neither.")
        self._maildir = Path(maildir) if maildir is not None else None
        self.maildir = self._maildir or Path()
        self.user = user
        self.password = password
        self.quota = quota
        self.messages = tuple(messages)
        self.host = "127.0.0.1"
        self.binary = binary or _find_dovecot()
        self.pop3_port = 0
        self.imap_port = 0
        self.pop3s_port: int | None = None
        self.imaps_port: int | None = None
        self.tls_files = (
            None if tls_certificate is None else (Path(tls_certificate), Path(tls_key or ""))
        )
        self.require_tls = require_tls
        self.apop = apop
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._finalizer: weakref.finalize | None = None

    def __enter__(self) -> DovecotServers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def available() -> bool:
        """Whether a Dovecot to start is installed."""
        return _find_dovecot() is not None

    def start(self) -> DovecotServers:
        """Fill the Maildir, write the configuration and start Dovecot on two free ports."""
        if self.binary is None:
            raise NotAvailable(
                "Dovecot is not installed: install the Debian packages dovecot-imapd and dovecot-pop3d."
            )
        self._workdir = tempfile.TemporaryDirectory(prefix="mailsec-dovecot-")
        work = Path(self._workdir.name)
        os.chmod(work, 0o755)
        # Without a Maildir of its own it serves one inside its temporary folder, which the
        # unprivileged mail user can reach (a folder under a private /tmp tree would not do).
        self.maildir = work / "mail" / "Maildir"
        if self._maildir is not None and os.geteuid() == 0:
            shutil.copytree(self._maildir, self.maildir, symlinks=True)
        elif self._maildir is not None:
            self.maildir = self._maildir
        self.maildir.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(self.maildir, create=True)
        for data in self.messages:
            box.add(data.replace(b"\r\n", b"\n"))
        uid, gid, users = _hand_to_mail_user(self.maildir)
        self.pop3_port, self.imap_port = free_port(), free_port()
        tls = self._copy_tls(work)
        if tls is not None:
            self.pop3s_port, self.imaps_port = free_port(), free_port()
        passwd = work / "passwd"
        descriptor = os.open(passwd, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{self.maildir}\n")
        if os.geteuid() == 0:  # Dovecot's auth process reads it as its internal user
            internal = pwd.getpwnam(INTERNAL_USER)
            os.chown(passwd, internal.pw_uid, internal.pw_gid)
        self.config = work / "dovecot.conf"
        self.config.write_text(
            _configuration(
                work,
                passwd=passwd,
                maildir=self.maildir,
                ports={
                    "pop3": self.pop3_port,
                    "imap": self.imap_port,
                    "pop3s": self.pop3s_port or 0,
                    "imaps": self.imaps_port or 0,
                },
                tls=_tls_settings(tls, require=self.require_tls),
                extra=users + _quota_settings(self.quota),
                mechanisms="plain login apop" if self.apop else "plain login",
            )
        )
        self._launch(work)
        return self

    def _copy_tls(self, work: Path) -> tuple[Path, Path] | None:
        """The certificate and key copied into ``work``, readable by their owner only (Dovecot
        reads them when it starts, as the user who starts it)."""
        if self.tls_files is None:
            return None
        copies = (work / "tls-cert.pem", work / "tls-key.pem")
        for source, target in zip(self.tls_files, copies, strict=True):
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(source.read_bytes())
        return copies

    def _launch(self, work: Path) -> None:
        """Run the master, which daemonises, and wait until both ports answer."""
        # The master's children keep the standard streams: send them to a file, not a pipe, or
        # waiting for the command would wait for Dovecot to end.
        assert self.binary is not None
        with open(work / "startup.log", "w+") as startup:
            completed = subprocess.run(
                [self.binary, "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=startup,
                stderr=startup,
                timeout=30,
            )
            startup.seek(0)
            startup_text = startup.read()
        self._finalizer = weakref.finalize(
            self, DovecotServers._kill, str(work / "run" / "master.pid")
        )
        ports = (self.pop3_port, self.imap_port, self.pop3s_port, self.imaps_port)
        if completed.returncode != 0 or not all(
            _wait_for_port(self.host, port, 15) for port in ports if port is not None
        ):
            log = (work / "dovecot.log").read_text() if (work / "dovecot.log").exists() else ""
            self.stop()
            raise NotAvailable(
                f"Dovecot did not start: {startup_text.strip() or log.strip()[-300:]}"
            )

    @staticmethod
    def _kill(pid_file: str) -> None:
        """Stop the master: SIGTERM, and after a moment SIGKILL for it and its children.

        Dovecot's master takes 3-8 s to finish a SIGTERM (it waits for its helper processes),
        which made every comparison test wait that long. This private instance holds nothing that
        needs a clean shutdown, so after :data:`STOP_GRACE` its processes are killed outright.
        """
        try:
            pid = int(Path(pid_file).read_text().strip())
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if _wait_for_exit(pid, STOP_GRACE):
            return
        for child in (*_children(pid), pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(child, signal.SIGKILL)
        _wait_for_exit(pid, 10)

    def stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        if self._workdir is not None:
            with contextlib.suppress(OSError):
                self._workdir.cleanup()
            self._workdir = None
