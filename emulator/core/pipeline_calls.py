"""The calls on training pipelines and on the models they upload.

A pipeline runs one backing CustomJob, created at once through ``create_job(..., owner=)``, the
one admission path, and then follows it (``kinds.Kind.job_changed``): state, times and error.
When the job succeeds, the pipeline's ``modelToUpload`` becomes a model version, in the same call.

Bad input leaves nothing behind: everything a request can get wrong (the task, the inputs, the
backing job's own rules, a persistent resource that does not exist, the model to upload and its
``modelId`` / ``parentModel``) is checked before any record is made. What the admission rule
refuses (no matching pool, not enough free replicas under ``--admission reject``, a resource that
is not RUNNING) is not bad input to the pipeline service, which creates its job asynchronously:
the pipeline is created, and ends FAILED at once with the admission's error and no backing job,
which is what a user of the real service finds when they next read it.

Nothing reads a job's ``pythonPackageSpec.packageUris`` here, so a package missing from storage
is not noticed (a local runner, which installs the package, is where it would fail).
"""

from __future__ import annotations

import copy
from typing import Any

from vertex_emulator import names
from vertex_emulator.core import kinds
from vertex_emulator.core.base import Core, api
from vertex_emulator.domain import models, pipelines
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.domain.models import Model
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.pipelines import TrainingPipeline
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.errors import ApiError, already_exists, failed_precondition

COLLECTION = "trainingPipelines"
MODELS = "models"


