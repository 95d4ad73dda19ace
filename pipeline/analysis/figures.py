"""Figures of the metrics along pre-training."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from pipeline.io import save_figure

matplotlib.use("Agg")  # jobs run headless

PROBE_LABELS = {"weak_acc": "weak supervisor", "w2s_acc": "weak-to-strong probe", "gold_acc": "gold probe"}


def _setting(table: pd.DataFrame) -> pd.Series:
    """Layer, weak supervisor and W2S objective of each row, as a label."""
    return "layer " + table["layer"].astype(str) + " · " + table["supervisor"] + " · " + table["method"]


def _panel(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(panel=table["task"] + " · " + _setting(table))


def _step_axis(grid: sns.FacetGrid) -> None:
    # symlog keeps step 0 on a log-like axis
    for ax in grid.axes.flat:
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(left=0)
    grid.set_axis_labels("pre-training step", None)


def _save(figure: plt.Figure, out_png: str) -> None:
    """Write the figure as PNG and, beside it, as SVG."""
    save_figure(figure, out_png, Path(out_png).with_suffix(".svg"))


def _transition_bands(grid: sns.FacetGrid, transitions: pd.DataFrame) -> None:
    """Shade the interval of each panel's gain transition (where the verdict under FDR is 'transition')."""
    found = transitions[(transitions["metric"] == "gain") & (transitions["verdict_fdr"] == "transition")]
    for (panel, model), ax in grid.axes_dict.items():
        for row in found[(found["model"] == model) & (found["panel"] == panel)].itertuples():
            ax.axvspan(row.step_lo, row.step_hi, color="grey", alpha=0.25, lw=0)
            ax.axvline(row.step, color="grey", lw=1, ls="--")


def _interval_bands(ax: plt.Axes, intervals: pd.DataFrame, metric: str, color) -> None:
    """Shade a metric's per-revision bootstrap interval (rows of one curve)."""
    rows = intervals.sort_values("step")
    ax.fill_between(rows["step"], rows[f"{metric}_lo"], rows[f"{metric}_hi"], color=color, alpha=0.2, lw=0)


def accuracy_vs_step(table: pd.DataFrame, transitions: pd.DataFrame, intervals: pd.DataFrame, out: str) -> None:
    """Test accuracy of weak supervisor, W2S probe and gold probe vs step with each revision's
    bootstrap interval, one panel per (task, layer) and model, with the gain's transition and
    its CI shaded."""
    long = _panel(table).melt(
        id_vars=["model", "step", "panel"], value_vars=list(PROBE_LABELS), var_name="predictor", value_name="accuracy"
    )
    long["predictor"] = long["predictor"].map(PROBE_LABELS)
    palette = dict(zip(PROBE_LABELS.values(), sns.color_palette(n_colors=len(PROBE_LABELS)), strict=True))
    grid = sns.relplot(
        data=long, x="step", y="accuracy", hue="predictor", col="model", row="panel", palette=palette,
        kind="line", marker="o", height=3, aspect=1.3, facet_kws={"margin_titles": True},
    )
    bands = _panel(intervals)
    for (panel, model), ax in grid.axes_dict.items():
        rows = bands[(bands["panel"] == panel) & (bands["model"] == model)]
        for metric, label in PROBE_LABELS.items():
            _interval_bands(ax, rows, metric, palette[label])
    _transition_bands(grid, _panel(transitions))
    _step_axis(grid)
    _save(grid.figure, out)


def pgr_vs_step(table: pd.DataFrame, intervals: pd.DataFrame, out: str) -> None:
    """PGR (missing where the ceiling is not above the weak supervisor) and the gain
    w2s − weak vs step, with each revision's bootstrap interval and (dotted) the range of the gain
    over the fixed-C sweep; one line per model."""
    long = _panel(table).melt(
        id_vars=["model", "step", "panel"], value_vars=["pgr", "gain"], var_name="measure", value_name="value"
    )
    models = sorted(table["model"].unique())
    palette = dict(zip(models, sns.color_palette(n_colors=len(models)), strict=True))
    grid = sns.relplot(
        data=long, x="step", y="value", hue="model", col="measure", row="panel", palette=palette, hue_order=models,
        kind="line", marker="o", height=3, aspect=1.3, facet_kws={"sharey": False, "margin_titles": True},
    )
    bands, sweeps = _panel(intervals), _panel(table)
    for (panel, measure), ax in grid.axes_dict.items():
        ax.axhline(0, color="grey", lw=0.8)
        for model, rows in bands[bands["panel"] == panel].groupby("model"):
            _interval_bands(ax, rows, measure, palette[model])
        if measure != "gain":
            continue
        for model, rows in sweeps[sweeps["panel"] == panel].sort_values("step").groupby("model"):
            for bound in ("gain_C_min", "gain_C_max"):  # the gain under the most and least favourable fixed C
                ax.plot(rows["step"], rows[bound], color=palette[model], lw=0.8, ls=":")
    _step_axis(grid)
    _save(grid.figure, out)


