"""Accuracy, AUROC, the weak-to-strong gain and the performance gap recovered (PGR)."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import roc_auc_score


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the hard decisions p >= 0.5 against 0/1 labels."""
    return float(np.mean((np.asarray(p) >= 0.5) == (np.asarray(y) == 1)))


def auroc(p: np.ndarray, y: np.ndarray) -> float:
    return float(roc_auc_score(y, p))


def pgr(weak: float, w2s: float, gold: float, min_margin: float) -> float:
    """(w2s − weak) / (gold − weak), or NaN where the ceiling is not `min_margin` above weak.

    Near a zero denominator the ratio is noise, so it is reported missing there rather than
    as a number; the plain gain w2s − weak is always reported beside it.
    """
    margin = gold - weak
    if not margin >= min_margin or margin <= 0:
        return math.nan
    return (w2s - weak) / margin
