"""Closed forms: the BBP overlap of the spectral warm start, the supervisor's bias and the error
the student adds by fitting what of its labels it cannot represent."""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize


def bbp_overlap_sq(gamma: np.ndarray | float, kappa: float) -> np.ndarray:
    """Limit of ⟨w₀, θ*⟩² for the top eigenvector of N samples of N(0, I + κθ*θ*ᵀ), γ = d/N:
    (1 − γ/κ²)/(1 + γ/κ) above the BBP threshold κ² > γ, 0 below."""
    gamma = np.asarray(gamma, dtype=float)
    return np.where(kappa**2 > gamma, (1 - gamma / kappa**2) / (1 + gamma / kappa), 0.0)


def supervisor_bias(alpha: float, k: int) -> float:
    """Population test error of the noise-free supervisor cos α·He_k(z*) + sin α·He_k(z_ξ):
    k!·((1 − cos α)² + sin²α) = 2·k!·(1 − cos α), since He_k(z*) and He_k(z_ξ) are orthogonal."""
    return 2 * math.factorial(k) * (1 - math.cos(alpha))


def noise_excess(variance: float, k: int, d: int, n: int) -> float:
    """Test error the student adds by fitting label noise of this variance: variance·E[τ]·δ.

    Linearised at its minimiser, the student's d − 1 tangent coordinates are a least-squares fit
    of the noise on rows He_k'(zᵢ)·gᵢ, gᵢ Gaussian: a Wishart matrix with weights τᵢ = He_k'(zᵢ)².
    Its deterministic equivalent gives the excess variance·E[τ]·δ with (d − 1)/n = E[τδ/(1 + τδ)]
    (for constant τ this is the textbook σ²p/(n − p)). He_k' is heavy tailed, so the excess is
    well above variance·(d − 1)/n at moderate n/d."""
    if variance == 0:
        return 0.0
    ratio = (d - 1) / n
    if ratio >= 1:
        return math.inf
    z, weights = np.polynomial.hermite_e.hermegauss(200)
    weights = weights / weights.sum()
    tau = (k * np.polynomial.hermite_e.hermeval(z, [0] * (k - 1) + [1])) ** 2
    delta = scipy.optimize.brentq(lambda dl: np.sum(weights * tau * dl / (1 + tau * dl)) - ratio, 1e-12, 1e12)
    return variance * float(np.sum(weights * tau)) * delta


def error_floor(alpha: float, sigma_w: float, k: int, d: int, n: int) -> float:
    """Derived test error of the weak-label loss minimiser w̄ near θ*. The spurious part correlates
    with He_k(z_w) as k!·⟨w, ξ⟩ᵏ/σ(w)ᵏ, of order k ≥ 2 in the distance from θ*, so the population
    weak-label loss is stationary at θ* (its minimiser for α < π/4): w̄ inherits no bias and fits
    the residual it cannot represent, of variance σ_w² + supervisor_bias, as noise."""
    return noise_excess(sigma_w**2 + supervisor_bias(alpha, k), k, d, n)
