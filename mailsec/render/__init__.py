"""Turn mailsec's results and traces into HTML and SVG.

No external binaries or scripts: the output works on Binder, in a static render and in a
browser-only Jupyter. :mod:`mailsec.render.html` holds the shared building blocks; each chapter has
its own module beside it.
"""
