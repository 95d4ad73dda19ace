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
SMALL_CONFIG = yaml.safe_load((REPO_ROOT / "config" / "test.yaml").read_text())


def small_config() -> dict:
    """config/test.yaml, a fresh copy for a test to change."""
    return copy.deepcopy(SMALL_CONFIG)


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
