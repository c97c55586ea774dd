"""Chapter 01: receiving mail with POP3 and IMAP4.

Where things live:

- the pure model (no I/O): :mod:`~mailsec.retrieval.model` (a server mailbox with a quota,
  devices with POP3 or IMAP4 clients, steps with explanations) and
  :mod:`~mailsec.retrieval.scenarios` (the prepared stories); shown by
  :mod:`mailsec.render.retrieval`, driven by :mod:`mailsec.labs.retrieval` (the devices lab),
  taught in ``notebooks/01-pop3-vs-imap4.ipynb``;
- the protocols as state machines (no sockets): :mod:`~mailsec.retrieval.pop3`,
  :mod:`~mailsec.retrieval.imap` (a package: its docstring says what lives where) and
  :mod:`~mailsec.retrieval.sasl` (the SASL PLAIN and credential check both use);
- real servers on 127.0.0.1: :mod:`~mailsec.retrieval.servers` (the asyncio shells around the
  state machines, and a private Dovecot to compare with) over :mod:`~mailsec.retrieval.maildir`
  (the Maildir store: folder names, quota, the POP3 lock) and :mod:`~mailsec.retrieval.folder`
  (one folder: UIDs, flags, the changes other sessions hear of), run by ``mailsec serve``
  (:mod:`mailsec.cli.serve`); :mod:`~mailsec.retrieval.transcript` records each connection,
  :mod:`mailsec.render.transcript` draws it in :mod:`mailsec.labs.retrieval_wire` (the wire lab,
  same notebook).
"""
