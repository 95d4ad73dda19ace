"""Figures of the metrics along pre-training."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from pipeline.io import atomic_path  # noqa: E402

PROBE_LABELS = {"weak_acc": "weak supervisor", "w2s_acc": "weak-to-strong probe", "gold_acc": "gold probe"}


def _panel(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(panel=table["task"] + " · layer " + table["layer"].astype(str))


def _step_axis(grid: sns.FacetGrid) -> None:
    # symlog keeps step 0 on a log-like axis
    for ax in grid.axes.flat:
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(left=0)
    grid.set_axis_labels("pre-training step", None)


def _save(grid: sns.FacetGrid, out: str) -> None:
    with atomic_path(out) as partial:
        grid.savefig(partial, dpi=120)
    plt.close(grid.figure)


def accuracy_vs_step(table: pd.DataFrame, out: str) -> None:
    """Test accuracy of weak supervisor, W2S probe and gold probe vs step; one panel per
    (task, layer) and model."""
    long = _panel(table).melt(
        id_vars=["model", "step", "panel"], value_vars=list(PROBE_LABELS), var_name="predictor", value_name="accuracy"
    )
    long["predictor"] = long["predictor"].map(PROBE_LABELS)
    grid = sns.relplot(
        data=long, x="step", y="accuracy", hue="predictor", col="model", row="panel",
        kind="line", marker="o", height=3, aspect=1.3, facet_kws={"margin_titles": True},
    )
    _step_axis(grid)
    _save(grid, out)


def pgr_vs_step(table: pd.DataFrame, out: str) -> None:
    """PGR (missing where the ceiling is not above the weak supervisor) and the gain
    w2s − weak vs step; one line per model."""
    long = _panel(table).melt(
        id_vars=["model", "step", "panel"], value_vars=["pgr", "gain"], var_name="measure", value_name="value"
    )
    grid = sns.relplot(
        data=long, x="step", y="value", hue="model", col="measure", row="panel",
        kind="line", marker="o", height=3, aspect=1.3, facet_kws={"sharey": False, "margin_titles": True},
    )
    for ax in grid.axes.flat:
        ax.axhline(0, color="grey", lw=0.8)
    _step_axis(grid)
    _save(grid, out)


def write_figures(metrics_path: str, accuracy_out: str, pgr_out: str) -> None:
    table = pd.read_csv(metrics_path)
    accuracy_vs_step(table, accuracy_out)
    pgr_vs_step(table, pgr_out)
