"""Start-up stays fast: ``serve`` reaches its ready line without loading the official SDK.

Importing ``google.cloud.aiplatform_v1`` costs about a second (README, "Performance"); the
emulator needs it only to parse request bodies, so it loads in the background once the server
listens (``wire.warm``), or on first use.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from vertex_emulator import wire
from vertex_emulator.versions import VERSIONS

SDK = "google.cloud.aiplatform_v1"


def test_serve_imports_no_sdk_on_its_way_to_serving() -> None:
    """``vertex-emulator serve`` run for real in a fresh interpreter with the warm-up switched off,
    stopped by SIGTERM as soon as it prints its ready line: nothing it did imported the SDK."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from vertex_emulator import cli, wire

        class StopWhenReady:
            def __init__(self, out):
                self.out = out
            def write(self, text):
                self.out.write(text)
                if "listening on" in text:
                    os.kill(os.getpid(), signal.SIGTERM)
            def flush(self):
                self.out.flush()

        wire.warm = lambda: None
        sys.stdout = StopWhenReady(sys.stdout)
        code = cli.main(["serve", "--port", "0"])
        print(code, {SDK!r} in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.splitlines()[-1] == "0 False", "serve imported the official SDK on start-up; import it lazily"


def test_warming_loads_every_message_the_wire_parses() -> None:
    wire.warm()
    for version in VERSIONS:
        for message in wire.REQUEST_FIELD:
            assert wire.message_class(version, message).DESCRIPTOR.name == message
