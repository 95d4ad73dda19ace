"""Smooth null models of a metric-vs-step curve, fit by (weighted, NaN-aware) least squares,
vectorised over many curves.

  constant   y = a                                                      (1 parameter)
  linear     y = a + c·x,            x = log10(step + 1)               (2)
  exp        y = a + b·(1 − e^(−s/τ))                                   (3: a, b, τ)
  power      y = a + b·(1 − (1 + s/s0)^(−γ))                            (4: a, b, s0, γ)
  spline     y = a + Σ_j β_j I_j(x),  all β_j ≥ 0 or all ≤ 0            (1 + #non-zero β)
  dip        y = a + b1·(1 − e^(−s/τ1)) + b2·(1 − e^(−s/τ2)),          (5: a, b1, b2, τ1, τ2)
             τ2 ≥ dip_min_ratio·τ1, b1·b2 ≤ 0 and |b1|/τ1 ≥ |b2|/τ2: the fast term sets the
             initial slope, so the curve reverses (down then up, or up then down). Without the
             last condition the family would hold monotone two-phase rises (hypoexponential
             CDFs) as narrow as 0.86 decades, sharper than the smooth limit used everywhere else.

with s the step. τ, s0, γ, τ1, τ2 are profiled on log-spaced grids (linear least squares given
them); b and c may take either sign, so every model fits rises and falls.

The monotone spline: I_j is the cumulative distribution of a quadratic B-spline (a smooth rise
over 3 knot spacings h) centred on a lattice c_j = x_mid + j·h. h is chosen so that each rise's
10–90 % width equals `spline_width` (default: that of an exponential relaxation, 1.34 decades;
width = 1.3132·h), so the spline is any monotone curve whose slope is a non-negative mix of
bumps no narrower than an exponential relaxation's. Only rises that vary ≥ `spline_min_var`
within the data are kept (5 on the tiny grid, 7 on the Pythia grid). The sign constraint is
solved exactly by enumerating the active sets (every subset, both directions) and keeping the
best feasible one: the NNLS optimum is the unconstrained least squares on its own support.

The dip model contains the single exponential (b2 = 0; those grid points count 3 parameters).
Its feasible set is enumerated as for the spline: at each (τ1, τ2) the unconstrained solution if
it satisfies the constraints, else the single exponentials (faces of the constraint set where
the linear initial-slope condition binds are not searched: a slightly smaller family, used
identically on data and replicates). `MONOTONE` lists the nulls without a reversal.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from pipeline.analysis.transition.config import DetectionConfig
from pipeline.analysis.transition.fits import FamilyFit, GridFamily, fit_family

NULLS = ("constant", "linear", "exp", "power", "spline", "dip")
MONOTONE = ("constant", "linear", "exp", "power", "spline")
_ISPLINE_WIDTH = 3 - 2 * 0.6 ** (1 / 3)  # 10–90 % width of a quadratic B-spline's CDF, in knot spacings


def _ones(n: int) -> np.ndarray:
    return np.ones(n)


def _positive_step_range(step: np.ndarray) -> tuple[float, float]:
    positive = step[step > 0]
    if len(positive) == 0:
        return 1.0, 1.0
    return float(positive.min()), float(step.max())


def tau_grid(step: np.ndarray, config: DetectionConfig, size: int | None = None) -> np.ndarray:
    s1, s_max = _positive_step_range(step)
    return np.geomspace(config.tau_lo * s1, config.tau_hi * s_max, size or config.grid_tau)


def exp_rise(step: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """1 − exp(−s/τ), shape (len(tau), len(step))."""
    return -np.expm1(-np.asarray(step, float)[None, :] / np.asarray(tau, float)[:, None])


def power_rise(step: np.ndarray, s0: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """1 − (1 + s/s0)^(−γ) for paired s0, γ: (len(s0), len(step))."""
    s0, gamma = np.asarray(s0, float)[:, None], np.asarray(gamma, float)[:, None]
    return -np.expm1(-gamma * np.log1p(np.asarray(step, float)[None, :] / s0))


def ispline_rise(x: np.ndarray, centre: np.ndarray, h: float) -> np.ndarray:
    """CDF of the quadratic B-spline of knot spacing h centred at `centre`: (len(centre), len(x))."""
    t = np.clip((np.asarray(x, float)[None, :] - np.asarray(centre, float)[:, None]) / h + 1.5, 0.0, 3.0)
    u = t - 1.0
    return np.where(t < 1, t**3 / 6, np.where(t < 2, 1 / 6 + u / 2 + u**2 / 2 - u**3 / 3, 1 - (3 - t) ** 3 / 6))


def spline_centres(x: np.ndarray, config: DetectionConfig) -> tuple[np.ndarray, float]:
    """Lattice of rise centres (those varying ≥ spline_min_var within the data) and the knot spacing h."""
    h = config.spline_width / _ISPLINE_WIDTH
    lo, hi = float(np.min(x)), float(np.max(x))
    mid = (lo + hi) / 2
    j = np.arange(-math.ceil((hi - lo) / (2 * h)) - 2, math.ceil((hi - lo) / (2 * h)) + 3)
    centres = mid + j * h
    rises = ispline_rise(x, centres, h)
    keep = rises.max(1) - rises.min(1) >= config.spline_min_var
    return centres[keep], h


# ---------------------------------------------------------------- families


def constant_family(x: np.ndarray) -> GridFamily:
    return GridFamily("constant", _ones(len(x))[None, :, None], np.zeros((1, 0)), (), np.array([1]))


def linear_family(x: np.ndarray) -> GridFamily:
    design = np.stack([_ones(len(x)), x], axis=-1)[None]
    return GridFamily("linear", design, np.zeros((1, 0)), (), np.array([2]))


def exp_family(step: np.ndarray, config: DetectionConfig) -> GridFamily:
    tau = tau_grid(step, config)
    h = exp_rise(step, tau)
    design = np.stack([np.ones_like(h), h], axis=-1)
    return GridFamily("exp", design, tau[:, None], ("tau",), np.full(len(tau), 3))


def power_family(step: np.ndarray, config: DetectionConfig) -> GridFamily:
    s0 = tau_grid(step, config, config.grid_s0)
    gamma = np.geomspace(*config.gamma_range, config.grid_gamma)
    s0, gamma = (v.ravel() for v in np.meshgrid(s0, gamma, indexing="ij"))
    h = power_rise(step, s0, gamma)
    design = np.stack([np.ones_like(h), h], axis=-1)
    return GridFamily("power", design, np.column_stack([s0, gamma]), ("s0", "gamma"), np.full(len(s0), 4))


def spline_family(x: np.ndarray, config: DetectionConfig) -> GridFamily:
    centres, h = spline_centres(x, config)
    rises = ispline_rise(x, centres, h)  # (K, n)
    k = len(centres)
    subsets = [s for size in range(1, k + 1) for s in itertools.combinations(range(k), size)]
    rows = [((), 0)] + [(s, d) for d in (1, -1) for s in subsets]
    design = np.zeros((len(rows), len(x), k + 1))
    design[:, :, 0] = 1.0
    signs = np.zeros((len(rows), k + 1))
    grid = np.zeros((len(rows), 2))  # direction, bitmask of the subset
    for g, (subset, direction) in enumerate(rows):
        for c, j in enumerate(subset):
            design[g, :, c + 1] = rises[j]
            signs[g, c + 1] = direction
        grid[g] = direction, sum(1 << j for j in subset)
    n_params = np.array([1 + len(s) for s, _ in rows])

    def feasible(beta: np.ndarray) -> np.ndarray:
        return ((beta[..., 1:] * signs[None, :, 1:]) >= 0).all(-1)

    family = GridFamily("spline", design, grid, ("direction", "subset"), n_params, feasible)
    family.centres, family.h = centres, h  # for evaluating the fitted spline off the data
    return family


def dip_family(step: np.ndarray, config: DetectionConfig) -> GridFamily:
    tau = tau_grid(step, config)
    h = exp_rise(step, tau)
    pairs = [(i, j) for i in range(len(tau)) for j in range(i + 1, len(tau)) if tau[j] >= config.dip_min_ratio * tau[i]]
    i, j = np.array(pairs).T
    both = np.stack([np.ones((len(i), len(step))), h[i], h[j]], axis=-1)
    single = np.stack([np.ones_like(h), h, np.zeros_like(h)], axis=-1)
    design = np.concatenate([both, single])
    grid = np.concatenate([np.column_stack([tau[i], tau[j]]), np.column_stack([tau, np.full(len(tau), np.nan)])])
    n_params = np.concatenate([np.full(len(i), 5), np.full(len(tau), 3)])

    inv_tau1 = 1.0 / grid[:, 0]
    inv_tau2 = np.where(np.isfinite(grid[:, 1]), 1.0 / np.where(np.isfinite(grid[:, 1]), grid[:, 1], 1.0), 0.0)

    def feasible(beta: np.ndarray) -> np.ndarray:
        # opposite signs, and the fast term sets the initial slope: a genuine reversal (a dip
        # then recovery, or a rise then decline), never a monotone two-phase rise, which can be
        # sharper (10–90 % width down to 0.86 decades) than an exponential relaxation
        initial = beta[..., 1] * inv_tau1 + beta[..., 2] * inv_tau2
        return (beta[..., 1] * beta[..., 2] <= 0) & (initial * beta[..., 1] >= 0)

    return GridFamily("dip", design, grid, ("tau1", "tau2"), n_params, feasible)


def null_families(
    x: np.ndarray, step: np.ndarray, config: DetectionConfig = DetectionConfig()
) -> dict[str, GridFamily]:
    x, step = np.asarray(x, float), np.asarray(step, float)
    return {
        "constant": constant_family(x),
        "linear": linear_family(x),
        "exp": exp_family(step, config),
        "power": power_family(step, config),
        "spline": spline_family(x, config),
        "dip": dip_family(step, config),
    }


def fit_nulls(
    families: dict[str, GridFamily], y: np.ndarray, names: tuple[str, ...] = NULLS, min_points: int = 1
) -> dict[str, FamilyFit]:
    """Fits of the named null families to every row of y (N, n): each with rss, n_params, coef, fitted()."""
    return {name: fit_family(families[name], y, min_points) for name in names}


def null_params(fit: FamilyFit) -> list[dict[str, float]]:
    """Readable parameters of each curve's fit (a, b, τ … as in the module docstring)."""
    name, out = fit.family.name, []
    grid = fit.grid_params()
    for c, g in zip(fit.coef, grid):
        if name == "constant":
            out.append({"a": c[0]})
        elif name == "linear":
            out.append({"a": c[0], "c": c[1]})
        elif name == "exp":
            out.append({"a": c[0], "b": c[1], "tau": g[0]})
        elif name == "power":
            out.append({"a": c[0], "b": c[1], "s0": g[0], "gamma": g[1]})
        elif name == "dip":
            out.append({"a": c[0], "b1": c[1], "b2": c[2], "tau1": g[0], "tau2": g[1]})
        else:
            out.append({"a": c[0], "direction": g[0], "n_rises": int(np.count_nonzero(np.nan_to_num(c[1:])))})
    return out
