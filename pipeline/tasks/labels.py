"""Label rules and cleaning shared by the registry's converters and the hub and file loaders.

Contract: converters and loaders build a frame `text`, `label` (0.0 / 1.0, NaN: unusable) with
these rules; `finish` turns it into the final `text` (str), `label` (0/1) or raises
`TaskDataError`. Every choice is made by `item_hash`, never by row order or a random state.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd


class TaskDataError(ValueError):
    """Task data that cannot make a binary task; the message names the task, the file or dataset,
    the column and the offending values."""


def item_hash(task: str, *parts: str) -> int:
    """A 64-bit hash of an item's fields, salted by the task (the source of every choice)."""
    digest = hashlib.sha256("\x00".join((task, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def clean(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _shared_prefix(a: str, b: str) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return a[:n]


def pairwise_examples(task: str, chosen: pd.Series, rejected: pd.Series) -> pd.DataFrame:
    """Show one response of each pair: the chosen one (label 1) or the rejected one (label 0),
    decided by the hash of the pair. Pairs with an empty side or two equal sides are unusable.
    `group`: the text both sides share up to where they differ, cut back to the last line break
    (the dialogue before the final response), so that pairs of one prompt share a split."""
    texts, labels, groups = [], [], []
    for c, r in zip(map(clean, chosen), map(clean, rejected), strict=True):
        if not c or not r or c == r:
            texts.append(None)
            labels.append(np.nan)
        elif item_hash(task, c, r) % 2:
            texts.append(c)
            labels.append(1.0)
        else:
            texts.append(r)
            labels.append(0.0)
        shared = _shared_prefix(c, r)
        groups.append(shared[: shared.rfind("\n") + 1] or None)
    return pd.DataFrame({"text": texts, "label": labels, "group": groups})


def binary_labels(
    values: pd.Series, task: str, where: str, column: str, *, label_values: Sequence | None = None, missing=(None,)
) -> pd.Series:
    """Map a label column to 0/1 (NaN where missing); any other value is an error naming it.

    Without `label_values`, 0/1 and false/true are accepted; with it, its first value means 0
    and its second 1. `missing` values (and nulls) mark unlabelled rows, dropped later.
    """

    def is_missing(v) -> bool:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return True
        return any(m is not None and _same(v, m) for m in missing)

    out, bad = [], {}
    for v in values.tolist():
        if is_missing(v):
            out.append(np.nan)
        elif label_values is not None:
            matches = [i for i, lv in enumerate(label_values) if _same(v, lv)]
            out.append(float(matches[0]) if matches else np.nan)
            if not matches:
                bad[repr(v)] = bad.get(repr(v), 0) + 1
        elif isinstance(v, bool | np.bool_ | int | np.integer | float | np.floating) and v in (0, 1):
            out.append(float(v))
        else:
            out.append(np.nan)
            bad[repr(v)] = bad.get(repr(v), 0) + 1
    if bad:
        shown = ", ".join(f"{k} ({n}×)" for k, n in sorted(bad.items())[:10])
        expected = (
            f"label_values {list(label_values)!r}" if label_values is not None
            else "0/1 or false/true (or set label_values: [<value meaning 0>, <value meaning 1>])"
        )
        raise TaskDataError(
            f"task {task!r}: {where}, column {column!r}: labels must be binary, {expected}; found {shown}"
        )
    return pd.Series(out, index=values.index, dtype=float)


def _same(a, b) -> bool:
    """Equality that does not mix up strings, numbers and booleans (True == 1 in Python)."""
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, bool | np.bool_) != isinstance(b, bool | np.bool_):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def finish(task: str, examples: pd.DataFrame, where: str, column: str) -> pd.DataFrame:
    """Drop unusable rows (no label, no usable answer, empty text) and check that both classes remain."""
    n = len(examples)
    no_label = examples["label"].isna()
    no_text = ~no_label & (examples["text"].isna() | (examples["text"].astype(str).str.strip() == ""))
    kept = examples[~no_label & ~no_text]
    print(f"task {task!r}: {n} rows read from {where}; dropped {int(no_label.sum())} without a label or a usable "
          f"answer and {int(no_text.sum())} with an empty text; {len(kept)} kept")
    if kept.empty:
        raise TaskDataError(
            f"task {task!r}: {where}: no example left after filtering ({n} rows read: {int(no_label.sum())} "
            f"without a label (e.g. -1 or '' in an unlabelled split) or a usable answer or response, "
            f"{int(no_text.sum())} with an empty text)"
        )
    labels = kept["label"].astype(int)
    if labels.nunique() < 2:
        raise TaskDataError(
            f"task {task!r}: {where}, column {column!r}: only one class present: all {len(kept)} "
            f"examples have label {labels.iloc[0]}; a binary task needs both 0 and 1"
        )
    out = pd.DataFrame({"text": kept["text"].astype(str).to_numpy(), "label": labels.to_numpy()})
    if "group" in kept:  # the context examples share (splits keep a group together)
        out["group"] = kept["group"].to_numpy()
    return out


def check_columns(task: str, where: str, available: Sequence[str], needed: Sequence[str], hint: str) -> None:
    missing = [c for c in needed if c not in available]
    if missing:
        raise TaskDataError(
            f"task {task!r}: {where} has no column {missing[0]!r} (its columns: {list(available)}){hint}"
        )


@contextlib.contextmanager
def quiet_datasets() -> Iterator[None]:
    """Silence `datasets`' progress bars in job logs, restoring the caller's setting."""
    import datasets

    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()
