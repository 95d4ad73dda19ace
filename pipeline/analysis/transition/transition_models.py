"""The transition models of pipeline.transition, on the grid engine of core.py.

  sigmoid    y = a + (b − a) / (1 + exp(−k (x − x0)))      (4: a, b, x0, k)
  piecewise  y = c0 + c1·x + c2·max(x − xb, 0)             (4: continuous, one breakpoint xb)

x0 and xb lie between the `min_side`-th point from each end; k ∈ [2 ln 9 / span, 2 ln 9 / min_width]
(10–90 % width between `min_width` and the whole x range). The grids (x0 × k, xb) profile the
RSS exactly; `_polish_sigmoid` (vectorised Levenberg–Marquardt, copied from pipeline.transition)
refines (a, b, x0, k) for the location and width estimates.

Width of the rise (decades), the quantity of the sharpness test:
  sigmoid    2 ln 9 / k
  piecewise  the 10–90 % width of the fitted change within the observed range (`range_width`): a
             hinge has no width of its own, its change continues to the last point, so a flat-then-
             linear hinge has width 0.8·(x_max − xb): it is sharp only if its change completes
             within ~1.7 decades of the end (Pythia grid: xb ≥ ~3,000 steps; tiny grid: ≥ ~20).
             A V-shaped hinge (one segment undoing more than 10 % of the other's change) is a
             reversal, not a step: width +inf, never sharp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.analysis.transition.config import DetectionConfig
from pipeline.analysis.transition.fits import WIDTH_FACTOR, FamilyFit, GridFamily, fit_family
from pipeline.probing.logistic import sigmoid

TRANSITIONS = ("sigmoid", "piecewise")


@dataclass(frozen=True)
class _Bounds:
    lo: float  # location bounds: min_side points on each side
    hi: float
    k_lo: float
    k_hi: float


def _bounds(x: np.ndarray, config: DetectionConfig) -> _Bounds:
    xs = np.sort(x)
    span = xs[-1] - xs[0]
    k_lo = WIDTH_FACTOR / span
    return _Bounds(xs[config.min_side - 1], xs[-config.min_side], k_lo, max(WIDTH_FACTOR / config.min_width, k_lo))


def sigmoid_family(x: np.ndarray, config: DetectionConfig) -> GridFamily:
    b = _bounds(x, config)
    x0 = np.linspace(b.lo, b.hi, config.grid_x0)
    k = np.geomspace(b.k_lo, b.k_hi, config.grid_k)
    x0, k = (v.ravel() for v in np.meshgrid(x0, k, indexing="ij"))
    s = sigmoid(k[:, None] * (x[None, :] - x0[:, None]))
    design = np.stack([np.ones_like(s), s], axis=-1)
    family = GridFamily("sigmoid", design, np.column_stack([x0, k]), ("x0", "k"), np.full(len(x0), 4))
    family.bounds = b
    return family


def piecewise_family(x: np.ndarray, config: DetectionConfig) -> GridFamily:
    b = _bounds(x, config)
    xb = np.linspace(b.lo, b.hi, config.grid_breakpoint)
    hinge = np.maximum(x[None, :] - xb[:, None], 0.0)
    design = np.stack([np.ones_like(hinge), np.broadcast_to(x, hinge.shape), hinge], axis=-1)
    family = GridFamily("piecewise", design, xb[:, None], ("xb",), np.full(len(xb), 4))
    family.bounds = b
    return family


def transition_families(x: np.ndarray, config: DetectionConfig = DetectionConfig()) -> dict[str, GridFamily]:
    x = np.asarray(x, float)
    return {"sigmoid": sigmoid_family(x, config), "piecewise": piecewise_family(x, config)}


def fit_transitions(families: dict[str, GridFamily], y: np.ndarray, min_points: int = 1) -> dict[str, FamilyFit]:
    return {name: fit_family(families[name], y, min_points) for name in TRANSITIONS}


def sigmoid_params(fit: FamilyFit) -> np.ndarray:
    """(a, b, x0, k) of each curve's grid fit: (N, 4)."""
    g = fit.grid_params()
    return np.column_stack([fit.coef[:, 0], fit.coef[:, 0] + fit.coef[:, 1], g[:, 0], g[:, 1]])


def piecewise_params(fit: FamilyFit) -> np.ndarray:
    """(c0, c1, c2, xb): (N, 4)."""
    return np.column_stack([fit.coef, fit.grid_params()[:, 0]])


