"""Initialisations of the student and batched projected gradient descent on the sphere.

Nothing here reads θ*: the student sees inputs and labels only, and normalises by the second
moment of its own training inputs. Scores are computed by a `Scorer` (the Problem) passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.linalg
import scipy.optimize

from pipeline.synthetic.model import RANDOM_START, hermite, hermite_derivative, student_scale, unit


class Scorer(Protocol):
    """What descend records: overlap with the target and test error (model.Problem)."""

    def overlap(self, w: np.ndarray) -> np.ndarray: ...

    def test_error(self, w: np.ndarray, scale: np.ndarray) -> np.ndarray: ...


def spectral_directions(grams: Callable[[int], Iterable[np.ndarray]], seeds: int) -> np.ndarray:
    """Top eigenvector of each Gram matrix Σᵢ xᵢxᵢᵀ of `grams(s)` (one per pre-training size) for
    every seed: (S, G, d), sign arbitrary. Only the top eigenpair is computed."""
    out = []
    for s in range(seeds):
        rows = []
        for gram in grams(s):
            d = gram.shape[0]
            rows.append(scipy.linalg.eigh(gram, subset_by_index=[d - 1, d - 1])[1][:, 0])
        out.append(rows)
    return np.array(out)


def choose_sign(w: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Flip each direction of w (S, C, d) whose negation has the lower training loss on its
    column's labels (S, n, C): an eigenvector's sign carries no information, the labels break
    the tie (an exact tie for even k, where w is kept)."""
    plus = loss_and_gradient(w, x, labels, k)[0]
    minus = loss_and_gradient(-w, x, labels, k)[0]
    return np.where((minus < plus)[..., None], -w, w)


def random_directions(d: int, seeds: int, seed: int, dtype: type = np.float32) -> np.ndarray:
    """One uniform random unit vector per seed, (S, 1, d): the no-pre-training baseline."""
    return np.stack(
        [unit(np.random.default_rng([seed, s, RANDOM_START]).standard_normal((1, d))) for s in range(seeds)]
    ).astype(dtype)


def minimizer(w0: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """A local minimiser of the training loss near each start w0 (S, d), by L-BFGS in float64.

    L is invariant to the scale of w, so minimising over R^d and normalising equals minimising
    over the sphere; L-BFGS reaches ‖∇L‖ ~ 1e-7 in a fraction of the steps GD would need."""
    out = np.empty(w0.shape)
    for s in range(w0.shape[0]):
        args = (x[s : s + 1].astype(float), labels[s : s + 1, :, None].astype(float), k)

        def fun(v: np.ndarray, args=args) -> tuple[float, np.ndarray]:
            loss, grad, _ = loss_and_gradient(v[None, None, :], *args)
            return float(loss[0, 0]), grad[0, 0]

        result = scipy.optimize.minimize(fun, w0[s].astype(float), jac=True, method="L-BFGS-B",
                                         options={"gtol": 1e-9, "ftol": 1e-15, "maxiter": 10_000})
        out[s] = unit(result.x)
    return out.astype(w0.dtype)


def loss_and_gradient(
    w: np.ndarray, x: np.ndarray, labels: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L(w) = (1/2n)·Σᵢ (He_k(zᵢ) − yᵢ)², zᵢ = ⟨w, xᵢ⟩/σ̂(w), σ̂(w)² = wᵀΣ̂w = ‖Xw‖²/n, and its
    Euclidean gradient ∇L = (1/σ̂)·Xᵀ(a − (Σⱼ aⱼzⱼ)·z/n), aᵢ = rᵢ·He_k'(zᵢ)/n: the second term
    from differentiating σ̂(w) (its gradient is Σ̂w/σ̂ = Xᵀz/n), so one product with Xᵀ suffices.

    w (S, C, d), x (S, n, d), labels (S, n, C) -> loss (S, C), gradient (S, C, d), σ̂(w) (S, C)."""
    n = x.shape[1]
    proj = np.matmul(x, w.transpose(0, 2, 1))
    s = np.sqrt(np.mean(proj**2, axis=1))
    z = proj / s[:, None, :]
    residual = hermite(k, z) - labels
    a = residual * hermite_derivative(k, z) / n
    a = a - np.einsum("snc,snc->sc", a, z)[:, None, :] * z / n
    grad = np.matmul(a.transpose(0, 2, 1), x) / s[..., None]
    return 0.5 * np.mean(residual**2, axis=1), grad, s


def tangent(w: np.ndarray, g: np.ndarray) -> np.ndarray:
    """(I − wwᵀ)g for unit w: the spherical gradient."""
    return g - np.einsum("scd,scd->sc", g, w)[..., None] * w


@dataclass(frozen=True)
class Trajectory:
    """Recorded steps (R,) and per-step measurements (R, S, C); w is the final direction (S, C, d)
    and scale its normalisation σ̂(w) (S, C). secant ⟨∇_sphere L(w), w − w̄⟩ and dist2 ‖w − w̄‖² are
    present when a reference w̄ was given."""

    steps: np.ndarray
    overlap: np.ndarray
    test_error: np.ndarray
    train_loss: np.ndarray
    secant: np.ndarray | None
    dist2: np.ndarray | None
    w: np.ndarray
    scale: np.ndarray


def descend(
    w0: np.ndarray,
    x: np.ndarray,
    labels: np.ndarray,
    *,
    k: int,
    eta: float,
    steps: int,
    scorer: Scorer,
    record_every: int,
    reference: np.ndarray | None = None,
) -> Trajectory:
    """Projected GD w ← normalize(w − η(I − wwᵀ)∇L(w)), all seeds and columns at once.

    w0 (S, C, d); labels (S, n, C); reference w̄ (S, C, d) or (S, 1, d). The update reads only x and
    the labels; `scorer` only records. Records at step 0, every `record_every` steps and at the
    last step."""
    # one dtype throughout: a float64 operand would send the float32 products down a slow path
    w, labels = w0.astype(x.dtype), labels.astype(x.dtype)
    record = [t for t in range(steps + 1) if t % record_every == 0 or t == steps]
    recorded = set(record)
    rows: dict[str, list[np.ndarray]] = {"overlap": [], "test_error": [], "train_loss": [], "secant": [],
                                         "dist2": []}
    for t in range(steps + 1):
        loss, grad, scale = loss_and_gradient(w, x, labels, k)
        # the exact ∇L is already tangent (L is invariant to the scale of w); projecting keeps
        # the update the spherical one even where round-off leaves a radial part
        grad = tangent(w, grad)
        if t in recorded:
            rows["test_error"].append(scorer.test_error(w, scale))
            rows["overlap"].append(scorer.overlap(w))
            rows["train_loss"].append(loss)
            if reference is not None:
                rows["secant"].append(np.einsum("scd,scd->sc", grad, w - reference))
                rows["dist2"].append(np.sum((w - reference) ** 2, axis=-1))
        if t < steps:
            w = unit(w - eta * grad)
    arrays = {key: np.stack(v) if v else None for key, v in rows.items()}
    return Trajectory(steps=np.array(record), w=w, scale=student_scale(x, w), **arrays)
