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


def _panel(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(panel=table["task"] + " · layer " + table["layer"].astype(str))


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
    """The gain per step (columns) and layer (rows), one panel per model and task."""
    groups = list(table.groupby(["model", "task"]))
    figure, axes = plt.subplots(len(groups), 1, figsize=(10, 1.2 + 0.5 * table["layer"].nunique() * len(groups)),
                                squeeze=False)
    limit = max(table["gain"].abs().max(), 1e-3)
    for ax, ((model, task), group) in zip(axes[:, 0], groups):
        grid = group.pivot_table(index="layer", columns="step", values="gain")
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
        panel=lambda t: t["task"] + " · layer " + t["layer"].astype(str),
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


def write_figures(
    metrics_path: str, transitions_path: str, scaling_path: str, intervals_path: str, outputs: dict[str, str]
) -> None:
    table, intervals = pd.read_csv(metrics_path), pd.read_csv(intervals_path)
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
