"""Curves from the metrics table and the stored predictions, the example and seed bootstraps
behind them, and the table of verdicts."""

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.curves import analyze, example_curves, exclusion_mask, seed_curves
from pipeline.analysis.transition import (
    DetectionConfig,
    ExampleBootstrap,
    make_axis,
    seed_bootstrap,
    transition_locations,
)
from pipeline.config import MetricsConfig
from pipeline.probing.logistic import sigmoid
from pipeline.probing.metrics import auroc, pgr
from pipeline.probing.probes import revision_metrics

SETUP = {"supervisor": "s", "method": "soft_ce"}  # one weak supervisor and W2S objective

N_TEST = 1500
RULE = MetricsConfig()
FAST = DetectionConfig(n_boot=60)


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


def _predictions(rng, n_rev: int, n: int = 400) -> list[pd.DataFrame]:
    ids = [f"e{i}" for i in range(n)]
    label = rng.integers(0, 2, n)
    p_weak = rng.random(n)  # one weak supervisor for every revision
    return [
        pd.DataFrame({"id": ids, "label": label, "p_weak": p_weak, "p_w2s": rng.random(n),
                      "p_gold": np.clip(label + rng.normal(0, 0.35 + 0.1 * r, n), 0, 1), "task": "t", "layer": 1,
                      **SETUP})
        for r in range(n_rev)
    ]


def test_example_bootstrap_reproduces_the_metrics_and_shares_examples_across_revisions():
    tables = _predictions(np.random.default_rng(11), 3)
    tables.append(tables[0].copy())  # a revision with the same predictions as the first
    sampler = ExampleBootstrap.from_predictions(tables, RULE)
    observed = sampler.observed()
    for r, table in enumerate(tables):
        row = revision_metrics(table, RULE)  # the probes job's own numbers
        for metric in ExampleBootstrap.METRICS:
            assert sampler.curves(metric, observed)[0, r] == pytest.approx(row[metric], abs=1e-12, nan_ok=True), metric
        assert row["gold_auroc"] == pytest.approx(auroc(table["p_gold"], table["label"]))
    weights = sampler.weights(np.random.default_rng(0), 50)
    np.testing.assert_allclose(weights.sum(1), 1.0)
    boot = sampler.curves("w2s_acc", weights)
    np.testing.assert_array_equal(boot[:, 0], boot[:, 3])  # the same examples for every revision
    assert boot[:, 0].std() > 0


def test_pgr_needs_a_margin_of_three_paired_standard_errors():
    rng = np.random.default_rng(3)
    label = rng.integers(0, 2, N_TEST)
    right = rng.random((3, N_TEST))
    table = pd.DataFrame({"id": np.arange(N_TEST), "label": label})
    for kind, share in (("weak", 0.70), ("w2s", 0.72), ("gold", 0.725)):
        table[f"p_{kind}"] = np.where(right[["weak", "w2s", "gold"].index(kind)] < share, label, 1 - label) * 0.8 + 0.1
    row = revision_metrics(table, RULE)
    margin = row["gold_acc"] - row["weak_acc"]
    assert 0.02 <= margin < row["pgr_margin"]  # above the absolute floor, below 3 standard errors
    assert math.isnan(row["pgr"]) and math.isnan(row["pgr_lo"])
    loose = revision_metrics(table, MetricsConfig(pgr_margin_se=0.0))
    assert loose["pgr"] == pytest.approx(pgr(row["weak_acc"], row["w2s_acc"], row["gold_acc"], 0.02))


def test_seed_bootstrap_averages_resampled_seeds_and_rescales_their_spread():
    curves = np.array([[0.0, 1.0, np.nan], [2.0, 3.0, 4.0]])
    draws = seed_bootstrap(curves, rescale=False)(np.random.default_rng(0), 200)
    assert set(np.round(draws[:, 0], 6)) <= {0.0, 1.0, 2.0}
    assert np.nanmax(draws[:, 2]) == 4.0  # NaN seeds are ignored in the mean
    spread = np.random.default_rng(1).normal(size=(3, 4))
    plain = seed_bootstrap(spread, rescale=False)(np.random.default_rng(2), 4000).var(0)
    rescaled = seed_bootstrap(spread)(np.random.default_rng(2), 4000).var(0)
    np.testing.assert_allclose(rescaled / plain, 1.5, rtol=1e-9)  # S / (S − 1) with S = 3 seeds


