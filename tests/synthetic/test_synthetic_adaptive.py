"""The transition in N located adaptively, beside the full sweep of the same grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.synthetic.synthetic_adaptive import GainSimulator, grid_sizes, locate
from tests.synthetic.helpers import small

# d = 200: the gain rises from about −13 to −0.5 between 0.6 and 2.4 N*; 32 sizes, budget 16
CFG = small()


@pytest.fixture(scope="module")
def located():
    return locate(CFG)


def test_grid_is_log_spaced_over_the_pretraining_range():
    sizes = grid_sizes(CFG)
    assert len(sizes) == CFG.adaptive_points == 32
    assert sizes[0] == round(min(CFG.pretrain_factors) * CFG.n_star)
    assert sizes[-1] == round(max(CFG.pretrain_factors) * CFG.n_star)
    ratio = (sizes[-1] / sizes[0]) ** (1 / 31)
    np.testing.assert_allclose(sizes[1:] / sizes[:-1], ratio, rtol=2e-3)


def test_adaptive_location_agrees_with_the_full_sweep_on_fewer_sizes(located):
    methods = located.methods.set_index("method")
    adaptive, full = methods.loc["adaptive"], methods.loc["full"]
    assert full["n_simulated"] == 32 and adaptive["n_simulated"] <= CFG.adaptive_budget
    assert "none" not in (adaptive["verdict"], full["verdict"])
    # each location inside the other's interval, and the adaptive interval at most 1.5× as wide
    assert full["location_N_lo"] <= adaptive["location_N"] <= full["location_N_hi"]
    assert adaptive["location_N_lo"] <= full["location_N"] <= adaptive["location_N_hi"]
    assert adaptive["ci_width_decades"] <= 1.5 * full["ci_width_decades"]


def test_every_later_round_simulates_inside_the_previous_rounds_interval(located):
    rounds = located.rounds
    later = rounds[rounds["round"] > 0]
    assert len(later) > 0 and rounds[rounds["round"] == 0]["from_N_lo"].isna().all()
    # the intervals exclude most of the grid, so sizes spread over it would fall outside
    sizes = grid_sizes(CFG)
    assert (np.log10(later["from_N_hi"] / later["from_N_lo"]) < 0.5 * math.log10(sizes[-1] / sizes[0])).all()
    assert ((later["N"] >= later["from_N_lo"]) & (later["N"] <= later["from_N_hi"])).all()


def test_gain_at_a_size_does_not_depend_on_which_sizes_are_simulated():
    cfg = small(d=40, n_train=200, n_test=200, steps=50, seeds=3, adaptive_points=12)
    sizes = grid_sizes(cfg)
    alone = GainSimulator(cfg, sizes)([2, 9])
    together = GainSimulator(cfg, sizes)(list(range(len(sizes))))[:, [2, 9]]
    np.testing.assert_allclose(alone, together, rtol=1e-5)
