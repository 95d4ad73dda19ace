"""Saturation: where each weak supervisor leaves the student late in pre-training.

The theory's floor is set by the supervisor's bias: with a better supervisor the late plateau of
W2S accuracy should sit higher. A plateau here is our formalization: the mean over a curve's last
`n_revisions` revisions (those kept in the fits) of the weak, W2S and gold accuracies, with PGR as
the ratio of those means, (W2S − weak) / (gold − weak), missing where the mean gold − weak gap is
under the margin `metrics.pgr_min_margin`. Intervals: a paired bootstrap over test examples shared
by the revisions and the three predictors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from pipeline.analysis.curves import Loader, example_samplers
from pipeline.analysis.transition import percentile_ci
from pipeline.config import MetricsConfig

ACCURACIES = ("weak_acc", "w2s_acc", "gold_acc")
PLATEAU_GROUP = ["model", "task", "layer", "method"]
"""The supervisors of one group are compared: one model, probe setting and W2S objective."""


def _plateau_pgr(acc: dict[str, np.ndarray], margin: float) -> np.ndarray:
    gap = acc["gold_acc"] - acc["weak_acc"]
    return np.where(gap >= margin, (acc["w2s_acc"] - acc["weak_acc"]) / np.where(gap >= margin, gap, 1.0), np.nan)


def plateau_table(
    metrics: pd.DataFrame, predictions: Loader, margin_rule: MetricsConfig, n_revisions: int, n_boot: int,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per model and probe setting (incl. the weak supervisor): the late plateau of the
    accuracies and PGR over the last `n_revisions` revisions, each with a `_lo`/`_hi` interval at
    `margin_rule.ci_level`, and the first step of the plateau."""
    if n_revisions < 1:
        raise ValueError(f"n_revisions must be at least 1, got {n_revisions}")
    rng = np.random.default_rng(seed)
    rows = []
    for key, group, sampler in example_samplers(metrics, predictions, margin_rule):
        k = min(n_revisions, len(group))
        weights = np.vstack([sampler.observed(), sampler.weights(rng, n_boot)])
        late = {name: sampler.curves(name, weights)[:, -k:].mean(1) for name in ACCURACIES}
        late["pgr"] = _plateau_pgr(late, margin_rule.pgr_min_margin)
        row = key | {"n_revisions": k, "step_from": group["step"].iloc[-k], "step_to": group["step"].iloc[-1]}
        for name, values in late.items():
            row[name] = float(values[0])
            row[f"{name}_lo"], row[f"{name}_hi"] = percentile_ci(values[1:], margin_rule.ci_level)
        rows.append(row)
    return pd.DataFrame(rows)


def saturation_order(plateaus: pd.DataFrame) -> pd.DataFrame:
    """Per model, task, layer and method with at least three supervisors: Spearman's ρ between
    the supervisors' plateau accuracy and the student's W2S plateau, and whether the W2S plateaus
    are strictly ordered as the supervisors are (the theory's floor set by the supervisor)."""
    rows = []
    for values, group in plateaus.groupby(PLATEAU_GROUP, sort=True):
        if group["supervisor"].nunique() < 3:
            continue
        group = group.sort_values("weak_acc")
        rho = spearmanr(group["weak_acc"], group["w2s_acc"]).statistic
        rows.append({**dict(zip(PLATEAU_GROUP, values, strict=True)), "n_supervisors": len(group),
                     "supervisors": ", ".join(group["supervisor"]), "rho": float(rho),
                     "ordered": bool(np.all(np.diff(group["w2s_acc"].to_numpy()) > 0))})
    return pd.DataFrame(rows, columns=[*PLATEAU_GROUP, "n_supervisors", "supervisors", "rho", "ordered"])
