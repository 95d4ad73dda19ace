"""The hub checkpoint source against a loopback server speaking the hub's HTTP API: the real
huggingface_hub client runs unmodified, pointed at it with HF_ENDPOINT."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pandas as pd
from hub_server import commit_of, folder_files, serve
from workflow_helpers import SNAKEMAKE, small_config, write_config

REPO = "EleutherAI/pythia-tiny"


def _fetch(url: str, cache: str, revisions: list[str]) -> subprocess.CompletedProcess:
    script = textwrap.dedent(f"""
        from transformers import AutoModel
        from pipeline.checkpoints import HubSource
        source = HubSource({REPO!r}, cache_dir={cache!r})
        for revision in {revisions!r}:
            folder = source.fetch(revision)
            AutoModel.from_pretrained(folder)
            print(revision, folder.name, ",".join(sorted(p.name for p in folder.iterdir())))
    """)
    env = {**os.environ, "HF_ENDPOINT": url}
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)


def test_hub_source_downloads_revisions_pinned_to_their_commits(checkpoint_root, tmp_path):
    branches = {r: folder_files(checkpoint_root / r) for r in ("step0", "step1")}
    with serve({REPO: branches}) as (url, hub):
        result = _fetch(url, str(tmp_path), ["step0", "step1"])
        assert result.returncode == 0, result.stderr[-3000:]
        lines = result.stdout.strip().split("\n")[-2:]
        for line, (revision, files) in zip(lines, branches.items()):
            name, folder, listed = line.split()
            assert (name, folder) == (revision, commit_of(files))  # the snapshot is the branch's commit
            assert set(listed.split(",")) == set(files)
        assert any("/resolve/" in r and "model.safetensors" in r for r in hub.requests)

        again = _fetch(url, str(tmp_path), ["step1"])  # cached: no new download of the weights
        assert again.returncode == 0, again.stderr[-3000:]
        weights = [r for r in hub.requests if r.startswith("GET") and r.endswith("model.safetensors")]
        assert len(weights) == 2


def test_missing_revision_fails_naming_it(checkpoint_root, tmp_path):
    with serve({REPO: {"step0": folder_files(checkpoint_root / "step0")}}) as (url, _):
        result = _fetch(url, str(tmp_path), ["step7"])
    assert result.returncode != 0
    assert "step7" in result.stderr


def test_workflow_on_a_hub_trajectory_equals_the_local_one(small_run, tmp_path):
    """Serve the small run's own checkpoints as a Pythia-named hub repo: the workflow that
    downloads them produces the same metrics as the run that trained them."""
    trajectory = small_run / "results" / "checkpoints" / "tiny-s0"
    steps = small_config()["tiny"]["train"]["checkpoint_steps"]
    branches = {f"step{s}": folder_files(trajectory / f"step{s}") for s in steps}
    config = small_config()
    tokens_per_step = config["tiny"]["train"]["batch_size"] * config["tiny"]["model"]["context"]
    config["models"] = {"pythia-tiny": {"source": "hub", "repo": REPO, "revisions": list(branches),
                                        "tokens_per_step": tokens_per_step}}
    config["weak_supervisor"].update(model="pythia-tiny")
    config["hub"] = {"cache_dir": str(tmp_path / "hf_cache")}
    write_config(tmp_path, config)
    with serve({REPO: branches}) as (url, _):
        result = subprocess.run([*SNAKEMAKE, "--cores", "2"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=900, env={**os.environ, "HF_ENDPOINT": url})
    assert result.returncode == 0, result.stderr[-5000:]
    ours = pd.read_csv(tmp_path / "results" / "tables" / "metrics.csv").drop(columns="model")
    theirs = pd.read_csv(small_run / "results" / "tables" / "metrics.csv").drop(columns="model")
    pd.testing.assert_frame_equal(ours.reset_index(drop=True), theirs.reset_index(drop=True))
