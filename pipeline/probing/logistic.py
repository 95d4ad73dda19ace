"""Logistic probes on soft labels, with L2 strength chosen on the probe's own training labels.

Contract: the objective is scikit-learn's `LogisticRegression` objective with soft targets
p ∈ [0, 1] (exactly its problem on 0/1 labels); C is chosen by k-fold cross-validation on the
probe's own training labels, so a weak-to-strong probe never sees a gold label. A probe's objective
(`objectives.py`: soft_ce, hard_ce, logconf, knn) only sets the soft targets this solver is given.
`fit_probes` solves every (layer × label set × C × fold) problem of a revision in batched,
preconditioned L-BFGS (docs/performance.md), logconf's outer rounds batched across its problems.
numpy only: a probes job never imports torch.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from pipeline.config import DEFAULT_CS, SELECTION_RULES
from pipeline.probing.objectives import (
    ObjectiveSettings,
    check_objectives,
    initial_targets,
    logconf_alphas,
    logconf_targets,
    own_labels,
)

# on ‖∇‖₂ of the objective divided by the total example weight (sklearn's scaling, where its
# default is 1e-4 on max |∂|): at 1e-5 the coefficients sit within ~0.1% of the optimum
TOL = 1e-5
MAX_ITER = 1000
MEMORY = 10  # L-BFGS curvature pairs kept
ARMIJO = 1e-4
MAX_HALVINGS = 30


class LogisticFit(NamedTuple):
    """Solutions of k problems: coefficients (k, d), intercepts (k,), whether ‖∇‖ reached the
    tolerance (k,), and iterations used (k,)."""

    coef: np.ndarray
    intercept: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray


def _softplus(t: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, t)


def sigmoid(t: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^−t)."""
    return 0.5 * (1.0 + np.tanh(0.5 * t))  # no overflow warnings for large |t|


