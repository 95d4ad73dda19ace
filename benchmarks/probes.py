"""Probe engine against scikit-learn: `fit_probes` (all layers at once, C by 5-fold CV) against a
per-layer loop of `LogisticRegressionCV` with the same C grid, the same folds and the same
selection score (held-out log-loss), on standardized features, gold hard labels.

    .venv/bin/python benchmarks/probes.py [--repeats 3] [--quick]

Synthetic activations: per layer, anisotropic Gaussian features (power-law spectrum plus a few
outlier directions, randomly rotated, as in language-model residual streams) with the label's
latent signal along a random direction, its strength rising then falling over layers. Both
sides run side by side in each repeat on the same BLAS threads; on a shared machine timings
are noisy, so the per-run and median speed ratios are printed with test accuracies.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.probing.logistic import DEFAULT_CS, fit_probes, fold_masks

# LogisticRegressionCV has no unpenalised C: both sides search the finite part of the default path
CS = [c for c in DEFAULT_CS if np.isfinite(c)]

FULL = {"layers": 24, "n": 4000, "d": 1024}
QUICK = {"layers": 4, "n": 1000, "d": 256}
FOLDS, SEED, TEST_FRACTION = 5, 0, 0.2


def make_layers(layers: int, n: int, d: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Float32 features (n, d) per layer and 0/1 labels; the label is 1[t + noise > 0] for a
    latent t that each layer carries along one direction at its own strength."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(n)
    labels = (latent + 0.5 * rng.standard_normal(n) > 0).astype(np.float64)
    spectrum = 1.0 / np.arange(1, d + 1)
    spectrum[:4] *= 30  # a few outlier directions dominate the variance
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    strengths = 0.3 + 1.2 * np.sin(np.pi * np.arange(layers) / max(layers - 1, 1))
    features = []
    for strength in strengths:
        direction = rng.standard_normal(d)
        direction /= np.linalg.norm(direction)
        noise = (rng.standard_normal((n, d)) * np.sqrt(spectrum)) @ rotation.T
        signal = strength * np.sqrt(spectrum.mean()) * latent[:, None] * direction
        features.append((noise + signal).astype(np.float32))
    return features, labels


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p >= 0.5) == y))


def ours(train: list[np.ndarray], test: list[np.ndarray], y: np.ndarray, y_test: np.ndarray) -> list[float]:
    probes = fit_probes(train, y[:, None], CS, FOLDS, SEED)
    return [accuracy(layer[0].predict_proba(x), y_test) for layer, x in zip(probes, test)]


def scikit_learn(train: list[np.ndarray], test: list[np.ndarray], y: np.ndarray, y_test: np.ndarray,
                 max_iter: int) -> tuple[list[float], int]:
    """Per-layer LogisticRegressionCV on our folds; returns accuracies and convergence warnings."""
    held = fold_masks(y, FOLDS, SEED)
    folds = [(np.flatnonzero(~mask), np.flatnonzero(mask)) for mask in held]
    accuracies, n_warnings = [], 0
    for x, x_test in zip(train, test):
        model = make_pipeline(StandardScaler(), LogisticRegressionCV(
            Cs=CS, cv=folds, scoring="neg_log_loss", max_iter=max_iter))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's API deprecation notes
            model.fit(x, y)
        n_warnings += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        accuracies.append(accuracy(model.predict_proba(x_test)[:, 1], y_test))
    return accuracies, n_warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} instead of {FULL}")
    parser.add_argument("--sklearn-max-iter", type=int, default=100, help="scikit-learn's default: 100")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    features, labels = make_layers(**size, seed=SEED)
    n_train = round(size["n"] * (1 - TEST_FRACTION))
    train, test = [x[:n_train] for x in features], [x[n_train:] for x in features]
    y, y_test = labels[:n_train], labels[n_train:]
    print(f"{size['layers']} layers × {n_train} train (+{size['n'] - n_train} test) × {size['d']} features; "
          f"Cs {CS}, {FOLDS} folds; scikit-learn max_iter={args.sklearn_max_iter}")
    ratios, deltas = [], []
    for run in range(args.repeats):
        start = time.perf_counter()
        acc_ours = ours(train, test, y, y_test)
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        acc_sk, n_warnings = scikit_learn(train, test, y, y_test, args.sklearn_max_iter)
        t_sk = time.perf_counter() - start
        delta = np.abs(np.subtract(acc_ours, acc_sk))
        ratios.append(t_sk / t_ours)
        deltas.append(float(delta.max()))
        print(f"run {run + 1}: ours {t_ours:.1f} s, scikit-learn {t_sk:.1f} s ({n_warnings} convergence warnings), "
              f"speed ratio {ratios[-1]:.1f}×; test accuracy ours/sklearn per layer: "
              + " ".join(f"{a:.3f}/{b:.3f}" for a, b in zip(acc_ours, acc_sk))
              + f"; max |Δacc| {deltas[-1]:.4f}, mean acc {np.mean(acc_ours):.4f}/{np.mean(acc_sk):.4f}")
    print(f"median over {args.repeats} runs: speed ratio {statistics.median(ratios):.1f}× "
          f"(runs {', '.join(f'{r:.1f}' for r in ratios)}), max |Δacc| {statistics.median(deltas):.4f} "
          f"(runs {', '.join(f'{d:.4f}' for d in deltas)})")


if __name__ == "__main__":
    main()
