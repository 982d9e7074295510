"""Entry point for `python -m bot`."""

import gc
import sys

# One command, one short process: no cyclic garbage collection while its modules import (what they build
# lives until the process ends); bot.cli.main freezes it out of later collections and turns collection on.
gc.disable()

from bot.cli import main  # noqa: E402  (after gc.disable: the import is what it is for)

sys.exit(main(short_lived=True))