class _Objective:
    """Mean-scaled objectives of k problems sharing the design. Rows of `theta` are problems,
    the last coordinate is the intercept; `logits` (k, n) are theta's products with the design."""

    def __init__(self, design: np.ndarray, p: np.ndarray, w: np.ndarray, inv_c: np.ndarray):
        self.design = design  # (n, d + 1), float32
        self.p, self.w, self.inv_c = p, w, inv_c
        self.total = w.sum(1)

    def product(self, v: np.ndarray) -> np.ndarray:
        return (v.astype(np.float32) @ self.design.T).astype(np.float64)

    def value(self, theta: np.ndarray, logits: np.ndarray, rows: np.ndarray) -> np.ndarray:
        ce = (self.w[rows] * (_softplus(logits) - self.p[rows] * logits)).sum(1)
        return (ce + 0.5 * self.inv_c[rows] * (theta[:, :-1] ** 2).sum(1)) / self.total[rows]

    def residual(self, logits: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """∂(weighted CE)/∂logits."""
        return self.w[rows] * (sigmoid(logits) - self.p[rows])

    def gradient(self, theta: np.ndarray, logits: np.ndarray, rows: np.ndarray) -> np.ndarray:
        grad = (self.residual(logits, rows).astype(np.float32) @ self.design).astype(np.float64)
        grad[:, :-1] += self.inv_c[rows, None] * theta[:, :-1]
        return grad / self.total[rows, None]


def _principal_axes(centered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal axes (d, d) and per-axis variances of centered float32 features."""
    gram = (centered.T @ centered).astype(np.float64) / len(centered)
    variances, axes = np.linalg.eigh(gram)
    return axes, np.clip(variances, 0.0, None)


def _two_loop(grad: np.ndarray, s: np.ndarray, y: np.ndarray, rho: np.ndarray, h0: np.ndarray,
              order: list[int]) -> np.ndarray:
    """L-BFGS direction −H·grad for each row; pairs with rho = 0 are skipped, `order` is newest first."""
    q = grad.copy()
    alpha = {}
    for j in order:
        alpha[j] = rho[j] * np.einsum("kd,kd->k", s[j], q)
        q -= alpha[j][:, None] * y[j]
    r = h0 * q
    for j in reversed(order):
        beta = rho[j] * np.einsum("kd,kd->k", y[j], r)
        r += (alpha[j] - beta)[:, None] * s[j]
    return -r


def _lbfgs(objective: _Objective, h: np.ndarray, theta: np.ndarray, max_iter: int,
           tol: float) -> tuple[np.ndarray, ...]:
    """Minimize every problem from its row of `theta`; `h` (k, d + 1) is the diagonal preconditioner.

    Problems leave the batch once ‖∇‖₂ ≤ tol (converged) or a line search fails (stalled).
    Returns theta, converged and iterations per problem.
    """
    k, d1 = h.shape
    theta, logits = theta.copy(), objective.product(theta)
    grad = objective.gradient(theta, logits, np.arange(k))
    s, y, rho = np.zeros((MEMORY, k, d1)), np.zeros((MEMORY, k, d1)), np.zeros((MEMORY, k))
    gamma = np.ones(k)  # scale of the initial inverse Hessian, from the newest pair
    converged = np.linalg.norm(grad, axis=1) <= tol
    active = ~converged
    n_iter = np.zeros(k, dtype=int)
    for it in range(max_iter):
        rows = np.flatnonzero(active)
        if len(rows) == 0:
            break
        order = [(it - 1 - j) % MEMORY for j in range(min(it, MEMORY))]
        direction = _two_loop(grad[rows], s[:, rows], y[:, rows], rho[:, rows], gamma[rows, None] / h[rows], order)
        step, accepted = _line_search(objective, rows, theta[rows], logits[rows], direction)
        step = np.where(accepted, step, 0.0)[:, None]  # a failed line search keeps the point: stalled
        theta[rows] += step * direction
        logits[rows] += step * objective.product(direction)
        new_grad = objective.gradient(theta[rows], logits[rows], rows)
        s_new, y_new = step * direction, new_grad - grad[rows]
        sy = np.einsum("kd,kd->k", s_new, y_new)
        ok = sy > 1e-12 * np.linalg.norm(s_new, axis=1) * np.linalg.norm(y_new, axis=1)
        slot = it % MEMORY
        s[slot, rows], y[slot, rows] = s_new, y_new
        rho[slot] = 0.0
        rho[slot, rows] = np.where(ok, 1.0 / np.where(ok, sy, 1.0), 0.0)
        yhy = np.einsum("kd,kd->k", y_new, y_new / h[rows])
        gamma[rows] = np.where(ok, sy / np.where(ok, yhy, 1.0), gamma[rows])
        grad[rows] = new_grad
        n_iter[rows] += 1
        converged[rows] = np.linalg.norm(new_grad, axis=1) <= tol
        active[rows] = accepted & ~converged[rows]
    return theta, converged, n_iter


def _line_search(objective: _Objective, rows: np.ndarray, theta: np.ndarray, logits: np.ndarray,
                 direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backtracking from step 1 until Armijo's sufficient decrease holds, per problem.

    The logits move along one product with the design, so trying a step costs no product
    and the 1-D objective and its slope are evaluated consistently in float64 (a float32
    product per trial would make the comparison noisy near the optimum).
    Returns the steps and which problems found one.
    """
    delta = objective.product(direction)
    value = objective.value(theta, logits, rows)
    penalty_slope = objective.inv_c[rows] * np.einsum("kd,kd->k", theta[:, :-1], direction[:, :-1])
    slope = ((objective.residual(logits, rows) * delta).sum(1) + penalty_slope) / objective.total[rows]
    step = np.ones(len(rows))
    todo = np.flatnonzero(slope < 0)  # otherwise round-off has swamped the gradient: stalled
    failed = np.flatnonzero(slope >= 0)
    for _ in range(MAX_HALVINGS):
        trial = objective.value(theta[todo] + step[todo, None] * direction[todo],
                                logits[todo] + step[todo, None] * delta[todo], rows[todo])
        # written so that a non-finite trial (an overflowing unpenalised fit) counts as no decrease
        todo = todo[~(trial <= value[todo] + ARMIJO * step[todo] * slope[todo])]
        if len(todo) == 0:
            break
        step[todo] /= 2
    accepted = np.ones(len(rows), dtype=bool)
    accepted[np.r_[todo, failed]] = False
    return step, accepted


def fit_logistic_batch(
    x: np.ndarray, p: np.ndarray, weights: np.ndarray, cs: np.ndarray, max_iter: int = MAX_ITER, tol: float = TOL,
    init: LogisticFit | None = None,
) -> LogisticFit:
    """Solve k L2-logistic problems on shared features `x` (n, d).

    `p` (k, n) or (n,) soft labels, `weights` (k, n) per-example weights (0 drops an example,
    e.g. outside a CV fold), `cs` (k,) inverse L2 strengths (inf: unpenalised; on separable data
    it has no finite optimum and stops at `max_iter`, unconverged). Convergence: ‖∇‖₂ ≤ `tol` for the
    objective divided by the problem's total weight; `converged` says which problems got there
    within `max_iter` iterations. `init`: a fit of the same k problems to start from (else zero).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), w.shape)
    cs = np.asarray(cs, dtype=np.float64)
    if x.ndim != 2 or w.shape != (len(cs), len(x)):
        raise ValueError(f"features {x.shape}, weights {w.shape} and {len(cs)} Cs do not line up")
    if np.any(cs <= 0):
        raise ValueError(f"Cs must be positive, got {cs.tolist()}")
    if np.any(w.sum(1) <= 0):
        raise ValueError("every problem needs an example of positive weight")
    # centering leaves the optimum unchanged (the intercept is free) and decouples it from β
    mean = x.mean(0)
    centered = (x - mean).astype(np.float32)
    axes, variances = _principal_axes(centered)
    design = np.hstack([centered @ axes.astype(np.float32), np.ones((len(x), 1), dtype=np.float32)])
    objective = _Objective(design, p, w, 1.0 / cs)
    # the Hessian at β = 0 in the principal axes, where σ(1 − σ) = 1/4 (fold weights ≈ uniform)
    h = np.hstack([variances / 4 + (1 / cs / w.sum(1))[:, None], np.full((len(cs), 1), 0.25)])
    # unpenalised (C = inf), an axis of no variance would get h = 0: its gradient is 0 too, so a
    # floor keeps the direction finite (0 there) without changing any other axis
    h = np.maximum(h, 1e-12 * h.max(1, keepdims=True))
    theta = np.zeros((len(cs), design.shape[1]))
    if init is not None:  # into the centered principal-axes coordinates of the design
        theta = np.hstack([init.coef @ axes, (init.intercept + init.coef @ mean)[:, None]])
    theta, converged, n_iter = _lbfgs(objective, h, theta, max_iter, tol)
    coef = theta[:, :-1] @ axes.T
    return LogisticFit(coef, theta[:, -1] - coef @ mean, converged, n_iter)


def fold_masks(p: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """(folds, n) boolean masks of held-out rows, stratified on the hard labels p >= 0.5."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(p), dtype=int)
    for cls in (False, True):
        rows = np.flatnonzero((p >= 0.5) == cls)
        assignment[rng.permutation(rows)] = np.arange(len(rows)) % folds
    return assignment[None, :] == np.arange(folds)[:, None]


@dataclass
class LogisticProbe:
    """Standardized features, then L2 logistic regression on targets made from soft labels by
    `objective` (`objectives.OBJECTIVES`); C chosen by CV on the probe's own training labels, by
    the rule `selection` (`choose_c`). `cv_losses_` and `cv_errors_`: each C's CV loss and its
    standard error.

    Parameters live in `__init__`; fitted state ends with an underscore.
    """

    cs: Sequence[float] = DEFAULT_CS
    folds: int = 5
    seed: int = 0
    max_iter: int = MAX_ITER
    objective: str = "soft_ce"
    selection: str = "min"
    settings: ObjectiveSettings = field(default_factory=ObjectiveSettings)
    cv_losses_: dict[float, float] = field(default_factory=dict, init=False)
    cv_errors_: dict[float, float] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        check_objectives([self.objective])
        _check_selection(self.selection)

    def fit(self, x: np.ndarray, p: np.ndarray) -> LogisticProbe:
        _fit_into([[self]], [x], np.asarray(p, dtype=np.float64)[:, None])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probability of class 1 for each row."""
        z = (np.asarray(x, dtype=np.float64) - self.mean_) / self.scale_
        return sigmoid(z @ self.coef_ + self.intercept_)

    def predict_proba_path(self, x: np.ndarray) -> np.ndarray:
        """Probability of class 1 for each row (columns) under the full-data fit at every C of
        the path (rows, in the order of `cs`): the fixed-C sweep beside the CV choice."""
        z = (np.asarray(x, dtype=np.float64) - self.mean_) / self.scale_
        return sigmoid(self.path_coef_ @ z.T + self.path_intercept_[:, None])

    @property
    def c_at_edge_(self) -> bool:
        """Whether the chosen C is the smallest or the largest of the path."""
        return self.c_ in (min(self.cs), max(self.cs))


def fit_probes(
    features: Sequence[np.ndarray], labels: np.ndarray, cs: Sequence[float] = DEFAULT_CS, folds: int = 5,
    seed: int = 0, objectives: Sequence[str] | None = None, settings: ObjectiveSettings | None = None,
    selection: str = "min",
) -> list[list[LogisticProbe]]:
    """Fitted probes [layer][label set]: `features` (n, d) per layer, `labels` (n, S) one column
    of soft labels per label set, `objectives` one name per column (default all "soft_ce"; see
    `objectives.OBJECTIVES`); each probe picks C by CV on its own label column, by the rule
    `selection` (`choose_c`)."""
    labels = np.asarray(labels, dtype=np.float64)
    if len(features) == 0:
        raise ValueError("fit_probes needs features of at least one layer")
    n_sets = labels.shape[-1]
    objectives = check_objectives(objectives if objectives is not None else ["soft_ce"] * n_sets)
    if len(objectives) != n_sets:
        raise ValueError(f"{len(objectives)} objectives for {n_sets} label sets")
    settings = settings or ObjectiveSettings()
    probes = [[LogisticProbe(cs, folds, seed, objective=name, selection=selection, settings=settings)
               for name in objectives]
              for _ in features]
    _fit_into(probes, features, labels)
    return probes


def _problems(labels: np.ndarray, cs: np.ndarray, folds: int, seed: int) -> tuple[np.ndarray, ...]:
    """Rows of one layer's batch: per label set, per C, the CV folds (none for a single C) then
    the full-data fit. Returns the training weights (label set, C, fold + 1, n) and Cs (label
    set, C, fold + 1), and the held-out masks (label set, C, fold, n)."""
    n, n_sets = labels.shape
    n_folds = folds if len(cs) > 1 else 0
    held = np.stack([fold_masks(labels[:, s], folds, seed)[:n_folds] for s in range(n_sets)])
    held = np.broadcast_to(held[:, None], (n_sets, len(cs), n_folds, n))
    weights = np.concatenate([~held, np.ones((n_sets, len(cs), 1, n), dtype=bool)], axis=2)
    return weights, np.broadcast_to(cs[None, :, None], weights.shape[:3]), held


def _fit_into(probes: list[list[LogisticProbe]], features: Sequence[np.ndarray], labels: np.ndarray) -> None:
    """Fit `probes[layer][label set]` (the same settings but their objectives) in one batch per layer."""
    settings = probes[0][0]
    objectives = [probe.objective for probe in probes[0]]
    cs = np.asarray(settings.cs, dtype=np.float64)
    if labels.ndim != 2 or np.any((labels < 0) | (labels > 1)):
        raise ValueError("labels must lie in [0, 1], one column per label set")
    if settings.folds < 2:
        raise ValueError(f"folds must be at least 2, got {settings.folds}")
    weights, c_grid, held = _problems(labels, cs, settings.folds, settings.seed)
    grid = weights.shape[:3]  # label set, C, folds then the full fit
    selection = np.stack([own_labels(name, labels[:, s]) for s, name in enumerate(objectives)], axis=1)
    for layer_probes, x in zip(probes, features, strict=True):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or len(x) != len(labels):
            raise ValueError(f"features of shape {x.shape} do not match {len(labels)} labels")
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-8
        z = (x - mean) / scale
        fit = _fit_objectives(z, labels, weights, c_grid, objectives, settings)
        coef, intercept = fit.coef.reshape(*grid, -1), fit.intercept.reshape(grid)
        cv, cv_se = (_cv_losses(z, selection, coef[:, :, :-1], intercept[:, :, :-1], held) if len(cs) > 1
                     else (None, None))
        for s, probe in enumerate(layer_probes):
            chosen = choose_c(cs, cv[s], cv_se[s], settings.selection) if cv is not None else 0
            probe.mean_, probe.scale_ = mean, scale
            probe.c_ = float(cs[chosen])
            probe.cv_losses_ = dict(zip(cs.tolist(), cv[s].tolist())) if cv is not None else {}
            probe.cv_errors_ = dict(zip(cs.tolist(), cv_se[s].tolist())) if cv is not None else {}
            probe.coef_, probe.intercept_ = coef[s, chosen, -1], float(intercept[s, chosen, -1])
            probe.path_coef_, probe.path_intercept_ = coef[s, :, -1], intercept[s, :, -1]
            # the chosen C's fits only: an unpenalised fit of separable data never converges, and its
            # held-out loss keeps it from being chosen
            probe.converged_ = bool(fit.converged.reshape(grid)[s, chosen].all())
            if not probe.converged_:
                warnings.warn(f"logistic probe (label set {s}) did not reach ‖∇‖ ≤ {TOL} at its chosen C "
                              f"{probe.c_} within {settings.max_iter} iterations", RuntimeWarning, stacklevel=3)


def _fit_objectives(z: np.ndarray, labels: np.ndarray, weights: np.ndarray, c_grid: np.ndarray,
                    objectives: Sequence[str], probe: LogisticProbe) -> LogisticFit:
    """Every problem of one layer in one batch; logconf's later rounds refit only its problems,
    all label sets together, each from its previous round's fit."""
    n = len(z)
    train = weights.reshape(len(objectives), -1, n)  # label set, problem, n
    p = np.concatenate([initial_targets(name, z, labels[:, s], train[s], probe.settings)
                        for s, name in enumerate(objectives)])
    w, c = weights.reshape(-1, n).astype(np.float64), c_grid.reshape(-1)
    fit = fit_logistic_batch(z, p, w, c, max_iter=probe.max_iter)
    rows = np.flatnonzero(np.repeat([name == "logconf" for name in objectives], train.shape[1]))
    if len(rows) == 0:
        return fit
    weak = np.repeat(labels.T, train.shape[1], axis=0)[rows]
    sub = LogisticFit(*(a[rows] for a in fit))
    for alpha in logconf_alphas(probe.settings)[1:]:
        logits = sub.coef @ z.T + sub.intercept[:, None]
        targets = logconf_targets(weak, logits, w[rows] > 0, alpha)
        sub = fit_logistic_batch(z, targets, w[rows], c[rows], max_iter=probe.max_iter, init=sub)
    for full, part in zip(fit, sub):
        full[rows] = part
    return fit


def _cv_losses(z: np.ndarray, labels: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
               held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The held-out cross-entropy against `labels` (n, label set): its mean over folds (label set,
    C), and its standard error from the spread of the n per-example losses (each example is held
    out once)."""
    logits = (coef @ z.T) + intercept[..., None]
    ce = np.where(held, _softplus(logits) - labels.T[:, None, None, :] * logits, 0.0)
    per_example = ce.sum(2)  # label set, C, n
    return (ce.sum(-1) / held.sum(-1)).mean(-1), per_example.std(-1) / np.sqrt(per_example.shape[-1])


def _check_selection(rule: str) -> str:
    if rule not in SELECTION_RULES:
        raise ValueError(f"unknown C selection rule {rule!r}; allowed: {list(SELECTION_RULES)}")
    return rule


def choose_c(cs: np.ndarray, losses: np.ndarray, errors: np.ndarray, rule: str) -> int:
    """Index of the chosen C: the least CV loss ("min", scikit-learn's LogisticRegressionCV); or
    ("one_se", Hastie et al. 2009 §7.10, glmnet's lambda.1se) the smallest C whose CV loss is
    within one standard error of the least. A non-finite loss is never chosen."""
    losses = np.where(np.isfinite(losses), losses, np.inf)
    best = int(np.argmin(losses))
    if _check_selection(rule) == "min":
        return best
    order = np.argsort(cs)
    return int(order[np.flatnonzero(losses[order] <= losses[best] + errors[best])[0]])
