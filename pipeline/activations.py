"""Pooled hidden states of a causal LM: the extraction engine and the extraction job.

Layer indices follow `output_hidden_states`: 0 is the embedding output, L the last block's
output (negative indices count from the end). Pooling is the last non-pad token (default;
what a causal model has read the whole text at) or the mean over non-pad tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm
from transformers import AutoModel, AutoTokenizer

from pipeline.store import ids_digest, resolve_layers, save_activations

POOLINGS = ("last", "mean")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Pool (batch, seq, dim) states over non-pad positions; works for left or right padding."""
    if pooling == "last":
        positions = torch.arange(mask.shape[1], device=mask.device).expand_as(mask)
        last = torch.where(mask.bool(), positions, -1).max(dim=1).values
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    if pooling == "mean":
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
    raise ValueError(f"pooling {pooling!r} is not allowed: use one of {POOLINGS}")


class Extractor:
    """Loads a checkpoint once and pools hidden states for any number of text sets."""

    def __init__(self, model_path: str | Path, dtype: str = "float32", device: str = "cpu"):
        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype!r} is not allowed: use one of {sorted(DTYPES)}")
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        if self.tokenizer.pad_token is None:  # Pythia has none: pad with eos, right-padded
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "right"
        self.model = AutoModel.from_pretrained(model_path, dtype=DTYPES[dtype]).to(device).eval()
        self.device = device
        self.num_layers = self.model.config.num_hidden_layers

    @torch.inference_mode()
    def extract(
        self,
        texts: Sequence[str],
        layers: Sequence[int],
        pooling: str = "last",
        batch_size: int = 64,
        max_length: int = 512,
        desc: str = "extracting",
    ) -> dict[int, np.ndarray]:
        """Pooled states {layer: (n, dim) float32}, rows in the order of `texts`."""
        layers = resolve_layers(layers, self.num_layers)
        encoded = self.tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
        order = np.argsort([len(ids) for ids in encoded], kind="stable")  # similar lengths share a batch
        out = {layer: np.zeros((len(texts), self.model.config.hidden_size), np.float32) for layer in layers}
        for start in tqdm(range(0, len(order), batch_size), desc=desc, mininterval=5):
            rows = order[start : start + batch_size]
            batch = self.tokenizer.pad({"input_ids": [encoded[i] for i in rows]}, return_tensors="pt")
            batch = {k: v.to(self.device) for k, v in batch.items()}
            hidden = self.model(**batch, output_hidden_states=True).hidden_states
            for layer in layers:
                out[layer][rows] = pool(hidden[layer], batch["attention_mask"], pooling).float().cpu().numpy()
        return out


def write_activations(
    checkpoint: str | Path,
    task_paths: Mapping[str, str],
    extraction: Mapping,
    out: str | Path,
    identity: Mapping[str, object],
) -> None:
    """The extraction job: load the checkpoint once, pool every task's texts at every layer,
    store them with metadata. `identity` names the model, revision and commit."""
    extractor = Extractor(checkpoint, dtype=extraction.get("dtype", "float32"), device=extraction.get("device", "cpu"))
    layers = resolve_layers(extraction["layers"], extractor.num_layers)
    features, n, digests = {}, {}, {}
    for task, path in task_paths.items():
        table = pd.read_parquet(path, columns=["id", "text"])
        features[task] = extractor.extract(
            table["text"].tolist(),
            layers,
            pooling=extraction["pooling"],
            batch_size=extraction.get("batch_size", 64),
            max_length=extraction.get("max_length", 512),
            desc=f"{identity['model']}@{identity['revision']} {task}",
        )
        n[task], digests[task] = len(table), ids_digest(table["id"].tolist())
    metadata = {
        **identity,
        "layers": layers,
        "num_layers": extractor.num_layers,
        "pooling": extraction["pooling"],
        "dtype": extraction.get("dtype", "float32"),
        "n": n,
        "ids_digest": digests,
    }
    save_activations(out, features, metadata)
