"""The probes job of one (model, revision): for every task and layer, a gold probe and, per
weak supervisor and W2S objective, a weak-to-strong probe on split B, scored on the test split
beside the weak supervisor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.config import MetricsConfig, ProbeConfig
from pipeline.extraction.store import load_task_features, read_metadata, relative_depth, resolve_layers
from pipeline.io import write_table
from pipeline.probing.logistic import fit_probes
from pipeline.probing.metrics import (
    accuracy,
    auroc,
    correct,
    delong_difference_se,
    fieller_interval,
    imitation,
    margin_threshold,
    pgr,
)
from pipeline.probing.spectrum import spectral_quality


def evaluate_layers(
    by_layer: Mapping[int, np.ndarray],
    table: pd.DataFrame,
    weak: Mapping[str, np.ndarray],
    probes: ProbeConfig,
    metrics: MetricsConfig,
) -> list[tuple[dict[str, object], pd.DataFrame]]:
    """Per layer, weak supervisor (`weak`: name -> p_weak of every row) and W2S objective
    (`probes.objectives`): the metrics of weak, W2S and gold on the test split, led by layer,
    supervisor and method, and the per-example test predictions. The gold probe and every W2S
    probe of all layers are fit in one batch."""
    train = (table["split"] == "B").to_numpy()
    test = (table["split"] == "test").to_numpy()
    gold = table["label"].to_numpy()
    setups = [(supervisor, method) for supervisor in weak for method in probes.objectives]
    # the W2S columns hold weak labels only: those probes fit and pick C without a gold label
    labels = np.column_stack([gold[train].astype(float), *(weak[s][train] for s, _ in setups)])
    layers = list(by_layer)
    fitted = fit_probes([by_layer[layer][train] for layer in layers], labels, cs=probes.Cs, folds=probes.cv_folds,
                        seed=probes.seed, selection=probes.selection, objectives=["soft_ce", *(m for _, m in setups)])
    results = []
    for layer, (gold_probe, *w2s_probes) in zip(layers, fitted):
        x_test = by_layer[layer][test]
        p_gold = gold_probe.predict_proba(x_test)
        quality = spectral_quality(x_test)
        for (supervisor, method), w2s_probe in zip(setups, w2s_probes, strict=True):
            predictions = pd.DataFrame({"id": table["id"][test].to_numpy(), "label": gold[test],
                                        "p_weak": weak[supervisor][test], "p_w2s": w2s_probe.predict_proba(x_test),
                                        "p_gold": p_gold})
            row = {"layer": layer, "supervisor": supervisor, "method": method,
                   **revision_metrics(predictions, metrics), **quality}
            # the gain under every fixed C of the path: how much the regularisation could move it
            fixed_c_gain = [accuracy(p, gold[test]) - row["weak_acc"] for p in w2s_probe.predict_proba_path(x_test)]
            row.update(gold_C=gold_probe.c_, w2s_C=w2s_probe.c_, gold_C_edge=gold_probe.c_at_edge_,
                       w2s_C_edge=w2s_probe.c_at_edge_, gain_C_min=min(fixed_c_gain), gain_C_max=max(fixed_c_gain),
                       n_train=int(train.sum()), n_test=int(test.sum()))
            results.append((row, predictions.assign(layer=layer, supervisor=supervisor, method=method)))
    return results


def revision_metrics(predictions: pd.DataFrame, metrics: MetricsConfig) -> dict[str, float]:
    """Accuracy and AUROC of weak, W2S and gold; gain and PGR on both, PGR where gold − weak
    passes the margin rule (`MetricsConfig`), with Fieller's interval for the accuracy PGR; and
    imitation (`metrics.imitation`): agreement with the supervisor, accuracy where it is right
    and where it is wrong."""
    y = predictions["label"].to_numpy()
    row, hits = {}, {}
    for kind in ("weak", "w2s", "gold"):
        hits[kind] = correct(predictions[f"p_{kind}"], y).astype(float)
        row[f"{kind}_acc"] = accuracy(predictions[f"p_{kind}"], y)
        row[f"{kind}_auroc"] = auroc(predictions[f"p_{kind}"], y)
    observed = np.full((1, len(y)), 1.0 / len(y))
    threshold = margin_threshold(hits["weak"], hits["gold"], observed, metrics.pgr_min_margin, metrics.pgr_margin_se)
    row["gain"] = row["w2s_acc"] - row["weak_acc"]
    row["pgr_margin"] = float(threshold[0])
    row["pgr"] = pgr(row["weak_acc"], row["w2s_acc"], row["gold_acc"], row["pgr_margin"])
    row["pgr_lo"], row["pgr_hi"] = (
        fieller_interval(hits["w2s"] - hits["weak"], hits["gold"] - hits["weak"], metrics.ci_level)
        if math.isfinite(row["pgr"]) else (math.nan, math.nan)
    )
    auroc_se = delong_difference_se(predictions["p_weak"], predictions["p_gold"], y)
    row["gain_auroc"] = row["w2s_auroc"] - row["weak_auroc"]
    row["pgr_auroc"] = pgr(row["weak_auroc"], row["w2s_auroc"], row["gold_auroc"],
                           max(metrics.pgr_min_margin, metrics.pgr_margin_se * auroc_se))
    row.update(imitation(predictions["p_weak"], predictions["p_w2s"], y, metrics.ci_level))
    return row


def probed_layers(probes: ProbeConfig, activations_path: str) -> list[int] | None:
    """The stored layers that probes.layers resolves to in this file's model (None: every stored one)."""
    if probes.layers is None:
        return None
    metadata = read_metadata(activations_path)
    return resolve_layers(probes.layers, metadata["num_layers"], model=metadata.get("model"))


def write_probe_results(
    activations_path: str,
    task_paths: Mapping[str, str],
    weak_paths: Mapping[tuple[str, str], str],
    probes: ProbeConfig,
    metrics: MetricsConfig,
    identity: Mapping[str, object],
    metrics_out: str,
    predictions_out: str,
) -> None:
    """Write one metrics row per (task, layer, weak supervisor, method), led by `identity`
    (model, revision, step, tokens), and the test predictions of every probe. `weak_paths`:
    (supervisor, task) -> that supervisor's labels of the task."""
    rows, predictions = [], []
    for task, task_path in task_paths.items():
        table = pd.read_parquet(task_path)
        weak = {supervisor: pd.read_parquet(path).set_index("id").loc[table["id"], "p_weak"].to_numpy()
                for (supervisor, name), path in weak_paths.items() if name == task}
        by_layer, metadata = load_task_features(activations_path, task, table["id"].tolist(),
                                                probed_layers(probes, activations_path), probes.pooling)
        for row, preds in evaluate_layers(dict(sorted(by_layer.items())), table, weak, probes, metrics):
            # the layer's relative depth: comparable across models of different depth
            depth = relative_depth(row["layer"], metadata["num_layers"])
            rows.append({**identity, "task": task, "depth": depth, **row})
            predictions.append(preds.assign(task=task))
    write_table(pd.DataFrame(rows), metrics_out)
    write_table(pd.concat(predictions, ignore_index=True), predictions_out)
