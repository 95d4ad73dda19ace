"""The single-index model: Hermite links, spiked Gaussian inputs, gold and weak labels.

Every array carries a leading seed axis S, so that all seeds run as one batch; student
directions carry a second axis C of columns (grid points, label sets) trained side by side.
"""

from __future__ import annotations

import math
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


def sigma(w: np.ndarray, theta: np.ndarray, kappa: float) -> np.ndarray:
    """σ(w) = sqrt(wᵀΣw) with the population Σ = I + κθθᵀ; w (S, C, d), θ (S, d) -> (S, C).

    Valid for any norm of w (the finite-difference check of the gradient leaves the sphere)."""
    t = np.einsum("scd,sd->sc", w, theta)
    return np.sqrt(np.einsum("scd,scd->sc", w, w) + kappa * t**2)


def predict(k: int, x: np.ndarray, w: np.ndarray, theta: np.ndarray, kappa: float) -> np.ndarray:
    """f_w(x) = He_k(⟨w, x⟩/σ(w)) for every seed and column: x (S, n, d), w (S, C, d) -> (S, n, C)."""
    return hermite(k, np.matmul(x, w.transpose(0, 2, 1)) / sigma(w, theta, kappa)[:, None, :])


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


def weak_direction(theta: np.ndarray, xi: np.ndarray, alpha: float) -> np.ndarray:
    """θ_w = cos α·θ* + sin α·ξ, ξ ⟂ θ* unit: the weak supervisor's direction at bias angle α."""
    return math.cos(alpha) * theta + math.sin(alpha) * xi  # Python floats keep θ's dtype


@dataclass(frozen=True)
class Problem:
    """One draw of the task per seed: directions, training and test inputs, label noise.

    theta, xi (S, d); x_train (S, n, d); eps_train (S, n); x_test (S, m, d); eps_test (S, m).
    The noise ε is shared by every α, so supervisors of different bias differ only in bias.
    """

    k: int
    kappa: float
    sigma_w: float
    theta: np.ndarray
    xi: np.ndarray
    x_train: np.ndarray
    eps_train: np.ndarray
    x_test: np.ndarray
    eps_test: np.ndarray

    def direction(self, alpha: float) -> np.ndarray:
        """θ_w for every seed, (S, 1, d)."""
        return weak_direction(self.theta, self.xi, alpha)[:, None, :]

    def _inputs(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        return (self.x_train, self.eps_train) if split == "train" else (self.x_test, self.eps_test)

    def gold(self, split: str) -> np.ndarray:
        """y = He_k(⟨θ*, x⟩/σ(θ*)), (S, n)."""
        x, _ = self._inputs(split)
        return predict(self.k, x, self.theta[:, None, :], self.theta, self.kappa)[..., 0]

    def weak(self, alpha: float, split: str) -> np.ndarray:
        """ŷ = He_k(⟨θ_w, x⟩/σ(θ_w)) + σ_w·ε, (S, n)."""
        x, eps = self._inputs(split)
        return predict(self.k, x, self.direction(alpha), self.theta, self.kappa)[..., 0] + self.sigma_w * eps

    def weak_error(self, alpha: float) -> np.ndarray:
        """Test MSE of the weak supervisor's labels against gold, noise included, (S,)."""
        return np.mean((self.weak(alpha, "test") - self.gold("test")) ** 2, axis=1)


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
    return Problem(k, kappa, sigma_w, theta.astype(dtype), xi.astype(dtype), x_train, eps_train, x_test, eps_test)


def directions(d: int, seeds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """θ* uniform on the sphere and ξ uniform on its orthogonal complement, (S, d) each."""
    theta, xi = np.empty((seeds, d)), np.empty((seeds, d))
    for s in range(seeds):
        rng = np.random.default_rng([seed, s, DIRECTIONS])
        theta[s] = unit(rng.standard_normal(d))
        xi[s] = orthogonal_unit(rng, theta[s])
    return theta, xi


def unlabeled_stream(theta: np.ndarray, kappa: float, n: int, seed: int, s: int) -> np.ndarray:
    """The pre-training data of seed s: n unlabeled inputs from a stream of their own."""
    return sample_inputs(np.random.default_rng([seed, s, UNLABELED]), n, theta, kappa)