class PipelineCalls(Core):
    @api
    def create_pipeline(self, parent: str, body: dict[str, Any], version: str) -> TrainingPipeline:
        names.scope_of_parent(parent)
        request = pipelines.normalize(copy.deepcopy(body), version)
        if request.resource_id:
            self.registry.get(
                names.child(parent, "persistentResources", request.resource_id),
                PersistentResource,
                "PersistentResource",
            )
        self._model_target(parent, request.spec)
        now = self.clock.now()
        pipeline = TrainingPipeline(
            name=self.registry.new_name(parent, COLLECTION, self.ids.next),
            spec=request.spec,
            version=version,
            seq=self.next_seq(),
            create_time=now,
            update_time=now,
        )
        self.registry.add(pipeline)
        try:
            job = self.create_job(parent, request.job, version, owner=pipeline.name)
        except ApiError as refused:
            pipeline.fail(refused.to_status(http=False), now)
            return pipeline
        pipeline.job = job.name
        pipeline.follow(job.state, job.error, now)
        return pipeline

    def _model_target(self, parent: str, spec: dict[str, Any]) -> Model | None:
        """The model a pipeline adds a version to (``parentModel``), or None for a new one; a
        ``modelId`` already taken is refused, as ``UploadModel`` refuses it."""
        parent_model = spec.get("parentModel")
        if parent_model:
            name = parent_model if "/" in parent_model else names.child(parent, MODELS, parent_model)
            return self.registry.get(models.split_version(name)[0], Model, "Model")
        model_id = spec.get("modelId")
        if model_id and self.registry.find(names.child(parent, MODELS, model_id)) is not None:
            raise already_exists("Model", names.child(parent, MODELS, model_id))
        return None

    def pipeline_job_changed(self, pipeline: TrainingPipeline, job: CustomJob, at: float) -> None:
        """The backing job moved: the pipeline follows; on success its model is uploaded."""
        self.registry.mark(pipeline)
        if pipeline.follow(job.state, job.error, at) and pipeline.spec.get("modelToUpload") is not None:
            try:
                self._upload(pipeline, at)
            except ApiError as error:
                pipeline.fail(error.to_status(http=False), at)

    def _upload(self, pipeline: TrainingPipeline, at: float) -> None:
        parent = names.parent_of(names.scope_of(pipeline.name))
        model = self._model_target(parent, pipeline.spec)
        if model is None:
            model_id = pipeline.spec.get("modelId")
            model = Model(
                name=names.child(parent, MODELS, model_id)
                if model_id
                else self.registry.new_name(parent, MODELS, self.ids.next),
                version=pipeline.version,
                seq=self.next_seq(),
                create_time=at,
                update_time=at,
            )
            self.registry.add(model)
        spec = models.artifact_uri(pipeline.spec["modelToUpload"], pipelines.base_output_directory(pipeline.spec))
        pipeline.uploaded(model.name, model.add_version(spec, pipeline.name, at))
        self.registry.mark(model)

    def _pipeline(self, name: str) -> TrainingPipeline:
        return self.registry.get(name, TrainingPipeline, "TrainingPipeline")

    @api
    def get_pipeline(self, name: str) -> TrainingPipeline:
        return self._pipeline(name)

    @api
    def list_pipelines(
        self, parent: str, filter_text: str | None, size: str | None, token: str | None
    ) -> tuple[list[TrainingPipeline], str]:
        return self.job_page(parent, COLLECTION, filter_text, size, token, pipelines.STATES)

    @api
    def cancel_pipeline(self, name: str) -> None:
        """Cancel the backing job; the pipeline follows it to CANCELLING and CANCELLED."""
        pipeline = self._pipeline(name)
        if pipeline.terminal:
            raise failed_precondition(f'TrainingPipeline "{name}" is already {pipeline.state} and cannot be cancelled.')
        job = self.registry.find(pipeline.job, CustomJob) if pipeline.job else None
        if pipeline.state == pipelines.CANCELLING or job is None:
            return
        self.cancel_job(job.name)

    @api
    def delete_pipeline(self, name: str, version: str) -> Operation:
        """Delete a pipeline that has ended; its backing job and its model stay, as on the real service."""
        return self.delete_ended(self._pipeline(name), "TrainingPipeline", version)

    @api
    def overview(self) -> dict[str, Any]:
        """The web page's overview with each scope's pipelines, and each pool's holders and queued
        jobs naming the pipeline they run for (``Service`` puts this class before ``ControlCalls``,
        whose ``overview`` and ``set_outcome`` these extend)."""
        body: dict[str, Any] = super().overview()
        for scope in body["scopes"]:
            records = self.registry.scope((scope["project"], scope["location"]))
            scope["trainingPipelines"] = [
                pipelines.overview(pipeline, self._job_state(pipeline.job))
                for pipeline in sorted(records.of(COLLECTION).values(), key=lambda record: record.seq)
            ]
            for resource in scope["persistentResources"]:
                for pool in resource["pools"]:
                    for ref in pool["holders"] + pool["queued"]:
                        job = self.registry.find(ref["name"], CustomJob)
                        owner = self.registry.find(job.owner, TrainingPipeline) if job and job.owner else None
                        if owner is not None:
                            ref["pipeline"] = pipelines.owner_ref(owner)
        return body

    @api
    def set_outcome(
        self, name: str, state: str, error: dict[str, Any] | None, at: str | None, after: float | None
    ) -> CustomJob:
        """A pipeline's outcome is its backing job's: ``set_outcome`` of a pipeline sets its job's."""
        pipeline = self.registry.find(name, TrainingPipeline)
        if pipeline is not None:
            if pipeline.job is None:
                raise failed_precondition(f'TrainingPipeline "{name}" is {pipeline.state} and has no backing job.')
            name = pipeline.job
        return super().set_outcome(name, state, error, at, after)

    def _job_state(self, name: str | None) -> str | None:
        job = self.registry.find(name, CustomJob) if name else None
        return job.state if job else None

    # ------------------------------------------------------------------------- models

    @api
    def get_model(self, name: str) -> tuple[Model, str | None]:
        """A model by ``models/ID`` (its default version) or ``models/ID@VERSION`` (id or alias)."""
        model_name, version = models.split_version(name)
        model = self.registry.get(model_name, Model, "Model")
        model.find_version(version)
        return model, version

    @api
    def list_models(
        self, parent: str, filter_text: str | None, size: str | None, token: str | None
    ) -> tuple[list[Model], str]:
        return self.job_page(parent, MODELS, filter_text, size, token, ())


kinds.register(
    kinds.Kind(
        COLLECTION,
        TrainingPipeline,
        pipelines.STATES,
        job_changed=lambda service, pipeline, job, at: service.pipeline_job_changed(pipeline, job, at),
    )
)
kinds.register(kinds.Kind(MODELS, Model))
