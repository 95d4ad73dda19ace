"""RankMe and α-ReQ on features of known spectrum."""

import numpy as np
import pytest

from pipeline.probing.spectrum import spectral_quality, spectral_replicates


def _features(eigenvalues: np.ndarray, n: int = 4000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
    return (rng.standard_normal((n, len(eigenvalues))) * np.sqrt(eigenvalues)) @ rotation.T + 5.0


def test_rankme_counts_the_directions_a_representation_uses():
    d = 64
    isotropic = spectral_quality(_features(np.ones(d)))["rankme"]
    low_rank = spectral_quality(_features(np.r_[np.ones(8), np.zeros(d - 8)]))["rankme"]
    assert isotropic == pytest.approx(d, rel=0.05) and low_rank == pytest.approx(8, rel=0.05)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_alpha_req_recovers_a_power_law_exponent(alpha):
    eigenvalues = np.arange(1, 65, dtype=float) ** -alpha
    assert spectral_quality(_features(eigenvalues, n=20000))["alpha_req"] == pytest.approx(alpha, abs=0.1)


@pytest.mark.parametrize("n, d", [(300, 24), (40, 96)])  # the covariance side and the Gram side
def test_weighted_spectra_equal_those_of_the_resampled_features(n, d):
    rng = np.random.default_rng(1)
    features = _features(np.linspace(2.0, 0.05, d), n=n, seed=2)
    counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(3)])
    replicates = spectral_replicates(features, np.vstack([np.ones(n), counts]))
    for row, weights in enumerate([np.ones(n, int), *counts]):
        expected = spectral_quality(np.repeat(features, weights, axis=0))
        for name, value in expected.items():
            assert replicates[name][row] == pytest.approx(value, rel=1e-6)
