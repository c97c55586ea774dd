"""Receiving mail: POP3 and IMAP4 (chapter 01).

- :mod:`mailsec.retrieval.model` — the mailbox model: a server mailbox with a quota, devices with
  POP3 or IMAP4 clients, scenarios played step by step with explanations (pure, no I/O);
- :mod:`mailsec.retrieval.scenarios` — the prepared scenarios of the devices lab;
- :mod:`mailsec.retrieval.servers` — real POP3 and IMAP4 servers over a Maildir, on loopback.
"""
