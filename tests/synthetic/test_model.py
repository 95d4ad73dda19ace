"""The single-index model: the Hermite links."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.synthetic.model import hermite


@pytest.mark.parametrize("k", [2, 3, 4])
def test_hermite_is_orthogonal_with_norm_k_factorial(k):
    z, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    assert np.sum(w * hermite(k, z) ** 2) == pytest.approx(math.factorial(k), rel=1e-10)
    for j in range(k):
        assert abs(np.sum(w * hermite(k, z) * hermite(j, z))) < 1e-9