IMITATION_LABELS = {
    "agreement": "agreement with the supervisor",
    "w2s_acc_weak_right": "W2S accuracy where it is right",
    "w2s_acc_weak_wrong": "W2S accuracy where it is wrong",
}


def imitation_vs_step(table: pd.DataFrame, out: str) -> None:
    """What the W2S probe copies: its agreement with the supervisor and its accuracy on the test
    examples the supervisor gets right and wrong vs step (the last with Wilson's interval; above
    0.5 the student corrects the supervisor's errors), one panel per (task, layer) and model."""
    long = _panel(table).melt(
        id_vars=["model", "step", "panel"], value_vars=list(IMITATION_LABELS), var_name="measure", value_name="value"
    )
    long["measure"] = long["measure"].map(IMITATION_LABELS)
    grid = sns.relplot(
        data=long, x="step", y="value", hue="measure", col="model", row="panel",
        kind="line", marker="o", height=3, aspect=1.3, facet_kws={"margin_titles": True},
    )
    bands = _panel(table)
    for (panel, model), ax in grid.axes_dict.items():
        rows = bands[(bands["panel"] == panel) & (bands["model"] == model)].sort_values("step")
        ax.fill_between(rows["step"], rows["w2s_acc_weak_wrong_lo"], rows["w2s_acc_weak_wrong_hi"], color="grey",
                        alpha=0.2, lw=0)
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    _step_axis(grid)
    _save(grid.figure, out)


def gain_heatmap(table: pd.DataFrame, out: str) -> None:
    """The gain per step (columns) and layer, weak supervisor and objective (rows), one panel per
    model and task."""
    table = table.assign(setting=_setting(table))
    groups = list(table.groupby(["model", "task"]))
    figure, axes = plt.subplots(len(groups), 1, figsize=(10, 1.2 + 0.5 * table["setting"].nunique() * len(groups)),
                                squeeze=False)
    limit = max(table["gain"].abs().max(), 1e-3)
    for ax, ((model, task), group) in zip(axes[:, 0], groups):
        grid = group.pivot(index="setting", columns="step", values="gain")
        sns.heatmap(grid, ax=ax, cmap="RdBu_r", vmin=-limit, vmax=limit, cbar_kws={"label": "gain"})
        ax.set_title(f"{model} · {task}")
    figure.tight_layout()
    _save(figure, out)


def quality_vs_gain(table: pd.DataFrame, out: str) -> None:
    """Linear-representation quality (gold-probe accuracy) against the gain, one point per revision."""
    grid = sns.relplot(
        data=_panel(table), x="gold_acc", y="gain", hue="model", col="panel", size="step", sizes=(15, 120),
        height=3.5, facet_kws={"sharex": False, "sharey": False},
    )
    for ax in grid.axes.flat:
        ax.axhline(0, color="grey", lw=0.8)
    grid.set_axis_labels("gold-probe accuracy", "gain (W2S − weak)")
    _save(grid.figure, out)


def scaling(table: pd.DataFrame, out: str) -> None:
    """Transition width and location of the gain against model size, one point per model; the
    marker says whether the verdict was a transition."""
    gain = table[table["metric"] == "gain"].assign(
        panel=lambda t: t["task"] + " · " + _setting(t),
        transition=lambda t: t["verdict"] == "transition",
    )
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, column, label in zip(axes, ("width_x", "step"), ("10–90 % width (decades)", "location (step)")):
        sns.scatterplot(data=gain, x="params", y=column, hue="panel", style="transition", ax=ax,
                        style_order=[True, False])
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel(label)
    axes[1].set_yscale("symlog", linthresh=1)
    figure.tight_layout()
    _save(figure, out)


