"""An adaptive schedule run end to end against the loopback hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import unquote

import pandas as pd

from tests.fakes.hub_server import folder_files, serve
from tests.workflow_runs.helpers import SNAKEMAKE, job_counts, small_config, write_config

REPO = "EleutherAI/pythia-adaptive"


def downloaded(hub, repo: str) -> dict[str, set[str]]:
    """{branch: files fetched from it} (GETs of …/resolve/<commit or branch>/<file>)."""
    branch_of = {c: b for b, c in hub.commits[repo].items()} | {b: b for b in hub.commits[repo]}
    fetched: dict[str, set[str]] = {}
    for request in hub.requests:
        method, path = request.split(" ", 1)
        parts = unquote(path.split("?")[0]).strip("/").split("/")
        if method == "GET" and "/".join(parts[:2]) == repo and parts[2:3] == ["resolve"]:
            fetched.setdefault(branch_of[parts[3]], set()).add("/".join(parts[4:]))
    return fetched


def test_an_adaptive_run_downloads_only_the_revisions_of_its_table(small_run, tmp_path):
    """The small run's eight checkpoints as a hub repo pinned by a manifest, probed adaptively
    (6 coarse revisions, 7 at most): the revisions fetched from the server are exactly those of the
    schedule table, a later round refined the coarse one, and a second invocation does nothing."""
    trajectory = small_run / "results" / "checkpoints" / "tiny-s0"
    config = small_config()
    steps = config["tiny"]["train"]["checkpoint_steps"]
    branches = {f"step{s}": folder_files(trajectory / f"step{s}") for s in steps}
    tokens_per_step = config["tiny"]["train"]["batch_size"] * config["tiny"]["model"]["context"]
    config["models"] = {"pythia-adaptive": {
        "source": "hub", "repo": REPO, "schedule": "manifest", "tokens_per_step": tokens_per_step, "params": 1e5,
        "revisions": {"adaptive": {"coarse": 6, "per_round": 2, "budget": 7, "metrics": ["gain", "gain_auroc"]}},
    }}
    config["weak_supervisors"] = {"cue-words": {"kind": "bag_of_words"}}
    # a lenient level, so that this short, noisy trajectory's coarse round shows a change and a
    # later round runs: the test is of the plumbing (downloads, rounds, reruns), not of the detector
    config["analysis"] = {"alpha": 0.5}
    config["hub"] = {"backoff_s": 0.1}
    del config["synthetic"]
    write_config(tmp_path, config)
    env = dict(os.environ)
    with serve({REPO: branches}) as (url, hub):
        env["HF_ENDPOINT"] = url
        manifest = subprocess.run([sys.executable, "-m", "pipeline.checkpoints.manifests", REPO], cwd=tmp_path,
                                  env=env, capture_output=True, text=True, timeout=120)
        assert manifest.returncode == 0, manifest.stderr[-3000:]
        first = subprocess.run([*SNAKEMAKE, "--cores", "2"], cwd=tmp_path, capture_output=True, text=True,
                               timeout=900, env=env)
        assert first.returncode == 0, first.stderr[-5000:]
        fetched_first = downloaded(hub, REPO)
        again = subprocess.run([*SNAKEMAKE, "--cores", "2"], cwd=tmp_path, capture_output=True, text=True,
                               timeout=300, env=env)
        assert again.returncode == 0, again.stderr[-5000:]
        fetched_again = downloaded(hub, REPO)

    folder = tmp_path / "results" / "adaptive" / "pythia-adaptive"
    schedule, rounds = pd.read_csv(folder / "schedule.csv"), pd.read_csv(folder / "rounds.csv")
    print(schedule.to_string(index=False), rounds.to_string(index=False), sep="\n")  # shown with -s
    weights = {branch for branch, files in fetched_first.items() if "model.safetensors" in files}
    assert weights == set(fetched_first) == set(schedule["revision"])  # nothing else was fetched
    assert len(weights) <= 7 < len(branches)
    assert (schedule["round"] == 0).sum() == 6 and schedule["round"].max() >= 1
    assert set(schedule.loc[schedule["round"] >= 1, "reason"]) <= {"ci", "fits-disagree", "excluded"}
    assert rounds["stop"].fillna("").iloc[-1] != ""
    metrics = pd.read_csv(tmp_path / "results" / "tables" / "metrics.csv")
    assert set(metrics["revision"]) == weights
    last = json.loads((folder / f"round{rounds['round'].max()}.json").read_text())
    assert last["stop"] and len(last["curves"]) == 4  # 2 layers × 2 metrics decided
    assert (folder / "rounds.png").stat().st_size > 0

    assert fetched_again == fetched_first  # the second invocation fetched nothing …
    assert job_counts(again.stdout + again.stderr) == {}  # … and ran nothing
    assert "Nothing to be done" in again.stdout + again.stderr
