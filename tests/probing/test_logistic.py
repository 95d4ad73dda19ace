import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from pipeline.config import DEFAULT_CS, MetricsConfig, ProbeConfig
from pipeline.extraction.store import decode, encode
from pipeline.probing.logistic import LogisticProbe, choose_c, fit_logistic_batch, fit_probes, fold_masks
from pipeline.probing.probes import evaluate_layers


def _data(n=600, d=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d)
    w = rng.standard_normal(d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x @ w) / 3))).astype(float)
    return x, y


def _correlated(n=500, d=40, seed=0):
    """Anisotropic, correlated features (the case the solver's preconditioner is for)."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((d, d)) * np.logspace(0, -2, d)
    latent = rng.standard_normal((n, d)) @ mixing.T
    y = (latent @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n) > 0).astype(float)
    return latent + 3.0, y


def _standardize(x, reference):
    return (x - reference.mean(0)) / (reference.std(0) + 1e-8)


@pytest.mark.parametrize("c", [0.001, 0.1, 10.0])
@pytest.mark.parametrize("data", [_data, _correlated])
def test_batched_solver_equals_scikit_learn_on_hard_labels(c, data):
    x, y = data()
    reference = LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(x, y)
    fit = fit_logistic_batch(x, y[None], np.ones((1, len(y))), np.array([c]), tol=1e-7)
    assert fit.converged.all()
    ours = 1 / (1 + np.exp(-(x @ fit.coef[0] + fit.intercept[0])))
    np.testing.assert_allclose(ours, reference.predict_proba(x)[:, 1], atol=1e-4)
    # ill-conditioned directions (of _correlated) leave coefficients less pinned down than predictions
    np.testing.assert_allclose(fit.coef[0], reference.coef_[0], atol=1e-3 * np.abs(reference.coef_).max())


def test_unpenalised_fit_equals_scikit_learn_without_penalty():
    x, y = _data()
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(x, y)
    fit = fit_logistic_batch(x, y[None], np.ones((1, len(y))), np.array([np.inf]), tol=1e-7)
    assert fit.converged.all()
    ours = 1 / (1 + np.exp(-(x @ fit.coef[0] + fit.intercept[0])))
    np.testing.assert_allclose(ours, reference.predict_proba(x)[:, 1], atol=1e-4)


def test_unpenalised_fit_of_rank_deficient_separable_features_stays_finite_and_is_not_chosen():
    """Activations have fewer directions than dimensions (a constant or repeated unit) and a
    late checkpoint separates the classes: the unpenalised fit must stay finite, its held-out
    loss must be a number, and the probe must still beat chance."""
    x, _ = _data(n=300, d=10)
    separable = (x @ np.ones(10) > 0).astype(float)
    features = np.hstack([x, x[:, :3], np.ones((300, 2))])  # repeated and constant columns
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no overflow or 0/0 in the solver
        probe = LogisticProbe(cs=[0.1, 10.0, np.inf]).fit(features, separable)
    assert np.isfinite(probe.path_coef_).all() and np.isfinite(list(probe.cv_losses_.values())).all()
    assert np.mean((probe.predict_proba(features) >= 0.5) == separable) > 0.95


def test_the_path_holds_every_fixed_c_fit_and_flags_an_edge_choice():
    x, y = _data()
    probe = LogisticProbe(cs=[1e-4, 0.1, 10.0, np.inf], selection="min").fit(x, y)
    path = probe.predict_proba_path(x)
    assert path.shape == (4, len(y))
    np.testing.assert_allclose(path[probe.cs.index(probe.c_)], probe.predict_proba(x))
    z = _standardize(x, x)
    fixed = LogisticRegression(C=1e-4, tol=1e-10, max_iter=10_000).fit(z, y).predict_proba(z)[:, 1]
    np.testing.assert_allclose(path[0], fixed, atol=1e-4)  # the full-data fit at C = 1e-4
    assert not probe.c_at_edge_ and probe.c_ in (0.1, 10.0)
    noise = np.random.default_rng(3).random(len(y)) < 0.5  # labels unrelated to x: the strongest penalty wins
    assert LogisticProbe(cs=[1e-4, 0.1, 10.0], selection="min").fit(x, noise.astype(float)).c_at_edge_


def test_soft_labels_equal_weighted_duplicates():
    """CE against soft p equals a weighted fit on (x, 1) with weight p and (x, 0) with 1 − p."""
    x, _ = _data(seed=1)
    p = np.random.default_rng(2).uniform(0, 1, len(x))
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(
        np.vstack([x, x]), np.r_[np.ones(len(p)), np.zeros(len(p))], sample_weight=np.r_[p, 1 - p]
    )
    fit = fit_logistic_batch(x, p[None], np.ones((1, len(p))), np.array([0.5]), tol=1e-7)
    np.testing.assert_allclose(fit.coef[0], reference.coef_[0], atol=1e-5)


def test_problems_in_one_batch_are_independent():
    """Each (labels, weights, C) column solves its own problem: batching changes nothing beyond
    float32 round-off (which moves the iterates of ill-conditioned problems within the tolerance)."""
    x, y = _correlated()
    p = np.stack([y, np.clip(0.8 * y + 0.1, 0, 1), y])
    weights = np.stack([np.ones(len(y)), np.ones(len(y)), ~fold_masks(y, 3, seed=0)[0]])
    cs = np.array([1.0, 0.1, 10.0])
    batch = fit_logistic_batch(x, p, weights, cs, tol=1e-7)
    for j in range(3):
        alone = fit_logistic_batch(x, p[j][None], weights[j][None], cs[j:j + 1], tol=1e-7)
        np.testing.assert_allclose(batch.coef[j], alone.coef[0], atol=1e-4)


def test_soft_label_probe_on_0_1_labels_equals_hard_label_regression_with_the_same_cv():
    """On 0/1 labels, the probe's CV losses, its C and its predictions are those of scikit-learn's
    hard-label LogisticRegression fit on the same folds and scored by held-out log-loss."""
    x, y = _correlated(n=800)
    cs = [0.001, 0.01, 0.1, 1.0, 10.0]
    probe = LogisticProbe(cs=cs, folds=4, seed=3, selection="min").fit(x, y)
    z = _standardize(x, x)

    def hard(c, rows):
        return LogisticRegression(C=c, tol=1e-8, max_iter=10_000).fit(z[rows], y[rows].astype(int))

    held = fold_masks(y, 4, seed=3)
    losses = [np.mean([log_loss(y[m], hard(c, ~m).predict_proba(z[m])[:, 1], labels=[0, 1]) for m in held])
              for c in cs]
    np.testing.assert_allclose(list(probe.cv_losses_.values()), losses, rtol=1e-3)
    assert probe.c_ == cs[int(np.argmin(losses))]
    np.testing.assert_allclose(probe.predict_proba(x), hard(probe.c_, slice(None)).predict_proba(z)[:, 1], atol=1e-3)


def test_one_se_rule_picks_the_smallest_c_within_one_standard_error_of_the_least_loss():
    """The per-example held-out log-losses (scikit-learn's fits on the same folds) give the SE; the
    chosen C is the smallest whose CV loss is within one SE of the least, and the probe is its fit."""
    x, y = _data(n=800)
    cs = [0.001, 0.01, 0.1, 1.0, 10.0]
    probe = LogisticProbe(cs=cs, folds=4, seed=3, selection="one_se").fit(x, y)
    z = _standardize(x, x)
    held = fold_masks(y, 4, seed=3)
    per_example = np.zeros((len(cs), len(y)))
    for i, c in enumerate(cs):
        for m in held:
            logit = LogisticRegression(C=c, tol=1e-8, max_iter=10_000).fit(z[~m], y[~m]).decision_function(z[m])
            per_example[i, m] = np.logaddexp(0, logit) - y[m] * logit
    losses = np.array(list(probe.cv_losses_.values()))
    best = int(np.argmin(losses))
    se = per_example[best].std() / np.sqrt(len(y))
    np.testing.assert_allclose(probe.cv_errors_[cs[best]], se, rtol=1e-3)
    chosen = next(i for i, loss in enumerate(losses) if loss <= losses[best] + se)
    assert chosen < best  # this data's CV curve is flat enough to move off the least loss
    assert probe.c_ == cs[chosen]
    np.testing.assert_allclose(probe.coef_, probe.path_coef_[chosen])


def test_rules_choose_on_the_path_in_its_own_order_and_never_a_non_finite_loss():
    cs = np.array([10.0, 0.1, 1.0, 100.0])  # a path need not be sorted
    errors = np.full(4, 0.01)
    losses = np.array([0.600, 0.70, 0.605, np.nan])
    assert choose_c(cs, losses, errors, "min") == 0
    assert choose_c(cs, losses, errors, "one_se") == 2  # C = 1: within 0.01 of the least, smaller than 10
    assert choose_c(cs, np.array([0.6, 0.5, 0.7, 0.8]), errors, "one_se") == 1  # the least loss at the edge


def test_selection_rule_is_checked():
    with pytest.raises(ValueError, match=r"'median'.*one_se"):
        LogisticProbe(selection="median")


def test_probe_on_hard_labels_matches_scikit_learn_accuracy():
    x, y = _correlated(n=1200)
    train, test = slice(0, 800), slice(800, None)
    probe = LogisticProbe(cs=[0.1], folds=3).fit(x[train], y[train])
    reference = LogisticRegression(C=0.1, tol=1e-8, max_iter=10_000).fit(_standardize(x[train], x[train]), y[train])
    np.testing.assert_allclose(probe.coef_, reference.coef_[0], atol=1e-3 * np.abs(reference.coef_).max())
    ours = np.mean((probe.predict_proba(x[test]) >= 0.5) == y[test])
    theirs = reference.score(_standardize(x[test], x[train]), y[test])
    assert abs(ours - theirs) <= 0.005


def test_probes_batched_over_layers_equal_probes_fit_alone():
    layers = [_data(n=400, d=12, seed=s)[0] for s in range(3)]
    _, y = _data(n=400, d=12, seed=0)
    labels = np.column_stack([y, np.random.default_rng(1).uniform(0, 1, len(y))])
    batched = fit_probes(layers, labels, cs=[0.01, 1.0], folds=3, seed=2)
    for x, row in zip(layers, batched):
        for s, probe in enumerate(row):
            alone = LogisticProbe(cs=[0.01, 1.0], folds=3, seed=2).fit(x, labels[:, s])
            assert probe.c_ == alone.c_
            np.testing.assert_allclose(list(probe.cv_losses_.values()), list(alone.cv_losses_.values()), rtol=1e-6)
            np.testing.assert_allclose(probe.predict_proba(x), alone.predict_proba(x), atol=1e-6)


def test_weak_to_strong_probe_never_sees_gold_labels():
    """Scrambling the gold labels of the training split moves the gold probe, not the W2S probe
    (neither its fit nor its choice of C)."""
    x, y = _correlated(n=900)
    table = pd.DataFrame({"id": [f"i{k}" for k in range(900)], "label": y.astype(int),
                          "split": ["B"] * 600 + ["test"] * 300})
    p_weak = np.clip(np.where(np.random.default_rng(0).random(900) < 0.2, 1 - y, y), 0.1, 0.9)
    config = ProbeConfig(Cs=(0.001, 0.1, 10.0), cv_folds=3)
    scrambled = table.assign(label=np.where(table["split"] == "B", np.random.default_rng(1).permutation(y), y))
    (row, preds), = evaluate_layers({5: x}, table, {"weak": p_weak}, config, MetricsConfig())
    (row2, preds2), = evaluate_layers({5: x}, scrambled, {"weak": p_weak}, config, MetricsConfig())
    # equal up to float32 rounding: the batch's BLAS products may block differently when another
    # column's labels change; a probe that read gold labels would move far more than 1e-6
    np.testing.assert_allclose(preds["p_w2s"], preds2["p_w2s"], atol=1e-6, rtol=0)
    assert row["w2s_C"] == row2["w2s_C"]
    assert row2["gold_acc"] < row["gold_acc"] - 0.1


def test_cross_validation_picks_weaker_regularization_when_signal_is_strong():
    x, y = _data(n=800)
    probe = LogisticProbe(cs=[1e-4, 1.0], folds=4, selection="min").fit(x, y)
    assert probe.c_ == 1.0
    assert probe.cv_losses_[1e-4] > probe.cv_losses_[1.0]
    noise = np.random.default_rng(5).integers(0, 2, len(y)).astype(float)
    assert LogisticProbe(cs=[1e-4, 10.0], folds=4, selection="min").fit(x, noise).c_ == 1e-4


def test_non_convergence_is_reported():
    x, y = _correlated()
    fit = fit_logistic_batch(x, y[None], np.ones((1, len(y))), np.array([10.0]), max_iter=2)
    assert not fit.converged[0] and fit.n_iter[0] == 2
    assert fit_logistic_batch(x, y[None], np.ones((1, len(y))), np.array([10.0])).converged[0]
    with pytest.warns(RuntimeWarning, match="within 2 iterations"):
        assert not LogisticProbe(cs=[10.0], max_iter=2).fit(x, y).converged_


def test_folds_are_stratified_and_partition_rows():
    p = np.r_[np.zeros(30), np.ones(70)]
    masks = fold_masks(p, 5, seed=0)
    assert masks.sum(0).tolist() == [1] * 100
    assert [int(m[p == 1].sum()) for m in masks] == [14] * 5


def test_rejects_bad_input():
    x, y = _data(n=50)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LogisticProbe().fit(x, y * 2)
    with pytest.raises(ValueError, match=r"do not match 49 labels"):
        LogisticProbe().fit(x, y[:49])
    with pytest.raises(ValueError, match=r"positive, got \[-1.0\]"):
        fit_logistic_batch(x, y[None], np.ones((1, 50)), np.array([-1.0]))


def test_the_default_path_leaves_out_the_unpenalised_fit_whose_cv_loss_is_an_artefact():
    """On separable features the unpenalised fit has no optimum: a 16-bit round trip of the
    features moves its CV loss far more than any finite C's, which is why the default path stops
    at a finite C."""
    x, _ = _data(n=300, d=10)
    separable = (x @ np.ones(10) > 0).astype(float)
    rounded = decode(encode(x.astype(np.float32), "float16"), "float16")
    cs = (*DEFAULT_CS, np.inf)
    before, after = (LogisticProbe(cs=cs).fit(features, separable).cv_losses_ for features in (x, rounded))
    moved = {c: abs(after[c] - before[c]) for c in cs}
    assert moved[np.inf] > 10 * max(moved[c] for c in DEFAULT_CS)
    assert np.isfinite(DEFAULT_CS).all() and ProbeConfig().Cs == DEFAULT_CS
