"""The `task_table` job: a task's spec checked, its examples loaded from their source, cut and split.

Contract: `write_task_table` writes `load_task`'s table (columns id, split, text, label) to the
rule's output; `task_input_files` gives the rule's inputs and stops a bad spec when the DAG is built.
Sources (`TASK_SOURCES`): `tiny` (the offline corpus), `hub` (`registry.HUB_TASKS`), `file`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from pipeline.io import write_table
from pipeline.tasks.files import check_file_spec, file_paths, load_file_task
from pipeline.tasks.hub import load_hub_task
from pipeline.tasks.labels import TaskDataError
from pipeline.tasks.registry import HUB_TASKS
from pipeline.tasks.splits import DEFAULT_TRUNCATION_SIDE, drop_conflicts, make_splits, truncate


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


def check_task_spec(task: str, spec: Mapping) -> None:
    """What the config schema cannot check of a task's spec: its source, its registry name, its files' spec."""
    source = spec["source"]
    if source not in TASK_SOURCES:
        raise ValueError(f"task {task!r}: source {source!r} is not allowed: use one of {sorted(TASK_SOURCES)}")
    if source == "hub" and spec["name"] not in HUB_TASKS:
        raise TaskDataError(
            f"task {task!r}: {spec['name']!r} is not in the task registry; use one of {sorted(HUB_TASKS)}"
        )
    if source == "file":
        check_file_spec(task, spec)


def task_input_files(task: str, spec: Mapping) -> dict[str, str | list[str]]:
    """Input files of a task's table for the workflow, checking what the schema cannot.

    `file` tasks depend on their files (so the table is rebuilt when a file changes); `hub` tasks
    have none (the data is fetched inside the job). Called when the DAG is built, so a bad spec
    stops the run before any job starts. `tiny`'s input is the workflow's own output (common.smk).
    """
    check_task_spec(task, spec)
    if spec["source"] == "file":
        paths = file_paths(spec)
        return {"data": paths[0] if len(paths) == 1 else paths}
    return {}


def load_task(task: str, spec: Mapping, inputs: Mapping[str, str]) -> pd.DataFrame:
    """A task's table: its examples from their source, cut to `max_chars`, split A / B / test.

    Parameters
    ----------
    task : str
        The task's name (the config's key); it salts every hash-made choice and the ids, and
        names the task in errors.
    spec : Mapping
        The task's config (`tasks.<task>`): `source`, `sizes` ({A, B, test}: even numbers),
        optional `max_chars` and `truncation_side`, and its source's keys (docs/tasks.md).
    inputs : Mapping[str, str]
        The rule's input paths: `documents` (tiny), `data` (file: a path or a list; default the
        spec's `path`); none for hub.

    Returns
    -------
    pandas.DataFrame
        ``sum(spec["sizes"].values())`` rows, columns `id` (str), `split` (categorical A / B /
        test), `text` (str, unique) and `label` (0/1), balanced per split, sorted by split then
        id (`make_splits`).

    Raises
    ------
    TaskDataError
        Data or a spec that cannot make the task (the message names the task, the file or
        dataset, the column and the values).
    ValueError
        An unknown source or `truncation_side`, or sizes that are odd, name an unknown split or
        ask for more examples than a class has.
    """
    check_task_spec(task, spec)
    examples = TASK_SOURCES[spec["source"]](task, spec, inputs)
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


def write_task_table(task: str, spec: Mapping, inputs: Mapping[str, str], out: str | Path) -> None:
    write_table(load_task(task, spec, inputs), out)
