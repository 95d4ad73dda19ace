"""The calibrated transition detector: smooth nulls, parametric-bootstrap p-values, sharpness,
verdicts, seed bootstrap, FDR and differenced correlation (rates at scale: benchmarks/detector.py)."""

import math

import numpy as np
import pytest
from scipy.optimize import nnls

from pipeline.analysis.correlation import diff_correlations
from pipeline.analysis.fdr import apply_fdr, bh_qvalues
from pipeline.analysis.simulate import GRIDS, PYTHIA16_STEPS, example_curves, x_of
from pipeline.analysis.transition import (
    DetectionConfig,
    centred_noise,
    detect_curves,
    detect_transition,
    seed_bootstrap,
)
from pipeline.analysis.transition.bootstrap import noise_covariance
from pipeline.analysis.transition.detect import _censor, families_for
from pipeline.analysis.transition.fits import EXP_WIDTH, WIDTH_FACTOR, fit_family
from pipeline.analysis.transition.nulls import exp_rise, ispline_rise, power_rise, spline_centres, tau_grid
from pipeline.checkpoints.revisions import pythia_revisions, select_revisions
from pipeline.probing.logistic import sigmoid

TINY = GRIDS["tiny"]
PYTHIA = GRIDS["pythia"]
FAST = DetectionConfig(n_boot=99)


def _fam(step=TINY, config=DetectionConfig()):
    return families_for(x_of(step), np.asarray(step, float), config)


# ---------------------------------------------------------------- null fits


def test_exp_width_constant():
    s = np.geomspace(1e-3, 1e4, 200001)
    f = -np.expm1(-s)
    assert math.log10(s[np.argmax(f >= 0.9)] / s[np.argmax(f >= 0.1)]) == pytest.approx(EXP_WIDTH, abs=1e-3)


def test_exp_and_power_fits_recover_parameters_on_the_grid():
    fam = _fam()
    tau = tau_grid(TINY, DetectionConfig())[12]
    y = 0.01 + 0.1 * exp_rise(TINY, [tau])[0]
    fit = fit_family(fam["exp"], y[None])
    assert fit.rss[0] < 1e-14
    assert fit.grid_params()[0, 0] == pytest.approx(tau)
    assert fit.coef[0] == pytest.approx([0.01, 0.1])
    s0, gamma = fam["power"].grid[37]
    y = -0.02 + 0.08 * power_rise(TINY, [s0], [gamma])[0]
    fit = fit_family(fam["power"], y[None])
    assert fit.rss[0] < 1e-14 and fit.grid_params()[0] == pytest.approx([s0, gamma])
    assert fit.coef[0] == pytest.approx([-0.02, 0.08])


def test_linear_and_constant_fits_with_missing_points_match_lstsq():
    rng = np.random.default_rng(0)
    x = x_of(TINY)
    y = 0.02 + 0.01 * x + 0.01 * rng.standard_normal(len(x))
    y[[2, 7]] = np.nan
    fit = fit_family(_fam()["linear"], y[None])
    keep = np.isfinite(y)
    coef, res, *_ = np.linalg.lstsq(np.column_stack([np.ones(keep.sum()), x[keep]]), y[keep], rcond=None)
    assert fit.coef[0] == pytest.approx(coef)
    assert fit.rss[0] == pytest.approx(res[0])


def test_monotone_spline_is_the_nnls_optimum():
    rng = np.random.default_rng(1)
    x = x_of(PYTHIA)
    centres, h = spline_centres(x, DetectionConfig())
    basis = ispline_rise(x, centres, h).T
    for _ in range(5):
        y = np.cumsum(np.abs(rng.standard_normal(len(x)))) * 0.01 + 0.01 * rng.standard_normal(len(x))
        fit = fit_family(_fam(PYTHIA)["spline"], y[None])
        # NNLS with a free intercept: centre y and the basis (the intercept absorbs the means)
        _, rnorm = nnls(basis - basis.mean(0), y - y.mean())
        assert fit.rss[0] == pytest.approx(rnorm**2, rel=1e-6, abs=1e-12)


