"""A model's adaptive schedule, gathered once its last round is written (the rule of this name):
which revisions each round probed and why, how each round's intervals narrowed, and a figure of
the curves with each round's revisions marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.analysis import figures
from pipeline.analysis.adaptive import worth_refining
from pipeline.analysis.adaptive_round import Round
from pipeline.analysis.curves import KEY
from pipeline.io import write_table


def schedule_table(rounds: Sequence[Round]) -> pd.DataFrame:
    """One row per probed revision: model, round, revision, step, tokens, reason."""
    rows = [{"model": r.model, "round": r.index, **p} for r in rounds for p in r.proposals]
    return pd.DataFrame(rows, columns=["model", "round", "revision", "step", "tokens", "reason"])


def rounds_table(rounds: Sequence[Round], candidates: int) -> pd.DataFrame:
    """One row per round: revisions it proposed, probed before it, of how many candidates; the
    curves in play after the revisions before it and the median and widest of their location
    intervals (decades of the detector's axis); why the schedule stopped there."""
    rows, probed = [], 0
    for r in rounds:
        live = [c for c in r.curves if worth_refining(c)]
        widths = [c["location_x_hi_cens"] - c["location_x_lo_cens"] for c in live
                  if c["location_x_lo_cens"] is not None and c["location_x_hi_cens"] is not None]
        rows.append({"model": r.model, "round": r.index, "proposed": len(r.proposals), "probed_before": probed,
                     "candidates": candidates, "curves": len(r.curves), "in_play": len(live),
                     "median_width": float(np.median(widths)) if widths else np.nan,
                     "widest": max(widths, default=np.nan), "stop": r.stop or ""})
        probed += len(r.proposals)
    return pd.DataFrame(rows)


def write_adaptive_schedule(
    rounds: Sequence[Round], candidates: int, metrics: pd.DataFrame, metric: str, outputs: Mapping[str, str],
) -> None:
    """Write the `schedule` and `rounds` tables and the `figure` (PNG, and SVG beside it) of the
    first deciding `metric`, from the model's rounds and its probed revisions' `metrics` rows."""
    schedule = schedule_table(rounds)
    write_table(schedule, outputs["schedule"])
    write_table(rounds_table(rounds, candidates), outputs["rounds"])
    final = [{"model": rounds[-1].model, **c} for c in rounds[-1].curves if c["metric"] == metric]
    last = pd.DataFrame(final, columns=[*KEY, "verdict", "step_lo", "step_hi"])
    figures.adaptive_rounds(metrics.rename(columns={metric: "value"}), schedule, last, metric, outputs["figure"])
