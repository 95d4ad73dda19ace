"""Initialisations of the student and batched projected gradient descent on the sphere."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from pipeline.synthetic.model import (
    OVERLAP_START,
    RANDOM_START,
    hermite,
    hermite_derivative,
    orthogonal_unit,
    predict,
    sigma,
    unit,
    unlabeled_stream,
)


def spectral_directions(theta: np.ndarray, kappa: float, sizes: list[int], seed: int) -> np.ndarray:
    """Top eigenvector of the empirical second moment of the first N unlabeled samples, for every
    N in `sizes` (ascending) and seed: (S, G, d), sign arbitrary.

    The sizes are prefixes of one stream per seed (more pre-training continues the same data),
    so the Gram matrix is accumulated block by block instead of recomputed per N; only the top
    eigenpair is computed."""
    seeds, d = theta.shape
    out = np.empty((seeds, len(sizes), d))
    for s in range(seeds):
        stream = unlabeled_stream(theta[s].astype(float), kappa, sizes[-1], seed, s)
        gram, start = np.zeros((d, d)), 0
        for g, size in enumerate(sizes):
            gram += stream[start:size].T @ stream[start:size]
            start = size
            out[s, g] = scipy.linalg.eigh(gram, subset_by_index=[d - 1, d - 1])[1][:, 0]
    return out.astype(theta.dtype)


def choose_sign(
    w: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int, theta: np.ndarray, kappa: float
) -> np.ndarray:
    """Flip each direction of w (S, C, d) whose negation has the lower training loss on its
    column's labels (S, n, C): an eigenvector's sign carries no information, the labels break
    the tie (an exact tie for even k, where w is kept)."""
    plus = loss_and_gradient(w, x, labels, k, theta, kappa)[0]
    minus = loss_and_gradient(-w, x, labels, k, theta, kappa)[0]
    return np.where((minus < plus)[..., None], -w, w)


def random_directions(d: int, seeds: int, seed: int, dtype: type = np.float32) -> np.ndarray:
    """One uniform random unit vector per seed, (S, 1, d): the no-pre-training baseline."""
    return np.stack(
        [unit(np.random.default_rng([seed, s, RANDOM_START]).standard_normal((1, d))) for s in range(seeds)]
    ).astype(dtype)


def directions_at_overlap(theta: np.ndarray, overlaps: list[float], seed: int) -> np.ndarray:
    """w = r₀θ* + sqrt(1 − r₀²)·u with u ⟂ θ* uniformly random, one column per r₀: (S, C, d)."""
    out = np.empty((theta.shape[0], len(overlaps), theta.shape[1]))
    for s, th in enumerate(theta.astype(float)):
        rng = np.random.default_rng([seed, s, OVERLAP_START])
        for c, r in enumerate(overlaps):
            out[s, c] = r * th + np.sqrt(1 - r**2) * orthogonal_unit(rng, th)
    return out.astype(theta.dtype)


def minimizer(
    w0: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int, theta: np.ndarray, kappa: float
) -> np.ndarray:
    """A local minimiser of the training loss near each start w0 (S, d), by L-BFGS in float64.

    L is invariant to the scale of w, so minimising over R^d and normalising equals minimising
    over the sphere; L-BFGS reaches ‖∇L‖ ~ 1e-7 in a fraction of the steps GD would need."""
    out = np.empty(w0.shape)
    for s in range(w0.shape[0]):
        args = (x[s : s + 1].astype(float), labels[s : s + 1, :, None].astype(float), k,
                theta[s : s + 1].astype(float), kappa)

        def fun(v: np.ndarray, args=args) -> tuple[float, np.ndarray]:
            loss, grad = loss_and_gradient(v[None, None, :], *args)
            return float(loss[0, 0]), grad[0, 0]

        result = scipy.optimize.minimize(fun, w0[s].astype(float), jac=True, method="L-BFGS-B",
                                         options={"gtol": 1e-9, "ftol": 1e-15, "maxiter": 10_000})
        out[s] = unit(result.x)
    return out.astype(w0.dtype)


def loss_and_gradient(
    w: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int, theta: np.ndarray, kappa: float
) -> tuple[np.ndarray, np.ndarray]:
    """L(w) = (1/2n)·Σᵢ (He_k(zᵢ) − yᵢ)², zᵢ = ⟨w, xᵢ⟩/σ(w), and its Euclidean gradient
    ∇L = (1/(nσ))·Σᵢ rᵢ·He_k'(zᵢ)·(xᵢ − zᵢ·Σw/σ), the second term from differentiating σ(w).

    w (S, C, d), x (S, n, d), labels (S, n, C) -> loss (S, C), gradient (S, C, d)."""
    s = sigma(w, theta, kappa)
    z = np.matmul(x, w.transpose(0, 2, 1)) / s[:, None, :]
    residual = hermite(k, z) - labels
    a = residual * hermite_derivative(k, z) / x.shape[1]
    t = np.einsum("scd,sd->sc", w, theta)
    cov_w = w + kappa * t[..., None] * theta[:, None, :]  # Σw
    grad = np.matmul(a.transpose(0, 2, 1), x) - (np.einsum("snc,snc->sc", a, z) / s)[..., None] * cov_w
    return 0.5 * np.mean(residual**2, axis=1), grad / s[..., None]


def tangent(w: np.ndarray, g: np.ndarray) -> np.ndarray:
    """(I − wwᵀ)g for unit w: the spherical gradient."""
    return g - np.einsum("scd,scd->sc", g, w)[..., None] * w


@dataclass(frozen=True)
class Trajectory:
    """Recorded steps (R,) and per-step measurements (R, S, C); w is the final direction (S, C, d).
    secant ⟨∇_sphere L(w), w − w̄⟩ and dist2 ‖w − w̄‖² are present when a reference w̄ was given."""

    steps: np.ndarray
    overlap: np.ndarray
    test_error: np.ndarray
    train_loss: np.ndarray
    secant: np.ndarray | None
    dist2: np.ndarray | None
    w: np.ndarray


def descend(
    w0: np.ndarray,
    x: np.ndarray,
    labels: np.ndarray,
    *,
    k: int,
    theta: np.ndarray,
    kappa: float,
    eta: float,
    steps: int,
    x_test: np.ndarray,
    y_test: np.ndarray,
    record_every: int,
    reference: np.ndarray | None = None,
) -> Trajectory:
    """Projected GD w ← normalize(w − η(I − wwᵀ)∇L(w)), all seeds and columns at once.

    w0 (S, C, d); labels (S, n, C); test gold labels y_test (S, m); reference w̄ (S, C, d) or
    (S, 1, d). Records at step 0, every `record_every` steps and at the last step."""
    # one dtype throughout: a float64 operand would send the float32 products down a slow path
    w, labels = w0.astype(x.dtype), labels.astype(x.dtype)
    record = [t for t in range(steps + 1) if t % record_every == 0 or t == steps]
    recorded = set(record)
    rows: dict[str, list[np.ndarray]] = {"overlap": [], "test_error": [], "train_loss": [], "secant": [],
                                         "dist2": []}
    for t in range(steps + 1):
        loss, grad = loss_and_gradient(w, x, labels, k, theta, kappa)
        # the exact ∇L is already tangent (L is invariant to the scale of w); projecting keeps
        # the update the spherical one even where round-off leaves a radial part
        grad = tangent(w, grad)
        if t in recorded:
            test_residual = predict(k, x_test, w, theta, kappa) - y_test[..., None]
            rows["test_error"].append(np.mean(test_residual**2, axis=1))
            rows["overlap"].append(np.einsum("scd,sd->sc", w, theta))
            rows["train_loss"].append(loss)
            if reference is not None:
                rows["secant"].append(np.einsum("scd,scd->sc", grad, w - reference))
                rows["dist2"].append(np.sum((w - reference) ** 2, axis=-1))
        if t < steps:
            w = unit(w - eta * grad)
    arrays = {key: np.stack(v) if v else None for key, v in rows.items()}
    return Trajectory(steps=np.array(record), w=w, **arrays)
