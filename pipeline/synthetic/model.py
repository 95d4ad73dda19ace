"""The single-index model: Hermite links, spiked Gaussian inputs, gold and weak labels, and the
scores. This is the only module that reads θ*: to generate data and to score students.

Every array carries a leading seed axis S, so that all seeds run as one batch; student
directions carry a second axis C of columns (grid points, label sets) trained side by side.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

LINK_DEGREES = (2, 3, 4)


def hermite(k: int, z: np.ndarray) -> np.ndarray:
    """Probabilists' Hermite polynomial He_k(z) (E[He_k(z)²] = k! for z ~ N(0, 1))."""
    prev, cur = np.ones_like(z), z
    if k == 0:
        return prev
    for j in range(1, k):
        prev, cur = cur, z * cur - j * prev
    return cur


def hermite_derivative(k: int, z: np.ndarray) -> np.ndarray:
    """He_k'(z) = k·He_{k-1}(z)."""
    return k * hermite(k - 1, z)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def orthogonal_unit(rng: np.random.Generator, theta: np.ndarray) -> np.ndarray:
    """A uniformly random unit vector orthogonal to the unit vector θ (d,)."""
    v = rng.standard_normal(theta.shape)
    return unit(v - (v @ theta) * theta)


def sample_inputs(rng: np.random.Generator, n: int, theta: np.ndarray, kappa: float) -> np.ndarray:
    """n draws of x ~ N(0, I + κθθᵀ): stretch isotropic draws along θ by sqrt(1 + κ)."""
    z = rng.standard_normal((n, theta.shape[0]))
    return z + (np.sqrt(1.0 + kappa) - 1.0) * np.outer(z @ theta, theta)


