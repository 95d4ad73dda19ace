"""The probes job of one (model, revision): for every task and layer, a gold probe and a
weak-to-strong probe on split B, scored on the test split beside the weak supervisor.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.config import MetricsConfig, ProbeConfig
from pipeline.extraction.store import load_task_features
from pipeline.io import write_table
from pipeline.probing.logistic import fit_probes
from pipeline.probing.metrics import accuracy, auroc, pgr


def evaluate_layers(
    by_layer: Mapping[int, np.ndarray], table: pd.DataFrame, p_weak: np.ndarray, probes: ProbeConfig, min_margin: float
) -> dict[int, tuple[dict[str, float], pd.DataFrame]]:
    """Per layer: metrics of weak, W2S and gold on the test split, and the per-example test
    predictions. The gold and W2S probes of all layers are fit in one batch."""
    train = (table["split"] == "B").to_numpy()
    test = (table["split"] == "test").to_numpy()
    gold = table["label"].to_numpy()
    # the W2S column holds weak labels only: the probe fits and picks C without a gold label
    labels = np.column_stack([gold[train].astype(float), p_weak[train]])
    layers = list(by_layer)
    fitted = fit_probes([by_layer[layer][train] for layer in layers], labels, cs=probes.Cs,
                        folds=probes.cv_folds, seed=probes.seed)
    results = {}
    for layer, (gold_probe, w2s_probe) in zip(layers, fitted):
        x_test = by_layer[layer][test]
        predictions = pd.DataFrame(
            {
                "id": table["id"][test].to_numpy(),
                "label": gold[test],
                "p_weak": p_weak[test],
                "p_w2s": w2s_probe.predict_proba(x_test),
                "p_gold": gold_probe.predict_proba(x_test),
            }
        )
        row = _metrics(predictions, min_margin)
        row.update(gold_C=gold_probe.c_, w2s_C=w2s_probe.c_, n_train=int(train.sum()), n_test=int(test.sum()))
        results[layer] = row, predictions
    return results


def _metrics(predictions: pd.DataFrame, min_margin: float) -> dict[str, float]:
    y = predictions["label"].to_numpy()
    row = {}
    for kind in ("weak", "w2s", "gold"):
        row[f"{kind}_acc"] = accuracy(predictions[f"p_{kind}"], y)
        row[f"{kind}_auroc"] = auroc(predictions[f"p_{kind}"], y)
    row["gain"] = row["w2s_acc"] - row["weak_acc"]
    row["pgr"] = pgr(row["weak_acc"], row["w2s_acc"], row["gold_acc"], min_margin)
    return row


def write_probe_results(
    activations_path: str,
    task_paths: Mapping[str, str],
    weak_paths: Mapping[str, str],
    probes: ProbeConfig,
    metrics: MetricsConfig,
    identity: Mapping[str, object],
    metrics_out: str,
    predictions_out: str,
) -> None:
    """Write one metrics row per (task, layer), led by `identity` (model, revision, step,
    tokens), and the test predictions of every probe."""
    rows, predictions = [], []
    for task, task_path in task_paths.items():
        table = pd.read_parquet(task_path)
        weak = pd.read_parquet(weak_paths[task]).set_index("id").loc[table["id"]]
        by_layer, _ = load_task_features(activations_path, task, table["id"].tolist())
        results = evaluate_layers(dict(sorted(by_layer.items())), table, weak["p_weak"].to_numpy(), probes,
                                  metrics.pgr_min_margin)
        for layer, (row, preds) in results.items():
            rows.append({**identity, "task": task, "layer": layer, **row})
            predictions.append(preds.assign(task=task, layer=layer))
    write_table(pd.DataFrame(rows), metrics_out)
    write_table(pd.concat(predictions, ignore_index=True), predictions_out)
