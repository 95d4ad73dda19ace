"""`source: hub`: a registry task's split read with `datasets.load_dataset` and made binary.

Contract: `load_hub_task(task, spec, inputs)` returns `text` (str), `label` (0/1), one row per
usable example, for a spec whose `name` is in `HUB_TASKS` (checked by `check_task_spec`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipeline.tasks.labels import TaskDataError, check_columns, finish, quiet_datasets
from pipeline.tasks.registry import HUB_TASKS


def hub_location(spec: Mapping) -> dict:
    """The `load_dataset` arguments of a hub task: the registry's, overridden by the config.

    The registry's revision and data_dir apply only to its own hub id, not to a `repo` override.
    """
    entry = HUB_TASKS[spec["name"]]
    own = "repo" not in spec
    return {
        "path": spec.get("repo", entry.hub_id),
        "split": spec.get("split", entry.split),
        "revision": spec.get("revision", entry.revision if own else None),
        "data_dir": spec.get("data_dir", entry.data_dir if own else None),
        "data_files": spec.get("data_files"),
    }


def load_hub_task(task: str, spec: Mapping, inputs: Mapping[str, str]) -> pd.DataFrame:
    """A registry dataset's split, made binary (columns text, label)."""
    import datasets

    name = spec["name"]
    entry = HUB_TASKS[name]
    where_args = hub_location(spec)
    split = where_args.pop("split")
    data_files = where_args.pop("data_files")
    where = f"{where_args['path']} (split {split!r})"
    kwargs = {k: v for k, v in where_args.items() if v is not None}
    if data_files is not None:
        kwargs["data_files"] = {split: data_files}
    try:
        with quiet_datasets():
            dataset = datasets.load_dataset(**kwargs, split=split, cache_dir=spec.get("cache_dir"))
    except Exception as error:
        raise TaskDataError(
            f"task {task!r} ({name}): could not load {where}: {type(error).__name__}: {error}. "
            "Offline, datasets reads its cache (set HF_HUB_OFFLINE=1 after one online run) or a local "
            "copy named by `repo`."
        ) from error
    check_columns(task, f"dataset {where}", dataset.column_names, entry.fields,
                  f"; registry entry {name!r} reads {list(entry.fields)}")
    rows = dataset.select_columns(list(entry.fields)).to_pandas()
    return finish(task, entry.convert(task, rows, f"dataset {where}"), f"dataset {where}", "label")
