"""Finite-size scaling of the transition in N (the opt-in `synthetic_scaling` rule): the
transition experiment's students at several dimensions d and spikes κ, with n_train/d fixed,
their success probability against N/N*, and the width of the rise per d and κ.

Contract: `run_synthetic_scaling(params, outputs)` writes exactly the outputs `scaling` (CSV,
one row per d, κ, seed and N), `widths` (CSV, one row per d, κ and success criterion) and
`figure` (PNG).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from pipeline.io import save_figure, write_table
from pipeline.synthetic.claims import shared_detector, sigmoid_n, transition_location
from pipeline.synthetic.config import SyntheticConfig
from pipeline.synthetic.simulations import columns, pretrained_starts, problem, signed, train

# success criteria: the student beats the noise-free supervisor, trained on its noise-free labels
# (the bias part alone) or on its labels (W2S)
matplotlib.use("Agg")  # jobs run headless

CRITERIA = {"beats_bias": "noise-free labels", "beats": "supervisor's labels"}
OUTPUTS = ("scaling", "widths", "figure")


def scaling(cfg: SyntheticConfig) -> pd.DataFrame:
    """Per d in scaling_dims and κ in scaling_kappas: spectral starts from N = factor·N* inputs,
    trained on the supervisor's labels and on its noise-free labels; errors against the noise-free
    supervisor's."""
    frames = []
    for d in cfg.scaling_dims:
        for kappa in cfg.scaling_kappas:
            c = cfg.at_size(d, kappa)
            p = problem(c)
            sizes, g = c.pretrain_sizes, len(c.pretrain_sizes)
            w0 = signed(c, p, pretrained_starts(c, p, sizes), c.alpha)
            labels = [p.weak(c.alpha, "train")] * g + [p.supervisor(c.alpha, "train")] * g
            tr = train(c, p, np.concatenate([w0, w0], axis=1), columns(labels), record_every=c.steps)
            err_sup, final = p.supervisor_error(c.alpha), tr.test_error[-1]
            seeds, grid = np.meshgrid(np.arange(c.seeds), np.arange(g), indexing="ij")
            frames.append(pd.DataFrame({
                "d": d, "kappa": kappa, "n_star": c.n_star, "n_train": c.n_train, "seed": seeds.ravel(),
                "factor": np.array(c.pretrain_factors)[grid.ravel()], "N": np.array(sizes)[grid.ravel()],
                "start_overlap": np.abs(tr.overlap[0, :, :g]).ravel(), "final_overlap": tr.overlap[-1, :, :g].ravel(),
                "err_sup": np.repeat(err_sup, g), "err_w2s": final[:, :g].ravel(),
                "err_w2s_clean": final[:, g:].ravel(),
            }))
    table = pd.concat(frames, ignore_index=True)
    return table.assign(beats=table["err_w2s"] < table["err_sup"], beats_bias=table["err_w2s_clean"] < table["err_sup"])


def widths(table: pd.DataFrame) -> pd.DataFrame:
    """Per d, κ and criterion: where the success fraction crosses 0.1, 0.5 and 0.9 (interpolated in
    log N/N*) and the 10–90 % width in N/N*; and the checkpoint branch's detector on the same curve
    (N in place of the step, seed bootstrap): verdict, sigmoid midpoint and 10–90 % width in N/N*."""
    rows = []
    for (d, kappa), group in table.groupby(["d", "kappa"]):
        n_star = float(group["n_star"].iloc[0])
        for criterion, label in CRITERIA.items():
            curve = group.groupby("factor")[criterion].mean()
            x, y = curve.index.to_numpy(float), curve.to_numpy(float)
            at = {level: transition_location(x, y, level) for level in (0.1, 0.5, 0.9)}
            found = shared_detector(group, criterion)
            n = sigmoid_n(found)
            rows.append({
                "d": d, "kappa": kappa, "criterion": criterion, "labels": label, "first": y[0], "last": y[-1],
                "at_10": at[0.1], "at_50": at[0.5], "at_90": at[0.9], "width": at[0.9] - at[0.1],
                "detector": found["verdict"], "detector_mid": n["mid"] / n_star,
                "detector_mid_lo": n["mid_lo"] / n_star, "detector_mid_hi": n["mid_hi"] / n_star,
                "detector_width": (n["n90"] - n["n10"]) / n_star,
            })
    return pd.DataFrame(rows)


def figure(table: pd.DataFrame) -> Figure:
    """Success probability vs N/N*, one line per d, one panel per κ; solid: noise-free labels,
    dashed: the supervisor's labels."""
    kappas = sorted(table["kappa"].unique())
    fig, axes = plt.subplots(1, len(kappas), figsize=(5 * len(kappas), 4), squeeze=False)
    palette = dict(zip(sorted(table["d"].unique()), sns.color_palette("viridis", table["d"].nunique())))
    for ax, kappa in zip(axes[0], kappas):
        at = table[table["kappa"] == kappa]
        for d, group in at.groupby("d"):
            curve = group.groupby("factor")[list(CRITERIA)].mean()
            ax.plot(curve.index, curve["beats_bias"], "o-", color=palette[d], label=f"d = {d}")
            ax.plot(curve.index, curve["beats"], "x--", color=palette[d], alpha=0.6)
        ax.axvline(1, color="C3", lw=1)
        ax.set(xscale="log", xlabel="N/N*", ylabel="fraction of seeds below the noise-free supervisor",
               ylim=(-0.05, 1.05), title=f"κ = {kappa:g} (solid: noise-free labels; dashed: W2S)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def run_synthetic_scaling(params: Mapping, outputs: Mapping[str, str]) -> None:
    """The scaling table, its widths and its figure, from the contents of the config's `synthetic`
    section; `outputs` maps each of OUTPUTS to its path. One BLAS thread, as in run_synthetic."""
    cfg = SyntheticConfig.from_mapping(params)
    if missing := [name for name in OUTPUTS if name not in outputs]:
        raise KeyError(f"run_synthetic_scaling: no output path for {missing}")
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        table = scaling(cfg)
    print(f"scaling: {time.perf_counter() - start:.1f} s")
    write_table(table, outputs["scaling"])
    write_table(widths(table), outputs["widths"])
    save_figure(figure(table), outputs["figure"])


