"""Binary tasks: a registry of sources, and deterministic balanced splits from hashed ids.

Splits: A (the weak supervisor's training set, gold labels), B (weak-to-strong training:
the strong probes train here, on weak or gold labels) and test. Each example's id is a hash
of its task and text, and the split follows from the ids alone, so every model and revision
sees exactly the same examples in the same split.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from pipeline.io import atomic_path

SPLITS = ("A", "B", "test")


def example_id(task: str, text: str) -> str:
    return hashlib.sha256(f"{task}\x00{text}".encode()).hexdigest()[:16]


def _tiny_source(spec: Mapping, inputs: Mapping[str, str]) -> pd.DataFrame:
    """Held-out labelled documents of the offline corpus (label = the latent attribute)."""
    return pd.read_parquet(inputs["documents"], columns=["text", "label"])


# source name -> loader(task spec, input paths) returning columns text, label (0/1)
TASK_SOURCES: dict[str, Callable[[Mapping, Mapping[str, str]], pd.DataFrame]] = {
    "tiny": _tiny_source,
}


def load_task(task: str, spec: Mapping, inputs: Mapping[str, str]) -> pd.DataFrame:
    source = spec["source"]
    if source not in TASK_SOURCES:
        raise ValueError(f"task {task!r}: source {source!r} is not allowed: use one of {sorted(TASK_SOURCES)}")
    return make_splits(TASK_SOURCES[source](spec, inputs), task, spec["sizes"])


def make_splits(examples: pd.DataFrame, task: str, sizes: Mapping[str, int]) -> pd.DataFrame:
    """Assign balanced (50/50) A, B and test splits of the requested sizes.

    Within each class, examples are ordered by id and dealt out to A, then B, then test;
    examples beyond the requested sizes are left out. Duplicate texts are kept once.
    """
    labels = set(examples["label"].tolist())
    if not labels <= {0, 1} or len(labels) < 2:
        raise ValueError(f"task {task!r}: labels must be 0 and 1 (both present), found {sorted(labels, key=str)}")
    unknown = set(sizes) - set(SPLITS)
    if unknown:
        raise ValueError(f"task {task!r}: unknown split {sorted(unknown)[0]!r}; splits are {SPLITS}")
    table = examples.drop_duplicates("text").copy()
    table["id"] = [example_id(task, t) for t in table["text"]]
    parts = []
    for label, group in table.groupby("label"):
        group = group.sort_values("id")
        start = 0
        for split in SPLITS:
            half = sizes[split] // 2
            if sizes[split] % 2:
                raise ValueError(
                    f"task {task!r}: size of split {split} must be even for 50/50 classes, got {sizes[split]}"
                )
            chunk = group.iloc[start : start + half]
            if len(chunk) < half:
                raise ValueError(
                    f"task {task!r}: class {label} has {len(group)} examples, too few for splits {dict(sizes)}"
                )
            parts.append(chunk.assign(split=split))
            start += half
    out = pd.concat(parts)
    out["split"] = pd.Categorical(out["split"], categories=SPLITS)
    return out.sort_values(["split", "id"]).reset_index(drop=True)[["id", "split", "text", "label"]]


def read_task(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def write_task_table(task: str, spec: Mapping, inputs: Mapping[str, str], out: str | Path) -> None:
    with atomic_path(out) as partial:
        load_task(task, spec, inputs).to_parquet(partial, index=False)
