"""Downloads ahead of extraction, with the disk bounded: the order in which hub downloads may start.

Every hub revision the run extracts, model by model in training order, is dealt to `lanes`
chains, the i-th to lane i mod lanes. In a lane, a revision's download waits for the extraction
of the revision prefetch + 1 places earlier, so while one revision is extracted up to `prefetch`
later ones download, and a lane never holds more than prefetch + 1 checkpoints on disk (each is
deleted when its extraction ends): at most lanes × (prefetch + 1) in all, however many models.
The workflow states the wait as an input of the download job, so Snakemake keeps reruns per
revision, and a download job needs no GPU (on SLURM it may run on a CPU node).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def download_waits(order: Sequence[Hashable], prefetch: int, lanes: int = 1) -> dict[Hashable, Hashable | None]:
    """{entry of `order`: the entry whose extraction its download waits for}, None for each lane's
    first prefetch + 1 downloads, which start at once."""
    if prefetch < 0 or lanes < 1:
        raise ValueError(f"prefetch {prefetch} must be ≥ 0 and lanes {lanes} ≥ 1")
    gap = (prefetch + 1) * lanes  # prefetch + 1 places earlier in the same lane
    return {item: order[i - gap] if i >= gap else None for i, item in enumerate(order)}