def _metrics_table(rng) -> tuple[pd.DataFrame, dict]:
    """A metrics table of two models (seeds of one trajectory) on 25 revisions and the predictions
    behind it: the gain rises sharply at step ~100; the gold probe equals the W2S probe on the first
    five revisions, so PGR's margin fails there."""
    steps = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512] + list(range(1000, 15000, 1000)))
    gain = -0.01 + 0.11 * sigmoid(10 * (np.log10(steps + 1) - 2.0))
    rows, store = [], {}
    for model in ("m0", "m1"):
        label = rng.integers(0, 2, N_TEST)
        weak = rng.random(N_TEST) < 0.7
        flip = np.where(weak, ((0.2 - gain) / 2 / 0.7)[:, None], ((0.2 + gain) / 2 / 0.3)[:, None])
        w2s = weak ^ (rng.random((len(steps), N_TEST)) < flip)
        for r, step in enumerate(steps):
            gold = w2s[r] | ((rng.random(N_TEST) < 0.5) & (r >= 5))
            table = pd.DataFrame({"id": np.arange(N_TEST).astype(str), "label": label, "task": "t", "layer": 1,
                                  **SETUP})
            for kind, correct in (("weak", weak), ("w2s", w2s[r]), ("gold", gold)):
                table[f"p_{kind}"] = np.where(correct, label, 1 - label) * 0.8 + 0.1
            store[(model, f"step{step}")] = table
            rows.append({"model": model, "revision": f"step{step}", "step": step, "tokens": step * 2048, "task": "t",
                         "layer": 1, **SETUP, **revision_metrics(table, RULE)})
    return pd.DataFrame(rows), store


def test_verdict_table_has_one_row_per_curve_with_seed_rows_and_fdr():
    table, store = _metrics_table(np.random.default_rng(12))
    kept = table[~exclusion_mask(table, {"m1": ["step3000"]})]
    curves = [*example_curves(kept, ("gain", "pgr"), lambda model, revision: store[(model, revision)], RULE),
              *seed_curves(kept, ("gain", "pgr"), {"both": ["m0", "m1"]})]
    result = analyze(curves, FAST, min_effect={"pgr": 0.1})
    assert result[["unit", "model", "metric"]].values.tolist() == [
        ["examples", "m0", "gain"], ["examples", "m0", "pgr"], ["examples", "m1", "gain"], ["examples", "m1", "pgr"],
        ["seeds", "both", "gain"], ["seeds", "both", "pgr"],
    ]
    gain = result[result["metric"] == "gain"]
    assert gain["n_points"].tolist() == [25, 24, 24]  # step3000 of m1 excluded, and so from the seed curve
    assert (gain["verdict_fdr"] == "transition").all()
    assert (gain["step_lo"] <= 100).all() and (gain["step_hi"] >= 100).all()
    assert gain["tokens"].iloc[0] == pytest.approx(gain["step"].iloc[0] * 2048, rel=1e-6)
    assert gain["between_seed_sd"].notna().tolist() == [False, False, True]
    pgr_rows = result[result["metric"] == "pgr"]
    assert pgr_rows["reason"].str.startswith("PGR undefined at 5 of").all()  # informative gaps: not fit

    table.loc[0, "gain"] += 0.01
    with pytest.raises(ValueError, match="do not reproduce"):
        list(example_curves(table, ("gain",), lambda model, revision: store[(model, revision)], RULE))


def test_seed_pgr_is_the_ratio_of_the_seed_means():
    rows = [{"model": m, "step": s, "task": "t", "layer": 1, **SETUP, "weak_acc": 0.6, "w2s_acc": w, "gold_acc": g,
             "pgr": (w - 0.6) / (g - 0.6)}
            for m, (w, g) in (("a", (0.7, 0.9)), ("b", (0.65, 0.7))) for s in (0, 10)]
    (curve,) = seed_curves(pd.DataFrame(rows), ("pgr",), {"ab": ["a", "b"]})
    assert curve.y[0] == pytest.approx((0.675 - 0.6) / (0.8 - 0.6))  # not the mean of 1/3 and 1/2


def test_locations_of_a_curve_too_short_to_fit_are_missing():
    located = transition_locations(np.array([0.0]), np.zeros((3, 1)), DetectionConfig())
    assert np.isnan(located["x0"]).all() and np.isnan(located["breakpoint"]).all() and len(located["x0"]) == 3
