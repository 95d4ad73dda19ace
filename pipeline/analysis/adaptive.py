"""An adaptive, coarse-to-fine revision schedule: probe where the transition's interval narrows.

Round 0 probes `coarse` revisions log-spaced over the schedule. After each round the calibrated
detector (analysis.transition) runs on every curve probed so far, and the next round's revisions
are proposed from its result rows, with a reason each:

  ci            unprobed revisions inside a curve's censored location interval, spread evenly in x
  fits-disagree unprobed revisions between the sigmoid's midpoint and the piecewise breakpoint
                where the two differ by more than the target width
  excluded      the nearest unprobed neighbours of a revision inside the interval that the
                integrity pre-flight excluded (it gives no point, its neighbours stand in for it)

Stops (first match): no curve shows a change after round 0 (every verdict "none" or too few
points: the detector's own decision, no new threshold);
every curve's interval is narrower than `target_width` decades of the detector's x axis (log
steps or log tokens); the revision budget is spent; nothing unprobed is left to propose.
Curves share a model's downloads: proposals are the union over a model's curves.

The defaults (coarse 16, 8 per round, budget 48 of Pythia's 154, target 0.1 decades) are our
choice, measured by benchmarks/adaptive.py; the detector's settings are its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.analysis.transition import DetectionConfig, make_axis


@dataclass(frozen=True)
class AdaptiveConfig:
    coarse: int = 16  # round 0: log-spaced revisions (first and last included)
    per_round: int = 8  # most revisions proposed per later round
    budget: int = 48  # most revisions probed in all
    target_width: float = 0.1  # stop when every interval is narrower (decades of the detector's x axis)

    def __post_init__(self):
        if not 2 <= self.coarse <= self.budget:
            raise ValueError(f"adaptive: need 2 <= coarse <= budget, got coarse={self.coarse}, budget={self.budget}")
        if self.per_round < 1:
            raise ValueError(f"adaptive: per_round must be >= 1, got {self.per_round}")
        if not self.target_width > 0:
            raise ValueError(f"adaptive: target_width must be > 0 decades, got {self.target_width}")


@dataclass(frozen=True)
class Proposal:
    index: int  # position in the schedule
    reason: str


def coarse_indices(x: np.ndarray, m: int) -> list[int]:
    """m schedule positions spaced evenly in x (first and last included), each distinct."""
    if m >= len(x):
        return list(range(len(x)))
    return sorted(_nearest_distinct(x, np.linspace(x.min(), x.max(), m), set()))


def _nearest_distinct(x: np.ndarray, targets: np.ndarray, taken: set[int], allowed: np.ndarray | None = None) -> list:
    chosen: list[int] = []
    for target in targets:
        for i in np.argsort(np.abs(x - target), kind="stable"):
            i = int(i)
            if i not in taken and i not in chosen and (allowed is None or allowed[i]):
                chosen.append(i)
                break
    return chosen


def worth_refining(row: Mapping) -> bool:
    """The detector sees a change (any verdict but "none") on enough points: a transition may
    hide in it. A "gradual" or "inconclusive" coarse verdict is refined too, since the coarse
    grid alone may lack the points near the transition that decide sharpness."""
    return row["verdict"] != "none" and row.get("reason") != "too few points"


def interval_width(row: Mapping) -> float:
    return float(row.get("location_x_hi_cens", math.nan) - row.get("location_x_lo_cens", math.nan))


def stop_reason(
    rows: Sequence[Mapping], n_probed: int, config: AdaptiveConfig,
) -> str | None:
    """Why the schedule stops after this round, or None to go on. `rows`: this round's detector
    rows of the curves in play (those worth refining after round 0)."""
    if not rows:
        return "no change in the coarse round"
    if all(interval_width(r) < config.target_width for r in rows):
        return "interval below target width"
    if n_probed >= config.budget:
        return "budget spent"
    return None


def propose(
    x: np.ndarray, probed: set[int], rows: Sequence[Mapping], config: AdaptiveConfig,
    excluded: set[int] = frozenset(),
) -> list[Proposal]:
    """Next round's schedule positions (at most per_round, within the budget) for curves on the
    schedule's axis x. Positions in `excluded` are never proposed; see the module docstring."""
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
        # excluded revisions inside the interval: their nearest free neighbours first
        for e in sorted(i for i in excluded if lo <= x[i] <= hi):
            add(_nearest_distinct(x, np.array([x[e]]), set(wanted), free)[:1], "excluded")
        # fits disagree: between the two location estimates
        a, b = sorted((row.get("sigmoid_x", math.nan), row.get("breakpoint_x", math.nan)))
        if math.isfinite(a) and math.isfinite(b) and b - a > config.target_width:
            between = inside & (x >= a) & (x <= b)
            add(_nearest_distinct(x, np.array([(a + b) / 2]), set(wanted), between), "fits-disagree")
        # the interval itself, spread evenly in x (interior targets: its ends are probed already)
        targets = np.linspace(lo, hi, share + 2)[1:-1]
        add(_nearest_distinct(x, targets, set(wanted), inside), "ci")
    ordered = sorted(wanted.items(), key=lambda item: ("excluded", "fits-disagree", "ci").index(item[1]))
    return [Proposal(i, reason) for i, reason in ordered[:room]]


