"""Is there a phase transition in a metric along pre-training, and where?

A curve is a metric (gain, PGR, an accuracy) against pre-training step. It is analysed on a
log axis: x = log10(step + 1) by default, so step 0 sits at x = 0 (one "first step" before
step 1); or, with `axis="tokens"`, x = log10(tokens + τ) with τ the median tokens per step,
which is the step axis shifted by log10 τ when tokens grow in proportion to steps and keeps
step 0 on the axis the same way.

Four least-squares models are fit to y(x):

  constant    y = c                                         (1 mean parameter)
  linear      y = c0 + c1·x                                 (2)
  sigmoid     y = a + (b − a) / (1 + exp(−k (x − x0)))      (4: a, b, x0, k)
  piecewise   y = c0 + c1·x + c2·max(x − xb, 0)             (4: continuous, one breakpoint xb)

and compared by BIC = n·ln(RSS/n) + (p + 1)·ln n with Gaussian errors, where p counts every
fitted mean parameter, the location (x0 or xb) included, and the +1 is the noise variance.
The location is confined to the observed range with at least `min_side` points on each side,
and k to [2 ln 9 / max_width, 2 ln 9 / min_width] (the 10–90 % width of the rise, in x units,
lies between `min_width` and the whole x range), so that a sigmoid can neither collapse onto a
single point's step nor degenerate into a straight line with its midpoint far outside the data.

Fitting. Both nonlinear models are linear given their location (and k), so the residual sum of
squares is profiled exactly over a grid of locations (and of k): a global search that serves as
the sigmoid's multiple starts. The sigmoid is then polished by `scipy.optimize.least_squares`
from the best grid point of each of `n_starts` bands of x0; the breakpoint is taken on a fine
grid (`grid_breakpoint` points). Bootstrap replicates use the same grid search, polished for
the sigmoid by a vectorised Levenberg–Marquardt (tested to agree with scipy).

Uncertainty. Percentile bootstrap intervals of x0 and xb come from resampled curves supplied by
the caller: over test examples (`ExampleBootstrap`: the same resampled examples for every
revision, since one test set serves all revisions and its sampling noise is shared by them) or
over pre-training seeds (`seed_bootstrap`: seed curves drawn with replacement and averaged).
A replicate may hold NaN points (e.g. PGR where the margin fails); they are left out of its fit.
As a cross-check, `ruptures` (cost "linear": a regression on [1, x] per segment, one breakpoint;
its segments need not meet) locates the breakpoint independently.

Decision rule (every threshold is a field of `DetectionConfig`; defaults in brackets).
Let ΔBIC = min(BIC constant, BIC linear) − min(BIC sigmoid, BIC piecewise), positive when a
transition model is preferred; T = the transition model of lower BIC; effect = T(x_max) − T(x_min),
its fitted change over the observed range; location = x0 if T is the sigmoid, xb otherwise.

  "none"          ΔBIC ≤ −none_delta_bic [2]  or  |effect| < min_effect [0.02]
  "transition"    ΔBIC ≥ min_delta_bic [10]  and  |effect| ≥ min_effect
                  and the location's CI (ci_level [0.95]) spans ≤ max_ci_frac [0.25] of the x range
                  and, if T is the sigmoid, its 10–90 % width is ≤ max_width_frac [0.5] of the x range
  "inconclusive"  otherwise (including: no bootstrap, hence no CI; fewer than max(2·min_side, 6) points).

A falling transition (effect < 0) also counts; the sign is in `effect`. The `reason` field says
which clause decided. Caveat: BIC treats points as independent; test-set noise shared across
revisions makes neighbouring points correlated, which is why the location's bootstrap over
examples (not the BIC) decides how precisely a transition is located.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
import ruptures
from scipy.optimize import least_squares

MODELS = ("constant", "linear", "sigmoid", "piecewise")
N_PARAMS = {"constant": 1, "linear": 2, "sigmoid": 4, "piecewise": 4}
WIDTH_FACTOR = 2 * math.log(9)  # the 10 %–90 % span of a logistic is 2 ln 9 / k

Resampler = Callable[[np.random.Generator, int], np.ndarray]
"""(rng, n_boot) -> resampled curves, shape (n_boot, n_points), NaN where a point is missing."""


@dataclass(frozen=True)
class DetectionConfig:
    """Thresholds of the decision rule and settings of the fits (see the module docstring)."""

    axis: str = "step"  # "step" or "tokens"
    min_delta_bic: float = 10.0
    none_delta_bic: float = 2.0
    min_effect: float = 0.02
    max_ci_frac: float = 0.25
    max_width_frac: float = 0.5
    ci_level: float = 0.95
    n_boot: int = 200
    min_side: int = 3
    min_width: float = 0.1  # in x units (decades)
    grid_x0: int = 120
    grid_k: int = 8
    grid_breakpoint: int = 400
    n_starts: int = 3
    lm_iterations: int = 20
    cross_check: bool = True  # run ruptures beside


@dataclass(frozen=True)
class ModelFit:
    name: str
    params: tuple[float, ...]  # constant (c,), linear (c0, c1), sigmoid (a, b, x0, k), piecewise (c0, c1, c2, xb)
    rss: float
    bic: float


@dataclass(frozen=True)
class TransitionResult:
    """Verdict and estimates for one curve; steps/tokens are converted back from x."""

    verdict: str
    reason: str
    transition_model: str
    delta_bic: float
    bic_constant: float
    bic_linear: float
    bic_sigmoid: float
    bic_piecewise: float
    effect: float
    level_before: float  # sigmoid a
    level_after: float  # sigmoid b
    step: float  # location of the transition model, with its CI
    step_lo: float
    step_hi: float
    tokens: float
    tokens_lo: float
    tokens_hi: float
    sigmoid_x: float
    sigmoid_x_lo: float
    sigmoid_x_hi: float
    sigmoid_step: float
    sigmoid_step_lo: float
    sigmoid_step_hi: float
    width_x: float  # 10–90 % width of the sigmoid's rise, in x units
    step_10: float
    step_90: float
    breakpoint_x: float
    breakpoint_x_lo: float
    breakpoint_x_hi: float
    breakpoint_step: float
    breakpoint_step_lo: float
    breakpoint_step_hi: float
    ruptures_step: float
    x_range: float
    n_points: int
    n_boot_valid: int
    axis: str


# ---------------------------------------------------------------- axis


@dataclass(frozen=True)
class Axis:
    """The log axis of a curve and the conversions of x back to steps and tokens."""

    x: np.ndarray
    step: np.ndarray
    tokens: np.ndarray | None
    tau: float  # tokens per step (NaN without tokens)

    def to_step(self, x: np.ndarray | float) -> np.ndarray:
        return self._back(x, np.log10(self.step + 1.0), 1.0)

    def to_tokens(self, x: np.ndarray | float) -> np.ndarray:
        if self.tokens is None:
            return np.full(np.shape(x), np.nan)
        return self._back(x, np.log10(self.tokens + self.tau), self.tau)

    def _back(self, x: np.ndarray | float, log_values: np.ndarray, offset: float) -> np.ndarray:
        # log_value − x is 0 for the axis's own unit and log10 τ (or close) for the other one:
        # interpolating that difference is exact in the first case, and beyond the data too
        order = np.argsort(self.x, kind="stable")
        shift = np.interp(x, self.x[order], (log_values - self.x)[order])
        return 10 ** (np.asarray(x) + shift) - offset


def make_axis(step: np.ndarray, tokens: np.ndarray | None = None, axis: str = "step") -> Axis:
    """x = log10(step + 1), or log10(tokens + τ) with τ the median tokens per step."""
    step = np.asarray(step, dtype=float)
    tokens = None if tokens is None or np.isnan(np.asarray(tokens, dtype=float)).any() else np.asarray(tokens, float)
    positive = step > 0
    tau = float(np.median(tokens[positive] / step[positive])) if tokens is not None and positive.any() else math.nan
    if axis == "step":
        x = np.log10(step + 1.0)
    elif axis == "tokens":
        if tokens is None or math.isnan(tau):
            raise ValueError("axis='tokens' needs a token count for every revision and one revision with step > 0")
        x = np.log10(tokens + tau)
    else:
        raise ValueError(f"axis must be 'step' or 'tokens', got {axis!r}")
    return Axis(x, step, tokens, tau)


# ---------------------------------------------------------------- model fits


def bic(rss: float | np.ndarray, n: int, n_params: int) -> float | np.ndarray:
    """Gaussian BIC with the noise variance counted as one more parameter."""
    return n * np.log(np.maximum(rss, 1e-300) / n) + (n_params + 1) * math.log(n)


def logistic(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))  # overflow-free


def predict(fit: ModelFit, x: np.ndarray) -> np.ndarray:
    """The fitted model's values at x."""
    p = fit.params
    if fit.name == "constant":
        return np.full(np.shape(x), p[0])
    if fit.name == "linear":
        return p[0] + p[1] * x
    if fit.name == "sigmoid":
        return p[0] + (p[1] - p[0]) * logistic(p[3] * (x - p[2]))
    return p[0] + p[1] * x + p[2] * np.maximum(x - p[3], 0.0)


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


