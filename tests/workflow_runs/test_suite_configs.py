"""Every ready suite config in config/ plans its whole DAG offline (a dry run)."""

from __future__ import annotations

import pytest
import yaml

from tests import REPO_ROOT
from tests.workflow_runs.helpers import job_counts, snakemake, write_config

SUITES = ["pythia", "olmo", "multiberts", "amber", "tinyllama"]
# The OLMo manifests need the hub: stand-ins with real branch name forms let its DAG build
OLMO_MANIFESTS = {
    "allenai/OLMo-1B-hf": [f"step{s}-tokens{s * 4 // 1000}B" for s in range(0, 20001, 1000)],
    "allenai/OLMo-7B-hf": [f"step{s}-tokens{s * 4 // 1000}B" for s in range(0, 20001, 1000)],
    "allenai/OLMo-2-0425-1B": [f"stage1-step{s}-tokens{s * 4 // 1000}B" for s in range(0, 20001, 1000)]
    + ["stage2-ingredient1-step1000-tokens5B"],
    "allenai/OLMo-2-1124-7B": [f"stage1-step{s}-tokens{s * 4 // 1000}B" for s in range(0, 20001, 1000)],
}


def _write_manifests(workdir) -> None:
    for repo, names in OLMO_MANIFESTS.items():
        path = workdir / "resources" / "revisions" / f"{repo}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [f"{name}\t{i:040x}\t{name.split('step')[1].split('-')[0]}\t" for i, name in enumerate(names)]
        path.write_text("revision\tcommit\tstep\ttokens\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("suite", SUITES)
def test_suite_config_dry_runs(tmp_path, suite):
    if suite == "olmo":
        _write_manifests(tmp_path)
    result = snakemake(tmp_path, "-n", "--configfile", str(REPO_ROOT / "config" / f"{suite}.yaml"), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout + result.stderr)
    assert counts["integrity"] == 1 and counts["extract"] > 0 and counts["analysis"] == 1


def test_pythia_config_plans_an_adaptive_sweep(tmp_path):
    """`revisions: adaptive` in config/pythia.yaml: the dry run plans the pre-flight and round 0 of
    every model; the downloads are planned round by round, once each round's file exists."""
    config = yaml.safe_load((REPO_ROOT / "config" / "pythia.yaml").read_text())
    for spec in config["models"].values():
        spec["revisions"] = "adaptive"
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "-n", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout + result.stderr)
    assert counts["integrity"] == 1 and counts["adaptive_round"] == len(config["models"])
    assert "extract" not in counts  # nothing is downloaded before round 0 is written


def test_the_whole_pythia_suite_plans_with_every_download_chained(tmp_path):
    """All 154 revisions of config/pythia.yaml's 18 models: one download and one extraction per
    revision, the downloads chained two deep (hub.prefetch 1) across the whole run, so Snakemake's
    DAG recursion goes 1,386 links deep."""
    config = yaml.safe_load((REPO_ROOT / "config" / "pythia.yaml").read_text())
    for spec in config["models"].values():
        spec["revisions"] = "all"
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "-n", "--quiet", "rules", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout + result.stderr)
    assert counts["download"] == counts["extract"] == 18 * 154
