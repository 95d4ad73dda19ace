"""Simulated metric curves with known truth, for the detector's tests and benchmarks/detector.py.

Grids: `TINY_STEPS` (the default run's 19 checkpoints) and `PYTHIA16_STEPS`
(= select_revisions(pythia_revisions(), {"log_spaced": 16}); tests/analysis checks it).

Example-level noise (`example_curves`), calibrated on the default run (results/tables/metrics.csv
and its predictions, 6 gain curves): per-revision SE of the gain 0.008–0.015 (median ≈ 0.012,
= sqrt(disagreement/n) with W2S–weak disagreement 0.2–0.3 on n_test = 1500), example-level
correlation of weak and W2S correctness ≈ 0.2–0.5, of W2S at consecutive checkpoints ≈ 0.35–0.9,
so the gain's noise is strongly correlated across revisions (lag 1: 0.5–0.99, lag 3: 0.4–0.9).
Model: a Gaussian copula per test example i,
    weak latent  √ρ z_i + √(1−ρ) e_i                       (one weak supervisor for all revisions)
    W2S latent   √ρ z_i + √(1−ρ) v_{i,r},  v_{i,r} AR(1) over the revision index with coefficient φ
correct ⇔ latent > Φ⁻¹(1 − accuracy). Each revision's accuracy is exact in expectation, so the
expected gain is the truth curve. Defaults ρ = 0.5, φ = 0.6 give binary correlations ≈ 0.33
(weak–W2S) and ≈ 0.6 (consecutive W2S), disagreement ≈ 0.25 and gain SE ≈ 0.012.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from pipeline.analysis.transition import ExampleBootstrap
from pipeline.analysis.transition.fits import WIDTH_FACTOR
from pipeline.probing.logistic import sigmoid

TINY_STEPS = np.array([0, 1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 640, 768, 896, 1024], float)
PYTHIA16_STEPS = np.array([0, 1, 4, 8, 32, 64, 128, 256, 512, 1000, 3000, 6000, 13000, 29000, 65000, 143000], float)
GRIDS = {"tiny": TINY_STEPS, "pythia": PYTHIA16_STEPS}
# interior of each grid for rises (x = log10(step + 1)): steps ~9–400 (tiny), ~9–16,000 (Pythia)
INTERIOR_X = {"tiny": (1.0, 2.6), "pythia": (1.0, 4.2)}


def x_of(step: np.ndarray) -> np.ndarray:
    return np.log10(np.asarray(step, float) + 1)


def example_curves(
    rng: np.random.Generator, truth: np.ndarray, n_test: int = 1500, rho: float = 0.5, phi: float = 0.6,
    weak_acc: np.ndarray | float | None = None,
) -> tuple[np.ndarray, list[ExampleBootstrap]]:
    """Observed gain curves (C, R) for expected gains `truth` (C, R), and each curve's ExampleBootstrap."""
    truth = np.atleast_2d(truth)
    c, r = truth.shape
    if weak_acc is None:
        weak_acc = rng.uniform(0.65, 0.8, size=c)
    weak_acc = np.broadcast_to(np.asarray(weak_acc, float), (c,))
    z = rng.standard_normal((c, n_test))
    weak = np.sqrt(rho) * z + np.sqrt(1 - rho) * rng.standard_normal((c, n_test)) > ndtri(1 - weak_acc)[:, None]
    acc = np.clip(weak_acc[:, None] + truth, 0.01, 0.99)
    v = rng.standard_normal((c, n_test))
    w2s = np.empty((c, r, n_test), bool)
    for j in range(r):
        if j:
            v = phi * v + np.sqrt(1 - phi**2) * rng.standard_normal((c, n_test))
        w2s[:, j] = np.sqrt(rho) * z + np.sqrt(1 - rho) * v > ndtri(1 - acc[:, j])[:, None]
    y = w2s.mean(2) - weak.mean(1)[:, None]
    # correctness as probabilities of label 1 on all-positive labels: the bootstrap's accuracies are these
    samplers = [ExampleBootstrap({"weak": weak[i][None].astype(float), "w2s": w2s[i].astype(float)}, np.ones(n_test))
                for i in range(c)]
    return y, samplers


def seed_curves(rng: np.random.Generator, truth: np.ndarray, n_seeds: int = 3, sd: float = 0.01) -> np.ndarray:
    """Per-seed curves (C, S, R): truth plus independent N(0, sd²) per revision and seed."""
    truth = np.atleast_2d(truth)
    return truth[:, None, :] + sd * rng.standard_normal((truth.shape[0], n_seeds, truth.shape[1]))


# ---------------------------------------------------------------- truths


def _loguniform(rng, lo, hi, size):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def _step_range(step: np.ndarray) -> tuple[float, float]:
    # time scales of the rises: between the 5th checkpoint and the 5th from last (the interior)
    s = np.sort(step)
    return float(s[4]), float(s[-5])


def truth_exp(rng, step, size):
    lo, hi = _step_range(step)
    a, b, tau = rng.uniform(-0.05, 0.02, size), rng.uniform(0.05, 0.15, size), _loguniform(rng, lo, hi, size)
    return a[:, None] + b[:, None] * -np.expm1(-step[None] / tau[:, None])


def truth_power(rng, step, size):
    lo, hi = _step_range(step)
    a, delta = rng.uniform(-0.05, 0.02, size), rng.uniform(0.05, 0.15, size)
    s0, gamma = _loguniform(rng, lo, hi, size), rng.uniform(0.3, 1.5, size)
    h = -np.expm1(-gamma[:, None] * np.log1p(step[None] / s0[:, None]))
    return a[:, None] + delta[:, None] * h / h[:, -1:]


def truth_linear(rng, step, size):
    x = x_of(step)
    a, delta = rng.uniform(-0.05, 0.02, size), rng.uniform(0.05, 0.15, size)
    return a[:, None] + delta[:, None] * (x[None] - x.min()) / (x.max() - x.min())


def truth_dip(rng, step, size):
    lo, hi = _step_range(step)
    a = rng.uniform(-0.02, 0.02, size)
    b1 = rng.uniform(0.03, 0.08, size)
    b2 = b1 + rng.uniform(0.02, 0.12, size)
    tau1 = _loguniform(rng, lo, hi / 10, size)
    tau2 = np.minimum(tau1 * _loguniform(rng, 5, 50, size), 2 * step.max())
    s = step[None]
    return a[:, None] - b1[:, None] * -np.expm1(-s / tau1[:, None]) + b2[:, None] * -np.expm1(-s / tau2[:, None])


def truth_sigmoid(rng, step, size, grid, width=(0.1, 0.3), effect=(0.05, 0.15)):
    """Sigmoid in x; returns truth (C, R) and the midpoints x0 (C,)."""
    x = x_of(step)
    a = rng.uniform(-0.05, 0.02, size)
    delta = rng.uniform(*effect, size)
    w = rng.uniform(*width, size)
    x0 = rng.uniform(*INTERIOR_X[grid], size)
    return a[:, None] + delta[:, None] * sigmoid(WIDTH_FACTOR / w[:, None] * (x[None] - x0[:, None])), x0


NULL_TRUTHS = {"exp": truth_exp, "power": truth_power, "linear-log": truth_linear, "dip": truth_dip}
