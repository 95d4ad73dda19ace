"""Resamplers of a curve's noise, and the centred noise replicates the detector uses.

A resampler is `(rng, n_boot) -> curves (n_boot, n_points)` with NaN where a point is missing.
Its replicates minus their mean are draws of the curve's noise with its correlation across
revisions (`centred_noise`); the detector adds them to a fitted null (parametric bootstrap) or to
the fitted transition (location bootstrap).

- `ExampleBootstrap`: test examples drawn with replacement, the same draw for every revision, so
  the noise a shared test set puts on all revisions is kept.
- `seed_bootstrap(curves)`: seeds are the unit. Rows of (seeds, points) drawn with replacement and
  averaged; deviations are rescaled by sqrt(S/(S−1)) so that the replicates' variance is the
  unbiased s²/S (the plain bootstrap's is a third too small with S = 3 seeds).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.config import MetricsConfig
from pipeline.probing.metrics import correct, delong_difference_se, margin_threshold, pgr, weighted_auroc

Resampler = Callable[[np.random.Generator, int], np.ndarray]
"""(rng, n_boot) -> resampled curves, shape (n_boot, n_points), NaN where a point is missing."""


def nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean of the finite values along `axis`; NaN where there are none."""
    finite = np.isfinite(values)
    count = finite.sum(axis)
    total = np.where(finite, values, 0.0).sum(axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def percentile_ci(values: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite values (NaN, NaN if there are none)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def centred_noise(resample: Resampler, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """n_boot noise replicates (n_boot, n_points): resampled curves minus their pointwise mean."""
    curves = np.atleast_2d(np.asarray(resample(rng, n_boot), float))
    return curves - nanmean(curves, axis=0)[None, :]


class ExampleBootstrap:
    """Resampling of test examples, jointly for all revisions of one (model, task, layer).

    `probs` maps "weak", "w2s", "gold" to arrays (revisions, examples) of predicted P(y = 1);
    accuracy, AUROC and the PGR margin rule follow `pipeline.probing.metrics` in every replicate
    (`metrics`, the run's `MetricsConfig`, is needed for PGR).
    """

    METRICS = ("weak_acc", "w2s_acc", "gold_acc", "gain", "pgr", "weak_auroc", "w2s_auroc", "gold_auroc",
               "gain_auroc", "pgr_auroc")

    def __init__(self, probs: Mapping[str, np.ndarray], label: np.ndarray, metrics: MetricsConfig | None = None):
        self.probs = {kind: np.atleast_2d(np.asarray(p, float)) for kind, p in probs.items()}
        self.label = np.asarray(label)
        self.correct = {kind: correct(p, label).astype(float) for kind, p in self.probs.items()}
        self.n_examples = len(label)
        self.metrics = metrics

    @classmethod
    def from_predictions(cls, tables: Sequence[pd.DataFrame], metrics: MetricsConfig | None = None) -> ExampleBootstrap:
        """From one predictions table per revision (columns id, label, p_weak, p_w2s, p_gold)."""
        ids = tables[0]["id"].to_numpy()
        for table in tables[1:]:
            if not np.array_equal(table["id"].to_numpy(), ids):
                raise ValueError("the revisions' predictions are not of the same test examples in the same order")
        probs = {kind: np.stack([t[f"p_{kind}"].to_numpy() for t in tables]) for kind in ("weak", "w2s", "gold")}
        return cls(probs, tables[0]["label"].to_numpy(), metrics)

    def weights(self, rng: np.random.Generator, n_boot: int) -> np.ndarray:
        """Multinomial resampling weights (n_boot, examples), each row summing to 1."""
        n = self.n_examples
        draws = rng.integers(0, n, size=(n_boot, n)) + n * np.arange(n_boot)[:, None]
        return np.bincount(draws.ravel(), minlength=n_boot * n).reshape(n_boot, n) / n

    def observed(self) -> np.ndarray:
        """Weights of the observed sample: a single row."""
        return np.full((1, self.n_examples), 1.0 / self.n_examples)

    def curves(self, metric: str, weights: np.ndarray, n: int | None = None) -> np.ndarray:
        """`metric` (one of METRICS) per revision, shape (rows of weights, revisions); `n` is the
        number of examples behind each row of weights (default: all), for PGR's margin rule."""
        if metric not in self.METRICS:
            raise ValueError(f"unknown metric {metric!r}; known: {self.METRICS}")
        score = "auroc" if metric.endswith("auroc") else "acc"
        kind = metric.removesuffix(f"_{score}")
        if kind in self.probs:
            return self._score(kind, score, weights)
        weak, w2s = self._score("weak", score, weights), self._score("w2s", score, weights)
        if kind == "gain":
            return w2s - weak
        if self.metrics is None:
            raise ValueError("PGR needs the run's margin rule (a MetricsConfig)")
        gold = self._score("gold", score, weights)
        if score == "acc":
            threshold = np.stack([
                margin_threshold(self.correct["weak"][r], self.correct["gold"][r], weights,
                                 self.metrics.pgr_min_margin, self.metrics.pgr_margin_se, n)
                for r in range(len(self.probs["weak"]))
            ], axis=1)
        else:
            threshold = self._auroc_threshold
        return pgr(weak, w2s, gold, threshold)

    @functools.cached_property
    def _auroc_threshold(self) -> np.ndarray:
        """The AUROC PGR's margin per revision, from DeLong's standard error of the observed sample
        (as in the metrics table): fixed across replicates, so computed once."""
        return np.array([
            max(self.metrics.pgr_min_margin,
                self.metrics.pgr_margin_se * delong_difference_se(p_weak, p_gold, self.label))
            for p_weak, p_gold in zip(self.probs["weak"], self.probs["gold"])
        ])

    def _score(self, kind: str, score: str, weights: np.ndarray) -> np.ndarray:
        if score == "acc":
            return weights @ self.correct[kind].T
        return np.stack([weighted_auroc(p, self.label, weights) for p in self.probs[kind]], axis=1)

    def resampler(self, metric: str) -> Resampler:
        return lambda rng, n_boot: self.curves(metric, self.weights(rng, n_boot))


def seed_bootstrap(curves: np.ndarray, rescale: bool = True) -> Resampler:
    """Resampler over pre-training seeds: rows of `curves` (seeds, points) drawn with replacement
    and averaged (NaN points ignored); `rescale` inflates the deviations by sqrt(S/(S−1))."""
    curves = np.asarray(curves, float)
    mean = nanmean(curves, axis=0)
    count = np.isfinite(curves).sum(0)
    factor = np.sqrt(count / np.maximum(count - 1, 1)) if rescale else np.ones(curves.shape[1])

    def draw(rng: np.random.Generator, n_boot: int) -> np.ndarray:
        chosen = curves[rng.integers(0, len(curves), size=(n_boot, len(curves)))]
        return mean + factor * (nanmean(chosen, axis=1) - mean)

    return draw


def between_seed_sd(curves: np.ndarray) -> tuple[np.ndarray, float]:
    """Sample sd across seeds at each point (seeds, points) -> (points,), and its root mean square."""
    curves = np.asarray(curves, float)
    count = np.isfinite(curves).sum(0)
    mean = nanmean(curves, axis=0)
    ss = np.where(np.isfinite(curves), (curves - mean) ** 2, 0.0).sum(0)
    sd = np.where(count > 1, np.sqrt(ss / np.maximum(count - 1, 1)), np.nan)
    finite = np.isfinite(sd)
    return sd, float(np.sqrt(np.mean(sd[finite] ** 2))) if finite.any() else math.nan


def noise_covariance(noise: np.ndarray, var_floor: float = 0.01) -> np.ndarray | None:
    """Shrinkage estimate of the noise covariance from centred replicates (B, n), for generalised
    least squares; None where GLS is not safe.

    Correlations are shrunk toward 0 with the estimated optimal intensity of Schäfer & Strimmer
    (2005, target "D": diagonal, unequal variances); variances are floored at `var_floor` × their
    median (a point without noise, e.g. W2S = weak at initialisation, would otherwise get an
    infinite weight). None when a replicate has a missing point or the replicates span fewer
    dimensions than the points that vary (a bootstrap over a few seeds spans at most S − 1): GLS
    would then trust directions the replicates never explore, which the parametric bootstrap,
    built from the same replicates, could not calibrate.
    """
    noise = np.asarray(noise, float)
    if noise.ndim != 2 or not np.isfinite(noise).all():
        return None
    b, n = noise.shape
    centred = noise - noise.mean(0)
    var = centred.var(0, ddof=1)
    varying = var > 1e-12 * max(var.max(), 1e-300)
    if b < 2 * n or not varying.any() or np.linalg.matrix_rank(centred[:, varying]) < varying.sum():
        return None
    var = np.maximum(var, var_floor * np.median(var[varying]))
    z = centred / np.sqrt(var)
    corr = z.T @ z / (b - 1)
    w = z[:, :, None] * z[:, None, :]
    var_corr = b / (b - 1) ** 3 * ((w - w.mean(0)) ** 2).sum(0)
    off = ~np.eye(n, dtype=bool)
    lam = float(np.clip(var_corr[off].sum() / max((corr[off] ** 2).sum(), 1e-300), 0.0, 1.0))
    shrunk = (1 - lam) * corr
    np.fill_diagonal(shrunk, 1.0)
    sd = np.sqrt(var)
    return sd[:, None] * shrunk * sd[None, :]
