"""Binary tasks: a registry of sources, and deterministic balanced splits from hashed ids.

Splits: A (the weak supervisor's training set, gold labels), B (weak-to-strong training:
the strong probes train here, on weak or gold labels) and test. Each example's id is a hash
of its task and text, and the split follows from the ids alone, so every model and revision
sees exactly the same examples in the same split.

Sources (`TASK_SOURCES`): `tiny` (the offline corpus), `hub` (a dataset of the registry
`pipeline.task_sources.HUB_TASKS`) and `file` (a local jsonl / csv / parquet file). Texts may be
capped at `max_chars` characters, cut on the `truncation_side` (docs/tasks.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from pipeline.io import write_table
from pipeline.tasks.sources import HUB_TASKS, TaskDataError, check_file_spec, file_paths, load_file_task, load_hub_task

SPLITS = ("A", "B", "test")
TRUNCATION_SIDES = ("left", "right")
DEFAULT_TRUNCATION_SIDE = "left"


def example_id(task: str, text: str) -> str:
    return hashlib.sha256(f"{task}\x00{text}".encode()).hexdigest()[:16]


def _tiny_source(task: str, spec: Mapping, inputs: Mapping[str, str]) -> pd.DataFrame:
    """Held-out labelled documents of the offline corpus (label = the latent attribute)."""
    return pd.read_parquet(inputs["documents"], columns=["text", "label"])


# source name -> loader(task name, task spec, input paths) returning columns text, label (0/1);
# the task name salts the loaders' deterministic choices and names errors
TASK_SOURCES: dict[str, Callable[[str, Mapping, Mapping[str, str]], pd.DataFrame]] = {
    "tiny": _tiny_source,
    "hub": load_hub_task,
    "file": load_file_task,
}


def task_input_files(task: str, spec: Mapping) -> dict[str, str | list[str]]:
    """Input files of a task's table for the workflow, checking what the schema cannot.

    `file` tasks depend on their files (so the table is rebuilt when a file changes); `hub` tasks
    have none (the data is fetched inside the job). Called when the DAG is built, so a bad spec
    stops the run before any job starts. `tiny`'s input is the workflow's own output (common.smk).
    """
    source = spec["source"]
    if source not in TASK_SOURCES:
        raise ValueError(f"task {task!r}: source {source!r} is not allowed: use one of {sorted(TASK_SOURCES)}")
    if source == "hub" and spec["name"] not in HUB_TASKS:
        raise TaskDataError(f"task {task!r}: {spec['name']!r} is not in the task registry; use one of {sorted(HUB_TASKS)}")
    if source == "file":
        check_file_spec(task, spec)
        paths = file_paths(spec)
        return {"data": paths[0] if len(paths) == 1 else paths}
    return {}


def truncate(texts: pd.Series, max_chars: int | None, side: str = DEFAULT_TRUNCATION_SIDE) -> pd.Series:
    """Keep at most `max_chars` characters of each text: its end (`left`: the start is cut) or its start."""
    if side not in TRUNCATION_SIDES:
        raise ValueError(f"truncation_side must be one of {TRUNCATION_SIDES}, got {side!r}")
    if max_chars is None:
        return texts
    return texts.str[-max_chars:] if side == "left" else texts.str[:max_chars]


def drop_conflicts(examples: pd.DataFrame, task: str) -> pd.DataFrame:
    """Drop every text that occurs with both labels (e.g. two responses equal after truncation)."""
    labels_per_text = examples.groupby("text", sort=False)["label"].nunique()
    conflicting = labels_per_text.index[labels_per_text > 1]
    if len(conflicting):
        print(f"task {task!r}: dropped {len(conflicting)} texts that occur with both labels")
        return examples[~examples["text"].isin(conflicting)]
    return examples


def load_task(task: str, spec: Mapping, inputs: Mapping[str, str]) -> pd.DataFrame:
    source = spec["source"]
    if source not in TASK_SOURCES:
        raise ValueError(f"task {task!r}: source {source!r} is not allowed: use one of {sorted(TASK_SOURCES)}")
    examples = TASK_SOURCES[source](task, spec, inputs)
    max_chars = spec.get("max_chars")
    if max_chars is not None:
        side = spec.get("truncation_side", DEFAULT_TRUNCATION_SIDE)
        examples = drop_conflicts(examples.assign(text=truncate(examples["text"], max_chars, side)), task)
        if examples["label"].nunique() < 2:
            raise TaskDataError(
                f"task {task!r}: no example of both classes left after max_chars={max_chars} ({side}) cut the texts "
                "and texts left with both labels were dropped; raise max_chars or cut the other side"
            )
    else:
        examples = drop_conflicts(examples, task)
    return make_splits(examples, task, spec["sizes"])


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
    write_table(load_task(task, spec, inputs), out)
