"""Claims 1-6 at small size: the simulations' tables read through the claims' arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.synthetic import claims as C
from pipeline.synthetic import simulations as S
from pipeline.synthetic.theory import bbp_overlap_sq, supervisor_bias
from tests.synthetic.helpers import small


def test_transition_location_interpolates_in_log_x():
    x = np.array([1.0, 10.0, 100.0, 1000.0])
    assert C.transition_location(x, np.array([0.0, 0.25, 0.75, 1.0])) == pytest.approx(math.sqrt(1000))
    assert math.isnan(C.transition_location(x, np.array([0.0, 0.1, 0.2, 0.3])))


def test_claim1_spectral_overlap_follows_bbp():
    """d = 400, N ≥ 2N*: the root-mean-square overlap over 40 seeds is within 0.03 of the BBP
    curve. A wrong formula, e.g. (1 − γ/κ²)/(1 + γ/κ²), is ≥ 0.05 off at N = 2.5N*. Below N* the
    overlap is small."""
    cfg = small(d=400, pretrain_factors=[0.25, 2.5, 6], geometry_seeds=40)
    table = S.geometry(cfg)
    assert table["seed"].nunique() == 40
    rms = C.rms_overlap(table).set_index("N")
    above = rms.loc[rms.index >= 2 * cfg.n_star]
    assert len(above) == 2 and (above["overlap"] - above["theory"]).abs().max() < 0.03
    assert rms["theory"].iloc[0] == 0 and rms["overlap"].iloc[0] < 0.2
    gamma = 400 / (2.5 * cfg.n_star)
    assert abs(math.sqrt((1 - gamma / 0.09) / (1 + gamma / 0.09)) - rms["overlap"].iloc[1]) > 0.05
    assert math.sqrt(bbp_overlap_sq(gamma, 0.3)) == pytest.approx(math.sqrt(0.6 / (1 + 0.09 / 2.5 / 0.3)))


def test_claim2_only_the_pretrained_start_escapes():
    """n_train = 5d < N* = 11d: a spectral start from the student's own inputs is below the BBP
    threshold and fails like a random one; the start from 4N* pre-training inputs succeeds."""
    cfg = small()
    out = C.start_outcomes(S.pretraining(cfg)).set_index(["start", "labels"])
    assert cfg.n_train < cfg.n_star
    assert (out.loc[["random", "own inputs"], "failed"] >= 0.85).all()
    assert (out.loc["pre-trained", "succeeded"] == 1).all()
    assert (out.loc["pre-trained", "overlap"] > 0.9).all()


@pytest.fixture(scope="module")
def transition_table() -> pd.DataFrame:
    return S.transition(small())


def test_claim3_gain_splits_into_bias_and_noise_parts(transition_table):
    t = transition_table
    np.testing.assert_allclose(t["gain"], t["bias_part"] + t["noise_part"], atol=1e-5)
    assert t.groupby("seed")["err_sup"].first().mean() == pytest.approx(supervisor_bias(0.3, 3), rel=0.15)
    # the noisy labels are σ_w² = 1 worse than the baseline: the old, denoising baseline
    np.testing.assert_allclose(t["err_sup_noisy"] - t["err_sup"], 1.0, atol=0.15)


def test_claim3_bias_part_switches_on_with_pretraining(transition_table):
    curve = C.transition_curve(transition_table)
    assert curve["fraction_bias"].iloc[0] == 0 and (curve["fraction_bias"].iloc[-2:] >= 0.5).all()
    assert (curve["fraction"] == 0).all()  # with the noise (σ_w = 1) no W2S student beats the bias
    assert curve["N"].iloc[0] < C.transition_location(curve["N"], curve["fraction_bias"]) < curve["N"].iloc[-1]


def test_claim3_pgr_is_the_float32_gain_over_gap_where_the_ceiling_beats_the_supervisor(transition_table):
    t = transition_table
    gap = (t["err_sup"] - t["err_ceiling"]).to_numpy(np.float32)
    expected = np.where(gap > 0, t["gain"].to_numpy(np.float32) / np.where(gap > 0, gap, 1), np.nan)
    np.testing.assert_array_equal(t["pgr"].to_numpy(), expected.astype(float))
    assert t["pgr"].isna().any() and t["pgr"].notna().any()


def test_bias_noise_decomposition_on_cases_with_known_answers():
    """σ_w = 0: the labels are the noise-free ones, so the noise part is exactly 0. α = 0: the
    supervisor is the target, so the noise-free student is the ceiling and the bias part is exactly
    −err_ceiling (nothing to remove); the noise part is then the cost of fitting σ_w² noise."""
    quiet = S.transition(small(sigma_w=0.0, seeds=2, pretrain_factors=[1, 4], steps=100))
    assert (quiet["noise_part"] == 0).all() and (quiet["gain"] == quiet["bias_part"]).all()
    exact = S.transition(small(alpha=0.0, seeds=2, pretrain_factors=[1, 4], steps=100))
    assert (exact["err_sup"] == 0).all()
    # the same labels in two columns of one batch: equal up to float32 round-off
    np.testing.assert_allclose(exact["bias_part"], -exact["err_ceiling"], rtol=1e-5)
    assert (exact[exact["factor"] == 4]["noise_part"] < 0).all()


def test_claim4_error_falls_then_plateaus_in_order_of_the_spurious_weight():
    table = S.saturation(small())
    pl = C.plateaus(table)
    assert (np.diff(pl["plateau"]) > 0.1).all()
    assert (pl["start"] > pl["plateau"] + 1).all()
    assert (pl["lowest"] <= pl["plateau"]).all()
    ceiling = table[table["step"] == table["step"].max()]["err_ceiling"].mean()
    assert ceiling < pl["plateau"].min() - 0.2


def test_claims5_and_6_region_and_bound():
    cfg = small()
    table = S.effective_region(cfg)
    reg = C.region(table, cfg)
    assert 0.2 < reg.r0_star <= 0.9 and reg.mu >= reg.mu_horizon
    paths = reg.paths
    assert paths[paths["r0"] >= reg.r0_star]["converged"].mean() >= 0.9
    assert paths[paths["r0"] <= 0.2]["converged"].mean() <= 0.2
    bnd = S.bound(cfg, table, reg.r0_star, reg.mu)
    assert (bnd["err_max"] <= bnd["bound"] * (1 + 1e-6)).all()
