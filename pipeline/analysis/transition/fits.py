"""Least-squares fits of a curve: constant, linear, sigmoid and piecewise-linear, with BIC."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import ruptures
from scipy.optimize import least_squares

from pipeline.analysis.transition.config import DetectionConfig
from pipeline.probing.logistic import sigmoid

MODELS = ("constant", "linear", "sigmoid", "piecewise")
N_PARAMS = {"constant": 1, "linear": 2, "sigmoid": 4, "piecewise": 4}
WIDTH_FACTOR = 2 * math.log(9)  # the 10 %–90 % span of a logistic is 2 ln 9 / k


@dataclass(frozen=True)
class ModelFit:
    name: str
    params: tuple[float, ...]  # constant (c,), linear (c0, c1), sigmoid (a, b, x0, k), piecewise (c0, c1, c2, xb)
    rss: float
    bic: float


def bic(rss: float | np.ndarray, n: int, n_params: int) -> float | np.ndarray:
    """Gaussian BIC with the noise variance counted as one more parameter."""
    return n * np.log(np.maximum(rss, 1e-300) / n) + (n_params + 1) * math.log(n)


def predict(fit: ModelFit, x: np.ndarray) -> np.ndarray:
    """The fitted model's values at x."""
    p = fit.params
    if fit.name == "constant":
        return np.full(np.shape(x), p[0])
    if fit.name == "linear":
        return p[0] + p[1] * x
    if fit.name == "sigmoid":
        return p[0] + (p[1] - p[0]) * sigmoid(p[3] * (x - p[2]))
    return p[0] + p[1] * x + p[2] * np.maximum(x - p[3], 0.0)


@dataclass(frozen=True)
class Bounds:
    lo: float  # location bounds: min_side points on each side
    hi: float
    k_lo: float
    k_hi: float


def location_bounds(x: np.ndarray, config: DetectionConfig) -> Bounds:
    xs = np.sort(x)
    span = xs[-1] - xs[0]
    k_lo = WIDTH_FACTOR / span
    return Bounds(xs[config.min_side - 1], xs[-config.min_side], k_lo, max(WIDTH_FACTOR / config.min_width, k_lo))


