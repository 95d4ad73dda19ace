"""The single-index model: the Hermite links, the supervisor's bias, θ* read only by the Problem."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import math

import numpy as np
import pytest

from pipeline.synthetic import dynamics
from pipeline.synthetic import simulations as S
from pipeline.synthetic.model import hermite, make_problem, unit
from pipeline.synthetic.theory import supervisor_bias
from tests.synthetic.helpers import small


@pytest.mark.parametrize("k", [2, 3, 4])
def test_hermite_is_orthogonal_with_norm_k_factorial(k):
    z, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    assert np.sum(w * hermite(k, z) ** 2) == pytest.approx(math.factorial(k), rel=1e-10)
    for j in range(k):
        assert abs(np.sum(w * hermite(k, z) * hermite(j, z))) < 1e-9


@pytest.mark.parametrize("k", [2, 3])
def test_noise_free_supervisor_error_is_its_closed_form_bias(k):
    p = make_problem(d=10, kappa=0.3, k=k, sigma_w=1.0, n_train=1, n_test=400_000, seeds=1, seed=2,
                     dtype=np.float64)
    assert p.supervisor_error(0.4)[0] == pytest.approx(supervisor_bias(0.4, k), rel=0.03)
    # the noisy labels add σ_w² on top: the old baseline, which made denoising look like a gain
    assert p.supervisor_error(0.4, noisy=True)[0] == pytest.approx(supervisor_bias(0.4, k) + 1.0, rel=0.03)


def test_training_code_never_names_theta():
    """Structural: the dynamics (starts, loss, gradient, descent, minimiser) have no θ* to read."""
    tree = ast.parse(inspect.getsource(dynamics))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | {
        a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args + n.kwonlyargs}
    assert not {"theta", "xi", "kappa"} & names


def test_training_outcome_does_not_depend_on_theta_after_data_generation():
    """Behavioural: swap θ* for another direction once the data are drawn. Training (spectral start,
    sign choice, GD) must give the same students; only the scores change."""
    cfg = small(d=30, n_train=150, n_test=100, seeds=2, steps=30)
    p = S.problem(cfg)
    other = dataclasses.replace(p, theta=unit(np.random.default_rng(9).standard_normal(p.theta.shape)).astype(
        p.theta.dtype))
    # the data (pre-training streams, labels) are drawn once, from the real θ*
    grams = {s: list(p.pretraining_grams(s, [100, 400])) for s in range(2)}
    labels = S.columns([p.weak(cfg.alpha, "train")] * 2)
    results = []
    for q in (p, other):
        w0 = dynamics.spectral_directions(lambda s: grams[s], 2).astype(np.float32)
        w0 = dynamics.choose_sign(w0, q.x_train, labels, cfg.link_degree)
        results.append(S.train(cfg, q, w0, labels, record_every=10))
    np.testing.assert_array_equal(results[0].w, results[1].w)
    assert not np.allclose(results[0].overlap, results[1].overlap)
