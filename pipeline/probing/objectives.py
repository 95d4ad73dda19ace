"""Weak-to-strong training objectives of a probe: what its label column becomes as fit targets.

The solver (`logistic.py`) always minimizes soft-label cross-entropy + L2; an objective only
changes the targets it is given:

- `soft_ce`: the labels p ∈ [0, 1] as they are.
- `hard_ce`: the hard labels 1[p ≥ 0.5].
- `logconf`: Burns et al. 2023's auxiliary-confidence loss (openai/weak-to-strong,
  `logconf_loss_fn`): target (1 − α)·p + α·ŷ, ŷ the student's own hardened prediction,
  thresholded so that the fraction it calls 1 is the mean of the weak soft labels. Their α
  follows SGD steps; our full-batch solver uses outer rounds instead (`logconf_alphas`): round 0
  fits the soft CE, each later round refits with ŷ from the previous round's fit (no gradient
  through ŷ) and α ramped linearly to its final value over the warm-up rounds.
- `knn`: label cleaning (as in EleutherAI/w2s): each training example's label is replaced by the
  mean weak label of its k nearest other training examples (itself excluded) on the standardized
  strong features, then soft CE on those.

numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.config import OBJECTIVES

# rows of the query block in the kNN distances: bounds memory at ~ KNN_BLOCK × n floats
KNN_BLOCK = 1024


@dataclass(frozen=True)
class ObjectiveSettings:
    """Parameters of the objectives that have any."""

    logconf_alpha: float = 0.75
    """Final weight α of the student's hardened predictions (Burns et al. use 0.75 for their
    largest students, 0.5 otherwise; their `logconf_loss_fn` defaults to 0.5)."""
    logconf_rounds: int = 5
    """Fits in all: the soft-CE fit, then refits on mixed targets."""
    logconf_warmup: float = 0.4
    """Fraction of the rounds over which α rises linearly from 0 to `logconf_alpha`."""
    knn_k: int = 15
    """Neighbours whose weak labels replace an example's own."""

    def __post_init__(self) -> None:
        if not 0 <= self.logconf_alpha <= 1 or self.logconf_rounds < 1 or not 0 <= self.logconf_warmup <= 1:
            raise ValueError(f"logconf needs α in [0, 1], ≥ 1 round and warm-up in [0, 1]: {self}")
        if self.knn_k < 1:
            raise ValueError(f"knn_k must be at least 1, got {self.knn_k}")


def check_objectives(names: Sequence[str]) -> tuple[str, ...]:
    """The names as a tuple; an unknown one is a ValueError naming it and the allowed ones."""
    for name in names:
        if name not in OBJECTIVES:
            raise ValueError(f"unknown probe objective {name!r}; allowed: {list(OBJECTIVES)}")
    return tuple(names)


def logconf_alphas(settings: ObjectiveSettings) -> np.ndarray:
    """α of each round: 0 for the first (plain soft CE), then a linear ramp to the final α that
    reaches it after `logconf_warmup` of the rounds (at once where the warm-up is 0)."""
    rounds = np.arange(settings.logconf_rounds)
    warmup = settings.logconf_warmup * settings.logconf_rounds
    ramp = np.minimum(1.0, rounds / warmup) if warmup > 0 else (rounds > 0).astype(float)
    return settings.logconf_alpha * ramp


def logconf_targets(p: np.ndarray, logits: np.ndarray, train: np.ndarray, alpha: float) -> np.ndarray:
    """(1 − α)·p + α·ŷ per problem (rows of `logits`, `train` and `p`, each (k, n)).

    As in `logconf_loss_fn`: the threshold is the q-quantile (linear interpolation, torch's and
    numpy's default) of the class-0 scores over the problem's training rows, q the mean weak soft
    label there, and ŷ = 1 below it. We threshold −logit, which orders rows as their class-0
    probability does without its saturation ties.
    """
    score0 = np.where(train, -logits, np.nan)
    q = np.nanmean(np.where(train, p, np.nan), axis=1)
    threshold = np.array([np.nanquantile(row, qi) for row, qi in zip(score0, q)])
    hard = (-logits < threshold[:, None]).astype(np.float64)
    return (1 - alpha) * p + alpha * hard


def knn_targets(z: np.ndarray, p: np.ndarray, train: np.ndarray, k: int) -> np.ndarray:
    """Mean weak label p of each row's k nearest training rows (Euclidean on `z` (n, d)), the row
    itself excluded; one row of targets per mask in `train` (m, n)."""
    z = np.asarray(z, dtype=np.float64)
    if np.any(train.sum(1) <= k):
        raise ValueError(f"knn needs more than k = {k} training rows in every fold")
    sq = (z**2).sum(1)
    out = np.empty(train.shape)
    for start in range(0, len(z), KNN_BLOCK):
        rows = slice(start, start + KNN_BLOCK)
        dist = sq[rows, None] + sq[None, :] - 2 * z[rows] @ z.T
        np.fill_diagonal(dist[:, start:], np.inf)  # the row itself
        for m, mask in enumerate(train):
            masked = np.where(mask, dist, np.inf)
            nearest = np.argpartition(masked, k - 1, axis=1)[:, :k]
            out[m, rows] = p[nearest].mean(1)
    return out


def initial_targets(name: str, z: np.ndarray, p: np.ndarray, train: np.ndarray,
                    settings: ObjectiveSettings) -> np.ndarray:
    """Targets (m, n) of the first fit of m problems of one label column p (n,), whose training
    rows are `train` (m, n); logconf's first round is soft CE."""
    check_objectives([name])
    if name == "knn":
        return knn_targets(z, p, train, settings.knn_k)
    return np.broadcast_to(own_labels(name, p), train.shape)


def own_labels(name: str, p: np.ndarray) -> np.ndarray:
    """The probe's own training labels: hard ones for hard_ce, else the input weak labels p. They
    are the first fit's targets (but knn's) and the held-out labels of the CV loss (for logconf
    and knn too, whose targets depend on the fit or on the folds)."""
    return (p >= 0.5).astype(np.float64) if name == "hard_ce" else p
