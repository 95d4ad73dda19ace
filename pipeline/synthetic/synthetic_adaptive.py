"""The transition in N located adaptively (the opt-in `synthetic_adaptive` rule): the checkpoint
branch's coarse-to-fine schedule (`analysis.adaptive`) on a fine grid of pre-training sizes, beside
the full sweep of that grid.

The curve is claim 3's headline quantity, the W2S gain over the noise-free supervisor
(err_sup − err_w2s, students trained on the supervisor's labels), per seed; the detector sees the
mean over seeds with the seed bootstrap as its noise (as `detect_seed_curve`: seeds are the unit),
N in place of the step (x = log10(N + 1)), its default settings. The grid (`adaptive_points` sizes
log-spaced over the range of `pretrain_factors`) and the schedule's budget are our choice.

Each seed's warm starts come from one pre-training stream over the whole grid, so the start at N
does not depend on which other N are simulated (a trajectory's checkpoints exist before any is
probed). What a grid point costs is training its students, which `GainSimulator` does only for
the N it is asked for, once: the full sweep reuses what the adaptive run trained, so both see the
same curve and their comparison costs one full sweep.

Contract: `locate(cfg)` returns the tables `methods` (one row per method: adaptive, full),
`rounds` (one row per N the adaptive schedule simulated: round, N, reason, and from_N_lo/hi, the
previous round's location interval its proposal came from) and `curve` (per N of
the grid: mean gain and its sd over seeds, the adaptive round that simulated it);
`run_synthetic_adaptive(params, outputs)` writes exactly the outputs of OUTPUTS: `methods` and
`rounds` (CSV) and `figure` (PNG).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from pipeline.analysis.adaptive import interval_width, run_adaptive
from pipeline.analysis.transition import DetectionConfig, centred_noise, detect_curves, nanmean, seed_bootstrap
from pipeline.io import save_figure, write_table
from pipeline.synthetic.config import SyntheticConfig
from pipeline.synthetic.simulations import columns, pretrained_starts, problem, signed, train

matplotlib.use("Agg")  # jobs run headless

DETECTION = DetectionConfig()
OUTPUTS = ("methods", "rounds", "figure")


def grid_sizes(cfg: SyntheticConfig) -> np.ndarray:
    """`adaptive_points` sizes N = f·N*, f log-spaced over [min, max] of `pretrain_factors`, rounded
    to integers (duplicates dropped: at a small N* fewer sizes remain)."""
    factors = np.geomspace(min(cfg.pretrain_factors), max(cfg.pretrain_factors), cfg.adaptive_points)
    return np.unique(np.maximum(np.round(factors * cfg.n_star), 1).astype(int))


class GainSimulator:
    """W2S gain over the noise-free supervisor (seeds, positions) at positions of a grid of sizes,
    each position trained once, on first request."""

    def __init__(self, cfg: SyntheticConfig, sizes: Sequence[int]):
        self.cfg = cfg
        self.p = problem(cfg)
        self.starts = signed(cfg, self.p, pretrained_starts(cfg, self.p, [int(n) for n in sizes]), cfg.alpha)
        self.weak = self.p.weak(cfg.alpha, "train")
        self.err_sup = self.p.supervisor_error(cfg.alpha)
        self.gain = np.full((cfg.seeds, len(sizes)), np.nan)
        self.trained = np.zeros(len(sizes), bool)

    def __call__(self, positions: Sequence[int]) -> np.ndarray:
        new = [int(i) for i in positions if not self.trained[i]]
        if new:
            tr = train(self.cfg, self.p, self.starts[:, new], columns([self.weak] * len(new)),
                       record_every=self.cfg.steps)
            self.gain[:, new] = self.err_sup[:, None] - tr.test_error[-1]
            self.trained[new] = True
        return self.gain[:, list(positions)]


def seed_measure(simulate, n_boot: int, seed: int):
    """`measure(positions)` for `run_adaptive`: the mean over seeds (1, k) and its centred seed
    bootstrap replicates (1, n_boot, k). One generator seed for every call: the replicates resample
    the same seeds at every position, whichever positions are asked for."""

    def measure(positions):
        curves = simulate(positions)
        noise = centred_noise(seed_bootstrap(curves), np.random.default_rng(seed), n_boot)
        return nanmean(curves, axis=0)[None], noise[None]

    return measure


def method_row(method: str, row: Mapping, n_simulated: int, grid: int, rounds: int, stop: str) -> dict:
    """One method's result: its detector row's verdict and location interval, back in N."""
    return {
        "method": method, "n_simulated": n_simulated, "grid_points": grid, "verdict": row["verdict"],
        "reason": row.get("reason", ""), "location_N": row.get("step", math.nan),
        "location_N_lo": row.get("step_lo", math.nan), "location_N_hi": row.get("step_hi", math.nan),
        "ci_width_decades": interval_width(row), "rounds": rounds, "stop": stop,
    }


@dataclass(frozen=True)
class AdaptiveN:
    methods: pd.DataFrame
    rounds: pd.DataFrame
    curve: pd.DataFrame


def locate(cfg: SyntheticConfig, detection: DetectionConfig = DETECTION) -> AdaptiveN:
    """The adaptive schedule, then the full sweep of the same grid on the same seeds; the wall
    seconds of each go to the job's log."""
    sizes = grid_sizes(cfg)
    start = time.perf_counter()
    simulate = GainSimulator(cfg, sizes)
    print(f"adaptive_n: warm starts for {len(sizes)} sizes {time.perf_counter() - start:.1f} s")
    measure = seed_measure(simulate, detection.n_boot, cfg.seed)
    step = sizes.astype(float)

    start = time.perf_counter()
    run = run_adaptive(measure, step, cfg.adaptive, detection, seed=cfg.seed)
    print(f"adaptive_n: adaptive schedule, {len(run.table)} sizes, {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    every = list(range(len(sizes)))
    full = detect_curves(step, *measure(every), config=detection, seed=cfg.seed).iloc[0].to_dict()
    print(f"adaptive_n: full sweep, {len(sizes) - len(run.table)} more sizes, {time.perf_counter() - start:.1f} s")

    methods = pd.DataFrame([
        method_row("adaptive", run.rows[0], len(run.table), len(sizes), run.rounds, run.stop),
        method_row("full", full, len(sizes), len(sizes), 1, "every size of the grid"),
    ])
    gain = simulate(every)
    # the interval (in N) each later round's proposals came from: the previous round's
    before = [{}] + [rows[0] for rows in run.history[:-1]]
    rounds = pd.DataFrame([
        {"round": r["round"], "N": int(sizes[r["index"]]), "factor": sizes[r["index"]] / cfg.n_star,
         "reason": r["reason"], "gain": float(gain[:, r["index"]].mean()),
         "from_N_lo": before[r["round"]].get("step_lo", math.nan),
         "from_N_hi": before[r["round"]].get("step_hi", math.nan)}
        for r in run.table
    ])
    first_round = dict(zip(rounds["N"], rounds["round"]))
    curve = pd.DataFrame({"N": sizes, "factor": sizes / cfg.n_star, "gain": gain.mean(0),
                          "gain_sd": gain.std(0, ddof=1), "round": [first_round.get(int(n), math.nan) for n in sizes]})
    return AdaptiveN(methods, rounds, curve)


def figure(result: AdaptiveN, n_star: float) -> Figure:
    """The full sweep's mean gain (± sd over seeds) vs N, the sizes each adaptive round simulated
    marked, and each method's location with its (censored) interval above the curve."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    curve = result.curve
    ax.plot(curve["N"], curve["gain"], "-", color="0.5", lw=1, label="full sweep (mean over seeds)")
    ax.fill_between(curve["N"], curve["gain"] - curve["gain_sd"], curve["gain"] + curve["gain_sd"], color="0.5",
                    alpha=0.15, lw=0, label="± sd over seeds")
    rounds = result.rounds
    for color, (r, group) in zip(plt.get_cmap("viridis")(np.linspace(0, 0.9, rounds["round"].nunique())),
                                 rounds.groupby("round")):
        ax.scatter(group["N"], group["gain"], color=color, s=28, zorder=3, label=f"round {r} ({len(group)} N)")
    top, span = curve["gain"].max(), curve["gain"].max() - curve["gain"].min()
    for k, (row, color) in enumerate(zip(result.methods.to_dict("records"), ("C1", "C0"))):
        if np.isfinite(row["location_N"]):
            ax.errorbar(row["location_N"], top + (0.08 + 0.07 * k) * span, fmt="D", color=color, capsize=4,
                        xerr=[[row["location_N"] - row["location_N_lo"]], [row["location_N_hi"] - row["location_N"]]],
                        label=f"{row['method']} ({row['n_simulated']} N): {row['verdict']}, location and interval")
    ax.axvline(n_star, color="C3", lw=1, ls=":", label="N* (BBP threshold)")
    ax.set(xscale="log", xlabel="pre-training samples N", ylabel="W2S gain over the noise-free supervisor",
           title="The transition in N, located adaptively")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def run_synthetic_adaptive(params: Mapping, outputs: Mapping[str, str]) -> None:
    """The adaptive location of the transition in N beside the full sweep, from the contents of
    the config's `synthetic` section; `outputs` maps each of OUTPUTS to its path. One BLAS
    thread, as in run_synthetic."""
    cfg = SyntheticConfig.from_mapping(params)
    if missing := [name for name in OUTPUTS if name not in outputs]:
        raise KeyError(f"run_synthetic_adaptive: no output path for {missing}")
    with threadpool_limits(limits=1, user_api="blas"):
        result = locate(cfg)
    write_table(result.methods, outputs["methods"])
    write_table(result.rounds, outputs["rounds"])
    save_figure(figure(result, cfg.n_star), outputs["figure"])
