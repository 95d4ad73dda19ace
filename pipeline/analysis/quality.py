"""How linearly a revision represents the task: the gold probe's test accuracy (`gold_acc`, in the
metrics table) and the class separation d′ of its test logits (`gold_dprime`; docs/methods.md);
and, without a probe, RankMe and α-ReQ of its test features (`rankme`, `alpha_req`,
probing.spectrum, in the metrics table)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.analysis.curves import PROBE, Loader, select_predictions

PROBE_QUALITIES = ("gold_acc", "gold_dprime")  # resampled over test examples (the lag's bootstrap)
QUALITIES = (*PROBE_QUALITIES, "rankme", "alpha_req")


def _logits(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def dprime_curves(p_gold: np.ndarray, label: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """d′ of the gold logits per revision (rows of p_gold, shape (revisions, examples)) under each
    row of example weights (replicates, examples): shape (replicates, revisions)."""
    z = _logits(np.atleast_2d(p_gold))
    positive = np.asarray(label) == 1
    moments = []
    for in_class in (positive, ~positive):
        w = weights * in_class
        total = w.sum(1, keepdims=True)
        mean = (w @ z.T) / total
        moments.append((mean, (w @ (z**2).T) / total - mean**2))
    (m1, v1), (m0, v0) = moments
    return (m1 - m0) / np.sqrt(np.maximum((v1 + v0) / 2, 1e-300))


def fisher_dprime(p_gold: np.ndarray, label: np.ndarray) -> float:
    """d′ of one revision's gold-probe logits between the classes."""
    n = len(label)
    return float(dprime_curves(np.asarray(p_gold)[None], label, np.full((1, n), 1.0 / n))[0, 0])


def add_gold_dprime(table: pd.DataFrame, predictions: Loader) -> pd.DataFrame:
    """The metrics table with a `gold_dprime` column, from each revision's stored predictions."""
    values = []
    for row in table[["model", "revision", *PROBE]].to_dict("records"):
        chosen = select_predictions(predictions(row["model"], row["revision"]), row)
        values.append(fisher_dprime(chosen["p_gold"].to_numpy(), chosen["label"].to_numpy()))
    return table.assign(gold_dprime=values)
