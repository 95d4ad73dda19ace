"""Collect per-revision metrics into the tidy table of the whole run."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.io import write_table

KEY = ["model", "task", "layer", "supervisor", "method", "step", "revision"]


def write_metrics_table(paths: Sequence[str], out: str) -> None:
    table = pd.concat((pd.read_csv(p) for p in paths), ignore_index=True).sort_values(KEY)
    write_table(table, out)
