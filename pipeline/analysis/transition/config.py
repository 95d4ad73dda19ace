"""Every threshold and grid of the detector (see detect.py for the decision rule)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.analysis.transition.fits import EXP_WIDTH


@dataclass(frozen=True)
class DetectionConfig:
    axis: str = "step"  # "step" or "tokens" (x axis); the null models are always in steps
    # ---- decision rule
    alpha: float = 0.05  # level of every test (change, transition, dip, one-sided sharpness bound)
    min_effect: float = 0.02  # smallest change (or dip) worth a verdict other than "none"
    sharp_width: float = EXP_WIDTH  # 10–90 % width (decades) of an exponential relaxation, ≈ 1.339
    sharp_factor: float = 1.0  # a transition's width must be significantly below sharp_factor·sharp_width
    ci_level: float = 0.95  # location interval
    n_boot: int = 200  # replicates of the noise (shared by all the parametric bootstraps)
    min_side: int = 3  # transition location with at least this many points on each side
    min_valid_frac: float = 0.5  # fewer valid replicates than this fraction: "inconclusive"
    whiten: bool = True  # generalised least squares with the noise replicates' (shrunk) covariance where usable
    # ---- transition models (as pipeline.transition)
    min_width: float = 0.1  # narrowest sigmoid, decades
    grid_x0: int = 80
    grid_k: int = 10
    grid_breakpoint: int = 200
    lm_iterations: int = 15  # vectorised Levenberg–Marquardt polish of the sigmoid's location and width
    # ---- smooth nulls
    grid_tau: int = 30  # exponential τ (also the dip's two τ), log-spaced in [tau_lo·s₁, tau_hi·s_max]
    tau_lo: float = 0.5  # × smallest positive step
    tau_hi: float = 3.0  # × largest step
    grid_s0: int = 16  # power-law scale s0, same range as τ
    grid_gamma: int = 10  # power-law exponent γ, log-spaced in gamma_range
    gamma_range: tuple[float, float] = (0.1, 4.0)
    dip_min_ratio: float = 2.0  # τ2 ≥ ratio·τ1 for the dip's two terms
    spline_width: float = EXP_WIDTH  # 10–90 % width of each monotone-spline basis rise (decades)
    spline_min_var: float = 0.05  # a basis rise varying less than this within the data is dropped
