"""The standards' own examples, for labs and tests.

- RFC 6376 Appendix A: Joe SixPack's message to Suzie Q, unsigned (A.1), and the
  DKIM-Signature that A.2 adds (``c=simple/simple``). Its ``bh=`` is right; its ``b=`` was made
  with a key other than the one printed in Appendix C (RFC errata), so only the body hash is
  checked against it.
- RFC 8463 Appendix A: the same message signed twice, with ed25519-sha256 and rsa-sha256 and
  ``c=relaxed/relaxed``, and the two key records that verify them.

The texts are copied from the RFCs (code components, Simplified BSD License) with CRLF line ends.
"""

from __future__ import annotations

from mailsec.spf.zone import ZoneResolver

__all__ = [
    "RFC6376_MESSAGE",
    "RFC6376_SIGNATURE",
    "RFC8463_MESSAGE",
    "RFC8463_ZONE",
    "rfc8463_resolver",
]


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("ascii")


#: RFC 6376 Appendix A.1: the unsigned message.
RFC6376_MESSAGE = _crlf(
    """From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game. Are you hungry yet?

Joe.
"""
)

#: RFC 6376 Appendix A.2: the DKIM-Signature and Received fields put on top of it.
RFC6376_SIGNATURE = _crlf(
    """DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;
      c=simple/simple; q=dns/txt; i=joe@football.example.com;
      h=Received : From : To : Subject : Date : Message-ID;
      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB
        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut
        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV
        4bmp/YzhwvcubU4=;
Received: from client1.football.example.com  [192.0.2.1]
      by submitserver.example.com with SUBMISSION;
      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)
"""
)

#: RFC 8463 Appendix A.3: the same message (with two spaces after "game.") signed twice.
RFC8463_MESSAGE = _crlf(
    """DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :
 subject : date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :
 date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
"""
) + RFC6376_MESSAGE.replace(b"game. Are", b"game.  Are")

#: RFC 8463 Appendix A.2: the key records, as a zone file (the RSA record cut into two strings).
RFC8463_ZONE = """\
$ORIGIN football.example.com.
brisbane._domainkey  TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
test._domainkey      TXT ("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3i"
    "dY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3"
    "rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB")
"""


def rfc8463_resolver() -> ZoneResolver:
    """An offline DNS with RFC 8463's two key records."""
    return ZoneResolver.from_text(RFC8463_ZONE)
