"""How linearly a revision represents the task: the gold probe's test accuracy (`gold_acc`, in the
metrics table) and the class separation d′ of its test logits (`gold_dprime`; docs/methods.md);
and, without a probe, RankMe and α-ReQ of its test features (`rankme`, `alpha_req`,
probing.spectrum, in the metrics table). `FeatureLoader` reads a revision's test features, so the
lag can resample the spectral qualities with the same examples as the gain."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.analysis.curves import PROBE, Loader, select_predictions
from pipeline.extraction.store import load_task_features
from pipeline.probing.spectrum import SPECTRAL_QUALITIES

PROBE_QUALITIES = ("gold_acc", "gold_dprime")  # from the stored test predictions
QUALITIES = (*PROBE_QUALITIES, *SPECTRAL_QUALITIES)  # the spectral ones from the test features

FeatureLoader = Callable[[str, str, str, int, Sequence[str]], np.ndarray]
"""(model, revision, task, layer, ids) -> that revision's features of the examples `ids`, in order."""


def feature_loader(
    activations: Mapping[tuple[str, str], str], task_tables: Mapping[str, str], pooling: str | None = None
) -> FeatureLoader:
    """A FeatureLoader over the activations files {(model, revision): path} and the task tables
    {task: path} they were extracted for, in the probed `pooling` (None: the first stored): only
    the asked layer is read."""
    ids_of = {task: pd.read_parquet(path, columns=["id"])["id"] for task, path in task_tables.items()}

    def load(model: str, revision: str, task: str, layer: int, ids: Sequence[str]) -> np.ndarray:
        stored = ids_of[task]
        by_layer, _ = load_task_features(activations[(model, revision)], task, stored.tolist(), [layer], pooling)
        rows = pd.Index(stored).get_indexer(list(ids))
        if (rows < 0).any():
            raise ValueError(f"{len(ids)} examples asked of task {task!r}: {(rows < 0).sum()} are not in its table")
        return by_layer[layer][rows]

    return load


def _logits(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def dprime_curves(p_gold: np.ndarray, label: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """d′ of the gold logits per revision (rows of p_gold, shape (revisions, examples)) under each
    row of example weights (replicates, examples): shape (replicates, revisions)."""
    z = _logits(np.atleast_2d(p_gold))
    positive = np.asarray(label) == 1
    moments = []
    for in_class in (positive, ~positive):
        w = weights * in_class
        total = w.sum(1, keepdims=True)
        mean = (w @ z.T) / total
        moments.append((mean, (w @ (z**2).T) / total - mean**2))
    (m1, v1), (m0, v0) = moments
    return (m1 - m0) / np.sqrt(np.maximum((v1 + v0) / 2, 1e-300))


def fisher_dprime(p_gold: np.ndarray, label: np.ndarray) -> float:
    """d′ of one revision's gold-probe logits between the classes."""
    n = len(label)
    return float(dprime_curves(np.asarray(p_gold)[None], label, np.full((1, n), 1.0 / n))[0, 0])


def add_gold_dprime(table: pd.DataFrame, predictions: Loader) -> pd.DataFrame:
    """The metrics table with a `gold_dprime` column, from each revision's stored predictions."""
    values = []
    for row in table[["model", "revision", *PROBE]].to_dict("records"):
        chosen = select_predictions(predictions(row["model"], row["revision"]), row)
        values.append(fisher_dprime(chosen["p_gold"].to_numpy(), chosen["label"].to_numpy()))
    return table.assign(gold_dprime=values)
