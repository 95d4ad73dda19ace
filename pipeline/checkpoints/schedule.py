"""A model's trajectory from the config: its revisions, where its checkpoints come from, and its
integrity rows."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipeline.checkpoints.integrity import hub_rows, local_rows
from pipeline.checkpoints.manifests import manifest_path, read_manifest
from pipeline.checkpoints.revisions import Revision, parse_revision, pythia_revisions, select_revisions, step_revision
from pipeline.checkpoints.sources import CheckpointSource, HubSource, LocalDirectorySource
from pipeline.config import HubConfig
from pipeline.paths import tiny_checkpoints


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
    if spec.get("schedule") == "manifest":
        revisions, _ = read_manifest(manifest_path(spec["repo"]), spec.get("tokens_per_step"))
        stages = sorted({r.name.split("-")[0] for r in revisions if r.name.startswith("stage")})
        stage = spec.get("stage")
        if stage is None and len(stages) > 1:  # steps restart in each stage: one trajectory at a time
            raise ValueError(f"model {model!r}: its manifest has the stages {stages}; choose one with `stage`")
        if stage is not None and stage not in stages:
            raise ValueError(f"model {model!r}: stage {stage!r} is not in its manifest; stages: {stages or 'none'}")
        return [r for r in revisions if stage is None or r.name.startswith(f"{stage}-")]
    if source == "local" and spec.get("revisions", "all") == "all":
        names = LocalDirectorySource(spec["path"]).revisions()
    elif isinstance(spec.get("revisions"), list):
        names = spec["revisions"]
    else:
        raise ValueError(
            f"model {model!r}: revisions must be listed explicitly for source {source!r} "
            "without a schedule (schedule: pythia or manifest)"
        )
    tokens_per_step = spec.get("tokens_per_step")
    return sorted((parse_revision(n, tokens_per_step) for n in names), key=lambda r: r.step)


def model_revisions(config: Mapping, model: str) -> list[Revision]:
    """The revisions of a model that the run uses; raises naming any unknown revision."""
    try:
        return select_revisions(schedule(config, model), config["models"][model].get("revisions", "all"))
    except ValueError as error:
        raise ValueError(f"model {model!r}: {error}") from error


def trajectories(config: Mapping) -> dict[str, list[str]]:
    """{trajectory: its models, the seeds of one recipe}, from `models.<name>.trajectory`
    (default: "tiny" for tiny models, else the model's own name)."""
    groups: dict[str, list[str]] = {}
    for model, spec in config["models"].items():
        default = "tiny" if spec["source"] == "tiny" else model
        groups.setdefault(spec.get("trajectory", default), []).append(model)
    return groups


def local_root(config: Mapping, model: str) -> str:
    """The folder of revision sub-folders of a tiny or local model."""
    spec = config["models"][model]
    return tiny_checkpoints(model) if spec["source"] == "tiny" else spec["path"]


def manifest_commits(spec: Mapping) -> dict[str, str] | None:
    """{revision: commit} of a hub model pinned by its manifest (None: resolved on the hub)."""
    return read_manifest(manifest_path(spec["repo"]))[1] if spec.get("schedule") == "manifest" else None


def checkpoint_source(config: Mapping, model: str) -> CheckpointSource:
    spec = config["models"][model]
    if spec["source"] == "hub":
        return HubSource(spec["repo"], HubConfig.from_mapping(config.get("hub")), manifest_commits(spec))
    return LocalDirectorySource(local_root(config, model))


def model_rows(config: Mapping, model: str) -> list[dict]:
    """The integrity rows of one configured model's revisions, by its source."""
    spec = config["models"][model]
    revisions = model_revisions(config, model)
    if spec["source"] == "hub":
        return hub_rows(spec["repo"], revisions, manifest_commits(spec))
    return local_rows(Path(local_root(config, model)), revisions)
