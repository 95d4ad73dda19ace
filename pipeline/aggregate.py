"""Collect per-revision metrics into the tidy table of the whole run."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.io import atomic_path

KEY = ["model", "task", "layer", "step", "revision"]


def write_metrics_table(paths: Sequence[str], out: str) -> None:
    table = pd.concat((pd.read_csv(p) for p in paths), ignore_index=True).sort_values(KEY)
    with atomic_path(out) as partial:
        table.to_csv(partial, index=False)
