"""Helpers for tests that run the real workflow with snakemake on a small config."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import yaml
from tests import REPO_ROOT

SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(REPO_ROOT / "workflow" / "Snakefile")]
DEFAULT_CONFIG = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())


def small_config() -> dict:
    config = copy.deepcopy(DEFAULT_CONFIG)
    config["tiny"]["corpus"].update(n_documents=3000, n_task_documents=1200)
    config["tiny"]["model"].update(hidden_size=32, num_heads=2)
    config["tiny"]["train"].update(batch_size=16, checkpoint_steps=[0, 1, 2, 4, 8, 16, 32, 64])
    config["models"] = {"tiny-s0": {"source": "tiny", "seed": 0}}
    config["tasks"]["latent_sentiment"]["sizes"] = {"A": 200, "B": 400, "test": 400}
    config["probes"]["Cs"] = [0.01, 1.0]
    config["probes"]["cv_folds"] = 3
    config["synthetic"].update(d=40, n_train=200, n_test=200, steps=40, seeds=2, geometry_seeds=2,
                               pretrain_factors=[0.5, 2, 8], start_overlaps=[0.3, 0.8])
    return config


def snakemake(workdir: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    # run from the workdir: the profile's `configfile: config/config.yaml` is relative to it
    return subprocess.run(
        [*SNAKEMAKE, *args], cwd=workdir,
        capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def write_config(workdir: Path, config: dict) -> None:
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))


def job_counts(output: str) -> dict[str, int]:
    """{rule: jobs} from the "Job stats:" table Snakemake prints ({} if it planned none)."""
    if "Job stats:" not in output:
        return {}
    counts = {}
    for line in output[output.index("Job stats:") :].split("\n")[3:]:
        if line.startswith("total"):
            break
        rule, count = line.split()
        counts[rule] = int(count)
    return counts
