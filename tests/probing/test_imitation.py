"""Imitation, measured: agreement with the supervisor, and whether the student corrects its errors."""

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.config import MetricsConfig, ProbeConfig
from pipeline.probing.metrics import imitation, wilson_interval
from pipeline.probing.probes import evaluate_layers


def test_imitation_counts_agreement_and_accuracy_where_the_supervisor_is_right_and_wrong():
    y = np.array([1, 1, 0, 0, 1, 0])
    p_weak = np.array([0.9, 0.2, 0.1, 0.8, 0.7, 0.3])  # wrong on examples 1 and 3
    p_w2s = np.array([0.8, 0.6, 0.4, 0.9, 0.2, 0.1])  # right on 0, 1, 2, 5
    out = imitation(p_weak, p_w2s, y, 0.95)
    assert out["agreement"] == pytest.approx(4 / 6)  # decisions equal on examples 0, 2, 3 and 5
    assert out["n_weak_wrong"] == 2 and out["w2s_acc_weak_wrong"] == 0.5
    assert out["w2s_acc_weak_right"] == pytest.approx(3 / 4)
    assert out["w2s_acc_weak_wrong_lo"] < 0.5 < out["w2s_acc_weak_wrong_hi"]


def test_wilson_interval_is_the_textbook_one():
    lo, hi = wilson_interval(8, 10, 0.95)  # Wilson (1927): 8/10 -> [0.4902, 0.9433]
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)
    assert all(math.isnan(v) for v in wilson_interval(0, 0, 0.95))


def test_a_student_that_corrects_a_systematic_supervisor_error_is_detected():
    """The label is the sign of feature 0, which the strong features encode; the supervisor is
    wrong wherever feature 1 is large (a systematic error on a feature, 20 % of examples). The W2S
    probe, fit on its labels, is right on most of those examples, and the interval says so."""
    rng = np.random.default_rng(0)
    n, d = 3000, 8
    x = rng.standard_normal((n, d))
    y = (x[:, 0] > 0).astype(int)
    errs = x[:, 1] > np.quantile(x[:, 1], 0.8)
    p_weak = np.where(errs, 1 - y, y).astype(float) * 0.8 + 0.1
    split = np.array(["A", "B", "test"])[rng.integers(0, 3, n)]
    table = pd.DataFrame({"id": [f"e{i}" for i in range(n)], "split": split, "label": y})
    (row, _), = evaluate_layers({1: x}, table, {"weak": p_weak}, ProbeConfig(), MetricsConfig())
    assert row["agreement"] < 0.9 and row["n_weak_wrong"] > 100
    assert row["w2s_acc_weak_wrong"] > 0.5 and row["w2s_acc_weak_wrong_lo"] > 0.5


def test_a_student_that_copies_its_supervisor_is_not_credited():
    """Weak labels that are a linear function of the features the student sees: it imitates them,
    so its accuracy where the supervisor is wrong stays near 0."""
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.standard_normal((n, 4))
    y = (x[:, 0] + 0.8 * rng.standard_normal(n) > 0).astype(int)
    p_weak = 1 / (1 + np.exp(-4 * x[:, 0]))
    split = np.array(["A", "B", "test"])[rng.integers(0, 3, n)]
    table = pd.DataFrame({"id": [f"e{i}" for i in range(n)], "split": split, "label": y})
    (row, _), = evaluate_layers({1: x}, table, {"weak": p_weak}, ProbeConfig(), MetricsConfig())
    assert row["agreement"] > 0.95 and row["w2s_acc_weak_wrong_hi"] < 0.5
