"""The adaptive schedule's proposals, stops and rounds (benchmarks/adaptive.py measures it)."""

import numpy as np
import pytest

from pipeline.analysis.adaptive import coarse_indices, decide, propose, run_adaptive, worth_refining
from pipeline.analysis.simulate import x_of
from pipeline.checkpoints.revisions import pythia_steps
from pipeline.config import AdaptiveConfig, ConfigError

STEP = np.array(pythia_steps(), float)
X = x_of(STEP)


def _row(lo, hi, sigmoid_x=None, breakpoint_x=None, verdict="transition"):
    mid = (lo + hi) / 2
    return {"verdict": verdict, "reason": "", "location_x_lo_cens": lo, "location_x_hi_cens": hi,
            "sigmoid_x": mid if sigmoid_x is None else sigmoid_x,
            "breakpoint_x": mid if breakpoint_x is None else breakpoint_x}


def test_coarse_round_is_log_spaced_with_both_ends():
    chosen = coarse_indices(X, 16)
    assert len(set(chosen)) == 16 and chosen[0] == 0 and chosen[-1] == len(X) - 1
    gaps = np.diff(X[chosen])
    assert gaps.max() < 3 * np.median(gaps)


def test_proposals_fall_inside_the_interval_and_skip_probed_and_excluded():
    probed = set(coarse_indices(X, 16))
    lo, hi = 3.5, 4.0
    excluded_index = int(np.flatnonzero((X > 3.7) & (X < 3.8))[0])
    out = propose(X, probed, [_row(lo, hi)], AdaptiveConfig(per_round=6), {excluded_index})
    assert 0 < len(out) <= 6
    for p in out:
        assert lo <= X[p.index] <= hi and p.index not in probed and p.index != excluded_index
    assert out[0].reason == "excluded" and abs(out[0].index - excluded_index) == 1  # a neighbour
    assert {p.reason for p in out[1:]} == {"ci"}


def test_disagreeing_fits_get_a_revision_between_them():
    out = propose(X, set(coarse_indices(X, 16)), [_row(3.0, 4.0, sigmoid_x=3.3, breakpoint_x=3.6)],
                  AdaptiveConfig(per_round=4))
    between = [p for p in out if p.reason == "fits-disagree"]
    assert len(between) == 1 and 3.3 <= X[between[0].index] <= 3.6


def test_the_budget_caps_a_round():
    probed = set(range(len(X) - 46, len(X)))  # all outside the interval
    out = propose(X, probed, [_row(3.0, 4.5)], AdaptiveConfig(per_round=8, budget=48))
    assert len(out) == 2


def test_curves_share_a_round_and_narrow_intervals_propose_nothing():
    probed = set(coarse_indices(X, 16))
    out = propose(X, probed, [_row(3.5, 3.8), _row(4.2, 4.6), _row(4.0, 4.05)], AdaptiveConfig(per_round=8))
    xs = X[[p.index for p in out]]
    assert ((xs >= 3.5) & (xs <= 3.8)).any() and ((xs >= 4.2) & (xs <= 4.6)).any()
    assert not ((xs >= 4.0) & (xs <= 4.05)).any()


def test_stop_reasons():
    config = AdaptiveConfig(budget=30, target_width=0.1)
    probed = set(coarse_indices(X, 16))
    flat = _row(3.0, 3.5, verdict="none")
    assert decide(X, probed, [flat], config, 0) == ([], "no change in the coarse round")
    assert decide(X, probed, [flat], config, 2) == ([], "no change left to locate")
    assert decide(X, probed, [_row(3.0, 3.05), flat], config, 1) == ([], "interval below target width")
    assert decide(X, set(range(30)), [_row(3.0, 3.5)], config, 1) == ([], "budget spent")
    proposals, stop = decide(X, probed, [_row(3.0, 3.5), _row(3.0, 3.05)], config, 1)
    assert stop is None and all(3.0 <= X[p.index] <= 3.5 for p in proposals)
    all_but_the_first = set(range(1, len(X)))  # step 0 lies outside the interval
    assert decide(X, all_but_the_first, [_row(3.0, 3.5)], AdaptiveConfig(budget=154), 1)[1] == (
        "nothing left to probe in the intervals")
    assert not worth_refining({"verdict": "none", "reason": "no change beyond noise"})
    assert not worth_refining({"verdict": "inconclusive", "reason": "too few points"})
    assert worth_refining({"verdict": "gradual", "reason": "a smooth null suffices"})


def test_the_coarse_round_steps_around_excluded_revisions():
    excluded = {0, len(X) - 1, 40}
    chosen = coarse_indices(X, 16, excluded)
    assert len(chosen) == 16 and not excluded & set(chosen)
    assert chosen[0] == 1 and chosen[-1] == len(X) - 2


def test_bad_settings_are_named():
    with pytest.raises(ConfigError, match="coarse=60, budget=48"):
        AdaptiveConfig(coarse=60)
    with pytest.raises(ConfigError, match="target_width"):
        AdaptiveConfig(target_width=0)


def _measure(truth, sd, seed):
    rng = np.random.default_rng(seed)
    y = truth + sd * rng.standard_normal(len(truth))
    noise = sd * rng.standard_normal((200, len(truth)))

    def measure(cols):
        return y[None, cols], noise[None][:, :, cols]

    return measure


def test_a_sharp_rise_is_refined_around_its_location_and_a_flat_curve_stops_after_the_coarse_round():
    x0 = 3.9
    truth = 0.1 / (1 + np.exp(-(X - x0) / 0.03))
    run = run_adaptive(_measure(truth, 0.005, 1), STEP, AdaptiveConfig())
    later = [r for r in run.table if r["round"] > 0]
    assert run.rounds > 1 and later and len(run.table) <= 48
    assert all(abs(X[r["index"]] - x0) < 0.5 for r in later)
    row = run.rows[0]
    assert row["verdict"] == "transition" and row["location_x_lo_cens"] <= x0 <= row["location_x_hi_cens"]
    flat = run_adaptive(_measure(np.zeros(len(X)), 0.005, 2), STEP, AdaptiveConfig())
    assert flat.rounds == 1 and flat.stop == "no change in the coarse round" and len(flat.table) == 16
