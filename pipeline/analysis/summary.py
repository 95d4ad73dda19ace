"""The run's headline verdicts and numbers in plain words."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from pipeline.analysis.curves import KEY
from pipeline.analysis.scaling import GROUP

WHAT = {
    "transition": "a sharp transition: it beats every smooth null and rises faster than any exponential relaxation",
    "gradual": "a gradual change: significant, but a smooth learning curve explains it (or it is not sharp)",
    "non-monotone": "non-monotone: it dips and recovers (a significant reversal)",
    "none": "no change beyond noise",
    "inconclusive": "inconclusive",
}


@dataclass(frozen=True)
class AnalysisResults:
    """The analysis job's tables and the revisions it left out of the fits, per model."""

    transitions: pd.DataFrame
    correlations: pd.DataFrame
    lags: pd.DataFrame
    scaling: pd.DataFrame
    intervals: pd.DataFrame  # per revision: bootstrap intervals of the accuracies, gain and PGR
    plateaus: pd.DataFrame  # per curve: the late plateau of the accuracies and PGR, with intervals
    saturation: pd.DataFrame  # per model, task, layer, method: are the plateaus ordered as the supervisors?
    metrics: pd.DataFrame  # the metrics table with gold_dprime
    excluded: dict[str, list[str]]
    flags: dict[tuple[str, str], str]  # (model, revision) -> why the integrity pre-flight flagged it


def _step(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:,.0f}"


def _excluded(model: str, revision: str, flags: dict[tuple[str, str], str]) -> str:
    why = flags.get((model, revision))
    return f"{revision} ({why})" if why else revision


def _p(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.3g}"


def _setup(row) -> str:
    """The weak supervisor and W2S objective of a row."""
    return f"supervisor {row.supervisor}, {row.method}"


def _verdict_line(row) -> str:
    label = f"{row.model} ({'seeds' if row.unit == 'seeds' else 'one model'})"
    where = ""
    if row.verdict_fdr in ("transition", "non-monotone", "gradual") and math.isfinite(row.level_before):
        where = f", from {row.level_before:+.3f} to {row.level_after:+.3f}"
    if row.verdict_fdr == "transition":
        where += (f" at step {_step(row.step)} (between checkpoints {_step(row.step_lo)} and {_step(row.step_hi)}, "
                  f"width {row.width_x:.2f} decades, ≤ {row.width_x_hi:.2f} at 95 %)")
    seeds = f"; between-seed sd {row.between_seed_sd:.3f}" if row.unit == "seeds" else ""
    return (f"- **{label}**, layer {row.layer}, {_setup(row)}: {WHAT[row.verdict_fdr]}{where} "
            f"(p transition {_p(row.p_transition)}, q {_p(row.q_transition)}; p change {_p(row.p_change)}; "
            f"p dip {_p(row.p_dip)}{seeds}).")


def _emergence(gain: pd.DataFrame) -> list[str]:
    """The emergence claim, restated from the verdicts (seed level where there are seeds)."""
    headline = gain[gain["unit"] == "seeds"] if (gain["unit"] == "seeds").any() else gain
    counts = headline["verdict_fdr"].value_counts()
    parts = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
    found = counts.get("transition", 0)
    claim = ("supports" if found == len(headline) else "partly supports" if found else "does not support")
    return [f"Over {len(headline)} headline gain curve(s) ({parts}), this run **{claim}** the claim that "
            "weak-to-strong generalization emerges through a phase transition along pre-training."]


def _saturation(plateaus: pd.DataFrame, saturation: pd.DataFrame) -> list[str]:
    """Each supervisor's late plateau, and whether the plateaus follow the supervisors' accuracy."""
    if plateaus.empty:
        return ["No curve to take a plateau of."]
    lines = [f"Late plateau: the mean over each curve's last {int(plateaus['n_revisions'].max())} revisions "
             "(95 % bootstrap intervals over test examples)."]
    for row in plateaus.sort_values(["model", "task", "layer", "method", "weak_acc"]).itertuples():
        pgr = "n/a" if not math.isfinite(row.pgr) else f"{row.pgr:.2f} ({row.pgr_lo:.2f}–{row.pgr_hi:.2f})"
        lines.append(f"- {row.model}, {row.task}, layer {row.layer}, {_setup(row)}: weak {row.weak_acc:.3f}, "
                     f"W2S {row.w2s_acc:.3f} ({row.w2s_acc_lo:.3f}–{row.w2s_acc_hi:.3f}), gold {row.gold_acc:.3f}, "
                     f"PGR {pgr}.")
    for row in saturation.itertuples():
        lines.append(f"- {row.model}, {row.task}, layer {row.layer}, {row.method}: over {row.n_supervisors} "
                     f"supervisors, Spearman ρ(supervisor, W2S plateau) = {row.rho:.2f}; the W2S plateaus "
                     f"{'are' if row.ordered else 'are not'} ordered as the supervisors.")
    return lines


