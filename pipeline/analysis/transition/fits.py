"""A vectorised least-squares engine for model families that are linear given a few nonlinear
parameters held on a grid.

`GridFamily` holds one design matrix per grid point, X_g (n, r) with column 0 the intercept.
`fit_family` fits every curve (rows of Y, NaN = missing) by profiling the residual sum of
squares over the whole grid at once:

    RSS_g(y) = Σ w y² − ‖U_gᵀ y‖²,   U_g an orthonormal basis of the kept rows of X_g,

so the whole grid costs one matrix product Y @ [U_1 … U_G] (this is `_profile` of
the earlier detector in projection form, generalised to several candidate columns, to sign
constraints on the coefficients and to curves with different missing points: curves are grouped
by their pattern of missing points and each pattern gets its own bases, cached).
With a noise covariance Σ (`GridFamily.whitened`) the fit is generalised least squares: the
centred y and every X_g are premultiplied by A = L⁻¹ (Σ = L Lᵀ restricted to the kept points),
and "RSS" is the Mahalanobis residual (y − Xβ)ᵀ Σ⁻¹ (y − Xβ).
A family may carry a `constraint(beta) -> feasible` on the coefficients of every grid point
(non-negative spline coefficients, opposite signs of a dip's two terms); the infeasible grid
points are skipped. Curves are centred first (every family has an intercept), which keeps the
subtraction above accurate in float64.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

WIDTH_FACTOR = 2 * math.log(9)  # the 10 %–90 % span of a logistic is 2 ln 9 / k
# 10–90 % width, in decades of step, of an exponential relaxation 1 − exp(−s/τ) (any τ):
# log10(ln 0.1 / ln 0.9) ≈ 1.339. No smooth saturation of the null families rises faster.
EXP_WIDTH = math.log10(math.log(0.1) / math.log(0.9))


def bic(rss: float | np.ndarray, n: int | np.ndarray, n_params: int | np.ndarray) -> float | np.ndarray:
    """Gaussian BIC with the noise variance counted as one more parameter."""
    n = np.asarray(n, float)
    return n * np.log(np.maximum(rss, 1e-300) / n) + (np.asarray(n_params) + 1) * np.log(n)



@dataclass
class GridFamily:
    """Models y = X_g β over a grid g of nonlinear parameters.

    design (G, n, r): column 0 is the intercept (all ones); unused columns may be zero.
    grid (G, q): the nonlinear parameters of each grid point (names in `grid_names`).
    n_params (G,): mean parameters counted at each grid point, the nonlinear ones included.
    constraint: beta (b, G, r) -> feasible (b, G), or None.
    """

    name: str
    design: np.ndarray
    grid: np.ndarray
    grid_names: tuple[str, ...]
    n_params: np.ndarray
    constraint: Callable[[np.ndarray], np.ndarray] | None = None
    cov: np.ndarray | None = None  # noise covariance (n, n): generalised least squares if set
    _cache: dict = field(default_factory=dict, repr=False)

    def whitened(self, cov: np.ndarray | None) -> GridFamily:
        """The same family fit by generalised least squares with noise covariance `cov`."""
        out = copy.copy(self)
        out.cov, out._cache = cov, {}
        return out

    def whitener(self, keep: np.ndarray) -> np.ndarray | None:
        """A with A Σ_kept Aᵀ = I (inverse Cholesky factor), or None without covariance."""
        if self.cov is None:
            return None
        key = ("A", keep.tobytes())
        if key not in self._cache:
            self._cache[key] = np.linalg.inv(np.linalg.cholesky(self.cov[np.ix_(keep, keep)]))
        return self._cache[key]

    def bases(self, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the kept points: U (n_kept, G·r), orthonormal bases with dropped directions zeroed;
        P (G, r, n_kept), pseudo-inverses; and P as (n_kept, G·r) (of the whitened design under GLS)."""
        key = keep.tobytes()
        if key not in self._cache:
            x = self.design[:, keep, :]
            a = self.whitener(keep)
            if a is not None:
                x = np.einsum("mn,gnr->gmr", a, x)
            u, s, vt = np.linalg.svd(x, full_matrices=False)
            ok = s > 1e-9 * np.maximum(s[:, :1], 1e-300)
            u = u * ok[:, None, :]
            inv_s = np.where(ok, 1.0 / np.where(ok, s, 1.0), 0.0)
            pinv = np.einsum("gkr,gk,gnk->grn", vt, inv_s, u)
            g, n, r = u.shape
            self._cache[key] = (
                np.ascontiguousarray(u.transpose(1, 0, 2).reshape(n, g * r)),
                pinv,
                np.ascontiguousarray(pinv.transpose(2, 0, 1).reshape(n, g * r)),
            )
        return self._cache[key]


@dataclass
class FamilyFit:
    """Best grid point of a family for each curve: rss (N,), index (N,), coef (N, r); NaN/-1 where unfit."""

    family: GridFamily
    rss: np.ndarray
    index: np.ndarray
    coef: np.ndarray

    @property
    def n_params(self) -> np.ndarray:
        return np.where(self.index >= 0, self.family.n_params[np.maximum(self.index, 0)], np.nan)

    def fitted(self) -> np.ndarray:
        """Fitted values at every point of the axis (missing points included): (N, n)."""
        x = self.family.design[np.maximum(self.index, 0)]
        out = np.einsum("bnr,br->bn", x, np.nan_to_num(self.coef))
        return np.where(self.index[:, None] >= 0, out, np.nan)

    def grid_params(self) -> np.ndarray:
        return np.where(self.index[:, None] >= 0, self.family.grid[np.maximum(self.index, 0)], np.nan)


def fit_family(family: GridFamily, y: np.ndarray, min_points: int = 1, chunk: int = 2048) -> FamilyFit:
    """Least squares of every row of y (N, n) (NaN = missing point) over the family's grid."""
    y = np.atleast_2d(np.asarray(y, float))
    n_curves = len(y)
    r = family.design.shape[2]
    rss = np.full(n_curves, np.nan)
    index = np.full(n_curves, -1)
    coef = np.full((n_curves, r), np.nan)
    keep = np.isfinite(y)
    patterns, inverse = np.unique(keep, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    for p, pattern in enumerate(patterns):
        if pattern.sum() < min_points:
            continue
        rows = np.flatnonzero(inverse == p)
        u, pinv, pinv_flat = family.bases(pattern)
        g = pinv.shape[0]
        for start in range(0, len(rows), chunk):
            sel = rows[start:start + chunk]
            yc = y[np.ix_(sel, pattern)]
            mean = yc.mean(1)
            yc = yc - mean[:, None]  # every design holds the constant: only the intercept moves
            a = family.whitener(pattern)
            if a is not None:
                yc = yc @ a.T
            proj = (yc @ u).reshape(len(sel), g, r)
            grid_rss = (yc * yc).sum(1)[:, None] - np.einsum("bgr,bgr->bg", proj, proj)
            if family.constraint is not None:
                beta = (yc @ pinv_flat).reshape(len(sel), g, r)
                beta[..., 0] += mean[:, None]
                grid_rss = np.where(family.constraint(beta), grid_rss, np.inf)
            best = np.argmin(grid_rss, axis=1)
            rss[sel] = np.maximum(grid_rss[np.arange(len(sel)), best], 0.0)
            index[sel] = best
            c = np.einsum("brn,bn->br", pinv[best], yc)
            c[:, 0] += mean
            coef[sel] = c
    return FamilyFit(family, rss, index, coef)
