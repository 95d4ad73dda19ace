"""The six experiments of the synthetic branch as simulations, each returning a tidy DataFrame.

Contract: `EXPERIMENTS` names the six tables in order; the first five come from `SIMULATIONS`
(config -> frame), the sixth from `bound(cfg, effective_region_table, r0_star, mu)`. Nothing here
judges a claim (see `claims`) or writes a file (see `run`). θ* is read only through the Problem:
to generate data and starts, and to score.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.probing.metrics import pgr
from pipeline.synthetic.config import SyntheticConfig
from pipeline.synthetic.dynamics import (
    Trajectory,
    choose_sign,
    descend,
    minimizer,
    random_directions,
    spectral_directions,
)
from pipeline.synthetic.model import Problem, make_problem
from pipeline.synthetic.theory import bbp_overlap_sq, error_floor

# Claims 2 and 4 warm-start from a spectral initialisation with N = 4·N*: its BBP overlap
# sqrt((1 − 1/4)/(1 + κ/4)) is well inside the effective region yet leaves the error well above
# every plateau, so "falls, then plateaus" is visible for every α.
PRETRAIN_FACTOR = 4.0


def problem(cfg: SyntheticConfig, seeds: int | None = None) -> Problem:
    return make_problem(d=cfg.d, kappa=cfg.kappa, k=cfg.link_degree, sigma_w=cfg.sigma_w, n_train=cfg.n_train,
                        n_test=cfg.n_test, seeds=cfg.seeds if seeds is None else seeds, seed=cfg.seed)


def train(cfg: SyntheticConfig, p: Problem, w0: np.ndarray, labels: np.ndarray, record_every: int,
          reference: np.ndarray | None = None) -> Trajectory:
    """GD of the students w0 (S, C, d) on the training inputs and label columns (S, n, C); the
    Problem only scores."""
    return descend(w0, p.x_train, labels, k=cfg.link_degree, eta=cfg.eta, steps=cfg.steps, scorer=p,
                   record_every=record_every, reference=reference)


def columns(labels: list[np.ndarray]) -> np.ndarray:
    """Label vectors (S, n) -> one column each, (S, n, C)."""
    return np.stack(labels, axis=-1)


def pretrained_starts(cfg: SyntheticConfig, p: Problem, sizes: list[int]) -> np.ndarray:
    """Spectral starts from the first N pre-training inputs for every N in sizes, (S, G, d)."""
    return spectral_directions(lambda s: p.pretraining_grams(s, sizes), p.theta.shape[0]).astype(p.x_train.dtype)


def signed(cfg: SyntheticConfig, p: Problem, w0: np.ndarray, alpha: float) -> np.ndarray:
    """Each start's sign chosen by the training loss on the weak labels of supervisor α."""
    return choose_sign(w0, p.x_train, columns([p.weak(alpha, "train")] * w0.shape[1]), cfg.link_degree)


# ---------------------------------------------------------------- 1 warm-start geometry


def geometry(cfg: SyntheticConfig) -> pd.DataFrame:
    """|⟨w₀, θ*⟩| of the spectral warm start per seed and N, beside the BBP prediction.

    Uses `geometry_seeds` replicates (cheap: no training), since near the threshold one
    seed's overlap fluctuates by ±0.1–0.15 at d = 400."""
    p = make_problem(d=cfg.d, kappa=cfg.kappa, k=cfg.link_degree, sigma_w=cfg.sigma_w, n_train=1, n_test=1,
                     seeds=cfg.geometry_seeds, seed=cfg.seed)
    sizes = cfg.pretrain_sizes
    overlap = np.abs(p.overlap(pretrained_starts(cfg, p, sizes)))
    gamma = cfg.d / np.array(sizes)
    return pd.DataFrame([
        {"seed": s, "factor": f, "N": size, "gamma": g, "overlap": overlap[s, i],
         "theory": math.sqrt(bbp_overlap_sq(g, cfg.kappa))}
        for s in range(cfg.geometry_seeds) for i, (f, size, g) in enumerate(zip(cfg.pretrain_factors, sizes, gamma))
    ])


# ---------------------------------------------------------------- 2 pre-training is required

START_KINDS = ("random", "own inputs", "pre-trained")


