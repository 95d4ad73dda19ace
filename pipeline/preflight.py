"""Cross-key checks of the validated workflow config that a JSON schema cannot express, run
when the DAG is built, before any job starts."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.checkpoints.hub import branch_commits, resolve_commit
from pipeline.checkpoints.revisions import UnknownRevisionError
from pipeline.checkpoints.schedule import (
    adaptive_settings,
    is_student,
    local_root,
    manifest_commits,
    model_revisions,
    schedule,
    step_repos,
    students,
    supervisor_revisions,
)
from pipeline.config import ALL_LAYERS, ConfigError, ExtractionConfig, ProbeConfig, check_layer
from pipeline.resources import job_resources
from pipeline.tasks.files import check_file_spec, file_paths


def check_config(config: Mapping) -> None:
    """Cross-key checks, run before any job starts."""
    models = config["models"]
    tiny = config.get("tiny", {})
    check_probed(config)  # the stored and probed layers, before any check that compares them
    if any(spec["source"] == "tiny" for spec in models.values()) and not {"model", "train"} <= set(tiny):
        raise ConfigError("models of source 'tiny' need the sections tiny.model and tiny.train")
    if any(spec["source"] == "tiny" for spec in config["tasks"].values()) and "corpus" not in tiny:
        raise ConfigError("tasks of source 'tiny' need the section tiny.corpus")
    check_paths(config)
    for model in models:
        try:
            model_revisions(config, model)
            job_resources(config, model, "extract")
        except (ValueError, OSError) as error:
            raise ConfigError(str(error)) from None
        if adaptive_settings(config, model) is not None and models[model]["source"] == "tiny":
            raise ConfigError(
                f"models.{model}.revisions: adaptive needs a hub or local model (one job per revision); "
                "a tiny model's revisions are all built by one pre-training job: use 'all' or a selection"
            )
    for model, spec in models.items():
        if spec["source"] == "local":
            check_model_blocks(config, model)
    check_weak_supervisors(config)


def check_weak_supervisors(config: Mapping) -> None:
    """Each probe supervisor names a model, one of its revisions and an extracted layer; a
    supervisor model is read by some supervisor and names no revisions of its own; some model is
    a student."""
    models = config["models"]
    if not students(config):
        raise ConfigError(f"models: every model has role supervisor; at least one must be a student: {sorted(models)}")
    for name, weak in config["weak_supervisors"].items():
        if weak["kind"] != "probe":
            continue
        if weak["model"] not in models:
            raise ConfigError(
                f"weak_supervisors.{name}.model {weak['model']!r} is not a key of models: {sorted(models)}"
            )
        names = [r.name for r in schedule(config, weak["model"])]
        if weak["revision"] not in names:
            raise ConfigError(f"weak_supervisors.{name}: {UnknownRevisionError(weak['revision'], names)}")
        check_stored_layer(f"weak_supervisors.{name}.layer", weak["layer"], config["extraction"]["layers"])
    for model, spec in models.items():
        if is_student(config, model):
            continue
        if "revisions" in spec:
            raise ConfigError(f"models.{model}: a model of role supervisor uses the revisions its weak supervisors "
                              "name; drop its `revisions`")
        if not supervisor_revisions(config, model):
            raise ConfigError(f"models.{model} has role supervisor but no weak supervisor of kind probe reads it")


def check_probed(config: Mapping) -> None:
    """What probes read is stored: probes.layers among extraction.layers, probes.pooling among
    extraction.poolings. Checked at DAG build, so that a probe never waits on a missing tensor."""
    probes = ProbeConfig.from_mapping(config.get("probes"))
    extraction = ExtractionConfig.from_mapping(config["extraction"])
    for spec in probes.layers or ():
        check_stored_layer("probes.layers", spec, config["extraction"]["layers"])
    if probes.pooling is not None and probes.pooling not in extraction.poolings:
        raise ConfigError(f"probes.pooling {probes.pooling!r} is not stored: extraction.poolings is "
                          f"{list(extraction.poolings)}")


def check_stored_layer(key: str, layer: int | float, layers: Sequence[int | float] | str) -> None:
    """A probed layer (config key `key`) is one of extraction.layers, written the same way: an
    index among the indices or a depth among the depths (1 and 1.0 differ: layer 1, or the last
    layer); any layer is stored where extraction.layers is "all"."""
    check_layer(key, layer)
    if layers == ALL_LAYERS:
        return
    if not any(type(layer) is type(spec) and layer == spec for spec in layers):
        kind = "relative depth" if isinstance(layer, float) else "index"
        raise ConfigError(
            f"{key} {layer!r} ({kind}) is not stored: extraction.layers is {layers}; "
            "an int is an index and a float a depth, so write it as it is written there"
        )


def check_paths(config: Mapping) -> None:
    """Every local checkpoint folder and task file exists, checked on every DAG build: a path
    changed to a missing one fails here even where outputs of an earlier, valid path exist."""
    for model, spec in config["models"].items():
        if spec["source"] == "local" and not Path(spec["path"]).is_dir():
            raise ConfigError(f"models.{model}.path: checkpoint folder {spec['path']!r} does not exist")
    for task, spec in config["tasks"].items():
        if spec["source"] == "file":
            check_file_spec(task, spec)  # a malformed spec is named before its files are looked for
            for path in file_paths(spec):
                if not Path(path).is_file():
                    raise ConfigError(f"tasks.{task}.path: file {path!r} does not exist")


def check_model_blocks(config: Mapping, model: str) -> None:
    """The model's architecture has a list of its blocks, from its config.json alone (local: at
    DAG build; hub: in the integrity pre-flight, which downloads only config.json)."""
    from pipeline.extraction.engine import check_blocks

    spec = config["models"][model]
    revision = model_revisions(config, model)[-1].name
    try:
        if spec["source"] != "hub":
            check_blocks(Path(local_root(config, model)) / revision)
            return
        from huggingface_hub import hf_hub_download

        repos = step_repos(spec)
        repo, branch = (repos[revision], "main") if repos is not None else (spec["repo"], revision)
        commits = manifest_commits(spec)
        commit = resolve_commit(repo, branch, commits if commits is not None else branch_commits(repo))
        with tempfile.TemporaryDirectory(prefix="config-") as folder:
            hf_hub_download(repo, "config.json", revision=commit, local_dir=folder)
            check_blocks(folder)
    except TypeError as error:
        raise ConfigError(f"model {model!r} ({revision}): {error}") from None