def _sigmoid_grid(bounds: _Bounds, config: DetectionConfig) -> tuple[np.ndarray, np.ndarray]:
    x0 = np.linspace(bounds.lo, bounds.hi, config.grid_x0)
    k = np.geomspace(bounds.k_lo, bounds.k_hi, config.grid_k)
    grid_x0, grid_k = np.meshgrid(x0, k, indexing="ij")
    return grid_x0.ravel(), grid_k.ravel()


def _sigmoid_grid_search(
    x: np.ndarray, y: np.ndarray, w: np.ndarray | None, bounds: _Bounds, config: DetectionConfig, bands: int = 1
) -> np.ndarray:
    """Best (a, b, x0, k) on the (x0, k) grid in each of `bands` equal bands of x0: (B, bands, 4)."""
    grid_x0, grid_k = _sigmoid_grid(bounds, config)
    basis = logistic(grid_k[:, None] * (x[None, :] - grid_x0[:, None]))
    rss, gamma, beta = _profile(np.ones((len(x), 1)), basis, y, w)
    # grid_x0 is non-decreasing, so equal splits of the grid are bands of x0
    band_index = np.array_split(np.arange(len(grid_x0)), bands)
    best = np.stack([band[np.argmin(rss[:, band], axis=1)] for band in band_index], axis=1)
    rows = np.arange(len(y))[:, None]
    a = beta[rows, best, 0]
    return np.stack([a, a + gamma[rows, best], grid_x0[best], grid_k[best]], axis=-1)


