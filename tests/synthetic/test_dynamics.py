"""Gradient descent on the sphere: the exact gradient and the descent."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.synthetic.dynamics import descend, loss_and_gradient
from pipeline.synthetic.model import make_problem, student_scale
from pipeline.synthetic.simulations import problem
from tests.synthetic.helpers import small


@pytest.mark.parametrize("k", [2, 3, 4])
def test_gradient_matches_finite_differences_and_is_tangent(k):
    p = make_problem(d=12, kappa=2.0, k=k, sigma_w=1.0, n_train=300, n_test=10, seeds=2, seed=1, dtype=np.float64)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 3, 12))
    w /= np.linalg.norm(w, axis=-1, keepdims=True)
    labels = np.repeat(p.weak(0.3, "train")[..., None], 3, axis=-1)
    _, grad, scale = loss_and_gradient(w, p.x_train, labels, k)
    np.testing.assert_allclose(scale, student_scale(p.x_train, w))
    numeric = np.empty_like(w)
    for i in range(12):
        e = np.zeros(12)
        e[i] = 1e-6
        up = loss_and_gradient(w + e, p.x_train, labels, k)[0]
        down = loss_and_gradient(w - e, p.x_train, labels, k)[0]
        numeric[..., i] = (up - down) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7 * np.abs(grad).max())
    # L is invariant to the scale of w, so its exact gradient has no radial part; dropping the
    # derivative of σ̂(w) would leave one
    assert np.abs(np.einsum("scd,scd->sc", grad, w)).max() < 1e-9 * np.abs(grad).max()


def test_descent_stays_on_the_sphere_and_lowers_the_loss():
    cfg = small(seeds=2, steps=50)
    p = problem(cfg)
    w0 = p.starts_at_overlap([0.6])
    labels = p.weak(cfg.alpha, "train")[..., None]
    tr = descend(w0, p.x_train, labels, k=3, eta=cfg.eta, steps=50, scorer=p, record_every=10)
    np.testing.assert_allclose(np.linalg.norm(tr.w, axis=-1), 1, atol=1e-5)
    assert (np.diff(tr.train_loss, axis=0) < 0).all()
