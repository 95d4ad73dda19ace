"""The workflow against a loopback server speaking the hub's HTTP API."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd

from pipeline.checkpoints.sources import RESUME_CHUNK_BYTES
from tests import OLMO, OLMO_DUPLICATE, OLMO_REVISIONS
from tests.checkpoints.test_hub import PYTHIA
from tests.fakes.disk import DiskWatch
from tests.fakes.hub_server import folder_files, serve
from tests.workflow_runs.helpers import SNAKEMAKE, small_config, write_config

TOKEN = "hf_loopbacktoken0123456789"
MISLABELLED = "EleutherAI/pythia-mislabelled"  # step0 and step1 serve the final weights, as pythia-2.8b's


def test_workflow_on_hub_trajectories_equals_local_copies(small_run, olmo_root, tmp_path):
    """The small run's own checkpoints as a Pythia-named repo (revisions resolved on the hub)
    and tiny OLMo checkpoints as an OLMo-named repo (pinned by a manifest), served with two 503s
    and a dropped connection: the metrics equal those of the local copies, the duplicate-weight
    branch is flagged and left out of the fits, temporary checkpoints are deleted (never more
    than two on disk at once), and the token never reaches a log. A third repo whose early
    branches serve the final weights keeps its final revision and fits the rest."""
    trajectory = small_run / "results" / "checkpoints" / "tiny-s0"
    config = small_config()
    steps = config["tiny"]["train"]["checkpoint_steps"]
    pythia = {f"step{s}": folder_files(trajectory / f"step{s}") for s in steps}
    olmo = {name: folder_files(olmo_root / name) for name in [*OLMO_REVISIONS, OLMO_DUPLICATE]}
    final = f"step{steps[-1]}"
    mislabelled = {**pythia, "step0": pythia[final], "step1": pythia[final], "main": pythia[final]}
    tokens_per_step = config["tiny"]["train"]["batch_size"] * config["tiny"]["model"]["context"]
    config["models"] = {
        "pythia-tiny": {"source": "hub", "repo": PYTHIA, "revisions": list(pythia), "tokens_per_step": tokens_per_step,
                        "params": 1e5},
        "olmo-hub": {"source": "hub", "repo": OLMO, "schedule": "manifest", "params": 1e5},
        "olmo-local": {"source": "local", "path": str(olmo_root)},
        "pythia-mislabelled": {"source": "hub", "repo": MISLABELLED, "revisions": list(pythia),
                               "tokens_per_step": tokens_per_step, "params": 1e5},
    }
    # the reference's supervisor model, as a local copy
    config["models"]["init-s9"] = {"source": "local", "path": str(small_run / "results" / "checkpoints" / "tiny-s9"),
                                   "role": "supervisor"}
    config["weak_supervisors"]["init-s9"].update(model="init-s9")
    config["hub"] = {"backoff_s": 0.1}
    write_config(tmp_path, config)
    env = {**os.environ, "HF_TOKEN": TOKEN}
    faults = {"model.safetensors": ["503", "503", "drop"]}
    largest = max(sum(len(b) for b in files.values()) for files in [*pythia.values(), *olmo.values()])
    with serve({PYTHIA: pythia, OLMO: olmo, MISLABELLED: mislabelled}, faults) as (url, hub):
        env["HF_ENDPOINT"] = url
        manifest = subprocess.run([sys.executable, "-m", "pipeline.checkpoints.manifests", OLMO], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=120)
        assert manifest.returncode == 0, manifest.stderr[-3000:]
        with DiskWatch(tmp_path / "results" / "downloads") as disk:
            result = subprocess.run([*SNAKEMAKE, "--cores", "2"], cwd=tmp_path, capture_output=True, text=True,
                                    timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-5000:]
    assert not hub.faults["model.safetensors"]  # every fault was served

    metrics = pd.read_csv(tmp_path / "results" / "tables" / "metrics.csv")
    reference = pd.read_csv(small_run / "results" / "tables" / "metrics.csv")

    def rows(table: pd.DataFrame, model: str) -> pd.DataFrame:
        return table[table["model"] == model].drop(columns="model").reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(metrics, "pythia-tiny"), rows(reference, "tiny-s0"))
    pd.testing.assert_frame_equal(rows(metrics, "olmo-hub"), rows(metrics, "olmo-local"))
    assert len(rows(metrics, "olmo-hub")) == 6 * 2 * 2  # six revisions × two layers × two weak supervisors

    integrity = pd.read_csv(tmp_path / "results" / "tables" / "integrity.csv")
    flagged = integrity.dropna(subset=["flag"]).set_index(["model", "revision"])
    # the last OLMo branch is the final revision: the branch before it serves its weights
    olmo_flag = ["serves final weights", OLMO_DUPLICATE]
    assert flagged.loc[("olmo-hub", OLMO_REVISIONS[-1]), ["flag", "duplicate_of"]].tolist() == olmo_flag
    assert flagged.loc[("olmo-local", OLMO_REVISIONS[-1]), ["flag", "duplicate_of"]].tolist() == olmo_flag
    shown = integrity[integrity["model"] == "pythia-mislabelled"].drop(columns=["model", "commit", "shards"])
    print(shown.to_string(index=False))  # shown with -s: the integrity table of the mislabelled repo
    assert flagged.loc["pythia-mislabelled"][["flag", "duplicate_of"]].reset_index().values.tolist() == [
        ["step0", "serves final weights", final], ["step1", "serves final weights", final]]
    assert len(flagged) == 4  # nothing else: pythia-tiny has no equal weights
    summary = (tmp_path / "results" / "summary.md").read_text()
    assert f"olmo-hub: {OLMO_REVISIONS[-1]} (serves final weights; kept {OLMO_DUPLICATE})" in summary
    assert f"pythia-mislabelled: step0 (serves final weights; kept {final})" in summary
    transitions = pd.read_csv(tmp_path / "results" / "tables" / "transitions.csv")
    fitted = transitions[(transitions["model"] == "pythia-mislabelled") & (transitions["metric"] == "gain")]
    assert len(fitted) and (fitted["n_points"] == len(steps) - 2).all()  # the final revision stays in the fits

    print(f"peak of {disk.folder}: {disk.peak} bytes; largest checkpoint: {largest} bytes")  # shown with -s
    # two checkpoints at most (two extraction jobs at once), plus huggingface_hub's small
    # per-download metadata under .cache/ of each download folder (< 1% here)
    assert 0 < disk.peak <= 2 * largest * 1.05, (disk.peak, largest)
    assert not any(p.is_file() for p in (tmp_path / "results" / "downloads").rglob("*"))

    assert TOKEN.join(["Bearer ", ""]) in hub.authorizations  # the client sent the token …
    logs = [p.read_text(errors="replace") for p in (tmp_path / "results" / "logs").rglob("*") if p.is_file()]
    assert not any(TOKEN in text for text in [*logs, result.stdout, result.stderr])  # … and nothing logged it
    # every byte the hub served was needed: each revision's files once, and of the dropped
    # transfer at most the chunk in progress (tests/checkpoints/test_hub.py bounds it at 2% of
    # realistic weights)
    branches = {"pythia-tiny": pythia, "olmo-hub": olmo, "pythia-mislabelled": mislabelled}
    used = sum(len(body) for model, files in branches.items()
               for revision in metrics.loc[metrics["model"] == model, "revision"].unique()
               for body in files[revision].values())
    served = sum(hub.served.values())
    print(f"served {served:,} bytes for {used:,} bytes of files used")  # shown with -s
    assert used <= served <= used + RESUME_CHUNK_BYTES

    # probing another stored layer downloads nothing and extracts nothing
    config["probes"]["layers"] = [2]
    write_config(tmp_path, config)
    with serve({PYTHIA: pythia, OLMO: olmo, MISLABELLED: mislabelled}) as (url, again):
        env["HF_ENDPOINT"] = url
        rerun = subprocess.run([*SNAKEMAKE, "--cores", "2"], cwd=tmp_path, capture_output=True, text=True,
                               timeout=900, env=env)
    assert rerun.returncode == 0, rerun.stderr[-5000:]
    assert "rule extract" not in rerun.stdout + rerun.stderr and "rule download" not in rerun.stdout + rerun.stderr
    assert not [r for r in again.requests if "/resolve/" in r]
    metrics = pd.read_csv(tmp_path / "results" / "tables" / "metrics.csv")
    assert set(metrics["layer"]) == {2}
