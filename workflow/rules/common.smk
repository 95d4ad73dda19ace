import dataclasses
import re
import sys

# Snakemake builds the DAG by recursion, and the download chain (pipeline/checkpoints/prefetch.py)
# makes it as deep as the hub revisions over (prefetch + 1) × lanes: 1,386 links for the whole
# Pythia suite at the defaults, past Python's default limit of 1,000 frames. Python-to-Python calls
# use no C stack since 3.11, so a higher limit is safe.
sys.setrecursionlimit(50_000)

import pipeline.paths as paths
from pipeline.analysis.adaptive_round import Round, probed_revisions
from pipeline.checkpoints.prefetch import download_waits
from pipeline.checkpoints.schedule import adaptive_settings, is_student, model_revisions, students, trajectories
from pipeline.config import (
    AnalysisConfig,
    ExtractionConfig,
    HubConfig,
    MetricsConfig,
    ProbeConfig,
    WeakSupervisorConfig,
)
from pipeline.extraction.store import remove_unreadable
from pipeline.preflight import check_config
from pipeline.resources import job_resources, model_parameters
from pipeline.tasks.splits import DEFAULT_TRUNCATION_SIDE
from snakemake.utils import validate

validate(config, schema="../../config/schemas/config.schema.yaml")
check_config(config)

# the typed sections, built (and so checked) once; the schema has filled their defaults
EXTRACTION = ExtractionConfig.from_mapping(config["extraction"])
PROBES = ProbeConfig.from_mapping(config["probes"])
METRICS = MetricsConfig.from_mapping(config["metrics"])
WEAK_SUPERVISORS = {name: WeakSupervisorConfig.from_mapping(spec) for name, spec in config["weak_supervisors"].items()}
ANALYSIS = AnalysisConfig.from_mapping(config["analysis"])
HUB = HubConfig.from_mapping(config["hub"])


def as_params(section):
    """A typed section as plain values: Snakemake reruns a job when its params change, and it
    compares only built-in types (the job's script rebuilds the section with from_mapping)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(section).items()}


REVISIONS = {model: model_revisions(config, model) for model in config["models"]}
TASKS = sorted(config["tasks"])
# the models probed along their trajectories; a supervisor model only lends activations
STUDENTS = students(config)
# extraction cuts long token sequences on the side each task's table cuts characters
TRUNCATION_SIDES = {task: config["tasks"][task].get("truncation_side", DEFAULT_TRUNCATION_SIDE) for task in TASKS}


# A tiny model's checkpoints all come from one pre-training job, so one job extracts (and one
# probes) all its revisions: that saves a process start and the torch/transformers imports per
# revision (seconds each, most of a tiny revision's cost). Other models get one job per revision.
ONE_JOB_MODELS = [m for m, spec in config["models"].items() if spec["source"] == "tiny"]
PER_REVISION_MODELS = [m for m in config["models"] if m not in ONE_JOB_MODELS]
ONE_JOB_STUDENTS = [m for m in ONE_JOB_MODELS if is_student(config, m)]
# hub checkpoints are downloaded by a job of their own, ahead of their extraction (hub.prefetch)
HUB_MODELS = [m for m, spec in config["models"].items() if spec["source"] == "hub"]
PER_REVISION_STUDENTS = [m for m in PER_REVISION_MODELS if is_student(config, m)]


def model_pattern(models):
    """A wildcard constraint matching exactly `models` (nothing if there are none)."""
    return "|".join(map(re.escape, models)) or "(?!)"


def rule_name(prefix, model):
    identifier = re.sub(r"\W", "_", model)
    return f"{prefix}_{identifier}"


# Models whose revisions are chosen in rounds, by the checkpoint rule adaptive_round
ADAPTIVE = {m: settings for m in STUDENTS if (settings := adaptive_settings(config, m)) is not None}


def adaptive_round_files(model):
    """The model's round files, up to the one that stops. Called from input functions only: while
    a round is missing, Snakemake runs it (and what it needs) and then asks again."""
    files = []
    while True:
        files.append(checkpoints.adaptive_round.get(model=model, round=len(files)).output[0])
        if Round.read(files[-1]).stop is not None:
            return files


def probed(model):
    """The names of the model's revisions the run probes, in training order (an adaptive model's
    from its rounds, so only in input and params functions)."""
    if model not in ADAPTIVE:
        return [r.name for r in REVISIONS[model]]
    chosen = set(probed_revisions([Round.read(f) for f in adaptive_round_files(model)]))
    return [r.name for r in REVISIONS[model] if r.name in chosen]


def revision_pairs():
    """(model, revision name) of every revision the run probes, in a fixed order."""
    return [(m, r) for m in STUDENTS for r in probed(m)]


def per_revision(path):
    """`path(model, revision)` for every revision the run probes."""
    return [path(m, r) for m, r in revision_pairs()]


def remove_unreadable_activations():
    """Delete truncated or corrupted activations files, so that they are extracted again rather
    than read. It has to run before the DAG is built (a present file would count as done)."""
    candidates = [paths.activations(m, r.name) for m, revs in REVISIONS.items() for r in revs]
    for removed in remove_unreadable(candidates):
        print(f"Removed unreadable {removed}; it will be extracted again.", file=sys.stderr)


remove_unreadable_activations()


wildcard_constraints:
    model="|".join(map(re.escape, config["models"])),
    revision=r"[A-Za-z0-9._-]+",
    task="|".join(map(re.escape, TASKS)),
    supervisor="|".join(map(re.escape, WEAK_SUPERVISORS)),
    round=r"\d+",


def all_targets():
    targets = [
        paths.metrics_table(),
        paths.figure("accuracy_vs_step"),
        paths.figure("pgr_vs_step"),
        paths.summary(),
    ]
    if "synthetic" in config:
        targets += [paths.synthetic_table("summary"), paths.synthetic_adaptive_table("adaptive_n")]
    return targets


def rule_resources(rule, model=None):
    """Resources of a rule's jobs by model size (config job_resources), for `model` or else the
    job's model wildcard; memory grows with each retry."""

    def resource(key):
        def amount(wildcards, attempt):
            value = job_resources(config, model or wildcards.model, rule)[key]
            return value * attempt if key == "mem_mb" else value

        return amount

    return {key: resource(key) for key in config["job_resources"][0][rule]}


