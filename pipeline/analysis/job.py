"""The analysis job: transition verdicts, the linear-representation link, and a plain summary."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import pandas as pd

from pipeline.checkpoints.integrity import duplicate_revisions
from pipeline.io import write_table, write_text
from pipeline.analysis.curves import Loader, analyze_curves, example_curves, exclusion_mask
from pipeline.analysis.quality import add_gold_dprime, correlation_table, lag_table
from pipeline.analysis.transition import DetectionConfig


def detection_config(settings: Mapping) -> DetectionConfig:
    return DetectionConfig(
        axis=settings.get("axis", "step"),
        min_delta_bic=settings.get("min_delta_bic", 10.0),
        n_boot=settings.get("n_boot", 200),
    )


def excluded_revisions(metrics: pd.DataFrame, settings: Mapping, integrity: pd.DataFrame) -> dict[str, list[str]]:
    """{model: revisions left out of the fits}: `exclude_revisions` for every model, and the
    revisions whose weights duplicate an earlier one's unless `exclude_duplicates` is false."""
    listed = settings.get("exclude_revisions", [])
    duplicates = duplicate_revisions(integrity) if settings.get("exclude_duplicates", True) else {}
    return {m: sorted({*listed, *duplicates.get(m, [])}) for m in metrics["model"].unique()}


def run_analysis(
    metrics: pd.DataFrame, predictions: Loader, settings: Mapping, min_margin: float, integrity: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Transitions of gain and PGR, ρ(quality, gain) and the lag of the two transitions."""
    predictions = functools.cache(predictions)  # each revision's table serves three analyses
    config = detection_config(settings)
    exclude = excluded_revisions(metrics, settings, integrity)
    min_effect = settings.get("min_effect", {})
    metrics = add_gold_dprime(metrics, predictions)
    kept = metrics[~exclusion_mask(metrics, exclude)]
    transitions = analyze_curves(example_curves(kept, ("gain", "pgr"), predictions, min_margin), config, min_effect)
    correlations = correlation_table(metrics, exclude_revisions=exclude, n_boot=2000, n_perm=2000)
    lags = lag_table(metrics, predictions, exclude_revisions=exclude, quality_min_effect=min_effect, config=config)
    return {"transitions": transitions, "correlations": correlations, "lags": lags, "metrics": metrics,
            "excluded": exclude}


def _fmt_step(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:,.0f}"


def summary_markdown(results: Mapping[str, pd.DataFrame]) -> str:
    """The headline verdicts and numbers in plain words."""
    lines = ["# Summary", ""]
    transitions = results["transitions"]
    lines += ["## Does weak-to-strong generalization emerge through a transition?", ""]
    for row in transitions[transitions["metric"] == "gain"].itertuples():
        where = ""
        if row.verdict == "transition":
            where = (
                f" at step {_fmt_step(row.step)} (95% CI {_fmt_step(row.step_lo)}–{_fmt_step(row.step_hi)}; "
                f"{_fmt_step(row.tokens)} tokens), the gain moving from {row.level_before:+.3f} to "
                f"{row.level_after:+.3f}"
            )
        lines.append(
            f"- **{row.model}**, task {row.task}, layer {row.layer}: gain (W2S − weak accuracy): "
            f"**{row.verdict}**{where} (ΔBIC {row.delta_bic:.1f}; {row.reason})."
        )
    excluded = {model: revisions for model, revisions in results["excluded"].items() if revisions}
    if excluded:
        lines += ["", "Left out of the fits (listed in `analysis.exclude_revisions`, or duplicate weights in "
                  "`results/tables/integrity.csv`): "
                  + "; ".join(f"{model}: {', '.join(revisions)}" for model, revisions in excluded.items()) + "."]
    lines += ["", "## Late checkpoints", ""]
    metrics = results["metrics"]
    last = metrics.loc[metrics.groupby(["model", "task", "layer"])["step"].idxmax()]
    for row in last.itertuples():
        pgr = "n/a" if not math.isfinite(row.pgr) else f"{row.pgr:.2f}"
        lines.append(
            f"- {row.model}, {row.task}, layer {row.layer}, step {row.step}: weak {row.weak_acc:.3f}, "
            f"W2S {row.w2s_acc:.3f}, gold {row.gold_acc:.3f}, gain {row.gain:+.3f}, PGR {pgr}."
        )
    lines += ["", "## Does the gain track linear-representation quality?", ""]
    corr = results["correlations"]
    for row in corr[corr["quality"] == "gold_acc"].itertuples():
        lines.append(
            f"- {row.model}, {row.task}, layer {row.layer}: Spearman ρ(gold-probe accuracy, gain) = "
            f"{row.rho:.2f} (95% CI {row.rho_lo:.2f}–{row.rho_hi:.2f}, permutation p = {row.p_value:.3g}, "
            f"n = {row.n} revisions)."
        )
    lines += [
        "",
        "Both measures change with training, so ρ also reflects a shared trend; the lag between the two",
        "transitions (`results/tables/lags.csv`) is the sharper comparison.",
        "",
    ]
    return "\n".join(lines)


def write_analysis(
    metrics_path: str,
    integrity_path: str,
    predictions: Loader,
    settings: Mapping,
    min_margin: float,
    outputs: Mapping[str, str],
) -> None:
    """Write the transitions, correlations and lags tables and the summary."""
    integrity = pd.read_csv(integrity_path, dtype={"duplicate_of": str})
    results = run_analysis(pd.read_csv(metrics_path), predictions, settings, min_margin, integrity)
    for name in ("transitions", "correlations", "lags"):
        write_table(results[name], outputs[name])
    write_text(summary_markdown(results), outputs["summary"])
