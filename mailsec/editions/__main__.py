"""``python -m mailsec.editions``: see :mod:`mailsec.editions.command`."""

import sys

from mailsec.editions.command import main

sys.exit(main())
