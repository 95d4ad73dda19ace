"""The closed forms against measurement: the population error and the derived floor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.synthetic.dynamics import minimizer
from pipeline.synthetic.model import make_problem, predict
from pipeline.synthetic.theory import error_floor, population_error


@pytest.mark.parametrize("k", [2, 3, 4])
def test_population_error_matches_a_large_test_set(k):
    p = make_problem(d=10, kappa=2.0, k=k, sigma_w=0.0, n_train=1, n_test=400_000, seeds=1, seed=2,
                     dtype=np.float64)
    m = 0.6
    w = m * p.theta + math.sqrt(1 - m**2) * p.xi  # ξ is a unit vector orthogonal to θ*
    err = np.mean((predict(k, p.x_test, w[:, None, :], p.theta, 2.0)[..., 0] - p.gold("test")) ** 2)
    assert err == pytest.approx(population_error(m, 2.0, k), rel=0.05)
    # the spiked normalisation matters: the plain overlap as correlation would be far off
    assert abs(err - 2 * math.factorial(k) * (1 - m**k)) > 0.15 * err


def test_weak_label_minimiser_has_the_derived_floor():
    """d = 400, n = 2000: the noise-fitting excess is the weighted-Wishart one (0.61), not the
    Gaussian-design σ²(d − 1)/n (0.20)."""
    p = make_problem(d=400, kappa=2.0, k=3, sigma_w=1.0, n_train=2000, n_test=2000, seeds=6, seed=5)
    w_bar = minimizer(p.direction(0.3)[:, 0], p.x_train, p.weak(0.3, "train"), 3, p.theta, 2.0)
    err = np.mean((predict(3, p.x_test, w_bar[:, None, :], p.theta, 2.0)[..., 0] - p.gold("test")) ** 2)
    assert err == pytest.approx(error_floor(0.3, 1.0, 2.0, 3, 400, 2000), abs=0.1)
