"""``python -m stylerec_plugin.engine stylize|sheet|bench`` (see ``cli.py``)."""

import sys

from .cli import main

sys.exit(main())
