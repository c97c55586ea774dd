"""Chapter 06's labs: the web of trust, OpenPGP messages, GnuPG, and PGP next to S/MIME.

One module per lab, and one for each GnuPG helper:

- :mod:`~mailsec.labs.pgp.trust` — :func:`trust_lab`, a web of trust the learner edits: owner
  trust per key, certifications added, revoked or removed, keys revoked, GnuPG's three numbers;
  the graph and every key's validity update at once, with the reason.
- :mod:`~mailsec.labs.pgp.message` — :func:`message_lab`, Alice, Bob and Carol send each other
  PGP/MIME mail (encrypted and signed, encrypted only, signed only); an attacker changes a byte
  on the way; the mail is opened by the recipient or by someone else; the packets are listed
  like ``gpg --list-packets``. :func:`make_people` makes their keys.
- :mod:`~mailsec.labs.pgp.compare` — :func:`compare_lab`, the same text signed with PGP/MIME and
  with S/MIME (the course CA of :mod:`mailsec.pki`), side by side, with what the reader needs for
  each.
- :mod:`~mailsec.labs.pgp.exchange` — :func:`exchange_with_gnupg`, not a widget: mail from
  mailsec to GnuPG and back; it says plainly when gpg is not installed.
- :mod:`~mailsec.labs.pgp.trustcheck` — :func:`gnupg_trust_check`, not a widget: the same web of
  trust built with real keys, and GnuPG's own validity next to the model's. If gpg fails, the
  result says so and agrees with nothing.
- :mod:`~mailsec.labs.pgp.gnupg` — running gpg in a temporary GNUPGHOME, for the two above.

Keys are generated once when a lab is built, never inside a callback, so callbacks stay fast.

The names below are the ones chapter 06's notebook imports from here.
"""

from mailsec.labs.pgp.compare import compare_lab
from mailsec.labs.pgp.exchange import exchange_with_gnupg
from mailsec.labs.pgp.message import make_people, message_lab
from mailsec.labs.pgp.trust import trust_lab
from mailsec.labs.pgp.trustcheck import gnupg_trust_check

__all__ = [
    "compare_lab",
    "exchange_with_gnupg",
    "gnupg_trust_check",
    "make_people",
    "message_lab",
    "trust_lab",
]
