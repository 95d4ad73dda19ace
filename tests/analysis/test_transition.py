import math

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.curves import analyze_curves, example_curves, exclusion_mask, seed_curves
from pipeline.analysis.transition import (
    DetectionConfig,
    ExampleBootstrap,
    bootstrap_locations,
    detect_transition,
    fit_models,
    make_axis,
    seed_bootstrap,
)
from pipeline.analysis.transition.fits import WIDTH_FACTOR, ruptures_breakpoint
from pipeline.checkpoints.revisions import pythia_steps
from pipeline.probing.logistic import sigmoid
from pipeline.probing.metrics import accuracy, pgr

STEPS = np.array(pythia_steps())
X = np.log10(STEPS + 1)
N_TEST = 1500
DISAGREE = 0.2  # W2S and weak disagree on 20 % of examples: gain sd ≈ sqrt(0.2 / 1500) ≈ 0.0115
WEAK_ACC = 0.7
FAST = DetectionConfig(n_boot=100, cross_check=False)


def simulate_correct(rng: np.random.Generator, gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which test examples one weak supervisor (examples,) and a W2S probe per revision
    (revisions, examples) get right, with expected gain `gain` per revision."""
    weak = rng.random(N_TEST) < WEAK_ACC  # one weak supervisor for every revision
    w2s_right_weak_wrong, w2s_wrong_weak_right = (DISAGREE + gain) / 2, (DISAGREE - gain) / 2
    flip = np.where(weak, (w2s_wrong_weak_right / WEAK_ACC)[:, None], (w2s_right_weak_wrong / (1 - WEAK_ACC))[:, None])
    return weak, weak ^ (rng.random((len(gain), N_TEST)) < flip)


def simulate_gain(rng: np.random.Generator, gain: np.ndarray) -> tuple[np.ndarray, ExampleBootstrap]:
    """The observed gain curve of simulated test predictions, and its example bootstrap."""
    label = rng.random(N_TEST) < 0.5
    weak, w2s = simulate_correct(rng, gain)

    def probs(correct: np.ndarray) -> np.ndarray:
        return np.where(correct, label, ~label).astype(float)

    sampler = ExampleBootstrap({"weak": np.tile(probs(weak), (len(gain), 1)), "w2s": probs(w2s)}, label)
    return sampler.curves("gain", sampler.observed())[0], sampler


def sigmoid_gain(x0: float, width: float) -> np.ndarray:
    return -0.01 + 0.11 * sigmoid(WIDTH_FACTOR / width * (X - x0))


def test_sigmoid_transitions_are_detected_and_located():
    """Acceptance: the gain rises from −0.01 to 0.10 around a random step (log-uniform between
    steps 9 and 50,000; 10–90 % width 0.3–1 decade) on the Pythia grid, with test noise of 1,500
    examples. The 95 % CI of the step must cover the truth in ≥ 90 % of 200 curves and the
    verdict be "transition" in ≥ 90 %."""
    rng = np.random.default_rng(20240601)
    covered, found = [], []
    for trial in range(200):
        x0, width = rng.uniform(1.0, 4.7), rng.uniform(0.3, 1.0)
        y, sampler = simulate_gain(rng, sigmoid_gain(x0, width))
        result = detect_transition(STEPS, y, resample=sampler.resampler("gain"), config=FAST, seed=trial)
        true_step = 10**x0 - 1
        covered.append(result.sigmoid_step_lo <= true_step <= result.sigmoid_step_hi)
        found.append(result.verdict == "transition")
    coverage, detection = np.mean(covered), np.mean(found)
    print(f"coverage {coverage:.3f}, transition verdicts {detection:.3f}")
    assert coverage >= 0.9, coverage
    assert detection >= 0.9, detection


def test_flat_curves_are_not_transitions():
    rng = np.random.default_rng(7)
    verdicts = []
    for trial in range(60):
        y, sampler = simulate_gain(rng, np.full(len(X), 0.03))
        result = detect_transition(STEPS, y, resample=sampler.resampler("gain"), config=FAST, seed=trial)
        verdicts.append(result.verdict)
    rate = np.mean([v in ("none", "inconclusive") for v in verdicts])
    print(f"flat curves: none or inconclusive {rate:.3f}, none {np.mean([v == 'none' for v in verdicts]):.3f}")
    assert rate >= 0.9


def test_a_gradual_rise_is_not_a_transition():
    """The same rise spread linearly over the whole log axis is gradual, not a transition."""
    rng = np.random.default_rng(8)
    verdicts = []
    for trial in range(20):
        y, sampler = simulate_gain(rng, -0.01 + 0.11 * X / X.max())
        result = detect_transition(STEPS, y, resample=sampler.resampler("gain"), config=FAST, seed=trial)
        verdicts.append(result.verdict)
    assert np.mean([v != "transition" for v in verdicts]) >= 0.9


def test_bootstrap_fit_agrees_with_scipy_fit():
    """The vectorised grid + Levenberg–Marquardt of the replicates finds scipy's optimum."""
    rng = np.random.default_rng(3)
    for x0 in (1.5, 3.0, 4.4):
        y, _ = simulate_gain(rng, sigmoid_gain(x0, 0.6))
        fits = fit_models(X, y, FAST)
        located = bootstrap_locations(X, y[None], FAST)
        assert located["x0"][0] == pytest.approx(fits["sigmoid"].params[2], abs=2e-3)
        assert located["breakpoint"][0] == pytest.approx(fits["piecewise"].params[3])


def test_piecewise_fit_is_least_squares_at_its_breakpoint():
    rng = np.random.default_rng(4)
    x = np.linspace(0, 5, 60)
    y = 0.1 + 0.02 * x + 0.3 * np.maximum(x - 3.1, 0) + rng.normal(0, 0.01, len(x))
    fit = fit_models(x, y)["piecewise"]
    design = np.column_stack([np.ones_like(x), x, np.maximum(x - fit.params[3], 0)])
    coef, rss, *_ = np.linalg.lstsq(design, y, rcond=None)
    np.testing.assert_allclose(fit.params[:3], coef, atol=1e-8)
    assert fit.rss == pytest.approx(rss[0])
    assert fit.params[3] == pytest.approx(3.1, abs=0.05)
    assert ruptures_breakpoint(x, y) == pytest.approx(3.1, abs=0.15)


def test_missing_points_of_a_replicate_are_left_out_of_its_fit():
    rng = np.random.default_rng(5)
    y, _ = simulate_gain(rng, sigmoid_gain(3.0, 0.5))
    holes = y.copy()
    holes[::7] = np.nan
    keep = np.isfinite(holes)
    with_holes = bootstrap_locations(X, np.vstack([holes, y]), FAST)
    without = bootstrap_locations(X[keep], y[keep][None], FAST)
    assert with_holes["x0"][0] == pytest.approx(without["x0"][0], abs=2e-3)


def test_bic_counts_parameters_and_prefers_the_true_model():
    rng = np.random.default_rng(6)
    y, _ = simulate_gain(rng, np.full(len(X), 0.0))
    fits = fit_models(X, y)
    n = len(X)
    for name, n_params in (("constant", 1), ("linear", 2), ("sigmoid", 4), ("piecewise", 4)):
        assert fits[name].bic == pytest.approx(n * math.log(fits[name].rss / n) + (n_params + 1) * math.log(n))
    assert min(fits, key=lambda name: fits[name].bic) == "constant"


def test_without_bootstrap_a_clear_rise_is_only_inconclusive():
    y, _ = simulate_gain(np.random.default_rng(9), sigmoid_gain(3.0, 0.5))
    result = detect_transition(STEPS, y, config=FAST)
    assert (result.verdict, result.reason) == ("inconclusive", "no location CI")
    assert result.delta_bic > 10 and result.n_boot_valid == 0


def test_too_few_points_are_inconclusive():
    result = detect_transition(STEPS[:5], np.arange(5.0), config=FAST)
    assert (result.verdict, result.reason, result.n_points) == ("inconclusive", "too few points", 5)


def test_axis_handles_step_zero_and_converts_back():
    step = np.array([0, 1, 2, 4, 1000])
    tokens = step * 2048
    axis = make_axis(step, tokens)
    assert axis.x[0] == 0.0
    np.testing.assert_allclose(axis.to_step(axis.x), step, atol=1e-9)
    np.testing.assert_allclose(axis.to_tokens(axis.x), tokens, rtol=1e-9, atol=1e-6)
    by_tokens = make_axis(step, tokens, axis="tokens")
    np.testing.assert_allclose(by_tokens.x, axis.x + math.log10(2048))  # step 0 sits where log10(step + 1) puts it
    assert by_tokens.to_step(by_tokens.x[2]) == pytest.approx(2)


def test_transition_step_is_reported_in_steps_and_tokens():
    rng = np.random.default_rng(10)
    y, sampler = simulate_gain(rng, sigmoid_gain(3.5, 0.5))
    result = detect_transition(
        STEPS, y, tokens=STEPS * 2_097_152, resample=sampler.resampler("gain"), config=DetectionConfig(n_boot=100)
    )
    assert result.verdict == "transition" and result.transition_model == "sigmoid"
    assert result.step_lo <= 10**3.5 <= result.step_hi
    assert result.tokens == pytest.approx(result.step * 2_097_152, rel=1e-6)
    assert result.step_10 < result.step < result.step_90
    assert result.level_before == pytest.approx(-0.01, abs=0.01) and result.level_after == pytest.approx(0.1, abs=0.01)
    assert 10**2.5 < result.ruptures_step < 10**4.5


def _predictions(rng, n_rev: int, n: int = 400) -> list[pd.DataFrame]:
    ids = [f"e{i}" for i in range(n)]
    label = rng.integers(0, 2, n)
    p_weak = rng.random(n)  # one weak supervisor for every revision
    return [
        pd.DataFrame({"id": ids, "label": label, "p_weak": p_weak, "p_w2s": rng.random(n),
                      "p_gold": np.clip(label + rng.normal(0, 0.35 + 0.1 * r, n), 0, 1), "task": "t", "layer": 1})
        for r in range(n_rev)
    ]


def test_example_bootstrap_reproduces_the_metrics_and_shares_examples_across_revisions():
    tables = _predictions(np.random.default_rng(11), 3)
    tables.append(tables[0].copy())  # a revision with the same predictions as the first
    sampler = ExampleBootstrap.from_predictions(tables, min_margin=0.02)
    observed = sampler.observed()
    for r, table in enumerate(tables):
        acc = {k: accuracy(table[f"p_{k}"], table["label"]) for k in ("weak", "w2s", "gold")}
        assert sampler.curves("gain", observed)[0, r] == pytest.approx(acc["w2s"] - acc["weak"])
        assert sampler.curves("pgr", observed)[0, r] == pytest.approx(
            pgr(acc["weak"], acc["w2s"], acc["gold"], 0.02), nan_ok=True
        )
    weights = sampler.weights(np.random.default_rng(0), 50)
    np.testing.assert_allclose(weights.sum(1), 1.0)
    boot = sampler.curves("w2s_acc", weights)
    np.testing.assert_array_equal(boot[:, 0], boot[:, 3])  # the same examples for every revision
    assert boot[:, 0].std() > 0


def test_seed_bootstrap_averages_resampled_seeds():
    curves = np.array([[0.0, 1.0, np.nan], [2.0, 3.0, 4.0]])
    draws = seed_bootstrap(curves)(np.random.default_rng(0), 200)
    assert set(np.round(draws[:, 0], 6)) <= {0.0, 1.0, 2.0}
    assert set(draws[:, 2]) == {4.0} or np.isnan(draws[:, 2]).any()  # NaN seeds are ignored in the mean
    assert np.nanmax(draws[:, 2]) == 4.0
    assert seed_bootstrap(np.tile(curves[1], (3, 1)))(np.random.default_rng(0), 20).std(0).max() == 0


def _metrics_table(rng) -> tuple[pd.DataFrame, dict]:
    """A metrics table of two models on 25 revisions, and the predictions behind it. The gold
    probe equals the W2S probe on the first five revisions, so PGR's margin fails there."""
    steps = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512] + list(range(1000, 15000, 1000)))
    rows, store = [], {}
    for model in ("m0", "m1"):
        label = rng.integers(0, 2, N_TEST)
        weak, w2s = simulate_correct(rng, -0.01 + 0.11 * sigmoid(10 * (np.log10(steps + 1) - 2.0)))
        for r, step in enumerate(steps):
            gold = w2s[r] | ((rng.random(N_TEST) < 0.5) & (r >= 5))
            table = pd.DataFrame({"id": np.arange(N_TEST).astype(str), "label": label, "task": "t", "layer": 1})
            for kind, correct in (("weak", weak), ("w2s", w2s[r]), ("gold", gold)):
                table[f"p_{kind}"] = np.where(correct, label, 1 - label) * 0.8 + 0.1
            store[(model, f"step{step}")] = table
            acc = {k: accuracy(table[f"p_{k}"], label) for k in ("weak", "w2s", "gold")}
            rows.append({"model": model, "revision": f"step{step}", "step": step, "tokens": step * 2048, "task": "t",
                         "layer": 1, "weak_acc": acc["weak"], "w2s_acc": acc["w2s"], "gold_acc": acc["gold"],
                         "gain": acc["w2s"] - acc["weak"], "pgr": pgr(acc["weak"], acc["w2s"], acc["gold"], 0.02)})
    return pd.DataFrame(rows), store


