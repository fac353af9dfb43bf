"""The README's 30-second example runs as written, against ``serve`` with the demo fixture."""

from __future__ import annotations

import re

import pytest
from google.api_core import exceptions

from tests.serving import ROOT, served

INSTANT = ("--job-queued-delay", "0", "--job-pending-delay", "0", "--job-duration", "0")


def _example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 30 seconds with the official SDK", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_30_second_example_runs(sdk_fast: None) -> None:
    code = _example()
    assert 'api_endpoint="http://127.0.0.1:8080"' in code
    with served("--fixtures", "fixtures/demo", *INSTANT) as url:
        namespace: dict[str, object] = {}
        exec(compile(code.replace("http://127.0.0.1:8080", url), "README.md", "exec"), namespace)
        job = namespace["job"]
        assert job.state.name == "JOB_STATE_SUCCEEDED"
        broken = code.replace('"accelerator_count": 1', '"accelerator_count": 2').replace("http://127.0.0.1:8080", url)
        with pytest.raises(exceptions.BadRequest, match="accelerator_count is 2 in the job but 1"):
            exec(compile(broken, "README.md", "exec"), {})
