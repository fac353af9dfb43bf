"""``python -m vertex_emulator`` is the ``vertex-emulator`` program."""

import sys

from vertex_emulator.cli import main

sys.exit(main())
