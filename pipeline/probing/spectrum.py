"""Probe-free quality of a representation, from the spectrum of its features on the test split:
RankMe (Garrido et al., 2023), the exponential of the entropy of the normalised singular values,
and α-ReQ (Agrawal et al., 2022), the decay exponent of the covariance eigenvalues (λ_k ∝ k^−α).
No label is used. Features are centred first; α is the least-squares slope of log λ_k on log k
over every eigenvalue above 1e-10 λ_1 (the numerical rank): both are our choices.

`spectral_replicates` gives both under resampling weights over the examples (a bootstrap's
multinomial counts): the spectrum of the weighted covariance, on whichever side of the
features' Gram is smaller, so a model wider than the test set costs an n × n problem."""

from __future__ import annotations

import math

import numpy as np

EPSILON = 1e-7  # RankMe's, added to each normalised singular value


def singular_values(features: np.ndarray) -> np.ndarray:
    x = np.asarray(features, dtype=np.float64)
    return np.linalg.svd(x - x.mean(0), compute_uv=False)


def rankme(sigma: np.ndarray) -> float:
    p = sigma / sigma.sum() + EPSILON
    return float(math.exp(-(p * np.log(p)).sum()))


def alpha_req(sigma: np.ndarray) -> float:
    eigenvalues = sigma**2
    kept = eigenvalues[eigenvalues > 1e-10 * eigenvalues[0]]
    if len(kept) < 3:
        return math.nan
    slope = np.polyfit(np.log(np.arange(1, len(kept) + 1)), np.log(kept), 1)[0]
    return float(-slope)


SPECTRAL_QUALITIES = {"rankme": rankme, "alpha_req": alpha_req}


def spectral_quality(features: np.ndarray) -> dict[str, float]:
    """{rankme, alpha_req} of features (examples, dims)."""
    sigma = singular_values(features)
    return {name: quality(sigma) for name, quality in SPECTRAL_QUALITIES.items()}


def weighted_singular_values(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Square roots of the eigenvalues (descending) of the covariance of `features` (examples,
    dims) weighted by each row of `weights` (replicates, examples), shape (replicates, min(n, d)).
    Uniform weights give the centred features' singular values up to a common scale, which
    neither quality sees."""
    x = np.asarray(features, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    weights = weights / weights.sum(1, keepdims=True)
    n, d = x.shape
    gram = x @ x.T if d > n else None
    rows = np.zeros((len(weights), min(n, d)))
    for r, w in enumerate(weights):
        kept = np.flatnonzero(w)  # a resample leaves about a third of the examples out
        w = w[kept]
        root = np.sqrt(w)
        if gram is None:  # d ≤ n: the d × d covariance Yᵀ Y, with Y = diag(√w)(X − μ)
            y = root[:, None] * (x[kept] - w @ x[kept])
            matrix = y.T @ y
        else:  # d > n: Y Yᵀ, which has the same non-zero eigenvalues, from the Gram once computed
            g = gram[np.ix_(kept, kept)]
            a = g @ w
            matrix = root[:, None] * (g - a[:, None] - a[None, :] + w @ a) * root[None, :]
        eigenvalues = np.linalg.eigvalsh(matrix)[::-1]
        rows[r, : len(eigenvalues)] = np.sqrt(np.clip(eigenvalues, 0.0, None))  # the left-out: zeros
    return rows


def spectral_replicates(features: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """{rankme, alpha_req} under each row of example weights: arrays of shape (replicates,)."""
    sigmas = weighted_singular_values(features, weights)
    return {name: np.array([quality(sigma) for sigma in sigmas]) for name, quality in SPECTRAL_QUALITIES.items()}
