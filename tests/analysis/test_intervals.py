"""Per-revision bootstrap intervals cover known accuracies and gains."""

import numpy as np
import pandas as pd

from pipeline.analysis.intervals import revision_intervals
from pipeline.config import MetricsConfig
from pipeline.probing.probes import revision_metrics

SETUP = {"supervisor": "s", "method": "soft_ce"}  # one weak supervisor and W2S objective

ACC = {"weak": 0.70, "w2s": 0.76, "gold": 0.82}
N_TEST = 1500


def _revision(rng: np.random.Generator) -> pd.DataFrame:
    """Test predictions whose hard decisions are right with the known probabilities; W2S is right
    wherever weak is, plus a share of weak's errors (so their correctness is correlated)."""
    y = rng.integers(0, 2, N_TEST)
    weak_right = rng.random(N_TEST) < ACC["weak"]
    w2s_right = weak_right | (rng.random(N_TEST) < (ACC["w2s"] - ACC["weak"]) / (1 - ACC["weak"]))
    gold_right = rng.random(N_TEST) < ACC["gold"]

    def p(right):
        return np.where(right == (y == 1), 0.8, 0.2)

    return pd.DataFrame({"id": [f"e{i}" for i in range(N_TEST)], "label": y, "p_weak": p(weak_right),
                         "p_w2s": p(w2s_right), "p_gold": p(gold_right), "task": "t", "layer": 1, **SETUP})


def test_intervals_cover_the_true_accuracies_and_gain():
    """200 simulated revisions (independent test sets) of one curve: each 95 % interval covers
    the true value in at least 90 % of them."""
    rng = np.random.default_rng(0)
    tables = [_revision(rng) for _ in range(200)]
    metrics = pd.DataFrame([{"model": "m", "revision": f"r{i}", "step": i, "task": "t", "layer": 1, **SETUP,
                             **revision_metrics(t, MetricsConfig())} for i, t in enumerate(tables)])
    # one shared test set per curve is what the bootstrap assumes: resample each revision alone
    rows = pd.concat([revision_intervals(metrics.iloc[[i]], lambda m, r, t=t: t, MetricsConfig(), n_boot=400, seed=i)
                      for i, t in enumerate(tables)])
    truth = {"weak_acc": ACC["weak"], "w2s_acc": ACC["w2s"], "gold_acc": ACC["gold"], "gain": ACC["w2s"] - ACC["weak"]}
    for metric, value in truth.items():
        coverage = ((rows[f"{metric}_lo"] <= value) & (value <= rows[f"{metric}_hi"])).mean()
        assert coverage >= 0.9, (metric, coverage)
    true_pgr = (ACC["w2s"] - ACC["weak"]) / (ACC["gold"] - ACC["weak"])
    defined = rows.dropna(subset=["pgr_lo"])
    assert len(defined) > 150 and ((defined["pgr_lo"] <= true_pgr) & (true_pgr <= defined["pgr_hi"])).mean() >= 0.9


def test_no_pgr_interval_where_the_revision_reports_no_pgr():
    rng = np.random.default_rng(1)
    table = _revision(rng).assign(p_gold=lambda t: t["p_weak"])  # gold = weak: PGR undefined
    metrics = pd.DataFrame([{"model": "m", "revision": "r", "step": 0, "task": "t", "layer": 1, **SETUP,
                             **revision_metrics(table, MetricsConfig())}])
    row = revision_intervals(metrics, lambda m, r: table, MetricsConfig(), n_boot=100).iloc[0]
    assert np.isnan(metrics["pgr"].iloc[0]) and np.isnan(row["pgr_lo"]) and row["pgr_defined"] == 0
    assert row["gain_lo"] < row["gain_hi"]
