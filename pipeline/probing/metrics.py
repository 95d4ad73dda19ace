"""Accuracy, AUROC, the weak-to-strong gain and the performance gap recovered (PGR)."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata

ArrayOrFloat = np.ndarray | float


def correct(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each hard decision p >= 0.5 matches its 0/1 label (broadcasts over leading axes of p)."""
    return (np.asarray(p) >= 0.5) == (np.asarray(y) == 1)


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the hard decisions p >= 0.5 against 0/1 labels."""
    return float(np.mean(correct(p, y)))


def auroc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney U with tied scores counted half)."""
    y = np.asarray(y) == 1
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(p)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pgr(weak: ArrayOrFloat, w2s: ArrayOrFloat, gold: ArrayOrFloat, min_margin: float) -> ArrayOrFloat:
    """(w2s − weak) / (gold − weak), or NaN where the ceiling is not `min_margin` above weak;
    elementwise on arrays, a float for scalars.

    Near a zero denominator the ratio is noise, so it is reported missing there rather than
    as a number; the plain gain w2s − weak is always reported beside it.
    """
    weak, w2s, gold = (np.asarray(v, float) for v in (weak, w2s, gold))
    margin = gold - weak
    held = (margin >= min_margin) & (margin > 0)
    value = np.where(held, (w2s - weak) / np.where(held, margin, 1.0), np.nan)
    return value if value.ndim else float(value)
