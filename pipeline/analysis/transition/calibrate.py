"""Test statistics and their parametric-bootstrap calibration.

All models are refit to every replicate (vectorised, core.fit_family); with B replicates for C
curves a bootstrap is one batch of C·B curves.

Statistics (RSS = residual sum of squares of a model's least-squares fit; the nonlinear
parameters profiled on their grids, so the same estimator on data and replicates):

  change       T_c = ln RSS_constant − ln min_{m ≠ constant} RSS_m          (any change at all?)
  transition   T   = ln min_{smooth nulls} RSS − ln min(RSS_sigmoid, RSS_piecewise)
  dip          T_d = ln min_{monotone nulls, sigmoid} RSS − ln RSS_dip        (a reversal?)

Each is a generalised likelihood ratio (Gaussian errors: n/2 · T is the log LR) of the union of
the null families against the alternatives. p-values by parametric bootstrap from the null
fitted to the curve, y* = f̂_null + ε*, with f̂_null the null of least RSS (the maximum-likelihood
fit under the composite null; for T_d the least-RSS monotone model, the sigmoid included, so
that a sharp rise is not mistaken for a dip) and ε* the curve's centred noise replicates:

  p = (1 + #{T* ≥ T}) / (1 + B_valid).

For T_c the null is a constant, and every model has an intercept, so y* = ε* itself.
"""

from __future__ import annotations

import numpy as np

from pipeline.analysis.transition.fits import FamilyFit, GridFamily, fit_family
from pipeline.analysis.transition.nulls import MONOTONE, NULLS
from pipeline.analysis.transition.transition_models import TRANSITIONS

ALL = NULLS + TRANSITIONS
MONOTONE_ALL = MONOTONE + ("sigmoid",)  # H0 of the dip test: monotone, smooth or sharp


def fit_all(families: dict[str, GridFamily], y: np.ndarray, names=ALL, min_points: int = 1) -> dict[str, FamilyFit]:
    return {name: fit_family(families[name], y, min_points) for name in names}


def _log(v: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(v, 1e-300))


def best_of(fits: dict[str, FamilyFit], names) -> tuple[np.ndarray, np.ndarray]:
    """Least RSS among the named models (N,) and the index into `names` of the model (N,)."""
    rss = np.column_stack([fits[name].rss for name in names])
    filled = np.where(np.isfinite(rss), rss, np.inf)
    which = np.argmin(filled, axis=1)
    best = filled[np.arange(len(rss)), which]
    return np.where(np.isfinite(best), best, np.nan), which


def change_statistic(fits: dict[str, FamilyFit]) -> np.ndarray:
    others, _ = best_of(fits, tuple(m for m in fits if m != "constant"))
    return _log(fits["constant"].rss) - _log(others)


def transition_statistic(fits: dict[str, FamilyFit]) -> np.ndarray:
    null, _ = best_of(fits, NULLS)
    trans, _ = best_of(fits, TRANSITIONS)
    return _log(null) - _log(trans)


def dip_statistic(fits: dict[str, FamilyFit]) -> np.ndarray:
    mono, _ = best_of(fits, MONOTONE_ALL)
    return _log(mono) - _log(fits["dip"].rss)


def generator(fits: dict[str, FamilyFit], names) -> tuple[np.ndarray, np.ndarray]:
    """Fitted values (N, n) of each curve's least-RSS model among `names`, and its index into names."""
    _, which = best_of(fits, names)
    fitted = np.stack([fits[name].fitted() for name in names], axis=1)  # (N, M, n)
    return fitted[np.arange(len(which)), which], which


def bootstrap_pvalue(observed: np.ndarray, replicates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p = (1 + #{T* ≥ T}) / (1 + B_valid) per curve; observed (C,), replicates (C, B). Also B_valid."""
    valid = np.isfinite(replicates)
    exceed = (valid & (replicates >= observed[:, None] - 1e-12)).sum(1)
    n_valid = valid.sum(1)
    p = (1 + exceed) / (1 + n_valid)
    return np.where(np.isfinite(observed), p, np.nan), n_valid


def null_distribution(
    families: dict[str, GridFamily], base: np.ndarray, noise: np.ndarray, statistic, names=ALL, min_points: int = 1
) -> np.ndarray:
    """statistic(fits of base[c] + noise[c, b]) for every curve c and replicate b: (C, B).
    base (C, n) (a fitted null; zeros for the change test), noise (C, B, n)."""
    c, b, n = noise.shape
    y = (base[:, None, :] + noise).reshape(c * b, n)
    return statistic(fit_all(families, y, names, min_points)).reshape(c, b)
