"""Real POP3 and IMAP4 servers on 127.0.0.1, the wire lab's demonstrations, and Dovecot beside them.

::

    from mailsec.retrieval.servers import MailServers

    with MailServers(maildir=path, user="alice", password="secret", quota=None) as servers:
        servers.host, servers.pop3_port, servers.imap_port    # free ports of 127.0.0.1
        servers.deliver(message_bytes)                         # into INBOX, respecting the quota
        servers.transcripts                                    # the recorded sessions, in order

    # Chapter 08: STLS/STARTTLS, implicit-TLS ports, no login before TLS (a course certificate)
    with MailServers(maildir=path, user="alice", password="secret",
                     pop3s_port=0, imaps_port=0, require_tls=True) as servers:
        poplib.POP3_SSL(servers.host, servers.pop3s_port, context=servers.tls.client_context())

Where things live:

- :mod:`~mailsec.retrieval.servers.shells` -- :class:`MailServers`, the asyncio shells around the
  pure POP3 and IMAP sessions: life cycle, one handler per protocol's connection, transcripts,
  and the bounds on abuse (connections, login time-out, the wrong-password penalty);
- :mod:`~mailsec.retrieval.servers.conversations` -- the loop of each connection: lines in,
  replies out, the TLS upgrade in between; :mod:`~mailsec.retrieval.servers.lines` reads the
  bounded lines;
- :mod:`~mailsec.retrieval.servers.tls` -- :class:`ServerTls` (the certificate: the course's,
  files, or a context) and the handshake that discards what was sent before it;
- :mod:`~mailsec.retrieval.servers.rules` -- the rules for ports, quota and the listening
  address (:func:`check_port`, :func:`check_quota`, :func:`check_host`, which ``mailsec serve``
  uses too) and :func:`free_port` for servers that must be told their port;
- :mod:`~mailsec.retrieval.servers.snapshots` -- the Maildir as the lab shows it, and what
  changed between two looks;
- :mod:`~mailsec.retrieval.servers.wire` -- the wire lab's demonstrations: one small function
  per :class:`WireAction`, each one conversation of ``poplib`` or ``imaplib`` with the servers;
- :mod:`~mailsec.retrieval.servers.dovecot` -- :class:`DovecotServers`, a private Dovecot with
  the same interface, for the comparison tests and the benchmark (with TLS too).

Everything public is importable from this package; code written when the servers were one
module, ``from mailsec.retrieval.servers import ...``, works unchanged.
"""

from __future__ import annotations

from mailsec.retrieval.servers.dovecot import DovecotServers
from mailsec.retrieval.servers.rules import (
    MAX_PORT,
    check_host,
    check_port,
    check_quota,
    free_port,
)
from mailsec.retrieval.servers.shells import (
    IDLE_TIMEOUT,
    MAX_TRANSCRIPTS,
    MailServers,
    read_bounded_line,
)
from mailsec.retrieval.servers.snapshots import (
    Change,
    FolderView,
    MessageChange,
    MessageView,
    compare_snapshots,
    snapshot_of,
)
from mailsec.retrieval.servers.tls import HandshakeFailed, ServerTls
from mailsec.retrieval.servers.wire import (
    SAMPLE_MESSAGES,
    WireAction,
    WireRun,
    reset_mailbox,
    run_wire_action,
)

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_PORT",
    "MAX_TRANSCRIPTS",
    "SAMPLE_MESSAGES",
    "Change",
    "DovecotServers",
    "FolderView",
    "HandshakeFailed",
    "MailServers",
    "MessageChange",
    "MessageView",
    "ServerTls",
    "WireAction",
    "WireRun",
    "check_host",
    "check_port",
    "check_quota",
    "compare_snapshots",
    "free_port",
    "read_bounded_line",
    "reset_mailbox",
    "run_wire_action",
    "snapshot_of",
]
