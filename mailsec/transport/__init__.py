"""Between mail servers: how the transport from one MTA to the next is protected (chapter 08).

SMTP between servers (port 25) starts in plaintext and upgrades with STARTTLS only when both sides
offer it, and by default without checking the certificate (opportunistic TLS, RFC 7435). An
attacker on the path can remove the offer, or a forged DNS answer can send the mail to another
host, and the sender delivers anyway. The modules here model the defences as pure functions:

- :mod:`~mailsec.transport.mtasts` — MTA-STS (RFC 8461): the ``_mta-sts`` TXT record and the
  policy file, and which MX host names a policy allows (§3, §4.1);
- :mod:`~mailsec.transport.mtasts_cache` — which policy the sender applies: discovery in DNS,
  the policy cache, refresh by ``id``, and the cached policy that outlives a blocked lookup (§3.3,
  §5.1, §10.2);
- :mod:`~mailsec.transport.mtasts_delivery` — the sender's decision per MX and for the message
  (§4, §5), and :func:`~mailsec.transport.mtasts_delivery.evaluate`, the one-call recipe;
- :mod:`~mailsec.transport.relay` — between a mail program and its server: a recording loopback
  relay, the STARTTLS-stripping attacker (``relay_strip``), what a wiretap learns (``relay_view``,
  ``relay_tls``, ``relay_credentials``) and the mail program's TLS setting (``relay_clients``).
"""
