"""The adaptive schedules of a run, gathered (the rule of this name): which revisions each round
probed and why, how each round's intervals narrowed, and a figure of the curves with each
round's revisions marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.analysis import figures
from pipeline.analysis.adaptive import worth_refining
from pipeline.analysis.adaptive_round import Round
from pipeline.io import write_table


def schedule_table(rounds: Mapping[str, Sequence[Round]]) -> pd.DataFrame:
    """One row per probed revision: model, round, revision, step, tokens, reason."""
    rows = [{"model": model, "round": r.index, **p} for model, rs in rounds.items() for r in rs for p in r.proposals]
    return pd.DataFrame(rows, columns=["model", "round", "revision", "step", "tokens", "reason"])


def rounds_table(rounds: Mapping[str, Sequence[Round]], candidates: Mapping[str, int]) -> pd.DataFrame:
    """One row per model and round: revisions it proposed, probed before it, of how many
    candidates; the curves in play after the revisions before it and the median and widest of
    their location intervals (decades of the detector's axis); why the schedule stopped there."""
    rows = []
    for model, rs in rounds.items():
        probed = 0
        for r in rs:
            live = [c for c in r.curves if worth_refining(c)]
            widths = [c["location_x_hi_cens"] - c["location_x_lo_cens"] for c in live
                      if c["location_x_lo_cens"] is not None and c["location_x_hi_cens"] is not None]
            rows.append({"model": model, "round": r.index, "proposed": len(r.proposals), "probed_before": probed,
                         "candidates": candidates[model], "curves": len(r.curves), "in_play": len(live),
                         "median_width": float(np.median(widths)) if widths else np.nan,
                         "widest": max(widths, default=np.nan), "stop": r.stop or ""})
            probed += len(r.proposals)
    return pd.DataFrame(rows)


def write_adaptive_schedule(
    rounds: Mapping[str, Sequence[Round]], candidates: Mapping[str, int], metrics: pd.DataFrame,
    metric: Mapping[str, str], outputs: Mapping[str, str],
) -> None:
    """Write the `schedule` and `rounds` tables and the `figure` (PNG, and SVG beside it) of each
    model's first deciding `metric`."""
    schedule = schedule_table(rounds)
    write_table(schedule, outputs["schedule"])
    write_table(rounds_table(rounds, candidates), outputs["rounds"])
    final = [{"model": m, **c} for m, rs in rounds.items() for c in rs[-1].curves if c["metric"] == metric[m]]
    last = pd.DataFrame(final, columns=["model", "task", "layer", "verdict", "step_lo", "step_hi"])
    chosen = metrics[metrics["model"].isin(list(rounds))]
    shown = chosen.assign(value=[row[metric[row["model"]]] for _, row in chosen.iterrows()])
    figures.adaptive_rounds(shown, schedule, last, " / ".join(sorted(set(metric.values()))), outputs["figure"])
