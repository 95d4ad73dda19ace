"""Extraction jobs on a multi-GPU workstation each get GPUs of their own. No GPU here: the GPUs
are simulated by names in CUDA_VISIBLE_DEVICES (CPU torch ignores them), which the jobs claim
and record."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

from safetensors import safe_open

from pipeline.extraction.gpus import default_lock_dir
from tests.workflow_runs.helpers import SNAKEMAKE, small_config, write_config


def test_two_extraction_jobs_with_two_gpus_record_different_devices(checkpoint_root, tmp_path):
    config = small_config()
    config["models"] = {"local": {"source": "local", "path": str(checkpoint_root), "params": 1e6}}
    config["weak_supervisors"] = {"cue-words": {"kind": "bag_of_words"}}
    config["tasks"]["latent_sentiment"]["sizes"] = {"A": 20, "B": 20, "test": 20}  # extraction is not tested here
    config["job_resources"] = [{"max_params": 1e12, "extract": {"mem_mb": 1000, "runtime": 10, "gpu": 1},
                                "probes": {"mem_mb": 1000, "runtime": 10}}]
    write_config(tmp_path, config)
    gpus = [f"GPU-{uuid.uuid4().hex[:8]}-{i}" for i in range(2)]  # names of this test's own
    targets = [f"results/activations/local/{revision}.safetensors" for revision in ("step0", "step1")]
    try:
        result = subprocess.run([*SNAKEMAKE, *targets, "--cores", "2", "--resources", "gpu=2"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=600,
                                env={**os.environ, "CUDA_VISIBLE_DEVICES": ",".join(gpus)})
    finally:
        for gpu in gpus:  # the jobs' lock files, named after this test's GPUs
            (default_lock_dir() / f"gpu-{gpu}.lock").unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = []
    for target in targets:
        with safe_open(str(tmp_path / target), "numpy") as f:
            recorded.append(json.loads(f.metadata()["cuda_visible_devices"]))
    assert sorted(recorded) == sorted(gpus)  # one GPU each, not both on the first
