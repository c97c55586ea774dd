"""The widget layer: one module per chapter, each with functions that return a ready lab.

A notebook shows a lab in one line, for example ``from mailsec.labs.start import journey_lab;
journey_lab()``, and a test drives the same object by setting control values.
"""

from mailsec.labs.frame import Lab, percentile

__all__ = ["Lab", "percentile"]
