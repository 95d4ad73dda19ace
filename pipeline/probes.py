"""Logistic probes on soft labels, with L2 strength chosen on the probe's own training labels.

The objective is scikit-learn's `LogisticRegression` objective with soft targets p ∈ [0, 1]:
    Σ_i CE(p_i, σ(x_i·β + b)) + ‖β‖² / (2C)      (intercept not penalized).
On 0/1 labels it is exactly scikit-learn's problem. Model selection (C) uses k-fold
cross-validation scored by the same cross-entropy on held-out folds of the training labels,
so a weak-to-strong probe never sees a gold label, not even for selection.

All (fold, C) problems are solved at once by a batched, damped Newton method in float64
(numpy only, so a probes job starts fast):
they share the feature matrix, so one pass fits a whole CV grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_CS: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0)


def soft_cross_entropy(p_true: np.ndarray, p_pred: np.ndarray) -> float:
    p_pred = np.clip(p_pred, 1e-12, 1 - 1e-12)
    return float(-np.mean(p_true * np.log(p_pred) + (1 - p_true) * np.log(1 - p_pred)))


def _log_sigmoid(t: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -t)


def _objective(z: np.ndarray, theta: np.ndarray, p: np.ndarray, w: np.ndarray, inv_c: np.ndarray) -> np.ndarray:
    logits = theta @ z.T  # (k, n)
    ce = -(p * _log_sigmoid(logits) + (1 - p) * _log_sigmoid(-logits))
    return (w * ce).sum(1) + 0.5 * inv_c * (theta[:, :-1] ** 2).sum(1)


def fit_logistic_batch(
    x: np.ndarray, p: np.ndarray, weights: np.ndarray, cs: np.ndarray, max_iter: int = 50, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Solve k L2-logistic problems on shared features `x` (n, d).

    `p` (k, n) soft labels, `weights` (k, n) per-example weights (0 drops an example, e.g.
    outside a CV fold), `cs` (k,) inverse L2 strengths. Returns coefficients (k, d) and
    intercepts (k,).
    """
    z = np.hstack([np.asarray(x, dtype=np.float64), np.ones((len(x), 1))])
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), np.shape(weights))
    w = np.asarray(weights, dtype=np.float64)
    inv_c = 1.0 / np.asarray(cs, dtype=np.float64)
    k, d1 = len(inv_c), z.shape[1]
    ridge = np.ones(d1)
    ridge[-1] = 0.0  # the intercept is not penalized
    theta = np.zeros((k, d1))
    loss = _objective(z, theta, p, w, inv_c)
    for _ in range(max_iter):
        s = 1 / (1 + np.exp(-(theta @ z.T)))
        grad = (w * (s - p)) @ z + inv_c[:, None] * ridge * theta
        hess = np.swapaxes((w * s * (1 - s))[:, :, None] * z, 1, 2) @ z
        hess[:, np.arange(d1), np.arange(d1)] += inv_c[:, None] * ridge + 1e-10
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        # backtracking per problem: halve the step until the objective does not increase
        scale = np.ones(k)
        for _ in range(30):
            candidate = theta - scale[:, None] * step
            new_loss = _objective(z, candidate, p, w, inv_c)
            worse = new_loss > loss + 1e-12
            if not worse.any():
                break
            scale = np.where(worse, scale / 2, scale)
        decrease = np.abs(loss - new_loss).max()
        theta, loss = candidate, np.minimum(new_loss, loss)
        if decrease < tol * max(1.0, np.abs(loss).max()):
            break
    return theta[:, :-1], theta[:, -1]


def fold_masks(p: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """(folds, n) boolean masks of held-out rows, stratified on the hard labels p >= 0.5."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(p), dtype=int)
    for cls in (False, True):
        rows = np.flatnonzero((p >= 0.5) == cls)
        assignment[rng.permutation(rows)] = np.arange(len(rows)) % folds
    return assignment[None, :] == np.arange(folds)[:, None]


@dataclass
class LogisticProbe:
    """Standardized features, then L2 logistic regression on soft labels; C chosen by CV.

    Parameters live in `__init__`; fitted state ends with an underscore.
    """

    cs: Sequence[float] = DEFAULT_CS
    folds: int = 5
    seed: int = 0
    cv_losses_: dict[float, float] = field(default_factory=dict, init=False)

    def fit(self, x: np.ndarray, p: np.ndarray) -> LogisticProbe:
        x = np.asarray(x, dtype=np.float64)
        p = np.asarray(p, dtype=np.float64)
        if x.ndim != 2 or len(x) != len(p):
            raise ValueError(f"features of shape {x.shape} do not match {len(p)} labels")
        if np.any((p < 0) | (p > 1)):
            raise ValueError("labels must lie in [0, 1]")
        self.mean_ = x.mean(axis=0)
        self.scale_ = x.std(axis=0) + 1e-8
        z = (x - self.mean_) / self.scale_
        cs = np.asarray(self.cs, dtype=np.float64)
        if len(cs) > 1:
            held_out = fold_masks(p, self.folds, self.seed)
            grid_c = np.repeat(cs, self.folds)
            grid_held = np.tile(held_out, (len(cs), 1))
            coef, intercept = fit_logistic_batch(z, p, ~grid_held, grid_c)
            probs = 1 / (1 + np.exp(-(coef @ z.T + intercept[:, None])))
            losses = [
                soft_cross_entropy(p[grid_held[j]], probs[j, grid_held[j]]) for j in range(len(grid_c))
            ]
            per_c = np.asarray(losses).reshape(len(cs), self.folds).mean(1)
            self.cv_losses_ = dict(zip(cs.tolist(), per_c.tolist()))
            self.c_ = float(cs[int(np.argmin(per_c))])
        else:
            self.c_ = float(cs[0])
        coef, intercept = fit_logistic_batch(z, p[None], np.ones((1, len(p))), np.array([self.c_]))
        self.coef_, self.intercept_ = coef[0], float(intercept[0])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probability of class 1 for each row."""
        z = (np.asarray(x, dtype=np.float64) - self.mean_) / self.scale_
        return 1 / (1 + np.exp(-(z @ self.coef_ + self.intercept_)))
