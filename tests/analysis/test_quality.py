import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from pipeline.analysis.quality import (
    add_gold_dprime,
    correlation_table,
    dprime_curves,
    fisher_dprime,
    lag_table,
    spearman_test,
)
from pipeline.analysis.transition import DetectionConfig
from pipeline.probing.logistic import sigmoid

FAST = {"n_boot": 500, "n_perm": 500}


def test_monotone_relation_has_rho_one_tight_ci_and_tiny_p():
    rng = np.random.default_rng(0)
    quality = np.sort(rng.uniform(0.5, 0.9, 30))
    gain = np.exp(5 * quality) + rng.normal(0, 1e-6, 30)  # monotone, not linear
    result = spearman_test(quality, gain, **FAST)
    assert result.rho == pytest.approx(1.0)
    assert result.rho_lo > 0.98
    assert result.p_value <= 2 / (FAST["n_perm"] + 1)


def test_independent_data_give_no_small_p():
    rng = np.random.default_rng(1)
    result = spearman_test(rng.normal(size=30), rng.normal(size=30), **FAST)
    assert result.p_value > 0.1
    assert result.rho_lo < 0 < result.rho_hi


def test_permutation_p_is_calibrated_under_independence():
    rng = np.random.default_rng(2)
    p_values = [spearman_test(rng.normal(size=20), rng.normal(size=20), n_boot=10, n_perm=200, seed=s).p_value
                for s in range(60)]
    assert np.mean(np.array(p_values) < 0.05) <= 0.15


def test_rho_equals_scipy_spearman():
    rng = np.random.default_rng(3)
    q, g = rng.normal(size=25), rng.normal(size=25)
    g[:5] = g[5]  # ties
    assert spearman_test(q, g, **FAST).rho == pytest.approx(spearmanr(q, g).statistic)


def test_pooled_rho_ignores_level_differences_between_models():
    """Within each model the two measures are independent, but one model is higher in both:
    stacked raw values would correlate, within-model ranks do not."""
    rng = np.random.default_rng(4)
    groups = np.repeat(["small", "large"], 20)
    offset = np.where(groups == "large", 10.0, 0.0)
    quality, gain = rng.normal(size=40) + offset, rng.normal(size=40) + offset
    assert spearmanr(quality, gain).statistic > 0.6
    pooled = spearman_test(quality, gain, groups, **FAST)
    assert abs(pooled.rho) < 0.3 and pooled.p_value > 0.05
    assert pooled.n == 40


def test_dprime_recovers_the_separation_and_ignores_logit_scale():
    rng = np.random.default_rng(5)
    label = rng.integers(0, 2, 20_000)
    score = rng.normal(size=label.size) + 1.5 * label
    assert fisher_dprime(sigmoid(score), label) == pytest.approx(1.5, abs=0.05)
    assert fisher_dprime(sigmoid(0.2 * score), label) == pytest.approx(fisher_dprime(sigmoid(score), label))
    weights = np.vstack([np.full(label.size, 1 / label.size), rng.dirichlet(np.ones(label.size))])
    curves = dprime_curves(sigmoid(score)[None], label, weights)
    assert curves.shape == (2, 1) and curves[1, 0] == pytest.approx(1.5, abs=0.1)


def _trajectory(rng, n_examples: int = 1200):
    """One model's metrics table and predictions: the gold probe's separation rises around step
    10^2 (x = 2), the W2S probe's accuracy, above a fixed weak supervisor, around x = 2.5."""
    steps = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512] + list(range(1000, 20000, 1000)))
    x = np.log10(steps + 1)
    label = rng.integers(0, 2, n_examples)
    sign = 2 * label - 1
    p_weak = sigmoid(sign * 0.8 + rng.normal(0, 1, n_examples))
    store, rows = {}, []
    for r, step in enumerate(steps):
        separation = 0.3 + 2.0 * sigmoid(8 * (x[r] - 2.0))
        p_gold = sigmoid(sign * separation + rng.normal(0, 1, n_examples))
        w2s_skill = 0.5 + 1.5 * sigmoid(8 * (x[r] - 2.5))
        p_w2s = sigmoid(sign * w2s_skill + rng.normal(0, 1, n_examples))
        table = pd.DataFrame({"id": np.arange(n_examples).astype(str), "label": label, "p_weak": p_weak,
                              "p_w2s": p_w2s, "p_gold": p_gold, "task": "t", "layer": 1})
        store[("m", f"step{step}")] = table
        acc = {k: np.mean((table[f"p_{k}"] >= 0.5) == (label == 1)) for k in ("weak", "w2s", "gold")}
        rows.append({"model": "m", "revision": f"step{step}", "step": step, "tokens": step * 1000, "task": "t",
                     "layer": 1, "gold_acc": acc["gold"], "gain": acc["w2s"] - acc["weak"]})
    return pd.DataFrame(rows), store


def test_lag_between_quality_and_gain_transitions_is_recovered():
    table, store = _trajectory(np.random.default_rng(6))
    lags = lag_table(table, lambda model, revision: store[(model, revision)], config=DetectionConfig(n_boot=100),
                     quality_min_effect={"gold_dprime": 0.2})
    assert lags["quality"].tolist() == ["gold_acc", "gold_dprime"]
    # halfway points of the noiseless curves: d′ at x = 2.0, gold accuracy Φ(separation) at 1.88,
    # the gain Φ(skill) − const at 2.40; so the lags are 0.52 (accuracy) and 0.40 (d′)
    for lag, truth in zip(lags.itertuples(), (0.52, 0.40)):
        assert (lag.quality_verdict, lag.gain_verdict) == ("transition", "transition")
        assert lag.lag_x_lo <= truth <= lag.lag_x_hi
        assert lag.lag_x_lo > 0  # the gain's transition comes later


def test_tables_have_one_row_per_model_and_a_pooled_row():
    rng = np.random.default_rng(7)
    tables, stores = zip(*(_trajectory(rng, 300) for _ in range(2)))
    table = pd.concat([tables[0], tables[1].assign(model="n")], ignore_index=True)
    store = {**stores[0], **{("n", revision): t for (_, revision), t in stores[1].items()}}
    table = add_gold_dprime(table, lambda model, revision: store[(model, revision)])
    row = table.iloc[40]
    chosen = store[(row["model"], row["revision"])]
    assert row["gold_dprime"] == pytest.approx(fisher_dprime(chosen["p_gold"], chosen["label"]))
    result = correlation_table(table, exclude_revisions=["step0"], n_boot=100, n_perm=100)
    assert result[["model", "quality"]].values.tolist() == [
        ["m", "gold_acc"], ["n", "gold_acc"], ["pooled", "gold_acc"],
        ["m", "gold_dprime"], ["n", "gold_dprime"], ["pooled", "gold_dprime"],
    ]
    assert result["n"].tolist() == [29, 29, 58] * 2
    assert (result["rho"] > 0.5).all()
