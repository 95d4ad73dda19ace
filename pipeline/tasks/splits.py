"""Deterministic balanced A / B / test splits from hashed ids, and the text cap before them.

Contract: an example's id is a hash of its task and text, and its split follows from the ids
alone, so rows in any order give the same table (docs/tasks.md, "Splits and ids").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd

SPLITS = ("A", "B", "test")
TRUNCATION_SIDES = ("left", "right")
DEFAULT_TRUNCATION_SIDE = "left"


def example_id(task: str, text: str) -> str:
    return hashlib.sha256(f"{task}\x00{text}".encode()).hexdigest()[:16]


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


def make_splits(examples: pd.DataFrame, task: str, sizes: Mapping[str, int]) -> pd.DataFrame:
    """Assign balanced (50/50) A, B and test splits of the requested sizes.

    Within each class, examples are ordered by id and dealt out to A, then B, then test;
    examples beyond the requested sizes are left out. Duplicate texts are kept once.

    Parameters
    ----------
    examples : pandas.DataFrame
        One row per example: `text` (str) and `label` (0 or 1, both present); other columns
        are dropped.
    task : str
        The task's name; it salts the ids (another name deals the examples out differently).
    sizes : Mapping[str, int]
        Examples per split, {split: even number}, for each of `SPLITS`.

    Returns
    -------
    pandas.DataFrame
        ``sum(sizes.values())`` rows, columns `id` (16 hex digits, unique), `split` (categorical
        A / B / test), `text` (unique) and `label` (0/1), half of each split per class, sorted
        by split then id, on a fresh index.

    Raises
    ------
    ValueError
        Labels other than 0/1 or a single class, an unknown split, an odd size, or too few
        examples of a class for the sizes.
    """
    labels = set(examples["label"].tolist())
    if not labels <= {0, 1} or len(labels) < 2:
        raise ValueError(f"task {task!r}: labels must be 0 and 1 (both present), found {sorted(labels, key=str)}")
    unknown = set(sizes) - set(SPLITS)
    if unknown:
        raise ValueError(f"task {task!r}: unknown split {min(unknown)!r}; splits are {SPLITS}")
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
