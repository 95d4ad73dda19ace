"""Probe engine against scikit-learn: `fit_probes` (all layers and all objectives at once, C by
5-fold CV) against a per-layer, per-objective loop of scikit-learn fits over the same C grid, the
same folds and the same selection score (held-out log-loss against the weak labels), on
standardized features and a weak supervisor's soft labels.

    .venv/bin/python benchmarks/probes.py [--repeats 3] [--quick] [--objectives soft_ce ...]

Synthetic activations: per layer, anisotropic Gaussian features (power-law spectrum plus a few
outlier directions, randomly rotated, as in language-model residual streams) with the label's
latent signal along a random direction, its strength rising then falling over layers; the weak
labels are a noisy soft view of the latent. scikit-learn does the same work as `fit_probes`: per
layer, objective, fold (and the full fit) and C one `LogisticRegression` on rows duplicated with
weights p and 1 − p (warm-started along the C path and over logconf's rounds), kNN cleaning by
`NearestNeighbors`. Both sides run side by side in each repeat on the same BLAS threads; on a
shared machine timings are noisy, so the per-run and median speed ratios are printed with test
accuracies against gold.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from pipeline.config import DEFAULT_CS
from pipeline.probing.logistic import fit_probes, fold_masks
from pipeline.probing.objectives import OBJECTIVES, ObjectiveSettings, logconf_alphas

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


def weak_labels(labels: np.ndarray, seed: int) -> np.ndarray:
    """A weak supervisor's soft labels: right on about 80% of the examples, unsure near its boundary."""
    rng = np.random.default_rng(seed + 1)
    return 1 / (1 + np.exp(-2.5 * (2 * labels - 1 + 1.2 * rng.standard_normal(len(labels)))))


def ours(train: list[np.ndarray], test: list[np.ndarray], p: np.ndarray, y_test: np.ndarray,
         objectives: list[str]) -> list[list[float]]:
    """Test accuracies [layer][objective]."""
    probes = fit_probes(train, np.tile(p[:, None], len(objectives)), DEFAULT_CS, FOLDS, SEED, objectives)
    return [[accuracy(probe.predict_proba(x), y_test) for probe in layer] for layer, x in zip(probes, test)]


def _cross_entropy(p: np.ndarray, logits: np.ndarray) -> float:
    """Mean CE of soft labels against logits, from the logits: probabilities saturate in float32."""
    logits = logits.astype(np.float64)
    return float(np.mean(np.logaddexp(0.0, logits) - p * logits))


def _soft_fit(model: LogisticRegression, z: np.ndarray, targets: np.ndarray) -> LogisticRegression:
    n = len(z)
    return model.fit(np.vstack([z, z]), np.r_[np.ones(n), np.zeros(n)], sample_weight=np.r_[targets, 1 - targets])


def _sklearn_path(z: np.ndarray, p: np.ndarray, objective: str, max_iter: int) -> list[LogisticRegression]:
    """Fits of one objective along the C path on training rows `z` with weak labels `p`."""
    settings = ObjectiveSettings()
    if objective == "hard_ce":
        p = (p >= 0.5).astype(float)
    elif objective == "knn":
        neighbours = NearestNeighbors(n_neighbors=settings.knn_k + 1).fit(z).kneighbors(z, return_distance=False)
        p = p[neighbours[:, 1:]].mean(1)
    model, fits = LogisticRegression(max_iter=max_iter, warm_start=True), []
    for c in DEFAULT_CS:
        _soft_fit(model.set_params(C=c), z, p)
        if objective == "logconf":
            for alpha in logconf_alphas(settings)[1:]:
                prob0 = model.predict_proba(z)[:, 0]
                hardened = prob0 < np.quantile(prob0, p.mean())
                _soft_fit(model, z, (1 - alpha) * p + alpha * hardened)
        fits.append(copy.deepcopy(model))
    return fits


def scikit_learn(train: list[np.ndarray], test: list[np.ndarray], p: np.ndarray, y_test: np.ndarray,
                 objectives: list[str], max_iter: int) -> tuple[list[list[float]], int]:
    """Per-layer, per-objective scikit-learn fits on our folds; returns accuracies and convergence warnings."""
    held = fold_masks(p, FOLDS, SEED)
    accuracies, n_warnings = [], 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's API deprecation notes
        for x, x_test in zip(train, test):
            scaler = StandardScaler().fit(x)
            z, z_test = scaler.transform(x), scaler.transform(x_test)
            layer = []
            for objective in objectives:
                selection = (p >= 0.5).astype(float) if objective == "hard_ce" else p  # as in fit_probes
                losses = np.zeros(len(DEFAULT_CS))
                for mask in held:
                    fits = _sklearn_path(z[~mask], p[~mask], objective, max_iter)
                    losses += [_cross_entropy(selection[mask], f.decision_function(z[mask])) for f in fits]
                full = _sklearn_path(z, p, objective, max_iter)[int(np.argmin(losses))]
                layer.append(accuracy(full.predict_proba(z_test)[:, 1], y_test))
            accuracies.append(layer)
    n_warnings += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return accuracies, n_warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} instead of {FULL}")
    parser.add_argument("--sklearn-max-iter", type=int, default=100, help="scikit-learn's default: 100")
    parser.add_argument("--objectives", nargs="+", choices=OBJECTIVES, default=list(OBJECTIVES))
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    features, labels = make_layers(**size, seed=SEED)
    n_train = round(size["n"] * (1 - TEST_FRACTION))
    train, test = [x[:n_train] for x in features], [x[n_train:] for x in features]
    p, y_test = weak_labels(labels, SEED)[:n_train], labels[n_train:]
    print(f"{size['layers']} layers × {n_train} train (+{size['n'] - n_train} test) × {size['d']} features; "
          f"objectives {args.objectives}; Cs {list(DEFAULT_CS)}, {FOLDS} folds; "
          f"scikit-learn max_iter={args.sklearn_max_iter}; "
          f"weak labels' train accuracy {accuracy(p, labels[:n_train]):.3f}")
    ratios, deltas = [], []
    for run in range(args.repeats):
        start = time.perf_counter()
        acc_ours = ours(train, test, p, y_test, args.objectives)
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        acc_sk, n_warnings = scikit_learn(train, test, p, y_test, args.objectives, args.sklearn_max_iter)
        t_sk = time.perf_counter() - start
        delta = np.abs(np.subtract(acc_ours, acc_sk))
        ratios.append(t_sk / t_ours)
        deltas.append(float(delta.max()))
        print(f"run {run + 1}: ours {t_ours:.1f} s, scikit-learn {t_sk:.1f} s ({n_warnings} convergence warnings), "
              f"speed ratio {ratios[-1]:.1f}×; test accuracy ours/sklearn per layer and objective: "
              + " | ".join(" ".join(f"{a:.3f}/{b:.3f}" for a, b in zip(*layer)) for layer in zip(acc_ours, acc_sk))
              + f"; max |Δacc| {deltas[-1]:.4f}, mean acc {np.mean(acc_ours):.4f}/{np.mean(acc_sk):.4f}")
    print(f"median over {args.repeats} runs: speed ratio {statistics.median(ratios):.1f}× "
          f"(runs {', '.join(f'{r:.1f}' for r in ratios)}), max |Δacc| {statistics.median(deltas):.4f} "
          f"(runs {', '.join(f'{d:.4f}' for d in deltas)})")


if __name__ == "__main__":
    main()
