"""An adaptive, coarse-to-fine revision schedule: probe where the transition's interval narrows.

Round 0 probes `coarse` revisions spaced evenly on the detector's axis (log step or log tokens).
After each round the calibrated detector (analysis.transition) runs on every curve probed so far,
and the next round's revisions are proposed from its result rows, with a reason each:

  ci            unprobed revisions inside a curve's censored location interval, spread evenly in x
  fits-disagree an unprobed revision between the sigmoid's midpoint and the piecewise breakpoint
                where the two differ by more than the target width
  excluded      the nearest unprobed neighbour of a revision inside the interval that the
                integrity pre-flight excluded (it gives no point; its neighbour stands in for it)

Curves in play are those where the detector sees a change (any verdict but "none", on enough
points: the detector's own decision, no new threshold). Stops (first match): no curve is in play
("no change in the coarse round" after round 0); every interval in play is narrower than
`target_width` decades; the revision budget is spent; nothing unprobed is left inside the
intervals. Curves share a model's downloads: a round's proposals serve all of them.

The defaults (config.AdaptiveConfig: coarse 16, 8 per round, budget 48 of Pythia's 154, target
0.1 decades) are our choice, measured by benchmarks/adaptive.py; the detector keeps its settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.analysis.transition import DetectionConfig, detect_curves, make_axis
from pipeline.config import AdaptiveConfig

REASONS = ("coarse", "excluded", "fits-disagree", "ci")


@dataclass(frozen=True)
class Proposal:
    index: int  # position in the schedule
    reason: str


def coarse_indices(x: np.ndarray, m: int, excluded: Collection[int] = frozenset()) -> list[int]:
    """m schedule positions spaced evenly in x (first and last included where not excluded),
    each distinct and none excluded."""
    allowed = np.array([i not in excluded for i in range(len(x))])
    if m >= allowed.sum():
        return [int(i) for i in np.flatnonzero(allowed)]
    return sorted(_nearest_distinct(x, np.linspace(x.min(), x.max(), m), set(), allowed))


def _nearest_distinct(x: np.ndarray, targets: np.ndarray, taken: set[int], allowed: np.ndarray) -> list[int]:
    chosen: list[int] = []
    for target in targets:
        for i in np.argsort(np.abs(x - target), kind="stable"):
            i = int(i)
            if allowed[i] and i not in taken and i not in chosen:
                chosen.append(i)
                break
    return chosen


def worth_refining(row: Mapping) -> bool:
    """The detector sees a change (any verdict but "none") on enough points: a transition may
    hide in it. A "gradual" or "inconclusive" verdict is refined too, since the points near the
    transition that decide sharpness may be the ones not yet probed."""
    return row["verdict"] != "none" and row.get("reason") != "too few points"


def interval_width(row: Mapping) -> float:
    return float(row.get("location_x_hi_cens", math.nan) - row.get("location_x_lo_cens", math.nan))


def propose(
    x: np.ndarray, probed: Collection[int], rows: Sequence[Mapping], config: AdaptiveConfig,
    excluded: Collection[int] = frozenset(),
) -> list[Proposal]:
    """Next round's schedule positions (at most per_round, within the budget) for the curves in
    play (`rows`, detector rows on the schedule's axis x); see the module docstring."""
    room = min(config.per_round, config.budget - len(probed))
    free = np.array([i not in probed and i not in excluded for i in range(len(x))])
    wanted: dict[int, str] = {}

    def add(indices, reason):
        for i in indices:
            wanted.setdefault(int(i), reason)

    wide = [r for r in rows if not interval_width(r) < config.target_width]
    share = max(1, room // max(len(wide), 1))
    for row in wide:
        lo, hi = row["location_x_lo_cens"], row["location_x_hi_cens"]
        inside = free & (x >= lo) & (x <= hi)
        if not inside.any():
            continue
        for e in sorted(i for i in excluded if lo <= x[i] <= hi):
            add(_nearest_distinct(x, np.array([x[e]]), set(wanted), inside)[:1], "excluded")
        a, b = sorted((row.get("sigmoid_x", math.nan), row.get("breakpoint_x", math.nan)))
        if math.isfinite(a) and math.isfinite(b) and b - a > config.target_width:
            between = inside & (x >= a) & (x <= b)
            add(_nearest_distinct(x, np.array([(a + b) / 2]), set(wanted), between), "fits-disagree")
        # the interval itself, spread evenly (interior targets: its ends are probed already)
        add(_nearest_distinct(x, np.linspace(lo, hi, share + 2)[1:-1], set(wanted), inside), "ci")
    ordered = sorted(wanted.items(), key=lambda item: REASONS.index(item[1]))
    return [Proposal(i, reason) for i, reason in ordered[: max(room, 0)]]


def decide(
    x: np.ndarray, probed: Collection[int], rows: Sequence[Mapping], config: AdaptiveConfig, round_index: int,
    excluded: Collection[int] = frozenset(),
) -> tuple[list[Proposal], str | None]:
    """After round `round_index` (0 = coarse) with detector rows of every curve: the next round's
    proposals, or why the schedule stops."""
    live = [r for r in rows if worth_refining(r)]
    if not live:
        return [], "no change in the coarse round" if round_index == 0 else "no change left to locate"
    if all(interval_width(r) < config.target_width for r in live):
        return [], "interval below target width"
    if len(probed) >= config.budget:
        return [], "budget spent"
    proposals = propose(x, probed, live, config, excluded)
    return proposals, None if proposals else "nothing left to probe in the intervals"


def schedule_axis(step: Sequence[float], tokens: Sequence[float] | None, detection: DetectionConfig) -> np.ndarray:
    """The detector's x of every revision of a schedule."""
    return make_axis(np.asarray(step, float), None if tokens is None else np.asarray(tokens, float), detection.axis).x


@dataclass(frozen=True)
class AdaptiveRun:
    table: list[dict]  # one row per probed position: round, index, reason
    rows: list[dict]  # the last round's detector row of every curve
    stop: str
    rounds: int
    history: tuple[list[dict], ...] = ()  # every round's detector rows, in order (the last is `rows`)


Measure = Callable[[list[int]], tuple[np.ndarray, np.ndarray | None]]
"""Schedule positions -> (y (C, k), noise replicates (C, B, k) or None) of every curve there."""


def run_adaptive(
    measure: Measure, step: np.ndarray, config: AdaptiveConfig, detection: DetectionConfig = DetectionConfig(),
    tokens: np.ndarray | None = None, excluded: Collection[int] = frozenset(), seed: int = 0,
) -> AdaptiveRun:
    """All rounds in one process (benchmarks, the synthetic branch); the workflow runs the same
    `decide` once per round, as Snakemake checkpoint jobs."""
    step = np.asarray(step, float)
    x = schedule_axis(step, tokens, detection)
    chosen = coarse_indices(x, config.coarse, excluded)
    table = [{"round": 0, "index": i, "reason": "coarse"} for i in chosen]
    probed = set(chosen)
    history: list[list[dict]] = []
    round_index = 0
    while True:
        cols = sorted(probed)
        y, noise = measure(cols)
        rows = detect_curves(step[cols], y, noise, tokens=None if tokens is None else np.asarray(tokens)[cols],
                             config=detection, seed=seed + round_index).to_dict("records")
        history.append(rows)
        proposals, stop = decide(x, probed, rows, config, round_index, excluded)
        if stop is not None:
            return AdaptiveRun(table, rows, stop, round_index + 1, tuple(history))
        round_index += 1
        probed.update(p.index for p in proposals)
        table.extend({"round": round_index, "index": p.index, "reason": p.reason} for p in proposals)
