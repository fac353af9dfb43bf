"""``python -m vertex_emulator`` is the ``vertex-emulator`` program."""

from vertex_emulator.cli import program

program()
