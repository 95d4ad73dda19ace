"""Probe-free quality of a representation, from the spectrum of its features on the test split:
RankMe (Garrido et al., 2023), the exponential of the entropy of the normalised singular values,
and α-ReQ (Agrawal et al., 2022), the decay exponent of the covariance eigenvalues (λ_k ∝ k^−α).
No label is used. Features are centred first; α is the least-squares slope of log λ_k on log k
over every eigenvalue above 1e-10 λ_1 (the numerical rank): both are our choices."""

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


def spectral_quality(features: np.ndarray) -> dict[str, float]:
    """{rankme, alpha_req} of features (examples, dims)."""
    sigma = singular_values(features)
    return {"rankme": rankme(sigma), "alpha_req": alpha_req(sigma)}