def _piecewise_grid_search(
    x: np.ndarray, y: np.ndarray, w: np.ndarray | None, bounds: _Bounds, config: DetectionConfig
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
    return a + (b - a) * logistic(k * (x - x0)) - y


def _sigmoid_jacobian(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:  # scipy passes y too
    a, b, x0, k = theta
    s = logistic(k * (x - x0))
    slope = (b - a) * s * (1 - s)
    return np.column_stack([1 - s, s, -k * slope, (x - x0) * slope])


def _fit_sigmoid(x: np.ndarray, y: np.ndarray, bounds: _Bounds, config: DetectionConfig) -> ModelFit:
    """Grid search, then scipy least squares from the best grid point of each band of x0."""
    starts = _sigmoid_grid_search(x, y[None], None, bounds, config, bands=config.n_starts)[0]
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
    bounds = _bounds(x, config)
    rss_pw, params_pw = _piecewise_grid_search(x, y[None], None, bounds, config)
    return {
        "constant": _fit_polynomial(x, y, 0),
        "linear": _fit_polynomial(x, y, 1),
        "sigmoid": _fit_sigmoid(x, y, bounds, config),
        "piecewise": _model_fit("piecewise", params_pw[0], rss_pw[0], len(x)),
    }


# ---------------------------------------------------------------- bootstrap


def _polish_sigmoid(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, theta: np.ndarray, bounds: _Bounds, iterations: int
) -> np.ndarray:
    """Vectorised Levenberg–Marquardt on (a, b, x0, log k) for many curves at once, in bounds."""
    lower = np.array([-np.inf, -np.inf, bounds.lo, math.log(bounds.k_lo)])
    upper = np.array([np.inf, np.inf, bounds.hi, math.log(bounds.k_hi)])
    theta = np.column_stack([theta[:, :3], np.log(theta[:, 3])])

    def residuals(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = logistic(np.exp(t[:, 3:4]) * (x - t[:, 2:3]))
        return y - (t[:, 0:1] + (t[:, 1:2] - t[:, 0:1]) * s), s

    r, s = residuals(theta)
    rss = (w * r**2).sum(1)
    damping = np.full(len(theta), 1e-3)
    for _ in range(iterations):
        k, rise = np.exp(theta[:, 3:4]), theta[:, 1:2] - theta[:, 0:1]
        slope = rise * k * s * (1 - s)
        jac = np.stack([1 - s, s, -slope, slope * (x - theta[:, 2:3])], axis=-1)  # d f / d theta
        jw = jac * w[..., None]
        normal = jw.swapaxes(1, 2) @ jac
        diag = np.diagonal(normal, axis1=1, axis2=2)
        lhs = normal + (damping[:, None] * diag + 1e-12 * (diag.sum(1, keepdims=True) + 1e-12))[..., None] * np.eye(4)
        delta = np.linalg.solve(lhs, jw.swapaxes(1, 2) @ r[..., None])[..., 0]
        candidate = np.clip(theta + delta, lower, upper)
        r_new, s_new = residuals(candidate)
        rss_new = (w * r_new**2).sum(1)
        better = rss_new < rss
        theta = np.where(better[:, None], candidate, theta)
        r, s = np.where(better[:, None], r_new, r), np.where(better[:, None], s_new, s)
        rss = np.where(better, rss_new, rss)
        damping = np.where(better, damping / 3, damping * 3)
    return np.column_stack([theta[:, :3], np.exp(theta[:, 3])])


def bootstrap_locations(
    x: np.ndarray, curves: np.ndarray, config: DetectionConfig = DetectionConfig()
) -> dict[str, np.ndarray]:
    """Sigmoid midpoint x0 and breakpoint xb of every resampled curve (rows of `curves`).

    Points that are NaN in a replicate are left out of its fits; a replicate with fewer than
    2·min_side points left gets NaN.
    """
    x = np.asarray(x, float)
    curves = np.atleast_2d(np.asarray(curves, float))
    w = np.isfinite(curves).astype(float)
    y = np.where(w > 0, curves, 0.0)
    valid = w.sum(1) >= 2 * config.min_side
    w = np.where(valid[:, None], w, 1.0)  # keeps the normal equations of hopeless replicates solvable
    mask = None if w.all() else w
    bounds = _bounds(x, config)
    start = _sigmoid_grid_search(x, y, mask, bounds, config)[:, 0]
    sigmoid = _polish_sigmoid(x, y, w, start, bounds, config.lm_iterations)
    _, piecewise = _piecewise_grid_search(x, y, mask, bounds, config)
    return {"x0": np.where(valid, sigmoid[:, 2], np.nan), "breakpoint": np.where(valid, piecewise[:, 3], np.nan)}


def percentile_ci(values: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite values (NaN, NaN if there are none)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


class ExampleBootstrap:
    """Resampling of test examples, jointly for all revisions of one (model, task, layer).

    `probs` maps "weak", "w2s", "gold" to arrays (revisions, examples) of predicted P(y = 1);
    a prediction is correct when (p >= 0.5) == (label == 1), as in `pipeline.metrics.accuracy`.
    """

    def __init__(self, probs: Mapping[str, np.ndarray], label: np.ndarray, min_margin: float = math.nan):
        label = np.asarray(label) == 1
        self.correct = {kind: ((np.asarray(p) >= 0.5) == label).astype(float) for kind, p in probs.items()}
        self.n_examples = len(label)
        self.min_margin = min_margin

    @classmethod
    def from_predictions(cls, tables: Sequence[pd.DataFrame], min_margin: float = math.nan) -> ExampleBootstrap:
        """From one predictions table per revision (columns id, label, p_weak, p_w2s, p_gold)."""
        ids = tables[0]["id"].to_numpy()
        for table in tables[1:]:
            if not np.array_equal(table["id"].to_numpy(), ids):
                raise ValueError("the revisions' predictions are not of the same test examples in the same order")
        probs = {kind: np.stack([t[f"p_{kind}"].to_numpy() for t in tables]) for kind in ("weak", "w2s", "gold")}
        return cls(probs, tables[0]["label"].to_numpy(), min_margin)

    def weights(self, rng: np.random.Generator, n_boot: int) -> np.ndarray:
        """Multinomial resampling weights (n_boot, examples), each row summing to 1."""
        n = self.n_examples
        draws = rng.integers(0, n, size=(n_boot, n)) + n * np.arange(n_boot)[:, None]
        return np.bincount(draws.ravel(), minlength=n_boot * n).reshape(n_boot, n) / n

    def observed(self) -> np.ndarray:
        """Weights of the observed sample: a single row."""
        return np.full((1, self.n_examples), 1.0 / self.n_examples)

    def curves(self, metric: str, weights: np.ndarray) -> np.ndarray:
        """`metric` (weak_acc, w2s_acc, gold_acc, gain, pgr) per revision, shape (rows of weights, revisions)."""
        acc = {kind: weights @ c.T for kind, c in self.correct.items()}
        if metric.endswith("_acc"):
            return acc[metric.removesuffix("_acc")]
        gain = acc["w2s"] - acc["weak"]
        if metric == "gain":
            return gain
        if metric == "pgr":
            if math.isnan(self.min_margin):
                raise ValueError("PGR needs the run's min_margin (metrics.pgr_min_margin)")
            margin = acc["gold"] - acc["weak"]
            held = (margin >= self.min_margin) & (margin > 0)  # the rule of pipeline.metrics.pgr
            return np.where(held, gain / np.where(held, margin, 1.0), np.nan)
        raise ValueError(f"unknown metric {metric!r}")

    def resampler(self, metric: str) -> Resampler:
        return lambda rng, n_boot: self.curves(metric, self.weights(rng, n_boot))


def seed_bootstrap(curves: np.ndarray) -> Resampler:
    """Resampler over pre-training seeds: rows of `curves` (seeds, points) drawn with replacement
    and averaged (NaN points ignored; NaN where every drawn seed is NaN)."""
    curves = np.asarray(curves, float)

    def draw(rng: np.random.Generator, n_boot: int) -> np.ndarray:
        chosen = curves[rng.integers(0, len(curves), size=(n_boot, len(curves)))]
        return _nanmean(chosen, axis=1)

    return draw


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    finite = np.isfinite(values)
    count = finite.sum(axis)
    total = np.where(finite, values, 0.0).sum(axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def ruptures_breakpoint(x: np.ndarray, y: np.ndarray, min_size: int = 3) -> float:
    """x of the single breakpoint found by ruptures (linear regression cost on [1, x]), halfway
    between the last point of the first segment and the first of the second."""
    order = np.argsort(x, kind="stable")
    x, y = np.asarray(x, float)[order], np.asarray(y, float)[order]
    signal = np.column_stack([y, np.ones_like(x), x])
    index = ruptures.Binseg(model="linear", min_size=min_size, jump=1).fit(signal).predict(n_bkps=1)[0]
    return float((x[index - 1] + x[index]) / 2)


# ---------------------------------------------------------------- verdict


def _verdict(
    delta: float, effect: float, ci_span: float, width: float, transition_model: str, x_range: float,
    config: DetectionConfig,
) -> tuple[str, str]:
    if delta <= -config.none_delta_bic:
        return "none", "null model preferred"
    if abs(effect) < config.min_effect:
        return "none", "effect below minimum"
    if delta < config.min_delta_bic:
        return "inconclusive", "weak BIC evidence"
    if math.isnan(ci_span):
        return "inconclusive", "no location CI"
    if ci_span > config.max_ci_frac * x_range:
        return "inconclusive", "location CI too wide"
    if transition_model == "sigmoid" and width > config.max_width_frac * x_range:
        return "inconclusive", "rise too gradual"
    return "transition", "all criteria met"


def detect_transition(
    step: np.ndarray,
    y: np.ndarray,
    *,
    tokens: np.ndarray | None = None,
    resample: Resampler | None = None,
    config: DetectionConfig = DetectionConfig(),
    seed: int = 0,
) -> TransitionResult:
    """Fit, bootstrap and judge one metric-vs-step curve (NaN points dropped).

    `resample(rng, n_boot)` returns resampled curves aligned with `step` (see `ExampleBootstrap`,
    `seed_bootstrap`); without it there is no CI and the verdict cannot be "transition".
    """
    step, y = np.asarray(step, float), np.asarray(y, float)
    order = np.argsort(step, kind="stable")
    keep = order[np.isfinite(y[order])]
    axis = make_axis(step[keep], None if tokens is None else np.asarray(tokens, float)[keep], config.axis)
    x, y_kept = axis.x, y[keep]
    if len(x) < max(2 * config.min_side, 6):
        return _too_few(len(x), config)
    fits = fit_models(x, y_kept, config)
    boot = {"x0": np.array([]), "breakpoint": np.array([])}
    if resample is not None:
        curves = resample(np.random.default_rng(seed), config.n_boot)[:, keep]
        boot = bootstrap_locations(x, curves, config)
    ruptures_x = ruptures_breakpoint(x, y_kept, config.min_side) if config.cross_check else math.nan
    return _summarize(axis, fits, boot, ruptures_x, config)


def _summarize(
    axis: Axis, fits: Mapping[str, ModelFit], boot: Mapping[str, np.ndarray], ruptures_x: float,
    config: DetectionConfig,
) -> TransitionResult:
    x = axis.x
    x_range = float(x.max() - x.min())
    null = min(fits["constant"].bic, fits["linear"].bic)
    chosen = min(("sigmoid", "piecewise"), key=lambda name: fits[name].bic)
    delta = null - fits[chosen].bic
    effect = float(np.diff(predict(fits[chosen], np.array([x.min(), x.max()])))[0])
    a, b, x0, k = fits["sigmoid"].params
    width = WIDTH_FACTOR / k
    x0_ci = percentile_ci(boot["x0"], config.ci_level)
    xb = fits["piecewise"].params[3]
    xb_ci = percentile_ci(boot["breakpoint"], config.ci_level)
    location, location_ci = (x0, x0_ci) if chosen == "sigmoid" else (xb, xb_ci)
    verdict, reason = _verdict(delta, effect, location_ci[1] - location_ci[0], width, chosen, x_range, config)
    points = np.array([location, *location_ci, x0, *x0_ci, x0 - width / 2, x0 + width / 2, xb, *xb_ci])
    steps = [float(v) for v in axis.to_step(points)]
    tokens = [float(v) for v in axis.to_tokens(points[:3])]
    return TransitionResult(
        verdict=verdict, reason=reason, transition_model=chosen, delta_bic=float(delta),
        **{f"bic_{name}": fits[name].bic for name in MODELS},
        effect=effect, level_before=a, level_after=b,
        step=steps[0], step_lo=steps[1], step_hi=steps[2],
        tokens=tokens[0], tokens_lo=tokens[1], tokens_hi=tokens[2],
        sigmoid_x=x0, sigmoid_x_lo=x0_ci[0], sigmoid_x_hi=x0_ci[1],
        sigmoid_step=steps[3], sigmoid_step_lo=steps[4], sigmoid_step_hi=steps[5],
        width_x=width, step_10=steps[6], step_90=steps[7],
        breakpoint_x=xb, breakpoint_x_lo=xb_ci[0], breakpoint_x_hi=xb_ci[1],
        breakpoint_step=steps[8], breakpoint_step_lo=steps[9], breakpoint_step_hi=steps[10],
        ruptures_step=float(axis.to_step(ruptures_x)) if math.isfinite(ruptures_x) else math.nan,
        x_range=x_range, n_points=len(x), n_boot_valid=int(np.isfinite(boot["x0"]).sum()), axis=config.axis,
    )


def _too_few(n: int, config: DetectionConfig) -> TransitionResult:
    nan_fields = {name: math.nan for name in TransitionResult.__dataclass_fields__}
    return TransitionResult(**{
        **nan_fields, "verdict": "inconclusive", "reason": "too few points", "transition_model": "",
        "n_points": n, "n_boot_valid": 0, "axis": config.axis,
    })


# ---------------------------------------------------------------- tables


KEY = ["model", "task", "layer"]
_Curve = tuple[np.ndarray, np.ndarray | None, np.ndarray, Resampler]  # step, tokens, y, resampler


def analyze_metrics(
    table: pd.DataFrame,
    *,
    metrics: Sequence[str] = ("gain", "pgr"),
    bootstrap: str = "examples",
    predictions: Callable[[str, str], pd.DataFrame] | None = None,
    min_margin: float = math.nan,
    seed_groups: Mapping[str, Sequence[str]] | None = None,
    exclude_revisions: Collection[str] | Mapping[str, Collection[str]] = (),
    min_effect: Mapping[str, float] | None = None,
    config: DetectionConfig = DetectionConfig(),
    seed: int = 0,
) -> pd.DataFrame:
    """One row of `TransitionResult` per (model, task, layer, metric) of a tidy metrics table.

    PGR is analysed only on revisions where it is not NaN (the gold − weak margin held).
    bootstrap="examples": `predictions(model, revision)` returns that revision's predictions
    table (columns id, label, p_weak, p_w2s, p_gold, task, layer); `min_margin` is the PGR
    margin rule of the run (metrics.pgr_min_margin), re-applied in each replicate.
    bootstrap="seeds": `seed_groups` maps a name to the models that are seeds of one trajectory;
    each group's curve is the mean over seeds at the steps every seed has.
    `exclude_revisions` names revisions to leave out, for all models or per model.
    `min_effect` overrides `config.min_effect` per metric (PGR and gain are on different scales).
    """
    table = table[~exclusion_mask(table, exclude_revisions)]
    if bootstrap == "examples":
        if predictions is None:
            raise ValueError("bootstrap='examples' needs `predictions`, a loader of (model, revision) predictions")
        curves = _example_curves(table, metrics, predictions, min_margin)
    elif bootstrap == "seeds":
        if not seed_groups:
            raise ValueError("bootstrap='seeds' needs `seed_groups`: {name: [seed models]}")
        curves = _seed_curves(table, metrics, seed_groups)
    else:
        raise ValueError(f"bootstrap must be 'examples' or 'seeds', got {bootstrap!r}")
    rows = []
    for (model, task, layer, metric), (step, tokens, y, resample) in curves:
        metric_config = replace(config, min_effect=(min_effect or {}).get(metric, config.min_effect))
        result = detect_transition(step, y, tokens=tokens, resample=resample, config=metric_config, seed=seed)
        rows.append({"model": model, "task": task, "layer": layer, "metric": metric, **asdict(result)})
    return pd.DataFrame(rows)


def exclusion_mask(table: pd.DataFrame, exclude: Collection[str] | Mapping[str, Collection[str]]) -> pd.Series:
    """Rows of excluded revisions: names for every model, or {model: names}."""
    if isinstance(exclude, Mapping):
        pairs = {(model, revision) for model, revisions in exclude.items() for revision in revisions}
        return pd.Series([pair in pairs for pair in zip(table["model"], table["revision"])], index=table.index)
    return table["revision"].isin(list(exclude))


def _tokens(group: pd.DataFrame) -> np.ndarray | None:
    tokens = pd.to_numeric(group["tokens"], errors="coerce") if "tokens" in group else None
    return None if tokens is None or tokens.isna().any() else tokens.to_numpy(float)


def _example_curves(
    table: pd.DataFrame, metrics: Sequence[str], predictions: Callable[[str, str], pd.DataFrame], min_margin: float
) -> Iterator[tuple[tuple, _Curve]]:
    for (model, task, layer), group in table.groupby(KEY, sort=True):
        group = group.sort_values("step")
        tables = [select_predictions(predictions(model, revision), task, layer) for revision in group["revision"]]
        sampler = ExampleBootstrap.from_predictions(tables, min_margin)
        for metric in metrics:
            y = group[metric].to_numpy(float)
            _check_consistent(y, sampler.curves(metric, sampler.observed())[0], (model, task, layer, metric))
            yield (model, task, layer, metric), (group["step"].to_numpy(), _tokens(group), y, sampler.resampler(metric))


def select_predictions(predictions: pd.DataFrame, task: str, layer: int) -> pd.DataFrame:
    """One (task, layer)'s rows of a revision's predictions table."""
    chosen = predictions[(predictions["task"] == task) & (predictions["layer"] == layer)]
    return chosen.reset_index(drop=True)


def _check_consistent(table_values: np.ndarray, recomputed: np.ndarray, key: tuple) -> None:
    # NaN positions must agree too: the PGR of the table is the curve analysed
    same = np.isclose(table_values, recomputed, atol=1e-9, equal_nan=True)
    if not same.all():
        raise ValueError(f"{key}: the predictions do not reproduce the metrics table; are they of the same run?")


def _seed_curves(
    table: pd.DataFrame, metrics: Sequence[str], seed_groups: Mapping[str, Sequence[str]]
) -> Iterator[tuple[tuple, _Curve]]:
    for name, models in seed_groups.items():
        members = table[table["model"].isin(models)]
        for (task, layer), group in members.groupby(["task", "layer"], sort=True):
            complete = group.groupby("step")["model"].nunique() == len(models)  # steps every seed has
            group = group[group["step"].map(complete)]
            by_step = group.groupby("step").first()
            for metric in metrics:
                per_seed = group.pivot(index="step", columns="model", values=metric)[list(models)].to_numpy(float).T
                steps, mean = by_step.index.to_numpy(), _nanmean(per_seed, axis=0)
                yield (name, task, layer, metric), (steps, _tokens(by_step), mean, seed_bootstrap(per_seed))
