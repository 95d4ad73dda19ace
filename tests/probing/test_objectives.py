"""Each objective against an independent reference: scikit-learn as the inner solver (soft labels
as weighted duplicate rows), with the objective's target logic written again here."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

from pipeline.probing.logistic import LogisticProbe, fit_probes, fold_masks
from pipeline.probing.objectives import OBJECTIVES, ObjectiveSettings, knn_targets

C = 0.5


def _weak_data(n=300, d=8, seed=0):
    """Features and a weak supervisor's soft labels: a noisy view of the gold direction."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + 1.0
    gold = x @ rng.standard_normal(d)
    p = 1 / (1 + np.exp(-(gold / gold.std() + 0.8 * rng.standard_normal(n)) * 2))
    return x, p


def _standardize(x):
    return (x - x.mean(0)) / (x.std(0) + 1e-8)


def _sklearn_soft_fit(z, targets, c):
    """Soft-label L2 logistic regression: rows (z, 1) weighted t and (z, 0) weighted 1 − t."""
    model = LogisticRegression(C=c, tol=1e-10, max_iter=10_000) if np.isfinite(c) else \
        LogisticRegression(penalty=None, tol=1e-10, max_iter=10_000)
    n = len(z)
    return model.fit(np.vstack([z, z]), np.r_[np.ones(n), np.zeros(n)], sample_weight=np.r_[targets, 1 - targets])


def _reference_logconf(z, p, c, alphas):
    """Burns et al.'s logconf as outer rounds: ŷ thresholded at the mean-p quantile of P(class 0)."""
    model = _sklearn_soft_fit(z, p, c)
    for alpha in alphas[1:]:
        prob0 = model.predict_proba(z)[:, 0]
        hardened = prob0 < np.quantile(prob0, p.mean())
        model = _sklearn_soft_fit(z, (1 - alpha) * p + alpha * hardened, c)
    return model


def _reference_knn(z, p, k):
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(z).kneighbors(z, return_distance=False)
    assert (neighbours[:, 0] == np.arange(len(z))).all()  # itself first: dropped
    return p[neighbours[:, 1:]].mean(1)


def _reference(objective, z, p, c):
    if objective == "soft_ce":
        return _sklearn_soft_fit(z, p, c)
    if objective == "hard_ce":
        return _sklearn_soft_fit(z, (p >= 0.5).astype(float), c)
    if objective == "logconf":
        return _reference_logconf(z, p, c, [0.0, 0.375, 0.75, 0.75, 0.75])  # the default ramp, by hand
    return _sklearn_soft_fit(z, _reference_knn(z, p, 15), c)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_each_objective_equals_its_reference_at_fixed_c(objective):
    x, p = _weak_data()
    probe = fit_probes([x], p[:, None], cs=[C], objectives=[objective])[0][0]
    z = _standardize(x)
    expected = _reference(objective, z, p, C).predict_proba(z)[:, 1]
    np.testing.assert_allclose(probe.predict_proba(x), expected, atol=1e-4)
    if objective != "soft_ce":  # the objective changes the fit: a wrong target logic would show
        soft = _sklearn_soft_fit(z, p, C).predict_proba(z)[:, 1]
        assert np.abs(expected - soft).max() > 1e-2


def test_all_objectives_in_one_batch_equal_separate_fits():
    x, p = _weak_data(seed=1)
    together = fit_probes([x], np.tile(p[:, None], 4), cs=[0.1, 1.0, np.inf], objectives=OBJECTIVES)[0]
    for objective, probe in zip(OBJECTIVES, together, strict=True):
        alone = fit_probes([x], p[:, None], cs=[0.1, 1.0, np.inf], objectives=[objective])[0][0]
        assert probe.objective == objective and probe.c_ == alone.c_
        np.testing.assert_allclose(probe.predict_proba(x), alone.predict_proba(x), atol=1e-6)


def test_knn_targets_use_only_each_folds_training_rows():
    x, p = _weak_data(n=200)
    z = _standardize(x)
    train = ~fold_masks(p, 4, 0)
    ours = knn_targets(z, p, train, 5)
    for mask, row in zip(train, ours):
        rows = np.flatnonzero(mask)
        np.testing.assert_allclose(row[rows], _reference_knn(z[rows], p[rows], 5))


def test_unknown_or_miscounted_objectives_raise():
    x, p = _weak_data(n=60)
    with pytest.raises(ValueError, match=r"unknown probe objective 'logconfidence'; allowed: \['soft_ce'"):
        fit_probes([x], p[:, None], objectives=["logconfidence"])
    with pytest.raises(ValueError, match="unknown probe objective 'x'"):
        LogisticProbe(objective="x")
    with pytest.raises(ValueError, match="2 objectives for 1 label sets"):
        fit_probes([x], p[:, None], objectives=["soft_ce", "knn"])


def test_hard_ce_equals_soft_ce_on_hard_labels():
    x, p = _weak_data(seed=2)
    hard = np.tile((p >= 0.5).astype(float)[:, None], 2)
    soft, hard_ce = fit_probes([x], hard, cs=[0.01, 1.0], objectives=["soft_ce", "hard_ce"])[0]
    assert soft.cv_losses_ == pytest.approx(hard_ce.cv_losses_, abs=1e-9)
    np.testing.assert_allclose(soft.path_coef_, hard_ce.path_coef_, atol=1e-6)


def test_logconf_with_alpha_zero_equals_soft_ce():
    x, p = _weak_data(seed=3)
    settings = ObjectiveSettings(logconf_alpha=0.0)
    soft, logconf = fit_probes([x], np.tile(p[:, None], 2), cs=[0.01, 1.0], objectives=["soft_ce", "logconf"],
                               settings=settings)[0]
    assert soft.c_ == logconf.c_
    np.testing.assert_allclose(logconf.path_coef_, soft.path_coef_, atol=1e-6)


@pytest.mark.parametrize("objective", ["knn", "logconf"])
def test_model_selection_scores_against_the_input_weak_labels(objective):
    """Each fold transforms its own training rows only (kNN neighbours, logconf's quantile), and the
    CV loss is the held-out CE against p itself, not against the transformed targets."""
    x, p = _weak_data(seed=4)
    probe = fit_probes([x], p[:, None], cs=[0.01, 1.0], folds=3, objectives=[objective])[0][0]
    held = fold_masks(p, 3, 0)
    z = _standardize(x)
    for c, loss in probe.cv_losses_.items():
        folds = []
        for mask in held:
            model = _reference(objective, z[~mask], p[~mask], c)
            q = np.clip(model.predict_proba(z[mask])[:, 1], 1e-15, 1 - 1e-15)
            folds.append(-np.mean(p[mask] * np.log(q) + (1 - p[mask]) * np.log(1 - q)))
        assert loss == pytest.approx(np.mean(folds), abs=1e-4)


def test_settings_are_validated():
    with pytest.raises(ValueError, match="logconf needs"):
        ObjectiveSettings(logconf_alpha=1.5)
    with pytest.raises(ValueError, match="knn_k"):
        ObjectiveSettings(knn_k=0)
