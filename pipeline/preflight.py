"""Cross-key checks of the validated workflow config that a JSON schema cannot express, run
when the DAG is built, before any job starts."""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.checkpoints.revisions import UnknownRevisionError
from pipeline.checkpoints.schedule import model_revisions, schedule
from pipeline.config import ConfigError
from pipeline.resources import job_resources


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
            job_resources(config, model, "extract")
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
