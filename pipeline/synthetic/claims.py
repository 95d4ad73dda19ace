"""The six claims read off the simulations' tables: the arithmetic behind them and the summary.

Contract: every `claim_*(tables, cfg)` takes the tables keyed by `simulations.EXPERIMENTS` and
returns one summary row {claim, name, holds, value, reference, detail}; `summary` stacks them in
the order of `CLAIMS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.analysis.transition import DetectionConfig, detect_seed_curve
from pipeline.analysis.transition.fits import WIDTH_FACTOR
from pipeline.synthetic.config import SyntheticConfig
from pipeline.synthetic.simulations import PRETRAIN_FACTOR

# a path has converged when its final overlap with θ* is this close to that of w̄
CONVERGED_TOLERANCE = 0.05
# the plateau is the mean error over this last fraction of the steps
PLATEAU_FRACTION = 0.2
# claim 1: the largest allowed |mean overlap − BBP| for N ≥ 2N*
GEOMETRY_TOLERANCE = 0.03
# claim 6 holds if the fitted C is at most this multiple of max_seeds err_0 − floor
BOUND_SLACK = 2.0
# claim 2: a student fails if its final |⟨w, θ*⟩| is below NEAR_ZERO (warm starts end near 0.96)
# and its error above the noise-free supervisor's, and succeeds if its |⟨w, θ*⟩| ends at
# NEAR_ZERO or above; the claim asks either of SHARE of the seeds per start and label set, since a
# rare lucky start (|⟨w₀, θ*⟩| ≈ 3/√d) can escape
NEAR_ZERO = 0.3
SHARE = 0.9
# the secant ratio ⟨∇L, w − w̄⟩/‖w − w̄‖² is 0/0 at w̄ itself: skip points closer than this
MIN_DIST2 = 1e-6

Tables = Mapping[str, pd.DataFrame]


def _row(claim: int, name: str, holds: bool, value: float, reference: float, detail: str) -> dict:
    return {"claim": claim, "name": name, "holds": holds, "value": value, "reference": reference, "detail": detail}


# ---------------------------------------------------------------- 1 warm-start geometry


def rms_overlap(table: pd.DataFrame) -> pd.DataFrame:
    """Root-mean-square overlap over seeds per N, beside the theory: BBP predicts the squared
    overlap, and the mean of |overlap| would sit below its square root by Jensen's inequality."""
    return table.groupby("N", as_index=False).agg(
        overlap=("overlap", lambda v: float(np.sqrt(np.mean(np.square(v))))), theory=("theory", "first")
    )


def claim_geometry(tables: Tables, cfg: SyntheticConfig) -> dict:
    mean = rms_overlap(tables["geometry"]).set_index("N")
    error = (mean["overlap"] - mean["theory"]).abs()
    worst = float(error[mean.index >= 2 * cfg.n_star].max())
    # the smallest N from which every larger N on the grid is within the tolerance
    sizes, ok, i = mean.index.to_numpy(), (error <= GEOMETRY_TOLERANCE).to_numpy(), len(mean)
    while i > 0 and ok[i - 1]:
        i -= 1
    from_n = sizes[i] if i < len(sizes) else math.nan
    detail = (f"max |rms <w0,θ*> − BBP| over N ≥ 2N* = {worst:.3f}; "
              f"within {GEOMETRY_TOLERANCE} for all N ≥ {from_n} = {from_n / cfg.n_star:.1f}·N* "
              f"(max there {error[mean.index >= from_n].max():.3f}); at N={mean.index[-1]}: "
              f"{mean['overlap'].iloc[-1]:.3f} vs {mean['theory'].iloc[-1]:.3f}")
    return _row(1, "geometry", worst <= GEOMETRY_TOLERANCE, worst, GEOMETRY_TOLERANCE, detail)


# ---------------------------------------------------------------- 2 pre-training is required


def start_outcomes(table: pd.DataFrame) -> pd.DataFrame:
    """Per start and label set: the share of seeds that fail and that succeed, the median final
    |overlap| (and its max) and the median test error."""
    end = table[table["step"] == table["step"].max()]
    end = end.assign(abs_overlap=end["overlap"].abs(),
                     failed=(end["overlap"].abs() < NEAR_ZERO) & (end["test_error"] > end["err_sup"]),
                     succeeded=end["overlap"].abs() >= NEAR_ZERO)
    start = table[table["step"] == 0].groupby(["start", "labels"])["overlap"].apply(lambda v: v.abs().median())
    out = end.groupby(["start", "labels"]).agg(
        failed=("failed", "mean"), succeeded=("succeeded", "mean"), overlap=("abs_overlap", "median"),
        overlap_max=("abs_overlap", "max"), test_error=("test_error", "median"), err_sup=("err_sup", "mean"))
    return out.assign(start_overlap=start).reset_index()


