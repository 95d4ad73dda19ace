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
    examples beyond the requested sizes are left out. Duplicate texts are kept once. Examples
    with the same `group` (a shared passage or prompt) stay in one split (`_deal_groups`).

    Parameters
    ----------
    examples : pandas.DataFrame
        One row per example: `text` (str), `label` (0 or 1, both present) and optionally
        `group` (str or None); other columns are dropped.
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
    for split in SPLITS:
        if sizes[split] % 2:
            raise ValueError(f"task {task!r}: size of split {split} must be even for 50/50 classes, got {sizes[split]}")
    table = examples.drop_duplicates("text").copy()
    table["id"] = [example_id(task, t) for t in table["text"]]
    if "group" in table and table["group"].notna().any():
        out = _deal_groups(table, task, sizes)
    else:
        out = _deal_examples(table, task, sizes)
    out["split"] = pd.Categorical(out["split"], categories=SPLITS)
    return out.sort_values(["split", "id"]).reset_index(drop=True)[["id", "split", "text", "label"]]


def _deal_examples(table: pd.DataFrame, task: str, sizes: Mapping[str, int]) -> pd.DataFrame:
    """Within each class, in id order: the first examples to A, the next to B, then test."""
    parts = []
    for label, group in table.groupby("label"):
        group = group.sort_values("id")
        start = 0
        for split in SPLITS:
            half = sizes[split] // 2
            chunk = group.iloc[start : start + half]
            if len(chunk) < half:
                raise ValueError(
                    f"task {task!r}: class {label} has {len(group)} examples, too few for splits {dict(sizes)}"
                )
            parts.append(chunk.assign(split=split))
            start += half
    return pd.concat(parts)


def _deal_groups(table: pd.DataFrame, task: str, sizes: Mapping[str, int]) -> pd.DataFrame:
    """Examples sharing a `group` (a passage, a prompt) never go to two splits: groups in the
    order of their hashed ids, each to the first split in A, B, test with room for one of its
    classes, which takes as many of its examples (lowest ids first) as it has room for; the rest
    of the group is left out. An example without a group is a group of its own, so that id order
    deals ungrouped examples exactly as `_deal_examples` does."""
    key = [example_id(task, f"group\x00{g}") if isinstance(g, str) else i
           for g, i in zip(table["group"], table["id"], strict=True)]
    table = table.assign(group_id=key).sort_values("id")
    room = {split: {0: sizes[split] // 2, 1: sizes[split] // 2} for split in SPLITS}
    taken = []
    for _, members in table.groupby("group_id", sort=True):
        split = next((s for s in SPLITS if any(room[s][c] and (members["label"] == c).any() for c in (0, 1))), None)
        if split is None:
            if not any(any(r.values()) for r in room.values()):
                break
            continue
        for c in (0, 1):
            chosen = members[members["label"] == c].iloc[: room[split][c]]
            room[split][c] -= len(chosen)
            taken.append(chosen.assign(split=split))
    short = {split: r for split, r in room.items() if any(r.values())}
    if short:
        raise ValueError(
            f"task {task!r}: {len(table)} examples in {table['group_id'].nunique()} groups (shared contexts) are too "
            f"few for splits {dict(sizes)} with every group in one split; still missing per class: {short}"
        )
    return pd.concat(taken)