def test_spline_rises_are_no_sharper_than_an_exponential_relaxation():
    x = np.linspace(-5, 5, 100001)
    rise = ispline_rise(x, [0.0], spline_centres(x_of(TINY), DetectionConfig())[1])[0]
    assert x[np.argmax(rise >= 0.9)] - x[np.argmax(rise >= 0.1)] == pytest.approx(EXP_WIDTH, abs=1e-3)


def test_dip_fit_recovers_a_dip_and_is_never_a_monotone_two_phase_rise():
    fam = _fam()
    tau = tau_grid(TINY, DetectionConfig())
    t1, t2 = tau[8], tau[20]
    dip = 0.01 - 0.05 * exp_rise(TINY, [t1])[0] + 0.09 * exp_rise(TINY, [t2])[0]
    fit = fit_family(fam["dip"], dip[None])
    assert fit.rss[0] < 1e-14 and fit.grid_params()[0] == pytest.approx([t1, t2])
    # a monotone hypoexponential rise (b1/τ1 < b2/τ2 in size) is outside the family
    b1 = 0.5 * 0.09 * t1 / t2  # |b1|/τ1 < b2/τ2: the slow term sets the initial slope
    rise = 0.01 - b1 * exp_rise(TINY, [t1])[0] + 0.09 * exp_rise(TINY, [t2])[0]
    assert np.all(np.diff(rise) >= 0)
    assert fit_family(fam["dip"], rise[None]).rss[0] > 1e-10


def test_gls_fit_matches_explicit_generalised_least_squares():
    rng = np.random.default_rng(2)
    x = x_of(TINY)
    n = len(x)
    a = rng.standard_normal((n, n))
    cov = a @ a.T / n + np.eye(n)
    y = 0.03 + 0.02 * x + rng.multivariate_normal(np.zeros(n), cov * 1e-4)
    fit = fit_family(_fam()["linear"].whitened(cov), y[None])
    X = np.column_stack([np.ones(n), x])
    ci = np.linalg.inv(cov)
    beta = np.linalg.solve(X.T @ ci @ X, X.T @ ci @ y)
    r = y - X @ beta
    assert fit.coef[0] == pytest.approx(beta)
    assert fit.rss[0] == pytest.approx(r @ ci @ r)


# ---------------------------------------------------------------- calibration and verdicts


def test_p_values_are_roughly_uniform_under_a_smooth_null():
    rng = np.random.default_rng(3)
    truth = 0.1 * exp_rise(TINY, rng.uniform(10, 300, 60)[:, None][:, 0])
    y = truth + 0.01 * rng.standard_normal(truth.shape)
    out = detect_curves(TINY, y, None, config=FAST, seed=1)  # Gaussian noise, residual variance
    p = out["p_transition"].to_numpy()
    assert 0.2 <= np.mean(p <= 0.5) <= 0.8
    assert np.mean(p <= 0.1) <= 0.25
    assert (out["verdict"] != "transition").mean() >= 0.9


def test_a_sharp_sigmoid_is_a_transition_located_between_checkpoints():
    rng = np.random.default_rng(4)
    x = x_of(PYTHIA)
    truth = np.stack([-0.01 + 0.1 * sigmoid(WIDTH_FACTOR / 0.2 * (x - x0)) for x0 in (1.7, 2.9, 3.6)])
    y, samplers = example_curves(rng, truth)
    for i, x0 in enumerate((1.7, 2.9, 3.6)):
        row = detect_transition(PYTHIA, y[i], resample=samplers[i].resampler("gain"), config=FAST, seed=i)
        assert row["verdict"] == "transition", row["reason"]
        assert row["location_x_lo_cens"] <= x0 <= row["location_x_hi_cens"]
        assert row["location_x_lo_cens"] in x and row["location_x_hi_cens"] in x
        assert row["width_x_hi"] < EXP_WIDTH
        assert row["level_after"] - row["level_before"] == pytest.approx(0.1, abs=0.03)