def student_scale(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """σ̂(w) = sqrt(wᵀΣ̂w), Σ̂ = XᵀX/n the second moment of the inputs x (S, n, d); w (S, C, d) -> (S, C).
    The student's normalisation: it needs its training inputs, not θ*."""
    return np.sqrt(np.mean(np.matmul(x, w.transpose(0, 2, 1)) ** 2, axis=1))


def predict(k: int, x: np.ndarray, w: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """f_w(x) = He_k(⟨w, x⟩/scale) for every seed and column: x (S, n, d), w (S, C, d), scale (S, C)
    -> (S, n, C)."""
    return hermite(k, np.matmul(x, w.transpose(0, 2, 1)) / scale[:, None, :])


def wishart(rng: np.random.Generator, m: int, theta: np.ndarray, kappa: float) -> np.ndarray:
    """The Gram matrix of m draws of N(0, Σ), Σ = I + κθθᵀ, drawn from its Wishart law: for m ≥ d
    by the Bartlett decomposition (O(d³) instead of O(m·d²): pre-training sizes reach 70d), then
    Σ^{1/2}·AAᵀ·Σ^{1/2} with the rank-one Σ^{1/2} = I + cθθᵀ; for m < d from the draws."""
    d = theta.size
    if m < d:
        x = sample_inputs(rng, m, theta, kappa)
        return x.T @ x
    a = np.tril(rng.standard_normal((d, d)), -1)
    a[np.diag_indices(d)] = np.sqrt(rng.chisquare(m - np.arange(d)))
    g = a @ a.T
    c, gt = math.sqrt(1 + kappa) - 1, g @ theta
    return g + c * (np.outer(theta, gt) + np.outer(gt, theta)) + c**2 * (theta @ gt) * np.outer(theta, theta)


@dataclass(frozen=True)
class Problem:
    """One draw of the task per seed: directions, training and test inputs, label noise.

    theta, xi (S, d); x_train (S, n, d); eps_train (S, n); x_test (S, m, d); eps_test (S, m).
    The noise ε is shared by every α, so supervisors of different α differ only in bias.
    Gold labels y = He_k(⟨θ*, x⟩/sqrt(1 + κ)) (the population σ(θ*): data generation).
    The supervisor leans on a spurious feature ξ ⟂ θ*: f_α(x) = cos α·He_k(z*) + sin α·He_k(z_ξ),
    z_ξ = ⟨ξ, x⟩ (σ(ξ) = 1), a systematic, input-dependent error outside the student's class.
    """

    k: int
    kappa: float
    sigma_w: float
    seed: int
    theta: np.ndarray
    xi: np.ndarray
    x_train: np.ndarray
    eps_train: np.ndarray
    x_test: np.ndarray
    eps_test: np.ndarray

    def _inputs(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        return (self.x_train, self.eps_train) if split == "train" else (self.x_test, self.eps_test)

    def _feature(self, direction: np.ndarray, x: np.ndarray, scale: float) -> np.ndarray:
        return hermite(self.k, np.einsum("snd,sd->sn", x, direction) / scale)

    def gold(self, split: str) -> np.ndarray:
        """y = He_k(⟨θ*, x⟩/σ(θ*)), (S, n)."""
        x, _ = self._inputs(split)
        return self._feature(self.theta, x, math.sqrt(1 + self.kappa))

    def supervisor(self, alpha: float, split: str) -> np.ndarray:
        """The noise-free supervisor f_α(x) = cos α·He_k(z*) + sin α·He_k(z_ξ), (S, n)."""
        x, _ = self._inputs(split)
        return math.cos(alpha) * self.gold(split) + math.sin(alpha) * self._feature(self.xi, x, 1.0)

    def weak(self, alpha: float, split: str) -> np.ndarray:
        """The labels it gives: ŷ = f_α(x) + σ_w·ε, (S, n)."""
        return self.supervisor(alpha, split) + self.sigma_w * self._inputs(split)[1]

    def supervisor_error(self, alpha: float, noisy: bool = False) -> np.ndarray:
        """Test MSE against gold of the noise-free supervisor (its bias, the baseline), or of its
        noisy labels, (S,)."""
        labels = self.weak(alpha, "test") if noisy else self.supervisor(alpha, "test")
        return np.mean((labels - self.gold("test")) ** 2, axis=1)

    def pretraining_grams(self, s: int, sizes: list[int]) -> Iterator[np.ndarray]:
        """The pre-training data of seed s, as the Gram matrices Σᵢ xᵢxᵢᵀ of its first N inputs for
        each N in `sizes` (ascending): larger N extends the same stream, a stream of its own."""
        rng = np.random.default_rng([self.seed, s, UNLABELED])
        theta = self.theta[s].astype(float)
        gram, done = np.zeros((theta.size, theta.size)), 0
        for size in sizes:
            gram = gram + wishart(rng, size - done, theta, self.kappa)
            done = size
            yield gram

    def starts_at_overlap(self, overlaps: list[float]) -> np.ndarray:
        """Designed starts w = r₀θ* + sqrt(1 − r₀²)·u, u ⟂ θ* uniformly random, one column per r₀:
        (S, C, d). Placing a start at a known overlap is part of generating the experiment."""
        out = np.empty((*self.theta.shape[:1], len(overlaps), self.theta.shape[1]))
        for s, th in enumerate(self.theta.astype(float)):
            rng = np.random.default_rng([self.seed, s, OVERLAP_START])
            for c, r in enumerate(overlaps):
                out[s, c] = r * th + np.sqrt(1 - r**2) * orthogonal_unit(rng, th)
        return out.astype(self.theta.dtype)

    # ---- scores: the only reads of θ* besides data generation

    def overlap(self, w: np.ndarray) -> np.ndarray:
        """⟨w, θ*⟩ for unit w (S, C, d) -> (S, C)."""
        return np.einsum("scd,sd->sc", w, self.theta)

    def test_error(self, w: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Test MSE against gold of students w (S, C, d) with their normalisation scale (S, C)."""
        residual = predict(self.k, self.x_test, w, scale) - self.gold("test")[..., None]
        return np.mean(residual**2, axis=1)


# independent random streams of seed s: default_rng([seed, s, STREAM])
DIRECTIONS, TRAIN, TEST, UNLABELED, RANDOM_START, OVERLAP_START = range(6)


def make_problem(
    *,
    d: int,
    kappa: float,
    k: int,
    sigma_w: float,
    n_train: int,
    n_test: int,
    seeds: int,
    seed: int,
    dtype: type = np.float32,
) -> Problem:
    """Draw a Problem. Seed s uses its own streams (seed, s, ·), so its data do not depend on how
    many seeds run beside it (the benchmark's per-seed loop sees the same data) nor on n_test.

    float32 by default: GD is bound by reading x, and half the bytes is twice the speed."""
    if k not in LINK_DEGREES:
        raise ValueError(f"link_degree must be one of {LINK_DEGREES}, got {k}")
    theta, xi = directions(d, seeds, seed)
    parts = []
    for s in range(seeds):
        train, test = np.random.default_rng([seed, s, TRAIN]), np.random.default_rng([seed, s, TEST])
        parts.append((sample_inputs(train, n_train, theta[s], kappa), train.standard_normal(n_train),
                      sample_inputs(test, n_test, theta[s], kappa), test.standard_normal(n_test)))
    x_train, eps_train, x_test, eps_test = (np.stack(a).astype(dtype) for a in zip(*parts))
    return Problem(k, kappa, sigma_w, seed, theta.astype(dtype), xi.astype(dtype), x_train, eps_train, x_test,
                   eps_test)


def directions(d: int, seeds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """θ* uniform on the sphere and ξ uniform on its orthogonal complement, (S, d) each."""
    theta, xi = np.empty((seeds, d)), np.empty((seeds, d))
    for s in range(seeds):
        rng = np.random.default_rng([seed, s, DIRECTIONS])
        theta[s] = unit(rng.standard_normal(d))
        xi[s] = orthogonal_unit(rng, theta[s])
    return theta, xi
