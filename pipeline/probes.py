"""Logistic probes on soft labels, with L2 strength chosen on the probe's own training labels.

The objective is scikit-learn's `LogisticRegression` objective with soft targets p ∈ [0, 1]:
    Σ_i CE(p_i, σ(x_i·β + b)) + ‖β‖² / (2C)      (intercept not penalized).
On 0/1 labels it is exactly scikit-learn's problem. Model selection (C) uses k-fold
cross-validation scored by the same cross-entropy on held-out folds of the training labels,
so a weak-to-strong probe never sees a gold label, not even for selection.

All (fold, C) problems are solved at once by a batched, damped Newton method in float64:
they share the feature matrix, so one pass fits a whole CV grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

DEFAULT_CS: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0)


def soft_cross_entropy(p_true: np.ndarray, p_pred: np.ndarray) -> float:
    p_pred = np.clip(p_pred, 1e-12, 1 - 1e-12)
    return float(-np.mean(p_true * np.log(p_pred) + (1 - p_true) * np.log(1 - p_pred)))


def _objective(z: torch.Tensor, theta: torch.Tensor, p: torch.Tensor, w: torch.Tensor, inv_c: torch.Tensor) -> torch.Tensor:
    logits = theta @ z.T  # (k, n)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(logits, p, reduction="none")
    return (w * ce).sum(1) + 0.5 * inv_c * (theta[:, :-1] ** 2).sum(1)


def fit_logistic_batch(
    x: np.ndarray, p: np.ndarray, weights: np.ndarray, cs: np.ndarray, max_iter: int = 50, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Solve k L2-logistic problems on shared features `x` (n, d).

    `p` (k, n) soft labels, `weights` (k, n) per-example weights (0 drops an example, e.g.
    outside a CV fold), `cs` (k,) inverse L2 strengths. Returns coefficients (k, d) and
    intercepts (k,).
    """
    z = torch.from_numpy(np.hstack([x, np.ones((len(x), 1))])).double()
    p_t = torch.tensor(p, dtype=torch.float64)
    w_t = torch.tensor(weights, dtype=torch.float64)
    inv_c = 1.0 / torch.as_tensor(cs, dtype=torch.float64)
    k, d1 = len(cs), z.shape[1]
    ridge = torch.ones(d1, dtype=torch.float64)
    ridge[-1] = 0.0
    theta = torch.zeros(k, d1, dtype=torch.float64)
    loss = _objective(z, theta, p_t, w_t, inv_c)
    for _ in range(max_iter):
        s = torch.sigmoid(theta @ z.T)
        grad = (w_t * (s - p_t)) @ z + inv_c[:, None] * ridge * theta
        hess = ((w_t * s * (1 - s)).unsqueeze(-1) * z).transpose(1, 2) @ z
        hess = hess + torch.diag_embed(inv_c[:, None] * ridge + 1e-10)
        step = torch.linalg.solve(hess, grad.unsqueeze(-1)).squeeze(-1)
        # backtracking per problem: halve the step until the objective does not increase
        scale = torch.ones(k, dtype=torch.float64)
        for _ in range(30):
            candidate = theta - scale[:, None] * step
            new_loss = _objective(z, candidate, p_t, w_t, inv_c)
            worse = new_loss > loss + 1e-12
            if not worse.any():
                break
            scale = torch.where(worse, scale / 2, scale)
        decrease = (loss - new_loss).abs().max().item()
        theta, loss = candidate, torch.minimum(new_loss, loss)
        if decrease < tol * max(1.0, loss.abs().max().item()):
            break
    theta_np = theta.numpy()
    return theta_np[:, :-1], theta_np[:, -1]


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
            coef, intercept = fit_logistic_batch(z, np.broadcast_to(p, grid_held.shape), ~grid_held, grid_c)
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
