"""The sweep planner against the loopback hub: its bytes are the served sizes of the files a
download fetches, its exclusions the pre-flight's, and it downloads no file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.planner import load_config, plan_from_published, plan_table, read_published_sizes, read_rates
from tests import REPO_ROOT
from tests.fakes.hub_server import commit_of, folder_files, serve
from tests.workflow_runs.helpers import small_config

REPO = "EleutherAI/pythia-tiny"
NAMES = ["step0", "step1", "step2", "step4", "step8"]
ADAPTIVE_REPO = "EleutherAI/pythia-tiny-adaptive"
ADAPTIVE_NAMES = [f"step{s}" for s in (0, 1, 2, 4, 8, 16, 32, 64, 128)]
WEIGHTS = "model.safetensors"
NOT_FETCHED = "README.md"  # served, but no part of a checkpoint download


def _branches(checkpoint_root: Path) -> dict[str, dict[str, bytes]]:
    """Revisions of different sizes; step1 serves step0's weights (a duplicate); `main` is step8."""
    a, b = folder_files(checkpoint_root / "step0"), folder_files(checkpoint_root / "step1")
    # longer weight files of weights of their own (the planner reads only their listed sizes)
    c = {**b, WEIGHTS: b[WEIGHTS] + b"c" * 3000}
    d = {**a, WEIGHTS: a[WEIGHTS] + b"d" * 7000}
    served = dict(zip(NAMES, [a, a, b, c, d]))
    served["main"] = d
    return {name: {**files, NOT_FETCHED: b"r" * 5000} for name, files in served.items()}


def _adaptive_branches(checkpoint_root: Path) -> dict[str, dict[str, bytes]]:
    """Revisions of one size and different weights; step1 serves step0's; `main` the last's."""
    a = folder_files(checkpoint_root / "step0")
    served = {name: {**a, WEIGHTS: a[WEIGHTS][:-1] + bytes([i])} for i, name in enumerate(ADAPTIVE_NAMES)}
    served["step1"] = served["step0"]
    served["main"] = served[ADAPTIVE_NAMES[-1]]
    return served


def _write_manifest(root: Path, repo: str, branches: dict[str, dict[str, bytes]], names: list[str]) -> None:
    """A manifest pins the revisions to the served commits, as for OLMo."""
    manifest = root / "resources" / "revisions" / f"{repo}.tsv"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("revision\tcommit\tstep\ttokens\n" + "".join(
        f"{name}\t{commit_of(name, branches[name])}\t{name[4:]}\t\n" for name in names))


def _served(files: dict[str, bytes]) -> int:
    return sum(len(body) for path, body in files.items() if path != NOT_FETCHED)


def _plan(url: str, workdir: Path, repo: str, revisions: object, *extra: str) -> list[dict]:
    config = small_config()
    config["models"] = {"tiny-hub": {"source": "hub", "repo": repo, "schedule": "manifest", "revisions": revisions,
                                     "params": 1e6}}
    config["weak_supervisors"] = {"cue-words": {"kind": "bag_of_words"}}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    out = workdir / "plan.json"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.planner", "--configfile", "config.yaml", "--json", str(out),
         "--rates", str(REPO_ROOT / "resources" / "extraction_rates.yaml"), *extra],
        cwd=workdir, capture_output=True, text=True, timeout=300,
        env={**os.environ, "HF_ENDPOINT": url, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())


def test_planner_bytes_equal_the_served_sizes_and_exclusions_are_the_preflights(checkpoint_root, tmp_path):
    branches, adaptive_branches = _branches(checkpoint_root), _adaptive_branches(checkpoint_root)
    _write_manifest(tmp_path, REPO, branches, NAMES)
    _write_manifest(tmp_path, ADAPTIVE_REPO, adaptive_branches, ADAPTIVE_NAMES)
    fetched = {name: _served(files) for name, files in branches.items()}
    assert len(set(fetched.values())) == 3  # sizes differ, so a wrong sum or maximum shows
    size, = {_served(files) for files in adaptive_branches.values()}

    with serve({REPO: branches, ADAPTIVE_REPO: adaptive_branches}) as (url, hub):
        fixed, = _plan(url, tmp_path, REPO, "all", "--slots", "2")
        adaptive, = _plan(url, tmp_path, ADAPTIVE_REPO, {"adaptive": {"coarse": 6, "budget": 7}})
    assert not [r for r in hub.requests if "/resolve/" in r]  # sizes from the listing, no file fetched

    on_disk = load_config(tmp_path / "config.yaml")["hub"]["prefetch"] + 1  # the schema's default
    assert fixed["revisions"] == 5 and fixed["extracted"] == "5"
    assert fixed["download_bytes_low"] == fixed["download_bytes_high"] == sum(fetched[n] for n in NAMES)
    assert fixed["peak_disk_bytes"] == 2 * on_disk * max(fetched.values())
    assert fixed["excluded"] == "step1"  # step0's weights; step8 serves main's and is the final revision
    # 6 coarse revisions to a budget of 7 (of 8: step1 is excluded)
    assert adaptive["revisions"] == 9 and adaptive["extracted"] == "6–7" and adaptive["excluded"] == "step1"
    assert (adaptive["download_bytes_low"], adaptive["download_bytes_high"]) == (6 * size, 7 * size)
    assert adaptive["peak_disk_bytes"] == on_disk * size
    hours = [k for k in fixed if k.startswith("hours_")]
    assert hours and all(adaptive[k] > 0 for k in hours)


def test_published_sizes_plan_a_fixed_and_an_adaptive_schedule_offline():
    config = load_config(REPO_ROOT / "config" / "pythia.yaml")
    published = read_published_sizes(REPO_ROOT / "resources" / "hub_sizes.tsv")
    rates = read_rates(REPO_ROOT / "resources" / "extraction_rates.yaml")
    size = published["EleutherAI/pythia-70m"][0]
    plan = plan_from_published(config, "pythia-70m", published)
    assert (plan.revisions, plan.bytes_low, plan.bytes_high, plan.excluded) == (16, 16 * size, 16 * size, None)
    with pytest.raises(LookupError, match="EleutherAI/pythia-14m: no published size"):
        plan_from_published(config, "pythia-14m", published)

    config["models"]["pythia-70m"]["revisions"] = "adaptive"  # coarse 16, budget 48 (config/pythia.yaml)
    adaptive = plan_from_published(config, "pythia-70m", published)
    assert (adaptive.revisions, adaptive.extracted_low, adaptive.extracted_high) == (154, 16, 48)
    assert (adaptive.bytes_low, adaptive.bytes_high) == (16 * size, 48 * size)
    row = plan_table(config, [adaptive], rates, slots=1).iloc[0]
    texts = sum(sum(t["sizes"].values()) for t in config["tasks"].values())
    work = 2 * 70e6 * texts * config["extraction"]["max_length"]  # FLOPs per revision (70m: from the name)
    assert row["hours_cpu_high"] == pytest.approx(48 * work / rates["cpu"]["flops_per_s"] / 3600)
