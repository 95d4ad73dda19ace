"""The run's headline verdicts and numbers in plain words."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class AnalysisResults:
    """The analysis job's tables and the revisions it left out of the fits, per model."""

    transitions: pd.DataFrame
    correlations: pd.DataFrame
    lags: pd.DataFrame
    metrics: pd.DataFrame  # the metrics table with gold_dprime
    excluded: dict[str, list[str]]
    flags: dict[tuple[str, str], str]  # (model, revision) -> why the integrity pre-flight flagged it


def _fmt_step(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:,.0f}"


def _excluded(model: str, revision: str, flags: dict[tuple[str, str], str]) -> str:
    why = flags.get((model, revision))
    return f"{revision} ({why})" if why else revision


def summary_markdown(results: AnalysisResults) -> str:
    """The headline verdicts and numbers in plain words."""
    lines = ["# Summary", ""]
    transitions = results.transitions
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
    excluded = {model: revisions for model, revisions in results.excluded.items() if revisions}
    if excluded:
        lines += ["", "Left out of the fits (listed in `analysis.exclude_revisions`, or flagged in "
                  "`results/tables/integrity.csv`): "
                  + "; ".join(f"{model}: {', '.join(_excluded(model, r, results.flags) for r in revisions)}"
                              for model, revisions in excluded.items()) + "."]
    lines += ["", "## Late checkpoints", ""]
    metrics = results.metrics
    last = metrics.loc[metrics.groupby(["model", "task", "layer"])["step"].idxmax()]
    for row in last.itertuples():
        pgr = "n/a" if not math.isfinite(row.pgr) else f"{row.pgr:.2f}"
        lines.append(
            f"- {row.model}, {row.task}, layer {row.layer}, step {row.step}: weak {row.weak_acc:.3f}, "
            f"W2S {row.w2s_acc:.3f}, gold {row.gold_acc:.3f}, gain {row.gain:+.3f}, PGR {pgr}."
        )
    lines += ["", "## Does the gain track linear-representation quality?", ""]
    corr = results.correlations
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
