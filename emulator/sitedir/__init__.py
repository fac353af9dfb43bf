"""A folder for ``PYTHONPATH``: its ``sitecustomize`` sends the official clients to an emulator.

``vertex-emulator exec`` puts :data:`PATH` first on the child's ``PYTHONPATH``; see
``sitecustomize.py`` for what it changes and why there.
"""

from pathlib import Path

PATH = Path(__file__).resolve().parent
