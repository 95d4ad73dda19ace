"""Weak supervisors: predictors fit on split A's gold labels that are right well above chance
but make errors a strong probe need not copy. Each is named in the config (`weak_supervisors`),
and their accuracies can be graded (a few cue words < every word < a small model's features).

- `BagOfWordsSupervisor`: logistic regression on the counts of a few cue words, chosen on A
  by document frequency × |smoothed log-odds|. It sees only a handful of surface features.
- `TfidfSupervisor`: logistic regression on the TF-IDF weights of every word (a classic full-
  vocabulary text baseline).
- A probe on another model's activations (a smaller model, or an earlier checkpoint) is a
  `pipeline.probes.LogisticProbe` fit on A; the workflow reads those activations from the store.

Each picks its L2 strength by cross-validation on A: the text kinds over the finite Cs of the
probe path (scikit-learn has no unpenalised CV path), a probe over the whole path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegressionCV

from pipeline.config import ProbeConfig, WeakSupervisorConfig
from pipeline.extraction.store import load_task_features, read_metadata, resolve_layers
from pipeline.io import write_table
from pipeline.probing.logistic import LogisticProbe

KINDS = ("bag_of_words", "tfidf", "probe")


def _words(texts: Sequence[str]) -> list[list[str]]:
    return [text.lower().split() for text in texts]


def _check_labels(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if set(np.unique(labels)) != {0, 1}:
        raise ValueError("the weak supervisor needs gold labels of both classes 0 and 1")
    return labels


def _cv_logistic(cs: Sequence[float], folds: int, seed: int) -> LogisticRegressionCV:
    finite = [c for c in cs if np.isfinite(c)] or [1.0]
    return LogisticRegressionCV(Cs=finite, cv=folds, max_iter=2000, random_state=seed)


@dataclass
class BagOfWordsSupervisor:
    n_words: int = 3
    cs: Sequence[float] = (1.0,)
    folds: int = 5
    seed: int = 0

    def fit(self, texts: Sequence[str], labels: np.ndarray) -> BagOfWordsSupervisor:
        labels = _check_labels(labels)
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
        self.model_ = _cv_logistic(self.cs, self.folds, self.seed).fit(self._counts(docs), labels)
        return self

    def _counts(self, docs: list[list[str]]) -> np.ndarray:
        return np.array([[words.count(w) for w in self.words_] for words in docs], dtype=np.float64)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of class 1 for each text."""
        return self.model_.predict_proba(self._counts(_words(texts)))[:, 1]


@dataclass
class TfidfSupervisor:
    min_df: int = 1
    cs: Sequence[float] = (1.0,)
    folds: int = 5
    seed: int = 0

    def fit(self, texts: Sequence[str], labels: np.ndarray) -> TfidfSupervisor:
        labels = _check_labels(labels)
        # whitespace tokens, as the bag of words: the tiny corpus's words are not all letters
        self.vectorizer_ = TfidfVectorizer(lowercase=True, token_pattern=r"\S+", min_df=self.min_df, sublinear_tf=True)
        features = self.vectorizer_.fit_transform(list(texts))
        self.model_ = _cv_logistic(self.cs, self.folds, self.seed).fit(features, labels)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of class 1 for each text."""
        return self.model_.predict_proba(self.vectorizer_.transform(list(texts)))[:, 1]


def weak_labels(
    task_table: pd.DataFrame, spec: WeakSupervisorConfig, probes: ProbeConfig, features: np.ndarray | None = None
) -> pd.DataFrame:
    """Fit the weak supervisor `spec` on split A (gold labels); return p_weak for every row.

    `features` (rows aligned with `task_table`) are needed for kind "probe".
    """
    train = (task_table["split"] == "A").to_numpy()
    labels = task_table["label"].to_numpy()
    texts = task_table["text"].tolist()
    train_texts = [t for t, keep in zip(texts, train) if keep]
    cv = {"cs": probes.Cs, "folds": probes.cv_folds, "seed": probes.seed}
    if spec.kind == "bag_of_words":
        p_weak = BagOfWordsSupervisor(n_words=spec.n_words, **cv).fit(train_texts, labels[train]).predict_proba(texts)
    elif spec.kind == "tfidf":
        p_weak = TfidfSupervisor(min_df=spec.min_df, **cv).fit(train_texts, labels[train]).predict_proba(texts)
    elif spec.kind == "probe":
        if features is None:
            raise ValueError("weak supervisor of kind 'probe' needs the weak model's activations")
        probe = LogisticProbe(cs=probes.Cs, folds=probes.cv_folds, seed=probes.seed, selection=probes.selection)
        p_weak = probe.fit(features[train], labels[train].astype(float)).predict_proba(features)
    else:
        raise ValueError(f"weak supervisor kind {spec.kind!r} is not allowed: use one of {list(KINDS)}")
    return task_table[["id", "split"]].assign(p_weak=p_weak)


def weak_layer(spec: WeakSupervisorConfig, metadata: Mapping[str, object], path: str) -> int:
    """The stored layer (an index into hidden_states) that the weak probe's layer resolves to."""
    layer = resolve_layers([spec.layer], metadata["num_layers"], model=spec.model)[0]
    if layer not in metadata["layers"]:
        raise ValueError(
            f"{path}: weak supervisor layer {spec.layer!r} is layer {layer} of {spec.model!r}, "
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
        layer = weak_layer(spec, read_metadata(activations_path), activations_path)
        by_layer, _ = load_task_features(activations_path, task, table["id"].tolist(), [layer], probes.pooling)
        features = by_layer[layer]
    write_table(weak_labels(table, spec, probes, features), out)
