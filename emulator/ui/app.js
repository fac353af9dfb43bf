// The emulator's web page. It reads GET /emulator/v1/overview (who holds and who waits for each
// pool, which the real API does not say) and the real ListCustomJobs endpoint (paginated, with the
// real `filter`), and acts through the control API and the real :cancel. When the control API
// answers 403 or 404 (serve --control off, or a token it lacks) the page turns read-only and falls
// back to the real list endpoints of one project and location.
"use strict";

(() => {
  const POLL_MS = 2000;
  const TOKEN_KEY = "vertex-emulator-control-token";
  const CONTROL = "/emulator/v1/";
  const REFS_SHOWN = 20;
  const RESOURCE_PAGES = 10;
  const JOB_STATES = [
    "JOB_STATE_QUEUED",
    "JOB_STATE_PENDING",
    "JOB_STATE_RUNNING",
    "JOB_STATE_SUCCEEDED",
    "JOB_STATE_FAILED",
    "JOB_STATE_CANCELLING",
    "JOB_STATE_CANCELLED",
  ];
  const ENDED = new Set(["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_CANCELLING"]);
  const RPC_CODES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
  ];

  const view = {
    control: null, // null until the first answer, then true (control API on) or false (read-only)
    locked: false, // read-only because the control API wants a token (403), not because it is off (404)
    manualClock: false,
    jobScope: "",
    filter: { state: "", name: "" },
    pageSize: 25,
    tokens: [""], // the token of each page seen so far; the last one is the page shown
    nextToken: "",
    logsOf: null, // the job whose logs are shown (its name and state), or null
    shown: {}, // container id -> JSON of what it shows, so an unchanged poll leaves the DOM alone
  };

  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") element.className = value;
      else if (key === "dataset") Object.assign(element.dataset, value);
      else if (key === "width") element.style.width = value;
      else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
      else element.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  class ApiFailure extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const init = { method, cache: "no-store", headers: { Accept: "application/json" } };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token && path.startsWith(CONTROL)) init.headers["X-Emulator-Token"] = token;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = (data.error && data.error.message) || `${method} ${path} answered HTTP ${response.status}.`;
      throw new ApiFailure(response.status, message);
    }
    return data;
  }

  function say(message, isError = false) {
    const status = $("status");
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  // ------------------------------------------------------------------ small pieces of the page

  const shortId = (name) => name.slice(name.lastIndexOf("/") + 1);
  const stateLabel = (state) => (state || "UNKNOWN").replace(/^(JOB|PIPELINE)_STATE_/, "");
  const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

  function badge(state) {
    return h("span", { class: `badge state-${stateLabel(state).toLowerCase()}` }, stateLabel(state));
  }

  function when(iso) {
    if (!iso) return h("span", { class: "muted" }, "—");
    const text = iso.replace("T", " ").replace(/(\.\d+)?Z$/, "");
    return h("time", { datetime: iso, title: iso }, text);
  }

  function errorText(error) {
    if (!error) return "";
    const code = RPC_CODES[error.code] || `code ${error.code}`;
    return `${code}: ${error.message || ""}`;
  }

  function keep(id, data, build) {
    // Rebuild a container only when what it shows changed, and give focus back to the same control.
    const text = JSON.stringify(data);
    if (view.shown[id] === text) return;
    view.shown[id] = text;
    const container = $(id);
    const focused = document.activeElement && container.contains(document.activeElement)
      ? document.activeElement.dataset.key
      : null;
    container.replaceChildren(...build());
    if (focused) {
      const again = container.querySelector(`[data-key="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  // ----------------------------------------------------------------- resources, pools, replicas

  function replicaBar(pool) {
    const scale = Math.max(pool.maxReplicas, pool.provisionedReplicas, 1);
    const percent = (count) => `${((100 * count) / scale).toFixed(2)}%`;
    const text = `${pool.usedReplicas} used, ${pool.provisionedReplicas} provisioned, ${pool.maxReplicas} maximum`;
    return h(
      "div",
      { class: "replicas" },
      h(
        "div",
        {
          class: "bar",
          role: "img",
          "aria-label": `Replicas: ${text}`,
          dataset: {
            used: pool.usedReplicas,
            provisioned: pool.provisionedReplicas,
            max: pool.maxReplicas,
          },
        },
        h("span", { class: "bar-provisioned", width: percent(pool.provisionedReplicas) }),
        h("span", { class: "bar-used", width: percent(pool.usedReplicas) }),
      ),
      h(
        "p",
        { class: "bar-legend", "aria-hidden": "true" },
        h("span", { class: "key key-used" }),
        `${pool.usedReplicas} used`,
        h("span", { class: "key key-provisioned" }),
        `${pool.provisionedReplicas} provisioned`,
        h("span", { class: "key key-max" }),
        `${pool.maxReplicas} max`,
      ),
    );
  }

  function jobRef(ref) {
    return h(
      "li",
      { dataset: { job: ref.name } },
      h("span", { class: "job-name" }, ref.displayName || shortId(ref.name)),
      " ",
      h("code", {}, shortId(ref.name)),
      ` · ${plural(ref.replicas, "replica")} `,
      ref.state ? badge(ref.state) : null,
      ref.pipeline ? pipelineOf(ref.pipeline) : null,
    );
  }

  function pipelineOf(pipeline) {
    return h(
      "span",
      { class: "owner", dataset: { pipeline: pipeline.name } },
      " · for pipeline ",
      h("span", { class: "pipeline-name" }, pipeline.displayName || shortId(pipeline.name)),
      " ",
      h("code", {}, shortId(pipeline.name)),
    );
  }

  function pipelines(list) {
    // Each training pipeline with the backing custom job it runs (and that job's state) and its model.
    return h(
      "table",
      { class: "pipelines" },
      h("caption", {}, "Training pipelines"),
      h("thead", {}, h("tr", {}, ["Pipeline", "State", "Created", "Backing custom job", "Model", "Error"]
        .map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, list.map((item) => h(
        "tr",
        { dataset: { pipeline: item.name, state: item.state } },
        h("th", { scope: "row" }, h("span", { class: "pipeline-name" }, item.displayName), h("br"),
          h("code", {}, shortId(item.name))),
        h("td", {}, badge(item.state)),
        h("td", {}, when(item.createTime)),
        h("td", { class: "backing-job" }, item.backingCustomJob
          ? [h("code", { dataset: { job: item.backingCustomJob.name } }, shortId(item.backingCustomJob.name)), " ",
            item.backingCustomJob.state ? badge(item.backingCustomJob.state) : "deleted"]
          : h("span", { class: "muted" }, "none")),
        h("td", {}, item.model ? h("code", {}, item.model.split("/models/")[1]) : h("span", { class: "muted" }, "—")),
        h("td", { class: "error-text" }, errorText(item.error)),
      ))),
    );
  }

  function refList(title, kind, refs, emptyText) {
    const heading = h("h6", {}, title);
    if (refs === null) {
      return h("div", { class: `refs ${kind}` }, heading, h("p", { class: "muted" }, "Known only to the control API."));
    }
    if (!refs.length) return h("div", { class: `refs ${kind}` }, heading, h("p", { class: "muted" }, emptyText));
    const more = refs.length - REFS_SHOWN;
    return h(
      "div",
      { class: `refs ${kind}` },
      heading,
      h(kind === "queued" ? "ol" : "ul", { "aria-label": title }, refs.slice(0, REFS_SHOWN).map(jobRef)),
      more > 0 ? h("p", { class: "muted" }, `… and ${more} more.`) : null,
    );
  }

  function pool(resource, spec) {
    const accelerator = spec.acceleratorType ? `${spec.acceleratorCount} × ${spec.acceleratorType}` : "none";
    const disk = spec.bootDiskType ? `${spec.bootDiskType}, ${spec.bootDiskSizeGb} GB` : "default";
    const scaling = spec.autoscaling
      ? `autoscaling ${spec.autoscaling.minReplicaCount}–${spec.autoscaling.maxReplicaCount}`
      : "fixed size";
    return h(
      "section",
      { class: "pool", dataset: { pool: spec.id }, "aria-label": `Pool ${spec.id} of ${resource.id}` },
      h("h5", {}, spec.id),
      h(
        "dl",
        { class: "specs" },
        h("dt", {}, "Machine"),
        h("dd", { class: "machine" }, spec.machineType),
        h("dt", {}, "Accelerator"),
        h("dd", { class: "accelerator" }, accelerator),
        h("dt", {}, "Boot disk"),
        h("dd", { class: "disk" }, disk),
        h("dt", {}, "Scaling"),
        h("dd", {}, scaling),
      ),
      replicaBar(spec),
      refList("Holding replicas", "holders", spec.holders, "No job holds replicas."),
      refList("Queued, first in first out", "queued", spec.queued, "No job is waiting."),
    );
  }

  function resource(item) {
    return h(
      "article",
      { class: "resource", dataset: { name: item.name } },
      h(
        "h4",
        {},
        item.id,
        " ",
        h("span", { class: `badge resource-${item.state.toLowerCase()}` }, item.state),
        item.displayName && item.displayName !== item.id ? h("span", { class: "muted subtitle" }, item.displayName) : null,
      ),
      item.error ? h("p", { class: "error-text" }, errorText(item.error)) : null,
      h("div", { class: "pools" }, item.pools.map((spec) => pool(item, spec))),
    );
  }

  function operations(list) {
    if (!list.length) return h("p", { class: "muted" }, "No operation in flight.");
    return h(
      "table",
      { class: "operations" },
      h("caption", {}, "Operations in flight"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Kind"), h("th", { scope: "col" }, "On"),
        h("th", { scope: "col" }, "Started"))),
      h("tbody", {}, list.map((op) => h("tr", { dataset: { operation: op.name } },
        h("td", {}, op.kind), h("td", {}, h("code", {}, op.target)), h("td", {}, when(op.createTime))))),
    );
  }

  // ------------------------------------------------------- hyperparameter tuning jobs and trials

  function trialMeasurement(trial) {
    const metrics = Object.entries(trial.metrics || {}).map(([id, value]) => `${id} ${Number(value).toPrecision(4)}`);
    if (!metrics.length) return trial.infeasibleReason ? h("span", { class: "error-text" }, trial.infeasibleReason) : "—";
    return h(
      "span",
      {},
      metrics.join(", "),
      trial.measurementSource === "stand-in"
        ? h("span", { class: "badge stand-in", title: "The emulator's deterministic stand-in, not a result" }, "stand-in")
        : null,
    );
  }

  function trialRow(trial) {
    const values = Object.entries(trial.parameters).map(([id, value]) => `${id}=${value}`).join(" ");
    return h(
      "tr",
      { dataset: { trial: trial.id, holds: String(trial.holdsReplicas) } },
      h("td", {}, trial.id),
      h("td", {}, badge(trial.state)),
      h("td", {}, h("code", {}, values)),
      h("td", { class: "holds" }, trial.holdsReplicas ? "holds replicas" : "—"),
      h("td", {}, trialMeasurement(trial)),
      h("td", {}, trial.customJob ? h("code", {}, shortId(trial.customJob)) : "—"),
    );
  }

  function tuningJob(job) {
    const holding = job.trials.filter((trial) => trial.holdsReplicas).length;
    return h(
      "article",
      { class: "tuning-job", dataset: { name: job.name } },
      h("h5", {}, job.displayName || job.id, " ", h("code", {}, job.id), " ", badge(job.state)),
      h(
        "p",
        { class: "muted" },
        `${plural(job.trials.length, "trial")} of ${job.maxTrialCount}, ${job.parallelTrialCount} at once` +
          (job.resource ? ` on ${job.resource}` : "") + ` · ${holding} holding replicas`,
      ),
      job.error ? h("p", { class: "error-text" }, errorText(job.error)) : null,
      h(
        "table",
        { class: "trials", "aria-label": `Trials of ${job.displayName || job.id}` },
        h("thead", {}, h("tr", {}, ...["Trial", "State", "Parameters", "Replicas", "Final measurement", "Job"]
          .map((title) => h("th", { scope: "col" }, title)))),
        h("tbody", {}, job.trials.map(trialRow)),
      ),
    );
  }

  function tuningJobs(list) {
    if (!list || !list.length) return null;
    return h("section", { class: "tuning-jobs" }, h("h4", {}, "Hyperparameter tuning jobs"), list.map(tuningJob));
  }

  function scope(item) {
    const counts = item.jobCounts
      ? Object.entries(item.jobCounts).map(([state, count]) => `${count} ${stateLabel(state).toLowerCase()}`)
      : [];
    return h(
      "section",
      { class: "scope", dataset: { parent: item.parent }, "aria-label": `${item.project} / ${item.location}` },
      h("h3", {}, `${item.project} / ${item.location}`),
      counts.length ? h("p", { class: "counts" }, `Jobs: ${counts.join(", ")}`) : null,
      item.persistentResources.length
        ? item.persistentResources.map(resource)
        : h("p", { class: "muted" }, "No persistent resource here."),
      item.trainingPipelines && item.trainingPipelines.length
        ? [h("h4", { class: "pipelines-title" }, "Training pipelines"), pipelines(item.trainingPipelines)]
        : null,
      tuningJobs(item.tuningJobs),
      h("h4", { class: "operations-title" }, "Operations in flight"),
      operations(item.operationsInFlight),
    );
  }

  function showOverview(data) {
    keep("scopes", data.scopes, () =>
      data.scopes.length
        ? data.scopes.map(scope)
        : [h("p", { class: "muted" }, "Nothing yet: create a persistent resource or a job through the API.")],
    );
    if (data.clock) {
      view.manualClock = data.clock.manual;
      $("clock").textContent = `Emulator time ${data.clock.now.replace("T", " ")} · ` +
        `${data.clock.manual ? "manual clock" : "real clock"} · admission: ${data.admission}`;
    }
    $("controls").hidden = !view.control;
    $("scope-form").hidden = view.control;
    $("token-form").hidden = view.control || !view.locked;
    if (view.control) $("mode").textContent = "";
    $("advance-form").hidden = !(view.control && view.manualClock);
    const parents = data.scopes.map((item) => item.parent);
    if (!parents.includes(view.jobScope)) {
      view.jobScope = parents[0] || "";
      view.tokens = [""];
    }
    keep("job-scope", parents, () => parents.map((parent) => h("option", { value: parent }, parent)));
    $("job-scope").value = view.jobScope;
    const counts = Object.assign({}, ...data.scopes.filter((item) => item.parent === view.jobScope)
      .map((item) => item.jobCounts || {}));
    keep("job-state", counts, () => [
      h("option", { value: "" }, "Any state"),
      ...JOB_STATES.map((state) =>
        h("option", { value: state }, `${stateLabel(state)}${state in counts ? ` (${counts[state]})` : ""}`)),
    ]);
    $("job-state").value = view.filter.state;
  }

  // ------------------------------------------------------------- read-only: the real API only

  function fromApiResource(item) {
    return {
      name: item.name,
      id: shortId(item.name),
      displayName: item.displayName || "",
      state: item.state || "STATE_UNSPECIFIED",
      error: item.error,
      pools: (item.resourcePools || []).map((spec) => {
        const machine = spec.machineSpec || {};
        const disk = spec.diskSpec || {};
        const scaling = spec.autoscalingSpec;
        return {
          id: spec.id,
          machineType: machine.machineType || "",
          acceleratorType: machine.acceleratorType || "",
          acceleratorCount: machine.acceleratorCount || 0,
          bootDiskType: disk.bootDiskType || "",
          bootDiskSizeGb: disk.bootDiskSizeGb || 0,
          autoscaling: scaling
            ? { minReplicaCount: Number(scaling.minReplicaCount || 0), maxReplicaCount: Number(scaling.maxReplicaCount || 0) }
            : null,
          usedReplicas: Number(spec.usedReplicaCount || 0),
          provisionedReplicas: Number(spec.replicaCount || 0),
          maxReplicas: Number((scaling && scaling.maxReplicaCount) || spec.replicaCount || 0),
          holders: null,
          queued: null,
        };
      }),
    };
  }

  function fromApiOperation(item) {
    const type = (item.metadata && item.metadata["@type"]) || "";
    const generic = (item.metadata && item.metadata.genericMetadata) || {};
    return {
      name: item.name,
      kind: type.slice(type.lastIndexOf(".") + 1).replace(/OperationMetadata$/, ""),
      target: item.name.slice(0, item.name.lastIndexOf("/operations/")),
      createTime: generic.createTime,
    };
  }

  async function readOnlyOverview() {
    const project = $("scope-project").value.trim();
    const location = $("scope-location").value.trim();
    const parent = `projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}`;
    const found = [];
    let token = "";
    for (let page = 0; page < RESOURCE_PAGES; page += 1) {
      const query = new URLSearchParams({ pageSize: "100" });
      if (token) query.set("pageToken", token);
      const data = await api("GET", `/v1/${parent}/persistentResources?${query}`);
      found.push(...(data.persistentResources || []));
      token = data.nextPageToken || "";
      if (!token) break;
    }
    const ops = await api("GET", `/v1/${parent}/operations?pageSize=100`);
    return {
      clock: null,
      scopes: [
        {
          project,
          location,
          parent,
          jobCounts: null,
          persistentResources: found.map(fromApiResource),
          operationsInFlight: (ops.operations || []).filter((op) => !op.done).map(fromApiOperation),
        },
      ],
    };
  }

  function turnReadOnly(status) {
    view.control = false;
    view.locked = status === 403;
    $("clock").textContent = "Read-only";
    $("mode").textContent = view.locked
      ? "The control API needs the token given to serve --control-token: until you give it here, this page " +
        "shows what the real API lists and offers no actions."
      : "The control API is off (serve --control off), so this page shows what the real API lists and offers " +
        "no actions.";
    if (view.locked && sessionStorage.getItem(TOKEN_KEY)) {
      sessionStorage.removeItem(TOKEN_KEY);
      say("The control API refused that token.", true);
    }
  }

  async function loadOverview() {
    if (view.control !== false) {
      try {
        const data = await api("GET", "/emulator/v1/overview");
        view.control = true;
        showOverview(data);
        return;
      } catch (failure) {
        if (!(failure instanceof ApiFailure) || ![403, 404].includes(failure.status)) throw failure;
        turnReadOnly(failure.status);
      }
    }
    showOverview(await readOnlyOverview());
  }

  // ------------------------------------------------------------------------------- the job list

  function jobFilter() {
    const quote = (text) => `"${text.replace(/["\\]/g, "\\$&")}"`;
    const parts = [];
    if (view.filter.state) parts.push(`state=${view.filter.state}`);
    if (view.filter.name) parts.push(`display_name:${quote(`*${view.filter.name}*`)}`);
    return parts.join(" AND ");
  }

  function workerPools(job) {
    const specs = ((job.jobSpec || {}).workerPoolSpecs || []).filter((spec) => spec && Object.keys(spec).length);
    return h(
      "ul",
      { class: "worker-pools" },
      specs.map((spec) => {
        const machine = spec.machineSpec || {};
        const accelerator = machine.acceleratorType ? ` (${machine.acceleratorCount || 1} × ${machine.acceleratorType})` : "";
        return h("li", {}, `${spec.replicaCount || 1} × ${machine.machineType}${accelerator}`);
      }),
    );
  }

  function actionButton(label, job, run, extra) {
    const id = shortId(job.name);
    return h(
      "button",
      {
        type: "button",
        class: extra,
        dataset: { key: `${label}:${job.name}`, action: label.toLowerCase() },
        "aria-label": `${label} job ${job.displayName} (${id})`,
        onclick: run,
      },
      label,
    );
  }

  function jobActions(job) {
    if (!view.control || ENDED.has(job.state)) return [];
    const outcome = (state, error) => () =>
      act(`${state === "JOB_STATE_SUCCEEDED" ? "Complete" : "Fail"} job "${job.displayName}" (${shortId(job.name)}) now?`,
        () => api("POST", `/emulator/v1/${job.name}:setOutcome`, error ? { state, error } : { state }),
        `Job ${shortId(job.name)} is ${stateLabel(state).toLowerCase()}.`);
    return [
      actionButton("Complete", job, outcome("JOB_STATE_SUCCEEDED")),
      actionButton("Fail", job, outcome("JOB_STATE_FAILED", { code: 13, message: "Failed from the emulator's web page." })),
      actionButton("Cancel", job, () =>
        act(`Cancel job "${job.displayName}" (${shortId(job.name)})?`,
          () => api("POST", `/v1/${job.name}:cancel`, {}),
          `Cancelling job ${shortId(job.name)}.`), "danger"),
    ];
  }

  function jobRow(job) {
    return h(
      "tr",
      { dataset: { job: job.name, state: job.state } },
      h("th", { scope: "row" }, h("span", { class: "job-name" }, job.displayName), h("br"), h("code", {}, shortId(job.name)), " ", logsButton(job)),
      h("td", {}, badge(job.state)),
      h("td", {}, when(job.createTime)),
      h("td", {}, when(job.startTime)),
      h("td", {}, when(job.endTime)),
      h("td", {}, workerPools(job)),
      h("td", {}, (job.jobSpec || {}).persistentResourceId || h("span", { class: "muted" }, "—")),
      h("td", { class: "error-text" }, errorText(job.error)),
      h("td", { class: "actions" }, jobActions(job)),
    );
  }

  function noJobRow(text, kind) {
    return [h("tr", {}, h("td", { colspan: 9, class: "muted", dataset: { empty: kind } }, text))];
  }

  async function loadJobs() {
    if (!view.jobScope) {
      keep("job-rows", [], () => noJobRow("No custom jobs: nothing has been created in any project yet.", "none"));
      view.nextToken = "";
      showPager(0);
      return;
    }
    const query = new URLSearchParams({ pageSize: String(view.pageSize) });
    const filter = jobFilter();
    if (filter) query.set("filter", filter);
    const token = view.tokens[view.tokens.length - 1];
    if (token) query.set("pageToken", token);
    let data;
    try {
      data = await api("GET", `/v1/${view.jobScope}/customJobs?${query}`);
    } catch (failure) {
      if (token && failure instanceof ApiFailure && failure.status === 400) {
        view.tokens = [""]; // the page token went stale (a reset, say): start again from the first page
        return loadJobs();
      }
      throw failure;
    }
    const jobs = data.customJobs || [];
    if (!jobs.length && view.tokens.length > 1) {
      view.tokens = [""]; // the jobs of this page are gone (deleted, or a reset): back to the first page
      return loadJobs();
    }
    view.nextToken = data.nextPageToken || "";
    await loadLogs(jobs);
    const none = filter
      ? noJobRow(`No custom job in ${view.jobScope} matches the filter.`, "filtered")
      : noJobRow(`No custom jobs in ${view.jobScope} yet.`, "none");
    keep("job-rows", [jobs, view.control, view.jobScope, filter], () => (jobs.length ? jobs.map(jobRow) : none));
    showPager(jobs.length);
  }

  // ---------------------------------------------------------------------------- a job's logs
  // Read through the Cloud Logging API the emulator serves (POST /v2/entries:list), one panel per
  // replica (task_name), refreshed with the page while the job has not ended (--execution local).

  function logsButton(job) {
    return actionButton("Logs", job, () => {
      view.logsOf = { name: job.name, state: job.state, loadedEnded: false };
      $("logs").hidden = false;
      refresh().then(() => $("logs-title").focus());
    });
  }

  async function loadLogs(jobs) {
    const shown = view.logsOf;
    if (!shown) return;
    const listed = jobs.find((job) => job.name === shown.name);
    if (listed) shown.state = listed.state;
    if (shown.loadedEnded) return;
    const [, project] = shown.name.split("/");
    const filter = `resource.type="ml_job" AND resource.labels.job_id="${shortId(shown.name)}"`;
    const entries = [];
    let pageToken = "";
    do {
      const body = { resourceNames: [`projects/${project}`], filter, orderBy: "timestamp asc", pageSize: 1000 };
      if (pageToken) body.pageToken = pageToken;
      const data = await api("POST", "/v2/entries:list", body);
      entries.push(...(data.entries || []));
      pageToken = data.nextPageToken || "";
    } while (pageToken);
    shown.loadedEnded = ENDED.has(shown.state) && shown.state !== "JOB_STATE_CANCELLING";
    $("logs-title").textContent = `Logs of job ${shortId(shown.name)} (${stateLabel(shown.state).toLowerCase()})`;
    const byTask = new Map();
    for (const entry of entries) {
      const task = ((entry.resource || {}).labels || {}).task_name || "unknown_task";
      if (!byTask.has(task)) byTask.set(task, []);
      const message = entry.jsonPayload ? entry.jsonPayload.message || JSON.stringify(entry.jsonPayload) : entry.textPayload;
      byTask.get(task).push(`${entry.timestamp} ${entry.severity || "DEFAULT"} ${message || ""}`);
    }
    keep("log-panels", [shown.name, entries.length, entries.length && entries[entries.length - 1].insertId], () =>
      byTask.size
        ? [...byTask].map(([task, lines]) =>
            h("details", { open: true, class: "log-panel", dataset: { task } },
              h("summary", {}, `${task} · ${plural(lines.length, "line")}`),
              h("pre", { class: "log-lines" }, lines.join("\n"))))
        : [h("p", { class: "muted" }, "No log entries: jobs write logs when the emulator runs them (serve --execution local).")],
    );
  }

  function showPager(count) {
    const page = view.tokens.length;
    $("page-info").textContent = `Page ${page} · ${plural(count, "job")} shown`;
    $("prev-page").disabled = page === 1;
    $("next-page").disabled = !view.nextToken;
  }

  // ------------------------------------------------------------------- refreshing and acting

  let running = null;
  let again = false;

  function refresh() {
    // One refresh at a time; a request for another while one runs makes it run once more after.
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await loadOverview();
          await loadJobs();
          document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
        } catch (failure) {
          say(failure.message, true);
        }
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  async function act(question, call, done) {
    if (!window.confirm(question)) return;
    try {
      await call();
      say(done);
    } catch (failure) {
      say(failure.message, true);
    }
    await refresh();
  }

  function wire() {
    $("advance-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const seconds = Number($("advance-seconds").value);
      act(`Advance the emulator's clock by ${seconds} s?`,
        () => api("POST", "/emulator/v1/clock:advance", { seconds }),
        `Clock advanced by ${seconds} s.`);
    });
    $("reset").addEventListener("click", () =>
      act("Reset the emulator? Every persistent resource, job and operation is deleted.",
        () => api("POST", "/emulator/v1/reset", {}),
        "The emulator was reset."));
    const applyFilter = () => {
      view.jobScope = $("job-scope").value;
      view.filter = { state: $("job-state").value, name: $("job-name").value.trim() };
      view.pageSize = Number($("page-size").value);
      view.tokens = [""];
      refresh();
    };
    $("job-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      applyFilter();
    });
    // A choice in a list applies at once, so a refresh never puts back a value the user just changed.
    for (const id of ["job-scope", "job-state", "page-size"]) $(id).addEventListener("change", applyFilter);
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("control-token").value);
      $("control-token").value = "";
      view.control = null;
      say("");
      refresh();
    });
    $("scope-form").addEventListener("submit", (event) => {
      event.preventDefault();
      view.tokens = [""];
      refresh();
    });
    $("close-logs").addEventListener("click", () => {
      view.logsOf = null;
      $("logs").hidden = true;
    });
    $("next-page").addEventListener("click", () => {
      if (!view.nextToken) return;
      view.tokens.push(view.nextToken);
      refresh();
    });
    $("prev-page").addEventListener("click", () => {
      if (view.tokens.length > 1) view.tokens.pop();
      refresh();
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) refresh();
    });
    setInterval(() => {
      if (!document.hidden) refresh();
    }, POLL_MS);
  }

  wire();
  refresh();
})();