def test_analyze_curves_returns_one_row_per_curve():
    table, store = _metrics_table(np.random.default_rng(12))
    config = DetectionConfig(n_boot=50)
    kept = table[~exclusion_mask(table, {"m1": ["step3000"]})]
    result = analyze_curves(
        example_curves(kept, ("gain", "pgr"), lambda model, revision: store[(model, revision)], 0.02),
        config, min_effect={"pgr": 0.1},
    )
    assert list(result[["model", "metric"]].itertuples(index=False, name=None)) == [
        ("m0", "gain"), ("m0", "pgr"), ("m1", "gain"), ("m1", "pgr")
    ]
    assert result["n_points"].tolist() == [25, 20, 24, 19]  # PGR where the margin held; step3000 of m1 excluded
    assert (result["verdict"][::2] == "transition").all()
    assert result["tokens"].iloc[0] == pytest.approx(result["step"].iloc[0] * 2048, rel=1e-6)

    seeds = analyze_curves(seed_curves(table, ("gain", "pgr"), {"both": ["m0", "m1"]}), config)
    assert seeds[["model", "metric"]].values.tolist() == [["both", "gain"], ["both", "pgr"]]

    table.loc[0, "gain"] += 0.01
    with pytest.raises(ValueError, match="do not reproduce"):
        list(example_curves(table, ("gain", "pgr"), lambda model, revision: store[(model, revision)], 0.02))


def test_bootstrap_locations_of_a_curve_too_short_to_fit_are_missing():
    from pipeline.analysis.transition.bootstrap import bootstrap_locations

    located = bootstrap_locations(np.array([0.0]), np.zeros((3, 1)))
    assert np.isnan(located["x0"]).all() and np.isnan(located["breakpoint"]).all() and len(located["x0"]) == 3
