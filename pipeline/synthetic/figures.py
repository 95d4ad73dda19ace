"""Figures of the six synthetic experiments, drawn from the tables and the claims' arithmetic.

Contract: each figure function returns a laid-out Figure and writes nothing; `draw(tables, cfg)`
yields (experiment name, Figure) for the six tables of `simulations.EXPERIMENTS`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from pipeline.synthetic import claims
from pipeline.synthetic.config import SyntheticConfig
from pipeline.synthetic.theory import bbp_overlap_sq

matplotlib.use("Agg")  # jobs run headless
sns.set_theme(style="whitegrid", context="paper")


def geometry(table: pd.DataFrame, d: int, kappa: float) -> Figure:
    """Mean |⟨w₀, θ*⟩| vs N (per-seed points) against the BBP curve."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.scatter(table["N"], table["overlap"], s=8, color="0.6", label="seeds")
    mean = claims.rms_overlap(table)
    ax.plot(mean["N"], mean["overlap"], "o-", label="root mean square over seeds")
    n = np.geomspace(table["N"].min(), table["N"].max(), 400)
    ax.plot(n, np.sqrt(bbp_overlap_sq(d / n, kappa)), "k--", label="BBP prediction")
    n_star = d / kappa**2
    ax.axvline(n_star, color="C3", lw=1, label="N* = d/κ²")
    ax.axvspan(2 * n_star, n.max(), color="C2", alpha=0.08, label="N ≥ 2N* (claim checked)")
    ax.set(xscale="log", xlabel="pre-training samples N", ylabel="|⟨w₀, θ*⟩|", title="Spectral warm start")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def pretraining(table: pd.DataFrame) -> Figure:
    """|overlap| vs step per seed for the three starts (random, own inputs, pre-trained), on weak
    (solid) and gold (dashed) labels, beside the final test errors."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    data = table.assign(abs_overlap=table["overlap"].abs())
    sns.lineplot(data=data, x="step", y="abs_overlap", hue="start", style="labels", units="seed", estimator=None,
                 lw=0.7, ax=axes[0])
    axes[0].set(ylabel="|⟨w, θ*⟩|", ylim=(0, 1), title="Student overlap per seed, by start")
    axes[0].legend(fontsize=7)
    end = data[data["step"] == data["step"].max()]
    sns.stripplot(data=end, x="start", y="test_error", hue="labels", dodge=True, ax=axes[1])
    axes[1].axhline(table["err_sup"].mean(), color="k", ls="--", label="noise-free supervisor")
    axes[1].set(yscale="log", ylabel="final test MSE vs gold", title="Final error by start")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def transition(curve: pd.DataFrame, n_star: float) -> Figure:
    """Left: fraction of seeds beating the noise-free supervisor vs N, on its labels and on its
    noise-free labels. Right: mean errors vs N (student on each label set, supervisor, ceiling)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(curve["N"], curve["fraction"], "o-", label="W2S (supervisor's labels)")
    axes[0].plot(curve["N"], curve["fraction_bias"], "s--", label="noise-free labels (bias part alone)")
    axes[0].set(ylabel="fraction of seeds below the noise-free supervisor", ylim=(-0.05, 1.05),
                title="Beating the supervisor's bias vs pre-training")
    for column, label in (("err_w2s", "W2S student"), ("err_w2s_clean", "student on noise-free labels"),
                          ("err_ceiling", "gold ceiling"), ("err_sup", "noise-free supervisor (baseline)"),
                          ("err_sup_noisy", "supervisor's noisy labels")):
        style = "--" if column.startswith("err_sup") else "o-"
        axes[1].plot(curve["N"], curve[column], style, label=label)
    axes[1].set(yscale="log", ylabel="mean test MSE vs gold", title="Errors vs pre-training")
    for ax in axes:
        ax.axvline(n_star, color="C3", lw=1, label="N* (BBP threshold)")
        ax.set(xscale="log", xlabel="pre-training samples N")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def saturation(table: pd.DataFrame) -> Figure:
    """Test error vs step per spurious weight α; the noise-free supervisors' errors dashed, the
    ceiling grey."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    palette = sns.color_palette(n_colors=table["alpha"].nunique())
    sns.lineplot(data=table, x="step", y="err_w2s", hue="alpha", palette=palette, errorbar="sd", ax=ax)
    for color, (_, group) in zip(palette, table.groupby("alpha")):
        ax.axhline(group["err_sup"].mean(), color=color, ls="--", lw=1)
    ceiling = table.groupby("step")["err_ceiling"].mean()
    ax.plot(ceiling.index, ceiling.to_numpy(), color="0.5", label="gold ceiling")
    ax.set(yscale="log", ylabel="test MSE vs gold (dashed: noise-free supervisor)", title="Improve, then saturate")
    ax.legend(title="α (rad)", fontsize=7)
    fig.tight_layout()
    return fig


def effective_region(table: pd.DataFrame, region: claims.Region) -> Figure:
    """Left: the secant quantity against ‖w − w̄‖² along the paths, with the line μ‖w − w̄‖².
    Right: final overlap per start r₀ and seed, with the overlap of w̄ and r₀*."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    thin = table[table["step"] % 5 == 0]
    sns.scatterplot(data=thin.assign(start=thin["r0"].map("r₀ = {:g}".format)), x="dist2", y="secant",
                    hue="start", palette="viridis", s=4, linewidth=0, ax=axes[0], rasterized=True)
    d2 = np.linspace(0, thin["dist2"].max(), 50)
    axes[0].plot(d2, region.mu * d2, "k--", label=f"μ‖w − w̄‖², μ = {region.mu:.2f}")
    axes[0].set(xlabel="‖w − w̄‖²", ylabel="⟨∇_sphere L(w), w − w̄⟩", yscale="symlog",
                title="Restricted secant")
    axes[0].legend(fontsize=7)
    end = table[table["step"] == table["step"].max()]
    axes[1].scatter(end["r0"], end["overlap"], s=12, color="C0", label="final overlap (per seed)")
    axes[1].axhline(end["wbar_overlap"].mean(), color="k", ls="--", label="overlap of w̄")
    if np.isfinite(region.r0_star):
        axes[1].axvline(region.r0_star, color="C2", label=f"r₀* = {region.r0_star:g}")
    axes[1].set(xlabel="start overlap r₀ with θ*", ylabel="final ⟨w, θ*⟩", title="Effective region")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def bound(table: pd.DataFrame) -> Figure:
    """Mean test error (solid) and the bound C(1 − ημ)^t + floor (dashed) per start r₀."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for color, (r0, group) in zip(sns.color_palette("viridis", table["r0"].nunique()), table.groupby("r0")):
        ax.plot(group["step"], group["err_mean"], color=color, label=f"r₀ = {r0:g}")
        ax.plot(group["step"], group["bound"], color=color, ls="--")
    if len(table):
        ax.axhline(table["floor"].iloc[0], color="k", lw=1, label="derived floor")
        ax.legend(fontsize=7)
    ax.set(yscale="log", xlabel="step", ylabel="test MSE vs gold (dashed: bound)",
           title="err_t ≤ C(1 − ημ)^t + floor")
    fig.tight_layout()
    return fig


def draw(tables: Mapping[str, pd.DataFrame], cfg: SyntheticConfig) -> Iterator[tuple[str, Figure]]:
    """The six figures, one at a time, so that each can be written and closed before the next."""
    curve = claims.transition_curve(tables["transition"])
    yield "geometry", geometry(tables["geometry"], cfg.d, cfg.kappa)
    yield "pretraining", pretraining(tables["pretraining"])
    yield "transition", transition(curve, cfg.n_star)
    yield "saturation", saturation(tables["saturation"])
    reg = claims.region(tables["effective_region"], cfg)
    yield "effective_region", effective_region(tables["effective_region"], reg)
    yield "bound", bound(tables["bound"])
