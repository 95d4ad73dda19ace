"""The small workflow through the SLURM profile, on a real single-node SLURM started here."""

from __future__ import annotations

import os
import subprocess

import pandas as pd
import pytest

from tests import REPO_ROOT
from tests.fakes.slurm_cluster import slurm_cluster, unavailable_reason
from tests.workflow_runs.helpers import SNAKEMAKE, job_counts, small_config, write_config

PROFILE = REPO_ROOT / "workflow" / "profiles" / "slurm"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no SLURM cluster: {reason}")
    with slurm_cluster(tmp_path_factory.mktemp("slurm")) as env:
        yield env


def test_small_workflow_runs_through_the_slurm_profile(cluster, tmp_path):
    write_config(tmp_path, small_config())
    # a hung snakemake ignores SIGTERM; SIGINT stops it cleanly
    command = ["timeout", "-s", "INT", "1200", *SNAKEMAKE, "--workflow-profile", str(PROFILE)]
    result = subprocess.run(command, cwd=tmp_path, env={**cluster, "PYTHONUNBUFFERED": "1"},
                            capture_output=True, text=True, timeout=1300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]

    jobs = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i %j %T"], env=cluster,
                          capture_output=True, text=True, check=True).stdout.split("\n")
    jobs = [line.split() for line in jobs if line.strip()]
    print("SLURM jobs seen:", *(" ".join(job) for job in jobs), sep="\n  ")
    planned = job_counts(result.stdout + result.stderr)
    local = planned.pop("all") + planned.pop("integrity")  # the target and the metadata pre-flight run here
    assert local == 2 and len(jobs) >= sum(planned.values()) >= 10  # every other job went through SLURM
    n_revisions = len(small_config()["tiny"]["train"]["checkpoint_steps"])
    assert {state for _, _, state in jobs} == {"COMPLETED"}

    table = pd.read_csv(tmp_path / "results" / "tables" / "metrics.csv")
    config = small_config()
    assert len(table) == n_revisions * len(config["extraction"]["layers"]) * len(config["weak_supervisors"])
    assert table["gold_acc"].between(0.6, 1).all()
    assert (tmp_path / "results" / "summary.md").exists()
    assert os.listdir(tmp_path / "results" / "synthetic")
