"""``python -m threadpact``: the same as the ``threadpact`` command."""

import sys

from threadpact.cli import main

sys.exit(main())
