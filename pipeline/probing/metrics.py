"""Accuracy, AUROC, the weak-to-strong gain and the performance gap recovered (PGR)."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm, rankdata

ArrayOrFloat = np.ndarray | float


def correct(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each hard decision p >= 0.5 matches its 0/1 label (broadcasts over leading axes of p)."""
    return (np.asarray(p) >= 0.5) == (np.asarray(y) == 1)


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the hard decisions p >= 0.5 against 0/1 labels."""
    return float(np.mean(correct(p, y)))


def auroc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney U with tied scores counted half)."""
    n = len(y)
    return float(weighted_auroc(p, y, np.full((1, n), 1.0 / n))[0])


def weighted_auroc(p: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUROC under example weights, per row of weights (R, n): the weighted share of
    (positive, negative) pairs ranked right, ties counted half; NaN without both classes."""
    p, positive = np.asarray(p, float), np.asarray(y) == 1
    values, index = np.unique(p, return_inverse=True)
    # negative weight at each distinct score, then below each score (cumulative)
    negative = np.zeros((len(weights), len(values)))
    np.add.at(negative.T, index[~positive], weights[:, ~positive].T)
    below = np.cumsum(negative, axis=1) - negative
    hits = (below + 0.5 * negative)[:, index[positive]]
    w_pos = weights[:, positive]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w_pos * hits).sum(1) / (w_pos.sum(1) * negative.sum(1))


def pgr(
    weak: ArrayOrFloat, w2s: ArrayOrFloat, gold: ArrayOrFloat, min_margin: ArrayOrFloat
) -> ArrayOrFloat:
    """(w2s − weak) / (gold − weak), or NaN where the ceiling is not `min_margin` above weak;
    elementwise on arrays (`min_margin` broadcasts), a float for scalars.

    Near a zero denominator the ratio is noise, so it is reported missing there rather than
    as a number; the plain gain w2s − weak is always reported beside it.
    """
    weak, w2s, gold = (np.asarray(v, float) for v in (weak, w2s, gold))
    margin = gold - weak
    held = (margin >= min_margin) & (margin > 0)
    value = np.where(held, (w2s - weak) / np.where(held, margin, 1.0), np.nan)
    return value if value.ndim else float(value)


def paired_se(difference: np.ndarray, weights: np.ndarray, n: int | None = None) -> np.ndarray:
    """Standard error of the weighted mean of per-example paired differences, per row of weights.

    difference (n,) e.g. correct(gold) − correct(weak); weights (R, n), rows summing to 1 (the
    observed sample is one row of 1/n; bootstrap rows are resampling frequencies); `n` examples
    behind each row (default: all, as in a bootstrap replicate; half of them for a half-sample).
    """
    mean = weights @ difference
    variance = np.maximum(weights @ difference**2 - mean**2, 0.0)
    return np.sqrt(variance / (n or len(difference)))


def margin_threshold(
    c_weak: np.ndarray,
    c_gold: np.ndarray,
    weights: np.ndarray,
    min_margin: float,
    margin_se: float,
    n: int | None = None,
) -> np.ndarray:
    """PGR's margin rule per row of weights: gold − weak must reach `margin_se` paired standard
    errors of that difference (`paired_se`), and at least `min_margin`."""
    se = paired_se(np.asarray(c_gold, float) - np.asarray(c_weak, float), weights, n)
    return np.maximum(min_margin, margin_se * se)


def fieller_interval(numerator: np.ndarray, denominator: np.ndarray, level: float) -> tuple[float, float]:
    """Fieller's interval for mean(numerator) / mean(denominator) of paired per-example values
    (NaN, NaN where the denominator is not significantly non-zero: the interval is unbounded)."""
    a, b = np.asarray(numerator, float), np.asarray(denominator, float)
    n = len(a)
    ma, mb = a.mean(), b.mean()
    cov = np.cov(a, b, ddof=1) / n
    t2 = norm.ppf((1 + level) / 2) ** 2
    quad = mb**2 - t2 * cov[1, 1]
    if quad <= 0:
        return math.nan, math.nan
    half = ma * mb - t2 * cov[0, 1]
    disc = half**2 - quad * (ma**2 - t2 * cov[0, 0])
    root = math.sqrt(max(disc, 0.0))
    return float((half - root) / quad), float((half + root) / quad)


def delong_difference_se(p_a: np.ndarray, p_b: np.ndarray, y: np.ndarray) -> float:
    """DeLong's standard error of AUROC(b) − AUROC(a) on the same examples (paired)."""
    y = np.asarray(y) == 1
    m, n = int(y.sum()), int((~y).sum())
    if m < 2 or n < 2:
        return math.nan
    components = []
    for p in (np.asarray(p_a, float), np.asarray(p_b, float)):
        ranks_all = rankdata(p)
        v10 = (ranks_all[y] - rankdata(p[y])) / n  # per positive: share of negatives below it
        v01 = 1 - (ranks_all[~y] - rankdata(p[~y])) / m  # per negative: share of positives above it
        components.append((v10, v01))
    s10 = np.cov(components[0][0], components[1][0])
    s01 = np.cov(components[0][1], components[1][1])
    variance = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    return float(math.sqrt(max(variance, 0.0)))


def wilson_interval(successes: int, n: int, level: float) -> tuple[float, float]:
    """Wilson's score interval of a binomial proportion (NaN, NaN where n is 0)."""
    if n == 0:
        return math.nan, math.nan
    z = float(norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def imitation(p_weak: np.ndarray, p_w2s: np.ndarray, y: np.ndarray, level: float) -> dict[str, float]:
    """What the W2S probe copies from its supervisor, on test: how often their decisions agree, and
    its accuracy on the examples the supervisor gets right and on those it gets wrong (with
    Wilson's interval: above 0.5 there, the student corrects the supervisor's errors)."""
    weak_right, w2s_right = correct(p_weak, y), correct(p_w2s, y)
    wrong = ~weak_right
    k = int(w2s_right[wrong].sum())
    lo, hi = wilson_interval(k, int(wrong.sum()), level)
    return {
        "agreement": float(np.mean((np.asarray(p_weak) >= 0.5) == (np.asarray(p_w2s) >= 0.5))),
        "w2s_acc_weak_right": float(w2s_right[weak_right].mean()) if weak_right.any() else math.nan,
        "w2s_acc_weak_wrong": k / int(wrong.sum()) if wrong.any() else math.nan,
        "w2s_acc_weak_wrong_lo": lo,
        "w2s_acc_weak_wrong_hi": hi,
        "n_weak_wrong": int(wrong.sum()),
    }