def saturation(plateaus: pd.DataFrame, synthetic: pd.DataFrame | None, out: str) -> None:
    """Left: each weak supervisor's late W2S plateau (with its interval) against its accuracy,
    one line per model, task, layer and objective, and the diagonal W2S = weak. Right, where the
    synthetic branch's `saturation` table is given: its last-step W2S error against the
    supervisor's error, one point per α (mean and sd over seeds)."""
    figure, axes = plt.subplots(1, 2 if synthetic is not None else 1, figsize=(11 if synthetic is not None else 6, 4.5),
                                squeeze=False)
    ax = axes[0, 0]
    lines = plateaus.assign(curve=lambda t: t["model"] + " · " + t["task"] + " · layer " + t["layer"].astype(str)
                            + " · " + t["method"])
    for (name, group), color in zip(lines.groupby("curve"), sns.color_palette(n_colors=lines["curve"].nunique())):
        group = group.sort_values("weak_acc")
        ax.errorbar(group["weak_acc"], group["w2s_acc"], yerr=[group["w2s_acc"] - group["w2s_acc_lo"],
                    group["w2s_acc_hi"] - group["w2s_acc"]], marker="o", color=color, label=name, capsize=2)
        for row in group.itertuples():
            ax.annotate(row.supervisor, (row.weak_acc, row.w2s_acc), fontsize=6, xytext=(3, -8),
                        textcoords="offset points")
    low, high = ax.get_xlim()
    ax.plot([low, high], [low, high], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("weak supervisor's accuracy (late plateau)")
    ax.set_ylabel("W2S accuracy (late plateau)")
    ax.set_title("checkpoints")
    ax.legend(fontsize="x-small")
    if synthetic is not None:
        last = synthetic[synthetic["step"] == synthetic["step"].max()]
        by_alpha = last.groupby("alpha").agg(err_sup=("err_sup", "mean"), err_w2s=("err_w2s", "mean"),
                                             sd=("err_w2s", "std")).reset_index()
        ax = axes[0, 1]
        ax.errorbar(by_alpha["err_sup"], by_alpha["err_w2s"], yerr=by_alpha["sd"], marker="o", capsize=2)
        for row in by_alpha.itertuples():
            ax.annotate(f"α = {row.alpha:g}", (row.err_sup, row.err_w2s), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_xlabel("supervisor's error")
        ax.set_ylabel("W2S error at the last step")
        ax.set_title("synthetic branch")
    figure.tight_layout()
    _save(figure, out)


def write_figures(
    metrics_path: str, transitions_path: str, scaling_path: str, intervals_path: str, plateaus_path: str,
    synthetic_saturation_path: str | None, outputs: dict[str, str],
) -> None:
    table, intervals = pd.read_csv(metrics_path), pd.read_csv(intervals_path)
    synthetic = pd.read_csv(synthetic_saturation_path) if synthetic_saturation_path else None
    saturation(pd.read_csv(plateaus_path), synthetic, outputs["saturation"])
    scaling(pd.read_csv(scaling_path), outputs["scaling"])
    accuracy_vs_step(table, pd.read_csv(transitions_path), intervals, outputs["accuracy"])
    pgr_vs_step(table, intervals, outputs["pgr"])
    imitation_vs_step(table, outputs["imitation"])
    gain_heatmap(table, outputs["heatmap"])
    quality_vs_gain(table, outputs["quality"])


def adaptive_rounds(table: pd.DataFrame, schedule: pd.DataFrame, last_rows: pd.DataFrame, label: str,
                    out: str) -> None:
    """The curves (`table`'s column value, named `label`) of each adaptive model along
    pre-training, one panel per (task, layer) and model, each revision marked by the round that
    probed it; the location interval of the last round shaded where the detector saw a change."""
    probed = _panel(table.merge(schedule[["model", "revision", "round"]], on=["model", "revision"]))
    grid = sns.FacetGrid(probed, col="model", row="panel", height=3, aspect=1.3, margin_titles=True, sharey=False)
    rounds = sorted(probed["round"].unique())
    palette = dict(zip(rounds, sns.color_palette("viridis", len(rounds)), strict=True))
    for (panel, model), ax in grid.axes_dict.items():
        curve = probed[(probed["panel"] == panel) & (probed["model"] == model)].sort_values("step")
        ax.plot(curve["step"], curve["value"], color="grey", lw=1)
        for r, points in curve.groupby("round"):
            ax.scatter(points["step"], points["value"], color=palette[r], s=18, zorder=3)
        found = _panel(last_rows)
        for row in found[(found["model"] == model) & (found["panel"] == panel) & (found["verdict"] != "none")
                         ].itertuples():
            ax.axvspan(row.step_lo, row.step_hi, color="grey", alpha=0.2, lw=0)
    handles = [plt.Line2D([], [], color=palette[r], marker="o", ls="", label=f"round {r}") for r in rounds]
    grid.axes.flat[0].legend(handles=handles, title="probed in", fontsize="small")
    _step_axis(grid)
    grid.set_ylabels(label)
    grid.tight_layout()
    _save(grid.figure, out)
