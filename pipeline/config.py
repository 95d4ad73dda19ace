"""Checks and lookups on the validated workflow config that a JSON schema cannot express."""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.checkpoints import CheckpointSource, HubSource, LocalDirectorySource
from pipeline.paths import tiny_checkpoints
from pipeline.revisions import (
    Revision,
    UnknownRevisionError,
    parse_revision,
    pythia_revisions,
    select_revisions,
    step_revision,
)


def tiny_revisions(config: Mapping) -> list[Revision]:
    train = config["tiny"]["train"]
    tokens_per_step = train["batch_size"] * config["tiny"]["model"]["context"]
    return [Revision(step_revision(s), s, s * tokens_per_step) for s in sorted(set(train["checkpoint_steps"]))]


def schedule(config: Mapping, model: str) -> list[Revision]:
    """Every revision a model's trajectory has, in training order."""
    spec = config["models"][model]
    source = spec["source"]
    if source == "tiny":
        return tiny_revisions(config)
    if spec.get("schedule") == "pythia":
        return pythia_revisions()
    if source == "local" and spec.get("revisions", "all") == "all":
        names = LocalDirectorySource(spec["path"]).revisions()
    elif isinstance(spec.get("revisions"), list):
        names = spec["revisions"]
    else:
        raise ValueError(
            f"model {model!r}: revisions must be listed explicitly for source {source!r} "
            "without a known schedule (schedule: pythia)"
        )
    tokens_per_step = spec.get("tokens_per_step")
    return sorted((parse_revision(n, tokens_per_step) for n in names), key=lambda r: r.step)


def model_revisions(config: Mapping, model: str) -> list[Revision]:
    """The revisions of a model that the run uses; raises naming any unknown revision."""
    try:
        return select_revisions(schedule(config, model), config["models"][model].get("revisions", "all"))
    except ValueError as error:
        raise ValueError(f"model {model!r}: {error}") from error


def checkpoint_source(config: Mapping, model: str) -> CheckpointSource:
    spec = config["models"][model]
    if spec["source"] == "tiny":
        return LocalDirectorySource(tiny_checkpoints(model))
    if spec["source"] == "local":
        return LocalDirectorySource(spec["path"])
    return HubSource(spec["repo"], cache_dir=config.get("hub", {}).get("cache_dir"))


class ConfigError(ValueError):
    """A config that passes the schema but cannot run; the message names the key and value."""


def check_config(config: Mapping) -> None:
    """Cross-key checks, run before any job starts."""
    models = config["models"]
    tiny = config.get("tiny", {})
    if any(spec["source"] == "tiny" for spec in models.values()) and not {"model", "train"} <= set(tiny):
        raise ConfigError("models of source 'tiny' need the sections tiny.model and tiny.train")
    if any(spec["source"] == "tiny" for spec in config["tasks"].values()) and "corpus" not in tiny:
        raise ConfigError("tasks of source 'tiny' need the section tiny.corpus")
    for model in models:
        try:
            model_revisions(config, model)
        except (ValueError, OSError) as error:
            raise ConfigError(str(error)) from None
    weak = config["weak_supervisor"]
    if weak["kind"] == "probe":
        if weak["model"] not in models:
            raise ConfigError(f"weak_supervisor.model {weak['model']!r} is not a key of models: {sorted(models)}")
        names = [r.name for r in schedule(config, weak["model"])]
        if weak["revision"] not in names:
            raise ConfigError(f"weak_supervisor: {UnknownRevisionError(weak['revision'], names)}")
        if weak["layer"] not in config["extraction"]["layers"]:
            raise ConfigError(
                f"weak_supervisor.layer {weak['layer']} is not among extraction.layers {config['extraction']['layers']}"
            )