def _profile(
    fixed: np.ndarray, candidates: np.ndarray, y: np.ndarray, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares of every curve on [fixed, h] for every candidate column h.

    fixed (n, p), candidates (G, n), y (B, n), w (B, n) 0/1 weights or None (all ones).
    Returns rss (B, G), the coefficient of h (B, G) and of `fixed` (B, G, p). Uses the
    partialled-out form: rss = rss_fixed − (h'My)² / h'Mh with M the weighted annihilator of fixed.
    """
    wt = np.ones((1, y.shape[1])) if w is None else w
    wy = y * wt
    gram_inv = np.linalg.inv(np.einsum("bn,np,nq->bpq", wt, fixed, fixed))  # symmetric
    u = wy @ fixed
    beta_fixed = (gram_inv @ u[..., None])[..., 0]
    rss_fixed = (wy * y).sum(1) - (u * beta_fixed).sum(1)
    cross = np.stack([(wt * fixed[:, j]) @ candidates.T for j in range(fixed.shape[1])], axis=-1)
    g_cross = cross @ gram_inv
    hh = wt @ (candidates**2).T
    hmh = hh - (cross * g_cross).sum(-1)
    hmy = wy @ candidates.T - (cross @ beta_fixed[..., None])[..., 0]
    # a candidate inside the span of `fixed` (on the kept points) adds nothing
    ok = hmh > 1e-10 * np.maximum(hh, 1e-300)
    gamma = np.where(ok, hmy / np.where(ok, hmh, 1.0), 0.0)
    rss = rss_fixed[:, None] - gamma * hmy
    beta = beta_fixed[:, None, :] - g_cross * gamma[..., None]
    return rss, gamma, beta


def _sigmoid_grid(bounds: Bounds, config: DetectionConfig) -> tuple[np.ndarray, np.ndarray]:
    x0 = np.linspace(bounds.lo, bounds.hi, config.grid_x0)
    k = np.geomspace(bounds.k_lo, bounds.k_hi, config.grid_k)
    grid_x0, grid_k = np.meshgrid(x0, k, indexing="ij")
    return grid_x0.ravel(), grid_k.ravel()


def sigmoid_grid_search(
    x: np.ndarray, y: np.ndarray, w: np.ndarray | None, bounds: Bounds, config: DetectionConfig, bands: int = 1
) -> np.ndarray:
    """Best (a, b, x0, k) on the (x0, k) grid in each of `bands` equal bands of x0: (B, bands, 4)."""
    grid_x0, grid_k = _sigmoid_grid(bounds, config)
    basis = sigmoid(grid_k[:, None] * (x[None, :] - grid_x0[:, None]))
    rss, gamma, beta = _profile(np.ones((len(x), 1)), basis, y, w)
    # grid_x0 is non-decreasing, so equal splits of the grid are bands of x0
    band_index = np.array_split(np.arange(len(grid_x0)), bands)
    best = np.stack([band[np.argmin(rss[:, band], axis=1)] for band in band_index], axis=1)
    rows = np.arange(len(y))[:, None]
    a = beta[rows, best, 0]
    return np.stack([a, a + gamma[rows, best], grid_x0[best], grid_k[best]], axis=-1)


def piecewise_grid_search(
    x: np.ndarray, y: np.ndarray, w: np.ndarray | None, bounds: Bounds, config: DetectionConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Best breakpoint on the grid for each curve: rss (B,) and parameters (B, 4)."""
    breaks = np.linspace(bounds.lo, bounds.hi, config.grid_breakpoint)
    hinge = np.maximum(x[None, :] - breaks[:, None], 0.0)
    rss, gamma, beta = _profile(np.column_stack([np.ones_like(x), x]), hinge, y, w)
    best = np.argmin(rss, axis=1)
    rows = np.arange(len(best))
    params = np.column_stack([beta[rows, best, 0], beta[rows, best, 1], gamma[rows, best], breaks[best]])
    return rss[rows, best], params


def _model_fit(name: str, params: Sequence[float], rss: float, n: int) -> ModelFit:
    return ModelFit(name, tuple(float(v) for v in params), float(rss), float(bic(rss, n, N_PARAMS[name])))


def _sigmoid_residuals(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    a, b, x0, k = theta
    return a + (b - a) * sigmoid(k * (x - x0)) - y


def _sigmoid_jacobian(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:  # scipy passes y too
    a, b, x0, k = theta
    s = sigmoid(k * (x - x0))
    slope = (b - a) * s * (1 - s)
    return np.column_stack([1 - s, s, -k * slope, (x - x0) * slope])


def _fit_sigmoid(x: np.ndarray, y: np.ndarray, bounds: Bounds, config: DetectionConfig) -> ModelFit:
    """Grid search, then scipy least squares from the best grid point of each band of x0."""
    starts = sigmoid_grid_search(x, y[None], None, bounds, config, bands=config.n_starts)[0]
    lower = [-np.inf, -np.inf, bounds.lo, bounds.k_lo]
    upper = [np.inf, np.inf, bounds.hi, bounds.k_hi]
    best = None
    for start in starts:
        start = np.clip(start, lower, upper)
        # a start still moving after 100 evaluations is on a flat ridge (no rise); the others decide
        result = least_squares(
            _sigmoid_residuals, start, jac=_sigmoid_jacobian, bounds=(lower, upper), args=(x, y), x_scale="jac",
            max_nfev=100,
        )
        if best is None or result.cost < best.cost:
            best = result
    return _model_fit("sigmoid", best.x, 2 * best.cost, len(x))


def _fit_polynomial(x: np.ndarray, y: np.ndarray, degree: int) -> ModelFit:
    coef = np.polynomial.polynomial.polyfit(x, y, degree)
    rss = ((np.polynomial.polynomial.polyval(x, coef) - y) ** 2).sum()
    return _model_fit("constant" if degree == 0 else "linear", coef, rss, len(x))


def fit_models(x: np.ndarray, y: np.ndarray, config: DetectionConfig = DetectionConfig()) -> dict[str, ModelFit]:
    """Least-squares fits of the four models with their BIC, by name."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    bounds = location_bounds(x, config)
    rss_pw, params_pw = piecewise_grid_search(x, y[None], None, bounds, config)
    return {
        "constant": _fit_polynomial(x, y, 0),
        "linear": _fit_polynomial(x, y, 1),
        "sigmoid": _fit_sigmoid(x, y, bounds, config),
        "piecewise": _model_fit("piecewise", params_pw[0], rss_pw[0], len(x)),
    }


def ruptures_breakpoint(x: np.ndarray, y: np.ndarray, min_size: int = 3) -> float:
    """x of the single breakpoint found by ruptures (linear regression cost on [1, x]), halfway
    between the last point of the first segment and the first of the second."""
    order = np.argsort(x, kind="stable")
    x, y = np.asarray(x, float)[order], np.asarray(y, float)[order]
    signal = np.column_stack([y, np.ones_like(x), x])
    index = ruptures.Binseg(model="linear", min_size=min_size, jump=1).fit(signal).predict(n_bkps=1)[0]
    return float((x[index - 1] + x[index]) / 2)