def pretraining(cfg: SyntheticConfig) -> pd.DataFrame:
    """Three starts side by side, each trained on weak and on gold labels: uniform random; spectral
    from the student's own n_train inputs (below N* by default: no pre-training needed if that
    sufficed); spectral from N = PRETRAIN_FACTOR·N* pre-training inputs."""
    p = problem(cfg)
    own = spectral_directions(lambda s: [p.x_train[s].T.astype(float) @ p.x_train[s].astype(float)], cfg.seeds)
    pre = pretrained_starts(cfg, p, [round(PRETRAIN_FACTOR * cfg.n_star)])
    w0 = np.concatenate([random_directions(cfg.d, cfg.seeds, cfg.seed), own.astype(pre.dtype), pre], axis=1)
    w0 = signed(cfg, p, w0, cfg.alpha)
    kinds = len(START_KINDS)
    labels = columns([p.weak(cfg.alpha, "train")] * kinds + [p.gold("train")] * kinds)
    tr = train(cfg, p, np.concatenate([w0, w0], axis=1), labels, record_every=max(1, cfg.steps // 50))
    err_sup = p.supervisor_error(cfg.alpha)
    names = [(kind, lab) for lab in ("weak", "gold") for kind in START_KINDS]
    return pd.DataFrame([
        {"seed": s, "start": kind, "labels": lab, "step": step, "overlap": tr.overlap[r, s, c],
         "test_error": tr.test_error[r, s, c], "err_sup": err_sup[s]}
        for r, step in enumerate(tr.steps) for s in range(cfg.seeds) for c, (kind, lab) in enumerate(names)
    ])


# ---------------------------------------------------------------- 3 phase transition


def transition(cfg: SyntheticConfig) -> pd.DataFrame:
    """Per seed and N: warm start from N pre-training inputs, trained on the supervisor's labels
    (W2S), on its noise-free labels (the bias part alone) and on gold labels (ceiling), all N and
    label sets in one batch. The baseline is the noise-free supervisor f_α:

        gain = err_sup − err_w2s = (err_sup − err_w2s_clean) + (err_w2s_clean − err_w2s)
             =       bias part (its systematic error removed) + noise part (cost of its noise)."""
    p = problem(cfg)
    sizes = cfg.pretrain_sizes
    g = len(sizes)
    w0 = signed(cfg, p, pretrained_starts(cfg, p, sizes), cfg.alpha)
    labels = [p.weak(cfg.alpha, "train"), p.supervisor(cfg.alpha, "train"), p.gold("train")]
    tr = train(cfg, p, np.concatenate([w0] * 3, axis=1), columns([y for y in labels for _ in range(g)]),
               record_every=cfg.steps)
    err_sup, err_noisy = p.supervisor_error(cfg.alpha), p.supervisor_error(cfg.alpha, noisy=True)
    final = tr.test_error[-1]
    err_w2s, err_clean, err_ceiling = final[:, :g], final[:, g : 2 * g], final[:, 2 * g :]
    # PGR on error reductions below the supervisor (it scores 0, the student its gain, the ceiling
    # the gap), so NaN unless the ceiling beats the supervisor. The errors are float32: rounding
    # pgr's float64 quotient of float32 operands to float32 gives exactly the float32 quotient.
    gain, gap = err_sup[:, None] - err_w2s, err_sup[:, None] - err_ceiling
    ratio = pgr(0.0, gain, gap, min_margin=0.0).astype(gain.dtype).astype(float)
    bias_part = err_sup[:, None] - err_clean
    rows = []
    for s in range(cfg.seeds):
        for i, (factor, size) in enumerate(zip(cfg.pretrain_factors, sizes)):
            rows.append({
                "seed": s, "factor": factor, "N": size, "start_overlap": abs(tr.overlap[0, s, i]),
                "final_overlap": tr.overlap[-1, s, i], "err_sup": err_sup[s], "err_sup_noisy": err_noisy[s],
                "err_w2s": err_w2s[s, i], "err_w2s_clean": err_clean[s, i], "err_ceiling": err_ceiling[s, i],
                "gain": gain[s, i], "bias_part": bias_part[s, i], "noise_part": err_clean[s, i] - err_w2s[s, i],
                "pgr": ratio[s, i], "beats": bool(gain[s, i] > 0), "beats_bias": bool(bias_part[s, i] > 0),
            })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- 4 improve, then saturate


def saturation(cfg: SyntheticConfig) -> pd.DataFrame:
    """Test error vs step from one warm start per seed, on the labels of supervisors of several
    spurious weights α (same noise ε), beside the gold-label ceiling from the same start."""
    p = problem(cfg)
    w0 = signed(cfg, p, pretrained_starts(cfg, p, [round(PRETRAIN_FACTOR * cfg.n_star)]), cfg.alpha)
    a = len(cfg.alphas)
    labels = columns([p.weak(alpha, "train") for alpha in cfg.alphas] + [p.gold("train")])
    tr = train(cfg, p, np.repeat(w0, a + 1, axis=1), labels, record_every=max(1, cfg.steps // 100))
    rows = []
    for j, alpha in enumerate(cfg.alphas):
        err_sup, err_noisy = p.supervisor_error(alpha), p.supervisor_error(alpha, noisy=True)
        floor = error_floor(alpha, cfg.sigma_w, cfg.link_degree, cfg.d, cfg.n_train)
        rows += [
            {"seed": s, "alpha": alpha, "step": step, "err_w2s": tr.test_error[r, s, j],
             "overlap": tr.overlap[r, s, j], "err_sup": err_sup[s], "err_sup_noisy": err_noisy[s],
             "err_ceiling": tr.test_error[r, s, a], "floor": floor}
            for r, step in enumerate(tr.steps) for s in range(cfg.seeds)
        ]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- 5 effective region


def effective_region(cfg: SyntheticConfig) -> pd.DataFrame:
    """Trajectories from designed starts of overlap r₀ with θ*, with the secant quantity
    ⟨∇_sphere L(w), w − w̄⟩ and ‖w − w̄‖² at every step. w̄, the minimiser of the weak-label loss
    near θ*, is a reference for scoring: found by L-BFGS from θ*, and as a check from the 4N*
    pre-trained start (the same point when the basin is one)."""
    p = problem(cfg)
    weak = p.weak(cfg.alpha, "train")
    args = (p.x_train, weak, cfg.link_degree)
    w_bar = minimizer(p.theta, *args)
    pre = signed(cfg, p, pretrained_starts(cfg, p, [round(PRETRAIN_FACTOR * cfg.n_star)]), cfg.alpha)
    w_bar_gap = np.linalg.norm(minimizer(pre[:, 0], *args) - w_bar, axis=-1)
    bar_overlap = np.einsum("sd,sd->s", w_bar, p.theta)
    r0 = cfg.start_overlaps
    tr = train(cfg, p, p.starts_at_overlap(r0), columns([weak] * len(r0)), record_every=1,
               reference=w_bar[:, None, :])
    steps, seeds = np.meshgrid(tr.steps, np.arange(cfg.seeds), indexing="ij")
    frames = [
        pd.DataFrame({
            "seed": seeds.ravel(), "r0": r, "step": steps.ravel(), "overlap": tr.overlap[:, :, c].ravel(),
            "test_error": tr.test_error[:, :, c].ravel(), "secant": tr.secant[:, :, c].ravel(),
            "dist2": tr.dist2[:, :, c].ravel(), "wbar_overlap": bar_overlap[seeds.ravel()],
            "wbar_gap": w_bar_gap[seeds.ravel()],
        })
        for c, r in enumerate(r0)
    ]
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- 6 the bound


def bound(cfg: SyntheticConfig, region_table: pd.DataFrame, r0_star: float, mu: float) -> pd.DataFrame:
    """err_t ≤ C·(1 − ημ)^t + floor on the trajectories of (5) that start at r₀ ≥ r0_star.

    r0_star and μ come from (5) (`claims.region`); the floor is derived (`theory.error_floor`);
    C is fitted per start r₀ as the smallest constant for which the bound holds at every step on
    every seed."""
    floor = error_floor(cfg.alpha, cfg.sigma_w, cfg.link_degree, cfg.d, cfg.n_train)
    rate = 1 - cfg.eta * mu
    inside = region_table[region_table["r0"] >= r0_star]
    rows = []
    for r, group in inside.groupby("r0"):
        err = group.pivot(index="step", columns="seed", values="test_error")
        steps = err.index.to_numpy()
        decay = rate ** steps.astype(float)
        c = float(np.max(np.clip(err.max(axis=1).to_numpy() - floor, 0, None) / decay))
        gap0 = float(err.loc[0].max() - floor)
        rows += [
            {"r0": r, "step": t, "err_mean": err.loc[t].mean(), "err_max": err.loc[t].max(),
             "bound": c * decay[i] + floor, "floor": floor, "C": c, "C_over_initial_gap": c / gap0,
             "mu": mu, "rate": rate}
            for i, t in enumerate(steps)
        ]
    return pd.DataFrame(rows, columns=["r0", "step", "err_mean", "err_max", "bound", "floor", "C",
                                       "C_over_initial_gap", "mu", "rate"])


# the simulations that need only the config, in order; the bound follows from effective_region
SIMULATIONS = {
    "geometry": geometry,
    "pretraining": pretraining,
    "transition": transition,
    "saturation": saturation,
    "effective_region": effective_region,
}
EXPERIMENTS = (*SIMULATIONS, "bound")
