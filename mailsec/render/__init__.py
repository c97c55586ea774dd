"""Turn mailsec's results and traces into HTML and SVG.

A chapter's pieces live in three places, one module each: its renderer here, its lab in
:mod:`mailsec.labs`, and its notebook. Renderers only draw: they take a result and return a
:class:`~mailsec.render.html.Fragment`, and compute nothing about mail.

- :mod:`~mailsec.render.html` and :mod:`~mailsec.render.svg` — the shared building blocks (tables,
  call-outs, badges, traces; fitting text into SVG boxes);
- :mod:`~mailsec.render.journey` (00), :mod:`~mailsec.render.retrieval` and
  :mod:`~mailsec.render.transcript` (01, the wire lab's conversations),
  :mod:`~mailsec.render.op25b` (02), :mod:`~mailsec.render.spf` (03),
  :mod:`~mailsec.render.hybrid` (04), :mod:`~mailsec.render.smime` (05),
  :mod:`~mailsec.render.openpgp` (06), :mod:`~mailsec.render.dkim`, :mod:`~mailsec.render.dmarc`
  and :mod:`~mailsec.render.dmarc_reports` (07), :mod:`~mailsec.render.mtasts`, :mod:`~mailsec.render.wiretap`,
  :mod:`~mailsec.render.apop` and :mod:`~mailsec.render.relaycontrol` (08),
  :mod:`~mailsec.render.mailsystem` (09);
- :mod:`~mailsec.render.trustgraph` (06's web-of-trust graph) and
  :mod:`~mailsec.render.graphlayout` (where its keys, arrows and labels go).

No external binaries or scripts: the output works on Binder, in a static render and in a
browser-only Jupyter.
"""
