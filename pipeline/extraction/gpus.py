"""Each running extraction on its own GPUs of a multi-GPU workstation.

Snakemake bounds how many jobs hold the `gpu` resource at once (`--resources gpu=4`) but tells no
job which devices are its own (snakemake issue 281), so every job would run on cuda:0. A job that
needs `count` GPUs and sees more claims `count` of the visible ones before CUDA starts: one lock
file per GPU, held with a non-blocking `flock` for the rest of the process, then narrows
CUDA_VISIBLE_DEVICES to the claimed ones (`cuda` is then its own first GPU). The kernel drops a
flock when its process ends, killed or crashed included, so no claim outlives its job and no
state needs cleaning. A job finding too few free GPUs (more jobs than GPUs: `--resources gpu=` larger
than the machine, or not given) releases what it holds and waits, so two jobs never share a GPU.

Nothing is claimed where there is nothing to choose: a job that sees no more GPUs than it needs
(a SLURM job sees only its allocation), an explicit `extraction.device` (cpu, cuda:N, mps), or a
job without the `gpu` resource. The locks are this user's, under the system's temporary folder.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

_HELD: list[IO] = []  # the claimed locks, open until the process exits


def default_lock_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"w2sg-gpu-locks-{os.getuid()}"


def visible_gpus() -> list[str]:
    """The GPUs this process may use: CUDA_VISIBLE_DEVICES where set (indices or UUIDs), else
    every GPU nvidia-smi lists (none without nvidia-smi). CUDA itself is not started here: it
    reads CUDA_VISIBLE_DEVICES once, when it starts."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [token.strip() for token in listed.split(",") if token.strip()]
    if shutil.which("nvidia-smi") is None:
        return []
    # indices 0..n-1: CUDA may number the GPUs in another order, but distinct indices stay distinct GPUs
    result = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                            capture_output=True, text=True, check=False)
    return result.stdout.split() if result.returncode == 0 else []


def _lock_name(gpu: str) -> str:
    return "gpu-" + re.sub(r"[^A-Za-z0-9_.-]", "_", gpu) + ".lock"


def claim_gpus(
    count: int, device: str = "auto", lock_dir: Path | None = None, poll_s: float = 2.0
) -> list[str] | None:
    """Claim `count` visible GPUs for this process and make them the only ones CUDA will see;
    returns them, or None where nothing was claimed (see the module's docstring)."""
    visible = visible_gpus()
    if count < 1 or device not in ("auto", "cuda") or len(visible) <= count:
        return None
    lock_dir = lock_dir or default_lock_dir()
    lock_dir.mkdir(parents=True, exist_ok=True)
    waited = False
    while True:
        held: list[tuple[str, IO]] = []
        for gpu in visible:
            handle = open(lock_dir / _lock_name(gpu), "a")  # noqa: SIM115 - held until the process exits
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            held.append((gpu, handle))
            if len(held) == count:
                _HELD.extend(h for _, h in held)
                claimed = [g for g, _ in held]
                os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(claimed)
                print(f"claimed GPU(s) {','.join(claimed)} of {','.join(visible)} (locks in {lock_dir})", flush=True)
                return claimed
        for _, handle in held:  # never hold some while waiting for more: no two jobs deadlock
            handle.close()
        if not waited:
            print(f"waiting for {count} free GPU(s) of {','.join(visible)}", flush=True)
            waited = True
        time.sleep(poll_s)