def claim_pretraining(tables: Tables, cfg: SyntheticConfig) -> dict:
    out = start_outcomes(tables["pretraining"]).set_index(["start", "labels"])
    detail = "; ".join(
        f"{start}/{labels}: start |overlap| {r.start_overlap:.2f} → {r.overlap:.2f} (max {r.overlap_max:.2f}), "
        f"error {r.test_error:.2f}, {r.failed:.0%} fail, {r.succeeded:.0%} succeed"
        for (start, labels), r in out.iterrows())
    detail += (f"; n_train = {cfg.n_train} = {cfg.n_train / cfg.n_star:.2f}·N*, pre-training N = "
               f"{PRETRAIN_FACTOR:g}·N*; noise-free supervisor error {out['err_sup'].mean():.2f}")
    without = out.loc[["random", "own inputs"], "failed"]
    with_pre = out.loc["pre-trained", "succeeded"]
    holds = bool((without >= SHARE).all() and (with_pre >= SHARE).all())
    return _row(2, "pretraining", holds, float(without.min()), SHARE, detail)


# ---------------------------------------------------------------- 3 phase transition


def transition_location(x: np.ndarray, y: np.ndarray, level: float = 0.5) -> float:
    """First upward crossing of `level` by y(x), interpolated linearly in log x; NaN if none.
    Kept small and self-contained so that a shared change-point detector can replace it."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    for i in range(1, len(x)):
        if y[i - 1] < level <= y[i]:
            frac = (level - y[i - 1]) / (y[i] - y[i - 1])
            return float(np.exp(np.log(x[i - 1]) + frac * (np.log(x[i]) - np.log(x[i - 1]))))
    return math.nan


def shared_detector(table: pd.DataFrame, column: str = "beats") -> dict:
    """The fraction of seeds with `column` true vs N, through the same detector as the checkpoint
    branch (N in place of the step), the seed as the unit of uncertainty."""
    beats = table.pivot_table(index="seed", columns="N", values=column, aggfunc="mean")
    return detect_seed_curve(beats.columns.to_numpy(float), beats.to_numpy(), config=DetectionConfig(min_effect=0.2))


def sigmoid_n(result: Mapping) -> dict[str, float]:
    """The detector's sigmoid on the log axis, back in N: midpoint with its interval, and the N at
    10 % and 90 % of the rise."""
    x0, width = result.get("sigmoid_x", math.nan), WIDTH_FACTOR / result.get("sigmoid_k", math.nan)
    points = np.array([x0, result.get("sigmoid_x_lo", math.nan), result.get("sigmoid_x_hi", math.nan),
                       x0 - width / 2, x0 + width / 2])
    return dict(zip(("mid", "mid_lo", "mid_hi", "n10", "n90"), (10**points - 1).tolist()))


def transition_curve(table: pd.DataFrame) -> pd.DataFrame:
    """Per N: fraction of seeds whose student beats the noise-free supervisor (trained on its labels:
    `fraction`; on its noise-free labels: `fraction_bias`), mean errors, gain and its two parts, PGR."""
    return table.groupby(["factor", "N"], as_index=False).agg(
        fraction=("beats", "mean"), fraction_bias=("beats_bias", "mean"), gain=("gain", "mean"),
        bias_part=("bias_part", "mean"), noise_part=("noise_part", "mean"), pgr=("pgr", "mean"),
        err_w2s=("err_w2s", "mean"), err_w2s_clean=("err_w2s_clean", "mean"), err_sup=("err_sup", "mean"),
        err_sup_noisy=("err_sup_noisy", "mean"), err_ceiling=("err_ceiling", "mean"),
        start_overlap=("start_overlap", "mean"), final_overlap=("final_overlap", "mean"))


def _located(result: Mapping) -> str:
    n = sigmoid_n(result)
    return f"{result['verdict']}, sigmoid midpoint N = {n['mid']:.0f} (95% CI {n['mid_lo']:.0f}–{n['mid_hi']:.0f})"


def claim_transition(tables: Tables, cfg: SyntheticConfig) -> dict:
    """W2SG switches on past N*: the fraction of seeds whose W2S student (on the supervisor's labels)
    beats the noise-free supervisor rises from ≤ 0.2 to ≥ 0.9 across the grid. The headline value is
    the mean gain over the noise-free supervisor at the largest N: positive iff W2S beats its bias."""
    table = tables["transition"]
    curve = transition_curve(table)
    loc, loc_bias = (transition_location(curve["N"], curve[c]) for c in ("fraction", "fraction_bias"))
    past = table[table["N"] >= 2 * cfg.n_star]
    top = table[table["N"] == table["N"].max()]
    m = top.mean(numeric_only=True)
    first, last = curve.iloc[0], curve.iloc[-1]
    beats_bias = "yes" if m["gain"] > 0 else "no"
    detail = (f"at the largest N = {last['N']:.0f} = {last['factor']:g}·N*: W2S beats the supervisor's bias: "
              f"{beats_bias}, "
              f"error {m['err_w2s']:.3f} vs the noise-free supervisor's {m['err_sup']:.3f} (gain {m['gain']:+.3f} = "
              f"bias part {m['bias_part']:+.3f} + noise part {m['noise_part']:+.3f}; "
              f"{top['beats'].mean():.0%} of seeds beat it); on the noise-free labels {m['err_w2s_clean']:.3f} "
              f"({top['beats_bias'].mean():.0%} beat it); noisy supervisor labels {m['err_sup_noisy']:.3f}, ceiling "
              f"{m['err_ceiling']:.3f}, PGR {m['pgr']:.2f}; over all N ≥ 2N*: gain {past['gain'].mean():+.3f} = "
              f"bias part {past['bias_part'].mean():+.3f} + noise part {past['noise_part'].mean():+.3f}, "
              f"{past['beats'].mean():.0%} of seed×N beat it; fraction beating the noise-free supervisor "
              f"{first['fraction']:.1f} at N={first['N']:.0f} → {last['fraction']:.1f} at N={last['N']:.0f}, "
              f"crossing 0.5 at N ≈ {loc:.0f}; detector: {_located(shared_detector(table))}; "
              f"bias part alone (noise-free labels): {first['fraction_bias']:.1f} → {last['fraction_bias']:.1f}, "
              f"crossing 0.5 at N ≈ {loc_bias:.0f} = {loc_bias / cfg.n_star:.2f}·N*, detector: "
              f"{_located(shared_detector(table, 'beats_bias'))} (N* = {cfg.n_star:.0f})")
    holds = bool(first["fraction"] <= 0.2 and last["fraction"] >= 0.9 and math.isfinite(loc))
    return _row(3, "transition", holds, float(m["gain"]), 0.0, detail)


# ---------------------------------------------------------------- 4 improve, then saturate


def plateaus(table: pd.DataFrame) -> pd.DataFrame:
    """Per α: the mean error at the start, its lowest point (early stopping), over the last
    PLATEAU_FRACTION of steps (the plateau) and at the last step, and the supervisor's errors
    (noise-free: `err_sup`, the baseline; its noisy labels: `err_sup_noisy`)."""
    last = table["step"].max()
    late = table[table["step"] >= (1 - PLATEAU_FRACTION) * last]
    out = late.groupby("alpha").agg(plateau=("err_w2s", "mean"), err_sup=("err_sup", "mean"),
                                    err_sup_noisy=("err_sup_noisy", "mean"), floor=("floor", "first"))
    by_step = table.groupby(["alpha", "step"])["err_w2s"].mean()
    out["start"] = by_step.xs(0, level="step")
    out["lowest"] = by_step.groupby("alpha").min()
    out["final"] = by_step.xs(last, level="step")
    return out.reset_index()


def claim_saturation(tables: Tables, cfg: SyntheticConfig) -> dict:
    """The error falls, then plateaus; the plateaus rise with α; each below its noise-free supervisor."""
    pl = plateaus(tables["saturation"])
    ordered = bool(np.all(np.diff(pl["plateau"]) > 0))
    below = bool((pl["plateau"] < pl["err_sup"]).all())
    falls = bool((pl["start"] > pl["plateau"]).all())
    detail = "; ".join(f"α={r.alpha:g}: start {r.start:.2f} → lowest {r.lowest:.2f} → plateau {r.plateau:.2f} "
                       f"(derived floor {r.floor:.2f}), noise-free supervisor {r.err_sup:.2f} "
                       f"({'beaten' if r.plateau < r.err_sup else 'not beaten'}), its noisy labels "
                       f"{r.err_sup_noisy:.2f}" for r in pl.itertuples())
    detail += f"; falls {falls}, plateaus rise with α {ordered}, all below the noise-free supervisor {below}"
    return _row(4, "saturation", ordered and below and falls, float(pl["plateau"].iloc[-1]),
                float(pl["err_sup"].iloc[-1]), detail)


# ---------------------------------------------------------------- 5 effective region


@dataclass(frozen=True)
class Region:
    """paths: one row per (seed, r0) with mu_path (the smallest secant ratio along the path),
    converged and satisfies; r0_star: the smallest start overlap from which every larger one
    satisfies the inequality on every seed (NaN if none); mu: the constant that then holds on all
    those paths; mu_horizon: the threshold a path's constant must reach."""

    paths: pd.DataFrame
    r0_star: float
    mu: float
    mu_horizon: float


def region(table: pd.DataFrame, cfg: SyntheticConfig) -> Region:
    """The restricted-secant inequality ⟨∇L(w), w − w̄⟩ ≥ μ‖w − w̄‖² along each path.

    A path stuck at a spurious critical point has ∇L → 0 far from w̄, so its smallest ratio
    falls to about 0; a path that converges keeps it near the local curvature. The threshold
    μ_T = 1/(2ηT) is derived, not fitted: by the inequality, ‖w − w̄‖² ≤ (1 − 2ημ)^t‖w₀ − w̄‖²
    ≈ e^{−2ημt} to first order in η, so μ ≥ μ_T shrinks the distance at least e-fold within the
    T steps."""
    ratio = table["secant"] / table["dist2"]
    valid = table.assign(ratio=ratio.where(table["dist2"] > MIN_DIST2))
    last = valid[valid["step"] == valid["step"].max()].set_index(["seed", "r0"])
    paths = valid.groupby(["seed", "r0"]).agg(mu_path=("ratio", "min")).join(last[["overlap", "wbar_overlap"]])
    paths["converged"] = (paths["overlap"] - paths["wbar_overlap"]).abs() <= CONVERGED_TOLERANCE
    mu_horizon = 1 / (2 * cfg.eta * cfg.steps)
    paths["satisfies"] = paths["mu_path"] >= mu_horizon
    by_start = paths.groupby("r0")["satisfies"].all().sort_index()
    # the smallest r0 such that it and every larger start satisfy the inequality on all seeds
    r0_star = math.nan
    for r, ok in zip(by_start.index[::-1], by_start.to_numpy()[::-1]):
        if not ok:
            break
        r0_star = r
    paths = paths.reset_index()
    inside = paths[paths["r0"] >= r0_star]
    mu = float(inside["mu_path"].min()) if len(inside) else math.nan
    return Region(paths=paths, r0_star=r0_star, mu=mu, mu_horizon=mu_horizon)


def claim_effective_region(tables: Tables, cfg: SyntheticConfig) -> dict:
    reg = region(tables["effective_region"], cfg)
    paths = reg.paths
    inside = paths["r0"] >= reg.r0_star  # all False when r0* is NaN
    conv_above = float(paths[inside]["converged"].mean()) if inside.any() else math.nan
    conv_below = float(paths[~inside]["converged"].mean()) if (~inside).any() else math.nan
    gap = float(tables["effective_region"]["wbar_gap"].max())
    detail = (f"r0* = {reg.r0_star:g}; μ = {reg.mu:.3f} (threshold 1/(2ηT) = {reg.mu_horizon:.3f}); "
              f"converged: {conv_above:.2f} of paths from r0 ≥ r0*, {conv_below:.2f} below; "
              f"w̄ from θ_w vs from θ*: max distance {gap:.1e}")
    holds = bool(math.isfinite(reg.r0_star) and conv_above >= 0.9 and conv_below <= 0.5)
    return _row(5, "effective_region", holds, reg.r0_star, reg.mu_horizon, detail)


# ---------------------------------------------------------------- 6 the bound


def claim_bound(tables: Tables, cfg: SyntheticConfig) -> dict:
    bnd = tables["bound"]
    if not len(bnd):
        return _row(6, "bound", False, math.nan, math.nan, "no start overlap inside the effective region")
    first_start = bnd[bnd["r0"] == bnd["r0"].min()]
    fin = first_start[first_start["step"] == first_start["step"].max()].iloc[0]
    detail = (f"μ = {fin['mu']:.3f}, 1 − ημ = {fin['rate']:.5f}; C = {fin['C']:.2f} at r0 = {fin['r0']:g} "
              f"({fin['C_over_initial_gap']:.2f}× the initial gap; max over starts "
              f"{bnd['C_over_initial_gap'].max():.2f}×); at T: bound {fin['bound']:.2f}, mean error "
              f"{fin['err_mean']:.2f}, derived floor {fin['floor']:.2f}")
    # C is fitted so the bound holds; what can fail is its size: C within BOUND_SLACK of the
    # initial gap means the RSI rate and the derived floor explain the whole trajectory
    return _row(6, "bound", bool((bnd["C_over_initial_gap"] <= BOUND_SLACK).all()), float(fin["C"]),
                float(fin["floor"]), detail)


# ---------------------------------------------------------------- summary


CLAIMS: list[Callable[[Tables, SyntheticConfig], dict]] = [
    claim_geometry, claim_pretraining, claim_transition, claim_saturation, claim_effective_region, claim_bound,
]


def summary(tables: Tables, cfg: SyntheticConfig) -> pd.DataFrame:
    """One row per claim: whether it holds, its headline number, the reference it is read
    against, and the other numbers that back it."""
    return pd.DataFrame([claim(tables, cfg) for claim in CLAIMS])
