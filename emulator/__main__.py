"""``python -m emulator`` is the ``vertex-emulator`` program."""

import sys

from emulator.cli import main

sys.exit(main())
