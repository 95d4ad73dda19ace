"""Closed forms: the BBP overlap of the spectral warm start and population test errors."""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize


def bbp_overlap_sq(gamma: np.ndarray | float, kappa: float) -> np.ndarray:
    """Limit of ⟨w₀, θ*⟩² for the top eigenvector of N samples of N(0, I + κθ*θ*ᵀ), γ = d/N:
    (1 − γ/κ²)/(1 + γ/κ) above the BBP threshold κ² > γ, 0 below."""
    gamma = np.asarray(gamma, dtype=float)
    return np.where(kappa**2 > gamma, (1 - gamma / kappa**2) / (1 + gamma / kappa), 0.0)


def correlation(cos_angle: np.ndarray | float, kappa: float) -> np.ndarray:
    """Corr(⟨w, x⟩, ⟨θ*, x⟩) for a unit w with ⟨w, θ*⟩ = cos_angle: the spike raises it above
    the plain overlap, m·sqrt(1 + κ)/sqrt(1 + κm²)."""
    m = np.asarray(cos_angle, dtype=float)
    return m * math.sqrt(1 + kappa) / np.sqrt(1 + kappa * m**2)


def population_error(cos_angle: np.ndarray | float, kappa: float, k: int) -> np.ndarray:
    """E[(He_k(z_w) − He_k(z_θ*))²] = 2·k!·(1 − ρᵏ), from E[He_k(a)He_k(b)] = k!·ρᵏ."""
    return 2 * math.factorial(k) * (1 - correlation(cos_angle, kappa) ** k)


def noise_excess(sigma_w: float, k: int, d: int, n: int) -> float:
    """Test error the student adds by fitting the weak labels' noise: σ_w²·E[τ]·δ.

    Linearised at θ_w, the student's d − 1 tangent coordinates are a least-squares fit of the
    noise on rows He_k'(zᵢ)·gᵢ, gᵢ Gaussian: a Wishart matrix with weights τᵢ = He_k'(zᵢ)². Its
    deterministic equivalent gives the excess σ_w²·E[τ]·δ with (d − 1)/n = E[τδ/(1 + τδ)]
    (for constant τ this is the textbook σ²p/(n − p)). He_k' is heavy tailed, so the excess is
    well above σ_w²(d − 1)/n at moderate n/d."""
    if sigma_w == 0:
        return 0.0
    ratio = (d - 1) / n
    if ratio >= 1:
        return math.inf
    z, weights = np.polynomial.hermite_e.hermegauss(200)
    weights = weights / weights.sum()
    tau = (k * np.polynomial.hermite_e.hermeval(z, [0] * (k - 1) + [1])) ** 2
    delta = scipy.optimize.brentq(lambda dl: np.sum(weights * tau * dl / (1 + tau * dl)) - ratio, 1e-12, 1e12)
    return sigma_w**2 * float(np.sum(weights * tau)) * delta


def error_floor(alpha: float, sigma_w: float, kappa: float, k: int, d: int, n: int) -> float:
    """Derived test error of the weak-label loss minimiser w̄: the supervisor's bias, which the
    student inherits (θ_w minimises the population weak-label loss), plus the fitted noise."""
    return float(population_error(math.cos(alpha), kappa, k)) + noise_excess(sigma_w, k, d, n)
