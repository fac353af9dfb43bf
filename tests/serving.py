"""Running ``vertex-emulator serve`` as a real subprocess, as users and CI run it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY = re.compile(r"^vertex-emulator listening on (http://[\d.]+:\d+)$")


@contextmanager
def served(*options: str) -> Iterator[str]:
    """Start ``serve --port 0`` with ``options``; yield its URL once the ready line is printed."""
    with serving(*options) as (_, url):
        yield url


@contextmanager
def serving(*options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``served``, yielding the process too, for tests that signal or kill it; stopped if still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "vertex_emulator", "serve", "--port", "0", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        match = READY.match(line)
        if not match:
            process.kill()
            raise AssertionError(f"no ready line: {line!r}; stderr: {process.communicate()[1]}")
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def serve_to_the_end(*options: str) -> subprocess.CompletedProcess[str]:
    """Run ``serve`` with ``options`` when it is expected to stop by itself (a refused start)."""
    return subprocess.run(
        [sys.executable, "-m", "vertex_emulator", "serve", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
