"""Finite-size scaling: how a transition's location and width move with model size across one
suite. A phase transition sharpens as the system grows; a smooth crossover keeps its width."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.analysis.curves import PROBE

GROUP = [*PROBE, "metric"]
COLUMNS = [*GROUP, "model", "params", "verdict", "step", "step_lo", "step_hi", "width_x",
           "width_x_hi"]


def scaling_table(transitions: pd.DataFrame, sizes: Mapping[str, float]) -> pd.DataFrame:
    """Per probe setting and metric (GROUP) and model of known size (`sizes`: parameters): the transition
    model's location (step, with its interval) and 10–90 % width in decades, and, per
    GROUP, the slopes of log10 width and of log10 location on log10 size over the
    models whose verdict is "transition" (NaN with fewer than two sizes among them)."""
    rows = transitions[(transitions["unit"] == "examples") & transitions["model"].isin(list(sizes))].copy()
    rows["params"] = rows["model"].map(sizes)
    for column in COLUMNS:
        if column not in rows:
            rows[column] = np.nan
    table = rows[COLUMNS].sort_values([*GROUP, "params", "model"], ignore_index=True)
    slopes = [
        {**dict(zip(GROUP, values, strict=True)), **_slopes(group)}
        for values, group in table.groupby(GROUP, sort=False)
    ]
    if not slopes:
        return table.assign(n_sizes=np.nan, width_slope=np.nan, location_slope=np.nan)
    return table.merge(pd.DataFrame(slopes), on=GROUP, how="left")


def _slopes(group: pd.DataFrame) -> dict[str, float]:
    found = group[(group["verdict"] == "transition") & np.isfinite(group["width_x"])]
    sizes = np.log10(found["params"].to_numpy(float))
    result = {"n_sizes": len(np.unique(sizes)), "width_slope": np.nan, "location_slope": np.nan}
    if result["n_sizes"] >= 2:
        result["width_slope"] = float(np.polyfit(sizes, np.log10(found["width_x"].to_numpy(float)), 1)[0])
        result["location_slope"] = float(np.polyfit(sizes, np.log10(found["step"].to_numpy(float) + 1), 1)[0])
    return result