def schedule_axis(step: Sequence[float], tokens: Sequence[float] | None, detection: DetectionConfig) -> np.ndarray:
    """The detector's x for every revision of a schedule."""
    return make_axis(np.asarray(step, float), None if tokens is None else np.asarray(tokens, float), detection.axis).x


@dataclass(frozen=True)
class AdaptiveRun:
    table: list[dict]  # one row per probed revision: round, index, reason
    rows: list[dict]  # the last round's detector row of every curve
    stop: str
    rounds: int
    history: tuple[list[dict], ...] = ()  # every round's detector rows, in order (the last is `rows`)


def run_adaptive(
    measure, x_step: np.ndarray, config: AdaptiveConfig, detection: DetectionConfig = DetectionConfig(),
    tokens: np.ndarray | None = None, excluded: set[int] = frozenset(), seed: int = 0,
) -> AdaptiveRun:
    """Drive the rounds in one process (benchmarks, the synthetic branch): `measure(indices)`
    returns (y (C, k), noise (C, B, k) or None) of every curve at those schedule positions.
    The workflow runs the same rounds as Snakemake checkpoints."""
    from pipeline.analysis.transition import detect_curves

    step = np.asarray(x_step, float)
    x = schedule_axis(step, tokens, detection)
    chosen = [i for i in coarse_indices(x, config.coarse) if i not in excluded]
    table = [{"round": 0, "index": i, "reason": "coarse"} for i in chosen]
    probed: set[int] = set(chosen)
    in_play: list[int] | None = None
    history: list[list[dict]] = []
    round_index = 0
    while True:
        cols = sorted(probed)
        y, noise = measure(cols)
        frame = detect_curves(step[cols], y, noise, tokens=None if tokens is None else np.asarray(tokens)[cols],
                              config=detection, seed=seed + round_index)
        rows = frame.to_dict("records")
        history.append(rows)
        if in_play is None:
            in_play = [c for c, row in enumerate(rows) if worth_refining(row)]
        live = [rows[c] for c in in_play]
        stop = stop_reason(live, len(probed), config)
        if stop is None:
            proposals = propose(x, probed, live, config, excluded)
            if not proposals:
                stop = "nothing left to probe in the intervals"
        if stop is not None:
            return AdaptiveRun(table, rows, stop, round_index + 1, tuple(history))
        round_index += 1
        for p in proposals:
            probed.add(p.index)
            table.append({"round": round_index, "index": p.index, "reason": p.reason})
