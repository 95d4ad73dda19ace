"""Per-revision intervals: a paired bootstrap over test examples of the weak, W2S and gold
accuracies, the gain and PGR (the margin rule applied inside each replicate)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.analysis.curves import Loader, example_samplers
from pipeline.analysis.transition import percentile_ci
from pipeline.config import MetricsConfig

METRICS = ("weak_acc", "w2s_acc", "gold_acc", "gain", "pgr")


def revision_intervals(
    metrics: pd.DataFrame, predictions: Loader, margin_rule: MetricsConfig, n_boot: int, seed: int = 0
) -> pd.DataFrame:
    """One row per KEY (model and probe setting) and revision: `<metric>_lo`, `<metric>_hi` at
    `margin_rule.ci_level` for each of METRICS, from `n_boot` resamples of the test examples
    shared by weak, W2S and gold (so the gain's interval is paired), and `pgr_defined`: the share
    of replicates where PGR passes its margin rule. PGR's interval is over those replicates, and
    missing where the revision's own PGR is."""
    rows = []
    rng = np.random.default_rng(seed)
    for key, group, sampler in example_samplers(metrics, predictions, margin_rule):
        weights = sampler.weights(rng, n_boot)
        replicates = {metric: sampler.curves(metric, weights) for metric in METRICS}  # (n_boot, revisions)
        for r, revision in enumerate(group["revision"]):
            row = key | {"revision": revision, "step": group["step"].iloc[r]}
            for metric, values in replicates.items():
                row[f"{metric}_lo"], row[f"{metric}_hi"] = percentile_ci(values[:, r], margin_rule.ci_level)
            if not np.isfinite(group["pgr"].iloc[r]):  # no PGR reported: no interval either
                row["pgr_lo"] = row["pgr_hi"] = np.nan
            row["pgr_defined"] = float(np.isfinite(replicates["pgr"][:, r]).mean())
            rows.append(row)
    return pd.DataFrame(rows)
