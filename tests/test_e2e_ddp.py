"""A real distributed workload under local execution: PyTorch DDP on CPU (gloo) across two replicas.

``make test-e2e`` runs it (it installs the ``e2e`` extra, a PyTorch CPU wheel); the default suite
skips it. Two worker pools of one replica each run on one persistent resource's pool of two; each
replica joins the process group with ``init_method="env://"`` from the variables the emulator set,
all-reduces its rank + 1, and trains a DDP model a few steps, whose averaged weights must agree.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.conftest import PARENT
from tests.local_execution import custom_job, local_service, python_pool, run_to_end

pytestmark = pytest.mark.skipif(
    os.environ.get("VERTEX_EMULATOR_E2E") != "1", reason="the end-to-end workload runs with make test-e2e"
)

DDP = """
import json, os
import torch
import torch.distributed as dist

dist.init_process_group("gloo", init_method="env://")
rank, world = dist.get_rank(), dist.get_world_size()
value = torch.tensor([float(rank + 1)])
dist.all_reduce(value, op=dist.ReduceOp.SUM)

torch.manual_seed(0)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
generator = torch.Generator().manual_seed(rank)
for _ in range(5):
    inputs = torch.randn(8, 4, generator=generator)
    loss = (model(inputs) - inputs.sum(dim=1, keepdim=True)).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
weights = [round(w, 6) for w in model.module.weight.detach().flatten().tolist()]
print(json.dumps({"severity": "INFO", "message": "done", "rank": rank, "world": world,
                  "all_reduce": value.item(), "weights": weights}))
dist.destroy_process_group()
"""


def test_pytorch_ddp_across_two_replicas_of_a_job_on_a_persistent_resource(tmp_path: Path) -> None:
    with local_service(tmp_path) as (service, execution):
        service.seed_resource(
            PARENT,
            "ddp",
            {"resourcePools": [{"id": "cpu", "machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "2"}]},
        )
        body = custom_job(python_pool(DDP), python_pool(DDP), resource="ddp")
        started = time.monotonic()
        job = service.create_job(PARENT, body, "v1")
        ended = run_to_end(service, execution, job.name)
        seconds = time.monotonic() - started
        assert ended.state == "JOB_STATE_SUCCEEDED", ended.error
        job_id = job.name.rsplit("/", 1)[1]
        reports = [
            entry.payload
            for entry in execution.logs.entries({"my-project"}, job_id)
            if entry.payload is not None and entry.payload.get("message") == "done"
        ]
    assert sorted(report["rank"] for report in reports) == [0, 1]
    assert {report["world"] for report in reports} == {2}
    assert {report["all_reduce"] for report in reports} == {3.0}
    assert reports[0]["weights"] == reports[1]["weights"]
    print(f"\nDDP job of 2 replicas: {seconds:.1f} s from create to SUCCEEDED; {json.dumps(reports)}")
