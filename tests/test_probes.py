import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from pipeline.probes import LogisticProbe, fit_logistic_batch, fold_masks


def _data(n=600, d=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d)
    w = rng.standard_normal(d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x @ w) / 3))).astype(float)
    return x, y


@pytest.mark.parametrize("c", [0.001, 0.1, 10.0])
def test_batched_newton_equals_scikit_learn_on_hard_labels(c):
    x, y = _data()
    reference = LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(x, y)
    coef, intercept = fit_logistic_batch(x, y[None], np.ones((1, len(y))), np.array([c]))
    np.testing.assert_allclose(coef[0], reference.coef_[0], atol=1e-5)
    np.testing.assert_allclose(intercept[0], reference.intercept_[0], atol=1e-5)


def test_soft_labels_equal_weighted_duplicates():
    """CE against soft p equals a weighted fit on (x, 1) with weight p and (x, 0) with 1 − p."""
    x, _ = _data(seed=1)
    p = np.random.default_rng(2).uniform(0, 1, len(x))
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(
        np.vstack([x, x]), np.r_[np.ones(len(p)), np.zeros(len(p))], sample_weight=np.r_[p, 1 - p]
    )
    coef, intercept = fit_logistic_batch(x, p[None], np.ones((1, len(p))), np.array([0.5]))
    np.testing.assert_allclose(coef[0], reference.coef_[0], atol=1e-5)


def test_probe_on_hard_labels_matches_scikit_learn_accuracy():
    x, y = _data(n=1200)
    train, test = slice(0, 800), slice(800, None)
    probe = LogisticProbe(cs=[0.1], folds=3).fit(x[train], y[train])
    mean, std = x[train].mean(0), x[train].std(0) + 1e-8
    reference = LogisticRegression(C=0.1, max_iter=10_000).fit((x[train] - mean) / std, y[train])
    ours = np.mean((probe.predict_proba(x[test]) >= 0.5) == y[test])
    theirs = reference.score((x[test] - mean) / std, y[test])
    assert abs(ours - theirs) <= 0.005


def test_cross_validation_picks_weaker_regularization_when_signal_is_strong():
    x, y = _data(n=800)
    probe = LogisticProbe(cs=[1e-4, 1.0], folds=4).fit(x, y)
    assert probe.c_ == 1.0
    assert probe.cv_losses_[1e-4] > probe.cv_losses_[1.0]
    noise = np.random.default_rng(5).integers(0, 2, len(y)).astype(float)
    assert LogisticProbe(cs=[1e-4, 10.0], folds=4).fit(x, noise).c_ == 1e-4


def test_folds_are_stratified_and_partition_rows():
    p = np.r_[np.zeros(30), np.ones(70)]
    masks = fold_masks(p, 5, seed=0)
    assert masks.sum(0).tolist() == [1] * 100
    assert [int(m[p == 1].sum()) for m in masks] == [14] * 5


def test_rejects_bad_labels():
    x, y = _data(n=50)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LogisticProbe().fit(x, y * 2)
