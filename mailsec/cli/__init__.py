"""Subcommand groups of the ``mailsec`` command line, one module per group (see ``__main__``)."""
