"""Accuracy, AUROC, the weak-to-strong gain and the performance gap recovered (PGR)."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the hard decisions p >= 0.5 against 0/1 labels."""
    return float(np.mean((np.asarray(p) >= 0.5) == (np.asarray(y) == 1)))


def auroc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney U with tied scores counted half)."""
    y = np.asarray(y) == 1
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(p)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pgr(weak: float, w2s: float, gold: float, min_margin: float) -> float:
    """(w2s − weak) / (gold − weak), or NaN where the ceiling is not `min_margin` above weak.

    Near a zero denominator the ratio is noise, so it is reported missing there rather than
    as a number; the plain gain w2s − weak is always reported beside it.
    """
    margin = gold - weak
    if not margin >= min_margin or margin <= 0:
        return math.nan
    return (w2s - weak) / margin