def tiny_model_spec(model):
    """tiny.model with the model's own `tiny_model` keys (e.g. a smaller supervisor)."""
    return {**config["tiny"]["model"], **config["models"][model].get("tiny_model", {})}


def tiny_train_spec(model):
    """tiny.train; a supervisor model is pre-trained only up to the last revision it lends."""
    train = dict(config["tiny"]["train"])
    if not is_student(config, model):
        train["checkpoint_steps"] = [r.step for r in REVISIONS[model]]
    return train


def revision_info(model, revision):
    return next(r for r in REVISIONS[model] if r.name == revision)


def task_inputs(wildcards):
    """Inputs of a task's table, by its source: the corpus's task documents (tiny), the local
    files (file: the table is rebuilt when they change), none (hub: fetched inside the job).
    A file or hub spec is checked here, before any job starts."""
    from pipeline.tasks.task_table import task_input_files

    spec = config["tasks"][wildcards.task]
    if spec["source"] == "tiny":
        return {"documents": paths.tiny_task_documents()}
    return task_input_files(wildcards.task, spec)


# {(model, revision): the (model, revision) whose extraction its download waits for}: the chained
# hub revisions, model by model, dealt to lanes
DOWNLOAD_WAITS = download_waits(
    [(m, r.name) for m in HUB_MODELS if m not in ADAPTIVE for r in REVISIONS[m]], HUB.prefetch, HUB.lanes
)


def download_inputs(wildcards):
    """A download starts after the pre-flight, and after the extraction it waits for in its lane
    (pipeline/checkpoints/prefetch.py); ancient: re-extracting that revision later does not make
    this one stale. An adaptive model's revisions are chosen in rounds, so they have no fixed order
    to chain: only the pre-flight bounds them."""
    inputs = {"integrity": ancient(paths.integrity_table())}
    before = DOWNLOAD_WAITS.get((wildcards.model, wildcards.revision))
    if before is not None:
        inputs["before"] = ancient(paths.activations(*before))
    return inputs


def downloaded_checkpoint(wildcards):
    """A hub revision's download record (its extraction reads the checkpoint it points to)."""
    return [paths.download_record(wildcards.model, wildcards.revision)] if wildcards.model in HUB_MODELS else []


def weak_supervisor_inputs(wildcards):
    inputs = {"task": paths.task_table(wildcards.task)}
    spec = WEAK_SUPERVISORS[wildcards.supervisor]
    if spec.kind == "probe":
        inputs["activations"] = paths.activations(spec.model, spec.revision)
    return inputs


def all_weak_labels():
    """Every supervisor's labels of every task, supervisor-major (the probes job's order)."""
    return [paths.weak_labels(s, t) for s in WEAK_SUPERVISORS for t in TASKS]


def adaptive_round_inputs(wildcards):
    """Round k of a model needs the integrity table (the revisions it must not probe) and the
    probe results of every revision of rounds 0 … k-1."""
    inputs = {"integrity": paths.integrity_table()}
    previous = [
        checkpoints.adaptive_round.get(model=wildcards.model, round=j).output[0] for j in range(int(wildcards.round))
    ]
    if previous:
        names = probed_revisions([Round.read(f) for f in previous])
        inputs["rounds"] = previous
        inputs["metrics"] = [paths.probe_metrics(wildcards.model, r) for r in names]
        inputs["predictions"] = [paths.probe_predictions(wildcards.model, r) for r in names]
    return inputs


def all_adaptive_round_files(wildcards=None):
    return [f for model in ADAPTIVE for f in adaptive_round_files(model)]
