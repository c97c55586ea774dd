"""The widget layer: one module per chapter, each with functions that return a ready lab.

A chapter's pieces live in three places, one module each: :mod:`mailsec.render` turns results into
HTML and SVG, :mod:`mailsec.labs` wraps them in widgets, and the notebook shows a lab in one line,
for example ``from mailsec.labs.start import journey_lab; journey_lab()``. A test drives the same
object by setting control values.

- :mod:`~mailsec.labs.frame` — what every lab gets (errors, timings, static view) and the helpers
  that make its controls (``button``, ``checkbox``, ``dropdown``, ``tagged``);
- :mod:`~mailsec.labs.start` (00), :mod:`~mailsec.labs.retrieval` and
  :mod:`~mailsec.labs.retrieval_wire` (01), :mod:`~mailsec.labs.op25b` (02),
  :mod:`~mailsec.labs.spf` (03), :mod:`~mailsec.labs.hybrid` (04), :mod:`~mailsec.labs.smime` (05),
  the package :mod:`~mailsec.labs.pgp` (06, one module per lab), :mod:`~mailsec.labs.dkim`,
  :mod:`~mailsec.labs.dmarc` and :mod:`~mailsec.labs.dmarc_reports` (07),
  :mod:`~mailsec.labs.mtasts`, :mod:`~mailsec.labs.wiretap`,
  :mod:`~mailsec.labs.apop` and :mod:`~mailsec.labs.relaycontrol` (08);
- :mod:`~mailsec.labs.quiz` — every chapter's self-check.
"""

from mailsec.labs.frame import Lab, percentile

__all__ = ["Lab", "percentile"]
