"""The extraction job: one checkpoint's pooled activations for every task and layer, stored
with their metadata."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from pipeline.config import ExtractionConfig
from pipeline.extraction.engine import Extractor
from pipeline.extraction.store import ids_digest, resolve_layers, save_activations
from pipeline.tasks.splits import DEFAULT_TRUNCATION_SIDE


def write_activations(
    checkpoint: str | Path,
    task_paths: Mapping[str, str],
    extraction: ExtractionConfig,
    out: str | Path,
    identity: Mapping[str, object],
    tokenizer: str | Path | None = None,
    truncation_sides: Mapping[str, str] | None = None,
) -> None:
    """The extraction job: load the checkpoint once, pool every task's texts at every stored layer
    in every stored pooling, store them with metadata. `identity` names the model, revision and
    commit; `tokenizer` is the tokenizer's folder where it is not the checkpoint's;
    `truncation_sides` the end each task cuts from long texts (a task not named:
    DEFAULT_TRUNCATION_SIDE, as in its task table)."""
    extractor = Extractor(checkpoint, dtype=extraction.dtype, device=extraction.device, tokenizer_path=tokenizer)
    layers = resolve_layers(extraction.layers, extractor.num_layers, model=str(identity["model"]))
    sides = {task: (truncation_sides or {}).get(task, DEFAULT_TRUNCATION_SIDE) for task in task_paths}
    features, n, digests = {}, {}, {}
    for task, path in task_paths.items():
        table = pd.read_parquet(path, columns=["id", "text"])
        features[task] = extractor.extract(
            table["text"].tolist(),
            layers,
            poolings=extraction.poolings,
            batch_size=extraction.batch_size,
            max_length=extraction.max_length,
            max_tokens=extraction.max_tokens,
            truncation_side=sides[task],
            desc=f"{identity['model']}@{identity['revision']} {task}",
        )
        n[task], digests[task] = len(table), ids_digest(table["id"].tolist())
    metadata = {
        **identity,
        "layers": layers,
        "layer_specs": list(extraction.layers),  # as configured: indices and depths
        "truncation_side": sides,
        "num_layers": extractor.num_layers,
        "poolings": list(extraction.poolings),
        "dtype": extractor.dtype,  # resolved: what the states were computed in
        "device": extractor.device,
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),  # the job's GPUs (extraction/gpus.py)
        "n": n,
        "ids_digest": digests,
    }
    save_activations(out, features, metadata, extraction.storage_dtype)
