"""Weak supervisors: predictors fit on split A's gold labels that are right well above chance
but make errors a strong probe need not copy.

- `BagOfWordsSupervisor`: logistic regression on the counts of a few cue words, chosen on A
  by document frequency × |smoothed log-odds|. It sees only a handful of surface features.
- A probe on another model's activations (a smaller or earlier checkpoint) is a
  `pipeline.probes.LogisticProbe` fit on A; the workflow wires it up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.config import ProbeConfig, WeakSupervisorConfig
from pipeline.extraction.store import load_task_features, resolve_layers
from pipeline.io import write_table
from pipeline.probing.logistic import LogisticProbe


def _words(texts: Sequence[str]) -> list[list[str]]:
    return [text.lower().split() for text in texts]


@dataclass
class BagOfWordsSupervisor:
    n_words: int = 3
    c: float = 1.0

    def fit(self, texts: Sequence[str], labels: np.ndarray) -> BagOfWordsSupervisor:
        labels = np.asarray(labels)
        if set(np.unique(labels)) != {0, 1}:
            raise ValueError("the weak supervisor needs gold labels of both classes 0 and 1")
        docs = _words(texts)
        doc_freq: dict[str, np.ndarray] = {}
        for i, words in enumerate(docs):
            for word in set(words):
                doc_freq.setdefault(word, np.zeros(2))[labels[i]] += 1
        n_class = np.array([np.sum(labels == 0), np.sum(labels == 1)])

        def score(counts: np.ndarray) -> float:
            rate = (counts + 0.5) / (n_class + 1.0)
            return counts.sum() * abs(np.log(rate[1] / rate[0]))

        ranked = sorted(doc_freq, key=lambda w: (-score(doc_freq[w]), w))
        self.words_ = ranked[: self.n_words]
        self.model_ = LogisticRegression(C=self.c, max_iter=1000).fit(self._counts(docs), labels)
        return self

    def _counts(self, docs: list[list[str]]) -> np.ndarray:
        return np.array([[words.count(w) for w in self.words_] for words in docs], dtype=np.float64)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of class 1 for each text."""
        return self.model_.predict_proba(self._counts(_words(texts)))[:, 1]


def weak_labels(
    task_table: pd.DataFrame, spec: WeakSupervisorConfig, probes: ProbeConfig, features: np.ndarray | None = None
) -> pd.DataFrame:
    """Fit the configured weak supervisor on split A (gold labels); return p_weak for every row.

    `features` (rows aligned with `task_table`) are needed for kind "probe".
    """
    train = (task_table["split"] == "A").to_numpy()
    labels = task_table["label"].to_numpy()
    if spec.kind == "bag_of_words":
        texts = task_table["text"].tolist()
        supervisor = BagOfWordsSupervisor(n_words=spec.n_words, c=spec.C)
        supervisor.fit([t for t, keep in zip(texts, train) if keep], labels[train])
        p_weak = supervisor.predict_proba(texts)
    elif spec.kind == "probe":
        if features is None:
            raise ValueError("weak supervisor of kind 'probe' needs the weak model's activations")
        probe = LogisticProbe(cs=probes.Cs, folds=probes.cv_folds, seed=probes.seed)
        p_weak = probe.fit(features[train], labels[train].astype(float)).predict_proba(features)
    else:
        raise ValueError(f"weak_supervisor.kind {spec.kind!r} is not allowed: use 'bag_of_words' or 'probe'")
    return task_table[["id", "split"]].assign(p_weak=p_weak)


def weak_layer(spec: WeakSupervisorConfig, metadata: Mapping[str, object], path: str) -> int:
    """The stored layer (an index into hidden_states) that the weak probe's layer resolves to."""
    layer = resolve_layers([spec.layer], metadata["num_layers"], model=spec.model)[0]
    if layer not in metadata["layers"]:
        raise ValueError(
            f"{path}: weak_supervisor.layer {spec.layer!r} is layer {layer} of {spec.model!r}, "
            f"which was not extracted (stored layers: {metadata['layers']})"
        )
    return layer


def write_weak_labels(
    task: str,
    task_path: str,
    spec: WeakSupervisorConfig,
    probes: ProbeConfig,
    out: str,
    activations_path: str | None = None,
) -> None:
    table = pd.read_parquet(task_path)
    features = None
    if activations_path is not None:
        by_layer, metadata = load_task_features(activations_path, task, table["id"].tolist())
        features = by_layer[weak_layer(spec, metadata, activations_path)]
    write_table(weak_labels(table, spec, probes, features), out)