def sigmoid_curve(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return theta[:, :1] + (theta[:, 1:2] - theta[:, :1]) * sigmoid(theta[:, 3:4] * (x - theta[:, 2:3]))


def piecewise_curve(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return theta[:, :1] + theta[:, 1:2] * x + theta[:, 2:3] * np.maximum(x - theta[:, 3:4], 0.0)


def range_width(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """10–90 % width of the change f(x_max) − f(x_min) of curves sampled on a fine grid (N, m):
    from the first x where f has covered 10 % of its net change to the first where it has covered 90 %."""
    total = values[:, -1] - values[:, 0]
    frac = (values - values[:, :1]) / np.where(total == 0, np.nan, total)[:, None]
    reached10 = np.argmax(frac >= 0.1, axis=1)
    reached90 = np.argmax(frac >= 0.9, axis=1)
    out = grid[reached90] - grid[reached10]
    return np.where(np.isfinite(total) & (total != 0), out, np.nan)


def piecewise_width(theta: np.ndarray, x: np.ndarray, resolution: int = 400, max_reversal: float = 0.1) -> np.ndarray:
    """10–90 % width of a hinge's change within the data; +inf for a V (a segment going against
    the other by more than `max_reversal` of it): a reversal, not a step."""
    grid = np.linspace(np.min(x), np.max(x), resolution)
    width = range_width(piecewise_curve(theta, grid), grid)
    ends = piecewise_curve(theta, np.array([np.min(x), np.max(x)]))
    at_break = piecewise_curve(theta, theta[:, 3:4])[:, 0] if len(theta) else np.zeros(0)
    d1, d2 = at_break - ends[:, 0], ends[:, 1] - at_break
    main, other = np.where(np.abs(d1) >= np.abs(d2), d1, d2), np.where(np.abs(d1) >= np.abs(d2), d2, d1)
    v_shape = (main * other < 0) & (np.abs(other) > max_reversal * np.abs(main))
    return np.where(v_shape, np.inf, width)


def _polish_sigmoid(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, theta: np.ndarray, bounds: _Bounds, iterations: int,
    whiten: np.ndarray | None = None,
) -> np.ndarray:
    """Vectorised Levenberg–Marquardt on (a, b, x0, log k) for many curves at once, in bounds
    (the earlier detector's). y (N, n) with 0 where w is 0. With `whiten` (A, n×n;
    all points present) residuals and Jacobian are premultiplied by A: generalised least squares."""
    lower = np.array([-np.inf, -np.inf, bounds.lo, math.log(bounds.k_lo)])
    upper = np.array([np.inf, np.inf, bounds.hi, math.log(bounds.k_hi)])
    theta = np.column_stack([theta[:, :3], np.log(theta[:, 3])])

    def residuals(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = sigmoid(np.exp(t[:, 3:4]) * (x - t[:, 2:3]))
        r = y - (t[:, 0:1] + (t[:, 1:2] - t[:, 0:1]) * s)
        return (r if whiten is None else r @ whiten.T), s

    r, s = residuals(theta)
    rss = (w * r**2).sum(1)
    damping = np.full(len(theta), 1e-3)
    for _ in range(iterations):
        k, rise = np.exp(theta[:, 3:4]), theta[:, 1:2] - theta[:, 0:1]
        slope = rise * k * s * (1 - s)
        jac = np.stack([1 - s, s, -slope, slope * (x - theta[:, 2:3])], axis=-1)  # d f / d theta
        if whiten is not None:
            jac = np.einsum("mn,bnk->bmk", whiten, jac)
        jw = jac * w[..., None]
        normal = jw.swapaxes(1, 2) @ jac
        diag = np.diagonal(normal, axis1=1, axis2=2)
        lhs = normal + (damping[:, None] * diag + 1e-12 * (diag.sum(1, keepdims=True) + 1e-12))[..., None] * np.eye(4)
        delta = np.linalg.solve(lhs, (jw.swapaxes(1, 2) @ r[..., None]))[..., 0]
        candidate = np.clip(theta + delta, lower, upper)
        r_new, s_new = residuals(candidate)
        rss_new = (w * r_new**2).sum(1)
        better = rss_new < rss
        theta = np.where(better[:, None], candidate, theta)
        r, s = np.where(better[:, None], r_new, r), np.where(better[:, None], s_new, s)
        rss = np.where(better, rss_new, rss)
        damping = np.where(better, damping / 3, damping * 3)
    return np.column_stack([theta[:, :3], np.exp(theta[:, 3])])


def polished_sigmoid(family: GridFamily, fit: FamilyFit, x: np.ndarray, y: np.ndarray, iterations: int) -> np.ndarray:
    """(a, b, x0, k) of the grid fit polished by LM; NaN rows where the grid fit failed."""
    theta = sigmoid_params(fit)
    ok = np.isfinite(theta).all(1)
    out = np.full_like(theta, np.nan)
    if ok.any() and iterations > 0:
        w = np.isfinite(y[ok]).astype(float)
        # GLS metric when the family has a covariance and no point is missing, else plain LS
        whiten = family.whitener(np.ones(len(x), bool)) if w.all() else None
        out[ok] = _polish_sigmoid(x, np.nan_to_num(y[ok]), w, theta[ok], family.bounds, iterations, whiten)
    elif ok.any():
        out[ok] = theta[ok]
    return out


def transition_locations(x: np.ndarray, curves: np.ndarray, config: DetectionConfig) -> dict[str, np.ndarray]:
    """Sigmoid midpoint x0 and breakpoint xb of every row of `curves` (R, n) on the axis x (NaN
    points left out; NaN where a row has too few points), e.g. paired bootstrap replicates."""
    x, curves = np.asarray(x, float), np.atleast_2d(np.asarray(curves, float))
    if len(x) < max(2 * config.min_side, 6):  # e.g. a trajectory of one revision: no interval to place one in
        return {"x0": np.full(len(curves), np.nan), "breakpoint": np.full(len(curves), np.nan)}
    families = transition_families(x, config)
    fits = fit_transitions(families, curves, max(2 * config.min_side, 6))
    sig = polished_sigmoid(families["sigmoid"], fits["sigmoid"], x, curves, config.lm_iterations)
    return {"x0": sig[:, 2], "breakpoint": piecewise_params(fits["piecewise"])[:, 3]}
