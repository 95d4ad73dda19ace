"""A model's trajectory from the config: its revisions, where its checkpoints come from, and its
integrity rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from pipeline.checkpoints.integrity import (
    FinalWeights,
    hub_final_weights,
    hub_rows,
    local_final_weights,
    local_rows,
    step_repo_final_weights,
    step_repo_rows,
)
from pipeline.checkpoints.manifests import manifest_path, read_manifest
from pipeline.checkpoints.revisions import (
    Revision,
    is_adaptive,
    parse_names,
    pythia_revisions,
    select_revisions,
    step_revision,
)
from pipeline.checkpoints.sources import CheckpointSource, HubSource, LocalDirectorySource
from pipeline.config import AdaptiveConfig, ConfigError, HubConfig
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
    repos = step_repos(spec)
    if repos is not None:
        names = list(repos)
    elif source == "local":
        names = LocalDirectorySource(spec["path"]).revisions()
    elif isinstance(spec.get("revisions"), list):
        names = spec["revisions"]
    else:
        raise ValueError(
            f"model {model!r}: revisions must be listed explicitly for source {source!r} "
            "without a schedule (schedule: pythia or manifest), repos or repo_template"
        )
    revisions = parse_names(names, spec.get("naming"), spec.get("tokens_per_step"))
    if source == "local":  # a Trainer run's trainer_state.json counts the tokens seen
        local = LocalDirectorySource(spec["path"])
        revisions = [replace(r, tokens=local.tokens_seen(r.name) or r.tokens) for r in revisions]
    return revisions


def step_repos(spec: Mapping) -> dict[str, str] | None:
    """{revision: repo} of a trajectory whose revisions are separate hub repos, from `repos` or
    `repo_template` and `steps` (a revision is named as its repo); None for one repo."""
    if "repos" in spec:
        return dict(spec["repos"])
    if "repo_template" in spec:
        repos = [spec["repo_template"].format(step=step) for step in spec["steps"]]
        return {repo.split("/")[-1]: repo for repo in repos}
    return None


def is_student(config: Mapping, model: str) -> bool:
    """Whether the run probes the model along its trajectory (role student), rather than only
    reading a weak supervisor's activations from it (role supervisor)."""
    return config["models"][model].get("role", "student") == "student"


def students(config: Mapping) -> list[str]:
    """The models the run probes, in config order."""
    return [model for model in config["models"] if is_student(config, model)]


def supervisor_revisions(config: Mapping, model: str) -> list[str]:
    """The revisions of `model` that weak supervisors of kind probe read."""
    specs = config["weak_supervisors"].values()
    return sorted({s["revision"] for s in specs if s["kind"] == "probe" and s["model"] == model})


def model_revisions(config: Mapping, model: str) -> list[Revision]:
    """The revisions of a model that the run uses, in training order (a supervisor model's: those
    its weak supervisors read); raises naming any unknown revision."""
    try:
        revisions = schedule(config, model)
        if is_student(config, model):
            return select_revisions(revisions, config["models"][model].get("revisions", "all"))
        chosen = {r.name for r in select_revisions(revisions, supervisor_revisions(config, model))}
        return [r for r in revisions if r.name in chosen]
    except ValueError as error:
        raise ValueError(f"model {model!r}: {error}") from error


def adaptive_settings(config: Mapping, model: str) -> AdaptiveConfig | None:
    """The adaptive schedule of a model whose `revisions` are adaptive (the `adaptive` section
    with the model's own changes), else None."""
    selection = config["models"][model].get("revisions", "all")
    if not is_student(config, model) or not is_adaptive(selection):
        return None
    changes = selection["adaptive"] if isinstance(selection, dict) else None
    try:
        return AdaptiveConfig.from_mapping(config.get("adaptive")).updated(changes)
    except ValueError as error:
        raise ConfigError(f"model {model!r}: {error}") from None


def trajectories(config: Mapping) -> dict[str, list[str]]:
    """{trajectory: its models, the seeds of one recipe}, from `models.<name>.trajectory`
    (default: "tiny" for tiny models, else the model's own name)."""
    groups: dict[str, list[str]] = {}
    for model in students(config):
        spec = config["models"][model]
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
        settings = HubConfig.from_mapping(config.get("hub"))
        return HubSource(spec.get("repo"), settings, manifest_commits(spec), step_repos(spec))
    return LocalDirectorySource(local_root(config, model))


def model_rows(config: Mapping, model: str) -> tuple[list[dict], FinalWeights, str]:
    """The integrity rows of one configured model's revisions, by its source; its final
    weights; and the name of its final revision (the last of its schedule)."""
    spec = config["models"][model]
    revisions = model_revisions(config, model)
    # a tiny supervisor model is pre-trained only up to the last revision it lends
    built = spec["source"] == "tiny" and not is_student(config, model)
    final = revisions[-1] if built else schedule(config, model)[-1]
    repos = step_repos(spec)
    if repos is not None:
        rows = step_repo_rows(repos, revisions)
        return rows, step_repo_final_weights(repos, final, rows), final.name
    if spec["source"] == "hub":
        commits = manifest_commits(spec)
        rows = hub_rows(spec["repo"], revisions, commits)
        return rows, hub_final_weights(spec["repo"], final, rows, commits), final.name
    root = Path(local_root(config, model))
    rows = local_rows(root, revisions)
    return rows, local_final_weights(root, final, rows), final.name
