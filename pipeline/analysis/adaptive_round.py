"""One round of a model's adaptive schedule in the workflow (the checkpoint rule of this name):
the detector on the curves of every revision probed so far, and the next revisions to probe or
why the schedule stops (analysis.adaptive holds the rule itself).

Round k's file is written after rounds 0 … k-1 were probed: round 0 holds the coarse revisions;
a later round holds its proposals, or none and the reason to stop. A model's probed revisions
are the proposals of its rounds up to the one that stops.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from pipeline.analysis.adaptive import coarse_indices, decide, schedule_axis
from pipeline.analysis.curves import KEY, Loader, analyze, example_curves
from pipeline.analysis.job import detection_config
from pipeline.checkpoints.revisions import Revision
from pipeline.config import AdaptiveConfig, AnalysisConfig, MetricsConfig
from pipeline.io import write_text

CURVE_COLUMNS = [*KEY, "metric", "verdict", "reason", "location_x", "location_x_lo_cens", "location_x_hi_cens",
                 "step", "step_lo", "step_hi"]


@dataclass(frozen=True)
class Round:
    model: str
    index: int
    proposals: list[dict]  # revision, step, tokens, reason
    stop: str | None = None
    curves: list[dict] = field(default_factory=list)  # the detector rows that decided (round ≥ 1)

    def write(self, path: str) -> None:
        write_text(json.dumps(asdict(self), indent=1), path)

    @classmethod
    def read(cls, path: str) -> Round:
        with open(path) as f:
            return cls(**json.load(f))


def probed_revisions(rounds: Sequence[Round]) -> list[str]:
    """The revisions proposed by `rounds`, in the order they were probed."""
    return [p["revision"] for r in rounds for p in r.proposals]


def plan_round(
    model: str,
    index: int,
    candidates: Sequence[Revision],
    previous: Sequence[Round],
    metrics: pd.DataFrame,
    predictions: Loader,
    settings: AdaptiveConfig,
    analysis: AnalysisConfig,
    margin_rule: MetricsConfig,
    excluded: Collection[str] = (),
) -> Round:
    """Round `index` of `model`'s schedule over `candidates` (its revisions in training order),
    after the `previous` rounds 0 … index-1 were probed (`metrics` rows and `predictions` of their
    revisions). `excluded` revisions (the integrity pre-flight's, analysis.exclude_revisions) are
    never probed."""
    if len(previous) != index or any(r.stop for r in previous):
        raise ValueError(f"{model}: round {index} needs rounds 0..{index - 1} without a stop; got "
                         f"{[(r.index, r.stop) for r in previous]}")
    detection = detection_config(analysis)
    tokens = [r.tokens for r in candidates]
    x = schedule_axis([r.step for r in candidates], None if None in tokens else tokens, detection)
    position = {r.name: i for i, r in enumerate(candidates)}
    skip = {position[name] for name in excluded if name in position}
    if index == 0:
        return Round(model, 0, _proposals(candidates, coarse_indices(x, settings.coarse, skip), "coarse"))
    probed = {position[name] for name in probed_revisions(previous)}
    rows = metrics[(metrics["model"] == model) & ~metrics["revision"].isin(list(excluded))]
    curves = analyze(example_curves(rows, settings.metrics, predictions, margin_rule), detection, analysis.min_effect)
    found = curves.reindex(columns=CURVE_COLUMNS).to_dict("records")
    chosen, stop = decide(x, probed, found, settings, index - 1, skip)
    proposals = [_proposals(candidates, [p.index], p.reason)[0] for p in chosen]
    return Round(model, index, proposals, stop, [_plain(row) for row in found])


def _proposals(candidates: Sequence[Revision], indices: Sequence[int], reason: str) -> list[dict]:
    return [{"revision": candidates[i].name, "step": candidates[i].step, "tokens": candidates[i].tokens,
             "reason": reason} for i in indices]


def _plain(row: Mapping) -> dict:
    """A row as JSON values: numpy scalars as Python's, NaN as null."""
    out = {}
    for key, value in row.items():
        value = value.item() if isinstance(value, np.generic) else value
        out[key] = None if isinstance(value, float) and math.isnan(value) else value
    return out