def test_exponential_saturation_is_gradual_and_a_dip_non_monotone_and_flat_none():
    rng = np.random.default_rng(5)
    truths = np.stack([
        0.12 * exp_rise(TINY, [60.0])[0],
        -0.06 * exp_rise(TINY, [8.0])[0] + 0.14 * exp_rise(TINY, [300.0])[0],
        np.full(len(TINY), 0.02),
    ])
    y, samplers = example_curves(rng, truths)
    verdicts = [detect_transition(TINY, y[i], resample=samplers[i].resampler("gain"), config=FAST, seed=i)["verdict"]
                for i in range(3)]
    assert verdicts == ["gradual", "non-monotone", "none"]


def test_too_few_points_are_inconclusive():
    row = detect_transition(TINY[:5], np.linspace(0, 0.1, 5), config=FAST)
    assert row["verdict"] == "inconclusive" and row["reason"] == "too few points"


def test_censored_interval_always_spans_a_whole_gap():
    x = x_of(TINY)
    assert _censor(1.0, 1.1, x) == (x[x < 1.0].max(), x[x > 1.1].min())
    assert _censor(x[5], x[5], x) == (x[4], x[6])  # a point interval on a checkpoint: both gaps
    assert _censor(-1.0, 9.0, x) == (x.min(), x.max())


# ---------------------------------------------------------------- resampling, FDR, correlation


def test_rescaled_seed_bootstrap_has_the_unbiased_variance_of_the_mean():
    rng = np.random.default_rng(6)
    curves = rng.standard_normal((3, 10))
    draws = seed_bootstrap(curves)(rng, 20000)
    assert draws.var(0) == pytest.approx(curves.var(0, ddof=1) / 3, rel=0.05)


def test_noise_covariance_refuses_few_seeds_and_shrinks_example_noise():
    rng = np.random.default_rng(7)
    assert noise_covariance(seed_bootstrap(rng.standard_normal((3, 19)))(rng, 200)) is None
    _, samplers = example_curves(rng, np.zeros((1, 19)))
    noise = samplers[0].resampler("gain")(rng, 200)
    cov = noise_covariance(noise - noise.mean(0))
    assert cov is not None and np.all(np.linalg.eigvalsh(cov) > 0)


def test_bh_qvalues():
    q = bh_qvalues(np.array([0.01, 0.04, np.nan, 0.03, 0.2]))
    assert q[[0, 1, 3, 4]] == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])
    assert np.isnan(q[2])
    # monotone in p, and ≥ p
    p = np.random.default_rng(8).random(50)
    q = bh_qvalues(p)
    assert np.all(q >= p) and np.all(np.diff(q[np.argsort(p)]) >= -1e-15)


def test_apply_fdr_regrades_with_q_values():
    rng = np.random.default_rng(9)
    truth = np.zeros((4, len(TINY))) + 0.1 * sigmoid(10 * (x_of(TINY) - 1.8))
    y, samplers = example_curves(rng, truth)
    noise = np.stack([centred_noise(s.resampler("gain"), rng, 99) for s in samplers])
    graded = apply_fdr(detect_curves(TINY, y, noise, config=FAST), lambda row: FAST)
    assert {"q_change", "q_transition", "q_dip", "verdict_fdr"} <= set(graded.columns)
    assert np.all(graded["q_transition"] >= graded["p_transition"] - 1e-15)
    assert (graded["verdict_fdr"] == "transition").sum() <= (graded["verdict"] == "transition").sum()


def test_first_difference_correlation_of_random_walks_holds_its_level():
    rng = np.random.default_rng(10)
    a = np.cumsum(rng.standard_normal((600, 19)), 1)
    b = np.cumsum(rng.standard_normal((600, 19)), 1)
    _, p = diff_correlations(a, b, n_perm=499, rng=rng)
    assert 0.025 <= np.mean(p <= 0.05) <= 0.08
    c = a + 0.5 * np.cumsum(rng.standard_normal((600, 19)), 1)  # shares a's increments
    _, p = diff_correlations(a[:50], c[:50], n_perm=499, rng=rng)
    assert np.mean(p <= 0.05) > 0.8


def test_the_pythia_grid_of_the_simulations_is_the_configured_one():
    revisions = select_revisions(pythia_revisions(), {"log_spaced": 16})
    np.testing.assert_array_equal(PYTHIA16_STEPS, [r.step for r in revisions])
