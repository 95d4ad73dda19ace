"""Resampled curves (over test examples or pre-training seeds) and the locations they give."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.analysis.transition.config import DetectionConfig
from pipeline.analysis.transition.fits import (
    Bounds,
    location_bounds,
    piecewise_grid_search,
    sigmoid_grid_search,
)
from pipeline.probing.logistic import sigmoid
from pipeline.probing.metrics import correct, pgr

Resampler = Callable[[np.random.Generator, int], np.ndarray]
"""(rng, n_boot) -> resampled curves, shape (n_boot, n_points), NaN where a point is missing."""


def _polish_sigmoid(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, theta: np.ndarray, bounds: Bounds, iterations: int
) -> np.ndarray:
    """Vectorised Levenberg–Marquardt on (a, b, x0, log k) for many curves at once, in bounds."""
    lower = np.array([-np.inf, -np.inf, bounds.lo, math.log(bounds.k_lo)])
    upper = np.array([np.inf, np.inf, bounds.hi, math.log(bounds.k_hi)])
    theta = np.column_stack([theta[:, :3], np.log(theta[:, 3])])

    def residuals(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = sigmoid(np.exp(t[:, 3:4]) * (x - t[:, 2:3]))
        return y - (t[:, 0:1] + (t[:, 1:2] - t[:, 0:1]) * s), s

    r, s = residuals(theta)
    rss = (w * r**2).sum(1)
    damping = np.full(len(theta), 1e-3)
    for _ in range(iterations):
        k, rise = np.exp(theta[:, 3:4]), theta[:, 1:2] - theta[:, 0:1]
        slope = rise * k * s * (1 - s)
        jac = np.stack([1 - s, s, -slope, slope * (x - theta[:, 2:3])], axis=-1)  # d f / d theta
        jw = jac * w[..., None]
        normal = jw.swapaxes(1, 2) @ jac
        diag = np.diagonal(normal, axis1=1, axis2=2)
        lhs = normal + (damping[:, None] * diag + 1e-12 * (diag.sum(1, keepdims=True) + 1e-12))[..., None] * np.eye(4)
        delta = np.linalg.solve(lhs, jw.swapaxes(1, 2) @ r[..., None])[..., 0]
        candidate = np.clip(theta + delta, lower, upper)
        r_new, s_new = residuals(candidate)
        rss_new = (w * r_new**2).sum(1)
        better = rss_new < rss
        theta = np.where(better[:, None], candidate, theta)
        r, s = np.where(better[:, None], r_new, r), np.where(better[:, None], s_new, s)
        rss = np.where(better, rss_new, rss)
        damping = np.where(better, damping / 3, damping * 3)
    return np.column_stack([theta[:, :3], np.exp(theta[:, 3])])


def bootstrap_locations(
    x: np.ndarray, curves: np.ndarray, config: DetectionConfig = DetectionConfig()
) -> dict[str, np.ndarray]:
    """Sigmoid midpoint x0 and breakpoint xb of every resampled curve (rows of `curves`).

    Points that are NaN in a replicate are left out of its fits; a replicate with fewer than
    2·min_side points left gets NaN.
    """
    x = np.asarray(x, float)
    curves = np.atleast_2d(np.asarray(curves, float))
    w = np.isfinite(curves).astype(float)
    y = np.where(w > 0, curves, 0.0)
    valid = w.sum(1) >= 2 * config.min_side
    if not valid.any():  # e.g. a trajectory of one revision: there is no interval to place a transition in
        return {"x0": np.full(len(curves), np.nan), "breakpoint": np.full(len(curves), np.nan)}
    w = np.where(valid[:, None], w, 1.0)  # keeps the normal equations of hopeless replicates solvable
    mask = None if w.all() else w
    bounds = location_bounds(x, config)
    start = sigmoid_grid_search(x, y, mask, bounds, config)[:, 0]
    polished = _polish_sigmoid(x, y, w, start, bounds, config.lm_iterations)
    _, piecewise = piecewise_grid_search(x, y, mask, bounds, config)
    return {"x0": np.where(valid, polished[:, 2], np.nan), "breakpoint": np.where(valid, piecewise[:, 3], np.nan)}


def percentile_ci(values: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite values (NaN, NaN if there are none)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


class ExampleBootstrap:
    """Resampling of test examples, jointly for all revisions of one (model, task, layer).

    `probs` maps "weak", "w2s", "gold" to arrays (revisions, examples) of predicted P(y = 1);
    accuracy and PGR follow `pipeline.probing.metrics` in every replicate.
    """

    def __init__(self, probs: Mapping[str, np.ndarray], label: np.ndarray, min_margin: float = math.nan):
        self.probs = {kind: np.asarray(p) for kind, p in probs.items()}
        self.label = np.asarray(label)
        self.correct = {kind: correct(p, label).astype(float) for kind, p in self.probs.items()}
        self.n_examples = len(label)
        self.min_margin = min_margin

    @classmethod
    def from_predictions(cls, tables: Sequence[pd.DataFrame], min_margin: float = math.nan) -> ExampleBootstrap:
        """From one predictions table per revision (columns id, label, p_weak, p_w2s, p_gold)."""
        ids = tables[0]["id"].to_numpy()
        for table in tables[1:]:
            if not np.array_equal(table["id"].to_numpy(), ids):
                raise ValueError("the revisions' predictions are not of the same test examples in the same order")
        probs = {kind: np.stack([t[f"p_{kind}"].to_numpy() for t in tables]) for kind in ("weak", "w2s", "gold")}
        return cls(probs, tables[0]["label"].to_numpy(), min_margin)

    def weights(self, rng: np.random.Generator, n_boot: int) -> np.ndarray:
        """Multinomial resampling weights (n_boot, examples), each row summing to 1."""
        n = self.n_examples
        draws = rng.integers(0, n, size=(n_boot, n)) + n * np.arange(n_boot)[:, None]
        return np.bincount(draws.ravel(), minlength=n_boot * n).reshape(n_boot, n) / n

    def observed(self) -> np.ndarray:
        """Weights of the observed sample: a single row."""
        return np.full((1, self.n_examples), 1.0 / self.n_examples)

    def curves(self, metric: str, weights: np.ndarray) -> np.ndarray:
        """`metric` (weak_acc, w2s_acc, gold_acc, gain, pgr) per revision, shape (rows of weights, revisions)."""
        acc = {kind: weights @ c.T for kind, c in self.correct.items()}
        if metric.endswith("_acc"):
            return acc[metric.removesuffix("_acc")]
        gain = acc["w2s"] - acc["weak"]
        if metric == "gain":
            return gain
        if metric == "pgr":
            if math.isnan(self.min_margin):
                raise ValueError("PGR needs the run's min_margin (metrics.pgr_min_margin)")
            return pgr(acc["weak"], acc["w2s"], acc["gold"], self.min_margin)
        raise ValueError(f"unknown metric {metric!r}")

    def resampler(self, metric: str) -> Resampler:
        return lambda rng, n_boot: self.curves(metric, self.weights(rng, n_boot))


def seed_bootstrap(curves: np.ndarray) -> Resampler:
    """Resampler over pre-training seeds: rows of `curves` (seeds, points) drawn with replacement
    and averaged (NaN points ignored; NaN where every drawn seed is NaN)."""
    curves = np.asarray(curves, float)

    def draw(rng: np.random.Generator, n_boot: int) -> np.ndarray:
        chosen = curves[rng.integers(0, len(curves), size=(n_boot, len(curves)))]
        return nanmean(chosen, axis=1)

    return draw


def nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean of the finite values along `axis`; NaN where there are none."""
    finite = np.isfinite(values)
    count = finite.sum(axis)
    total = np.where(finite, values, 0.0).sum(axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
