"""Linear-representation quality, its lag behind or ahead of the gain's transition, and the
differenced correlation of quality and outcome."""

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.correlation import correlation_table, quality_outcome_curves
from pipeline.analysis.lag import lag_table, transition_lag
from pipeline.analysis.quality import add_gold_dprime, dprime_curves, fisher_dprime
from pipeline.analysis.transition import DetectionConfig
from pipeline.config import MetricsConfig
from pipeline.probing.logistic import sigmoid
from pipeline.probing.spectrum import SPECTRAL_QUALITIES

SETUP = {"supervisor": "s", "method": "soft_ce"}  # one weak supervisor and W2S objective


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
                              "p_w2s": p_w2s, "p_gold": p_gold, "task": "t", "layer": 1, **SETUP})
        store[("m", f"step{step}")] = table
        acc = {k: np.mean((table[f"p_{k}"] >= 0.5) == (label == 1)) for k in ("weak", "w2s", "gold")}
        rows.append({"model": "m", "revision": f"step{step}", "step": step, "tokens": step * 1000, "task": "t",
                     "layer": 1, **SETUP, "gold_acc": acc["gold"], "gain": acc["w2s"] - acc["weak"],
                     "rankme": 10 + 5 * separation + rng.normal(0, 0.1), "alpha_req": 1 - 0.1 * separation})
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


def _spread(x: float) -> float:
    """Variance of the 14 minor directions of the features at x = log10(step + 1): rising around x = 2."""
    return 0.02 + sigmoid(8 * (x - 2.0))


def test_lag_of_the_spectral_qualities_resamples_the_test_features():
    """The features' effective rank rises around x = 2 and the gain around x = 2.5: RankMe's and
    α-ReQ's transitions, resampled with the gain's examples, come before the gain's."""
    rng = np.random.default_rng(7)
    table, store = _trajectory(rng, n_examples=600)
    features = {}
    for revision, step in zip(table["revision"], table["step"]):
        scale = np.r_[1.0, 1.0, np.full(14, np.sqrt(_spread(np.log10(step + 1))))]
        features[revision] = rng.standard_normal((600, 16)) * scale

    def load(model, revision, task, layer, ids):
        assert (model, task, layer) == ("m", "t", 1)
        return features[revision][np.asarray(ids, int)]

    lags = lag_table(table, lambda model, revision: store[(model, revision)], features=load,
                     config=DetectionConfig(n_boot=100), quality_min_effect={"gold_dprime": 0.2})
    assert lags["quality"].tolist() == ["gold_acc", "gold_dprime", "rankme", "alpha_req"]
    x = np.linspace(0, np.log10(table["step"].max() + 1), 2001)
    for lag in lags[lags["quality"].isin(["rankme", "alpha_req"])].itertuples():
        # where the population quality is halfway between its ends (it is not linear in the spread)
        truth = np.array([SPECTRAL_QUALITIES[lag.quality](np.r_[1.0, 1.0, np.full(14, np.sqrt(_spread(v)))])
                          for v in x])
        halfway = x[np.argmin(np.abs(truth - (truth[0] + truth[-1]) / 2))]
        assert (lag.quality_verdict, lag.gain_verdict) == ("transition", "transition")
        assert np.log10(lag.quality_step + 1) == pytest.approx(halfway, abs=0.25)
        assert lag.lag_x_lo > 0
    # a quality known at no revision (e.g. α-ReQ of a rank-2 representation): no lag, no error
    unknown = transition_lag(table["step"].to_numpy(), np.full(len(table), np.nan), table["gain"].to_numpy(),
                             np.zeros((3, len(table))), np.zeros((3, len(table))))
    assert unknown.quality_verdict == "inconclusive" and np.isnan(unknown.lag_x)
    with pytest.raises(ValueError, match="need the test features"):
        lag_table(table, lambda model, revision: store[(model, revision)], qualities=["rankme"])


def test_correlation_table_has_model_and_seed_rows_on_disjoint_halves():
    rng = np.random.default_rng(7)
    tables, stores = zip(*(_trajectory(rng, 300) for _ in range(2)))
    table = pd.concat([tables[0], tables[1].assign(model="n")], ignore_index=True)
    store = {**stores[0], **{("n", revision): t for (_, revision), t in stores[1].items()}}
    table = add_gold_dprime(table, lambda model, revision: store[(model, revision)])
    row = table.iloc[40]
    chosen = store[(row["model"], row["revision"])]
    assert row["gold_dprime"] == pytest.approx(fisher_dprime(chosen["p_gold"], chosen["label"]))
    result = correlation_table(table, lambda model, revision: store[(model, revision)],
                               MetricsConfig(pgr_margin_se=0.0), trajectories={"mn": ["m", "n"]},
                               exclude_revisions=["step0"])
    assert result[["unit", "model"]].drop_duplicates().values.tolist() == [["model", "m"], ["model", "n"],
                                                                          ["seeds", "mn"]]
    assert len(result) == 3 * 4 * 2  # units × qualities (gold_acc, gold_dprime, rankme, alpha_req) × outcomes
    assert result["rho_diff"].between(-1, 1).all() and result["p_value"].between(0, 1).all()
    # quality on even examples, outcome on odd ones: changing only odd examples' gold moves no quality
    odd = {k: t.assign(p_gold=np.where(np.arange(len(t)) % 2, 1 - t["p_gold"], t["p_gold"])) for k, t in store.items()}
    again = correlation_table(table, lambda model, revision: odd[(model, revision)], MetricsConfig(pgr_margin_se=0.0))
    before = quality_outcome_curves(table, lambda m, r: store[(m, r)], MetricsConfig(pgr_margin_se=0.0))
    after = quality_outcome_curves(table, lambda m, r: odd[(m, r)], MetricsConfig(pgr_margin_se=0.0))
    np.testing.assert_array_equal(before["gold_acc"], after["gold_acc"])
    assert not np.allclose(before["pgr"], after["pgr"], equal_nan=True)
    assert len(again) == 2 * 4 * 2