def summary_markdown(results: AnalysisResults) -> str:
    """The headline verdicts and numbers in plain words."""
    transitions = results.transitions
    gain = transitions[transitions["metric"] == "gain"]
    lines = ["# Summary", "", "## Does weak-to-strong generalization emerge through a transition?", ""]
    lines += _emergence(gain) + [""]
    lines += ["The gain (W2S − weak accuracy) per model, layer, weak supervisor and W2S objective, and per "
              "trajectory of several seeds (the seed as the unit); verdicts under Benjamini–Hochberg over all "
              f"{len(transitions)} curves (gain, PGR, their AUROC forms) at α = 0.05:", ""]
    lines += [_verdict_line(row) for row in gain.itertuples()]
    pgr = transitions[transitions["metric"] == "pgr"]
    not_fit = pgr[pgr["reason"].str.startswith("PGR undefined", na=False)]
    if len(not_fit):
        lines += ["", f"PGR curves not fit: {len(not_fit)} of {len(pgr)} have revisions where gold − weak fails "
                  "the margin rule (informative gaps; see metrics.csv's pgr_margin)."]
    excluded = {model: revisions for model, revisions in results.excluded.items() if revisions}
    if excluded:
        lines += ["", "Left out of the fits (listed in `analysis.exclude_revisions`, or flagged in "
                  "`results/tables/integrity.csv`): "
                  + "; ".join(f"{model}: {', '.join(_excluded(model, r, results.flags) for r in revisions)}"
                              for model, revisions in excluded.items()) + "."]
    lines += ["", "## Late checkpoints", ""]
    metrics = results.metrics
    last = metrics.loc[metrics.groupby(KEY)["step"].idxmax()]
    for row in last.itertuples():
        pgr_text = "n/a" if not math.isfinite(row.pgr) else f"{row.pgr:.2f} ({row.pgr_lo:.2f}–{row.pgr_hi:.2f})"
        lines.append(
            f"- {row.model}, {row.task}, layer {row.layer}, {_setup(row)}, step {row.step}: weak {row.weak_acc:.3f}, "
            f"W2S {row.w2s_acc:.3f}, gold {row.gold_acc:.3f}, gain {row.gain:+.3f}, PGR {pgr_text}; agreement with "
            f"the supervisor {row.agreement:.3f}, W2S accuracy where it is wrong {row.w2s_acc_weak_wrong:.3f}."
        )
    lines += ["", "## Does the plateau follow the supervisor?", ""]
    lines += _saturation(results.plateaus, results.saturation)
    lines += ["", "## Does the outcome track linear-representation quality beyond a shared trend?", ""]
    corr = results.correlations
    for row in corr[(corr["quality"] == "gold_acc") & (corr["outcome"] == "pgr")].itertuples():
        lines.append(
            f"- {row.model} ({'seed means' if row.unit == 'seeds' else 'one model'}), {row.task}, layer {row.layer}, "
            f"{_setup(row)}: "
            f"Spearman ρ of the changes of gold-probe accuracy and of PGR = {row.rho_diff:.2f} "
            f"(p = {_p(row.p_value)}, n = {row.n} revisions; quality and PGR on disjoint halves of the test set)."
        )
    sizes = results.scaling.dropna(subset=["width_slope"])
    lines += ["", "## Finite-size scaling", ""]
    if sizes.empty:
        lines.append("Fewer than two model sizes with a transition: no scaling to report "
                     "(`results/tables/scaling.csv` lists what there is).")
    for _, group in sizes.groupby(GROUP):
        row = group.iloc[0]
        lines.append(f"- {row.task}, layer {row.layer}, {_setup(row)}, {row.metric}: over {row.n_sizes} sizes, "
                     f"log width changes by {row.width_slope:+.2f} per decade of parameters (negative: it "
                     f"sharpens), log location by {row.location_slope:+.2f}.")
    return "\n".join(lines) + "\n"
