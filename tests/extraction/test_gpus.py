"""GPU claims of extraction jobs, simulated: GPUs are the names in CUDA_VISIBLE_DEVICES (no GPU
is touched; each test uses names of its own, so its locks are its own)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from pipeline.extraction.gpus import claim_gpus
from tests import REPO_ROOT

HOLD = """
import os, sys
from pathlib import Path
from pipeline.extraction.gpus import claim_gpus
claim_gpus(int(sys.argv[1]), lock_dir=Path(sys.argv[2]), poll_s=0.05)
print("held", os.environ["CUDA_VISIBLE_DEVICES"], flush=True)
sys.stdin.readline()  # hold the claim until told to exit
"""


def _holder(gpus: str, count: int, lock_dir) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", HOLD, str(count), str(lock_dir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
                            env={**os.environ, "CUDA_VISIBLE_DEVICES": gpus, "PYTHONPATH": str(REPO_ROOT)})


def _held(process: subprocess.Popen) -> str:
    """The GPUs a holder claimed (past the lines claim_gpus logs)."""
    while not (line := process.stdout.readline()).startswith("held "):
        assert line, "the holder exited without claiming"
    return line.split()[1]


def test_running_jobs_hold_different_gpus_and_a_killed_job_frees_its_own(tmp_path):
    names = [f"GPU-{uuid.uuid4().hex[:8]}-{i}" for i in range(3)]
    gpus = ",".join(names)
    first, second = _holder(gpus, 1, tmp_path), _holder(gpus, 2, tmp_path)
    try:
        claims = [_held(first), _held(second)]
        held = [set(c.split(",")) for c in claims]
        assert [len(h) for h in held] == [1, 2] and not held[0] & held[1] and held[0] | held[1] == set(names)
        third = _holder(gpus, 1, tmp_path)  # every GPU is taken: it waits …
        first.kill()  # … until a job dies without releasing anything itself
        first.wait()
        assert _held(third) == claims[0]
        third.kill()
    finally:
        for process in (first, second):
            process.kill()


def test_nothing_is_claimed_where_there_is_nothing_to_choose(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-a,GPU-b")
    assert claim_gpus(2, lock_dir=tmp_path) is None  # it sees only what it needs (e.g. a SLURM job)
    assert claim_gpus(0, lock_dir=tmp_path) is None  # a CPU job
    assert claim_gpus(1, "cuda:1", lock_dir=tmp_path) is None  # an explicit device is the user's choice
    assert claim_gpus(1, "cpu", lock_dir=tmp_path) is None
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "GPU-a,GPU-b" and not list(tmp_path.iterdir())
