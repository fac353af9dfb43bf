"""The built wheel, installed (not editable) into a fresh venv beside a project of a user's own.

Editable installs hide packaging faults, so this test does what a new user does: it builds the
wheel, installs it with pip into a new venv, and runs ``python -m pytest`` and ``pytest`` in a
project that has its own ``client/`` and ``emulator/`` packages and a ``tests/__init__.py``. The
README's fixture examples must pass there, the project's own imports must stay its own, and the
installation must add one import name, ``vertex_emulator``. It is offline: the dependencies come
from wheels packed from this environment (``tests/wheelhouse.py``), kept in pytest's cache between
runs, and pip reads no configuration and no index.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests import wheelhouse
from tests.serving import ROOT

pytestmark = pytest.mark.slow

SOURCES = ("pyproject.toml", "README.md", "emulator", "client")
"""What the wheel is built from: the distribution's own files, copied, so the checkout stays clean."""
STEP_TIMEOUT = 300

OWN_PACKAGES = {
    "client/__init__.py": 'MY_THING = "the project\'s own client"\n',
    "emulator/__init__.py": 'NAME = "the project\'s own emulator"\n',
    "emulator/clock.py": "TICKS = 3\n",
    "tests/__init__.py": "",
    "tests/test_own_imports.py": """
import importlib.metadata
import sys
from pathlib import Path

from client import MY_THING
from emulator import NAME
from emulator.clock import TICKS


def test_the_projects_own_packages_stay_its_own():
    assert MY_THING == "the project's own client"
    assert NAME == "the project's own emulator"
    assert TICKS == 3


def test_vertex_emulator_is_installed_under_one_name():
    import vertex_emulator
    from vertex_emulator import VertexClient, mock_vertex, use_emulator

    assert callable(mock_vertex) and callable(use_emulator) and VertexClient.__name__ == "VertexClient"
    assert Path(vertex_emulator.__file__).is_relative_to(Path(sys.prefix) / "lib")
    files = importlib.metadata.distribution("vertex-emulator").files
    names = {file.parts[0] for file in files if ".." not in file.parts and not file.parts[0].endswith(".dist-info")}
    assert names == {"vertex_emulator"}
""",
}


def _fixture_examples() -> list[str]:
    """The README's test examples of "Use it in your tests" (the ones that define a test)."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Use it in your tests", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    return [block for block in blocks if "def test_" in block]


def _clean_environment(venv: Path) -> dict[str, str]:
    """No PYTHONPATH, no pip configuration or index, no pytest options of the outer run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "PYTEST_", "PYTHON", "VIRTUAL_ENV", "VERTEX_AI_EMULATOR"))
    }
    env.update(PIP_CONFIG_FILE=os.devnull, NO_GCE_CHECK="True", PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _build_wheel(into: Path, work: Path, env: dict[str, str]) -> Path:
    source = work / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    _run([*pip, "-w", str(into), str(source)], work, env)
    [wheel] = into.glob("vertex_emulator-*.whl")
    return wheel


def _wheelhouse(into: Path) -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    into.mkdir(parents=True, exist_ok=True)
    for dist in wheelhouse.closure([*dependencies, "pytest"]):
        wheelhouse.repack(dist, into)


def test_the_wheel_in_a_fresh_venv_beside_a_users_own_client_and_emulator(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    pytest.importorskip("setuptools", minversion="77", reason="the wheel's build backend: pip install -e '.[test]'")
    venv, project, built = tmp_path / "venv", tmp_path / "project", tmp_path / "dist"
    env = _clean_environment(venv)
    wheel = _build_wheel(built, tmp_path, env)
    cache = pytestconfig.cache
    house = cache.mkdir("wheelhouse") if cache is not None else tmp_path / "wheelhouse"
    _wheelhouse(house)

    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python = str(venv / "bin" / "python")
    install = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index", "--no-compile"]
    _run([*install, "--find-links", str(house), str(wheel), "pytest"], tmp_path, env)

    for path, text in OWN_PACKAGES.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text)
    examples = _fixture_examples()
    assert examples, "the README's 'Use it in your tests' has no test example"
    for index, example in enumerate(examples):
        (project / "tests" / f"test_readme_{index}.py").write_text(example)
    expected = f"{len(examples) + 2} passed"
    for runner in ([python, "-m", "pytest"], [str(venv / "bin" / "pytest")]):
        done = _run([*runner, "-q", "-p", "no:cacheprovider", "tests"], project, env)
        assert expected in done.stdout, done.stdout
    assert "usage: vertex-emulator" in _run([python, "-m", "vertex_emulator", "--help"], project, env).stdout
    assert "check" in _run([str(venv / "bin" / "vertex-emulator"), "check", "--help"], project, env).stdout
