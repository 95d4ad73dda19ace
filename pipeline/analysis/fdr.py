"""Benjamini–Hochberg false discovery rate over many curves' p-values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.analysis.transition import DetectionConfig, verdict


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """BH q-values (adjusted p-values) of the finite entries of p; NaN stays NaN.

    q_(i) = min_{j ≥ i} min(1, m·p_(j)/j) over the m finite p-values sorted ascending; rejecting
    every q ≤ α controls the FDR at α for independent or positively dependent tests.
    """
    p = np.asarray(p, float)
    q = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    if m == 0:
        return q
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def apply_fdr(table: pd.DataFrame, config_of: Callable[[pd.Series], DetectionConfig]) -> pd.DataFrame:
    """Adds q_change, q_transition, q_dip (BH over every curve of the table) and re-grades each
    curve with them in place of its p-values: verdict_fdr / reason_fdr (a "transition" whose q
    exceeds alpha falls to the next rule). `config_of(row)` is the curve's detector config. p_dip
    exists only where it could decide a verdict; its BH runs over those."""
    out = table.copy()
    for name in ("change", "transition", "dip"):
        column = out[f"p_{name}"] if f"p_{name}" in out else pd.Series(np.nan, index=out.index)
        out[f"q_{name}"] = bh_qvalues(column.to_numpy(float))
    graded = [
        verdict(row, config_of(row), row["q_change"], row["q_transition"], row["q_dip"])
        if np.isfinite(row.get("p_change", np.nan)) else (row["verdict"], row["reason"])
        for _, row in out.iterrows()
    ]
    out["verdict_fdr"] = [v for v, _ in graded]
    out["reason_fdr"] = [r for _, r in graded]
    return out
