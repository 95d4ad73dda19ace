"""`source: file`: local jsonl / json / csv / tsv / parquet files (optionally gzipped) as a binary task.

Contract: `load_file_task(task, spec, inputs)` returns `text` (str), `label` (0/1), one row per
usable example; `inputs["data"]`, when given, names the files instead of `spec["path"]`.
`check_file_spec` and `file_paths` serve the workflow when it builds the DAG.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from pipeline.tasks.labels import (
    TaskDataError,
    binary_labels,
    check_columns,
    clean,
    finish,
    pairwise_examples,
    quiet_datasets,
)

FILE_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}
# format -> (the `datasets` loader, its options): tsv is csv with tabs
LOADERS = {"json": ("json", {}), "csv": ("csv", {}), "tsv": ("csv", {"sep": "\t"}), "parquet": ("parquet", {})}


def _path_list(paths: str | Path | Sequence[str | Path]) -> list[str]:
    """One path or several, as a list of strings."""
    return [str(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]


def file_paths(spec: Mapping) -> list[str]:
    return _path_list(spec["path"])


def file_format(task: str, spec: Mapping) -> str:
    """The format of a file task (a key of LOADERS): `format`, else the extension (before .gz)."""
    if spec.get("format"):
        return spec["format"]
    formats = set()
    for path in file_paths(spec):
        name = path.removesuffix(".gz")
        suffix = Path(name).suffix.lower()
        if suffix not in FILE_FORMATS:
            raise TaskDataError(
                f"task {task!r}: cannot tell the format of file {path!r} from its extension; use .jsonl, .json, "
                f".csv, .tsv or .parquet (optionally .gz), or set format: json|csv|tsv|parquet"
            )
        formats.add(FILE_FORMATS[suffix])
    if len(formats) > 1:
        raise TaskDataError(f"task {task!r}: files {file_paths(spec)} mix formats {sorted(formats)}; use one")
    return formats.pop()


def check_file_spec(task: str, spec: Mapping) -> None:
    """Checks of a file task's config that the schema cannot state, run when the DAG is built."""
    if "pairwise" in spec:
        clash = [k for k in ("text_column", "label_column", "label_values") if k in spec]
        if clash:
            raise TaskDataError(
                f"task {task!r}: pairwise (chosen/rejected columns) excludes {clash[0]}: a pairwise file's "
                "texts and labels come from its pairs"
            )
    file_format(task, spec)


def _readable_copies(paths: Sequence[str], fmt: str, folder: Path) -> list[str]:
    """`datasets` reads .jsonl.gz and .csv.gz itself but not gzipped parquet: unpack those."""
    if fmt != "parquet":
        return list(paths)
    out = []
    for i, path in enumerate(paths):
        if path.endswith(".gz"):
            target = folder / f"{i}-{Path(path.removesuffix('.gz')).name}"
            with gzip.open(path, "rb") as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
            path = str(target)
        out.append(path)
    return out


def load_file_task(task: str, spec: Mapping, inputs: Mapping[str, str]) -> pd.DataFrame:
    """A local jsonl / csv / parquet file (or several of one format) as text, label.

    With `pairwise: {chosen, rejected}` each row is a pair made binary like anthropic_hh.
    The spec is checked by `check_task_spec` before.
    """
    import datasets

    paths = _path_list(inputs.get("data", spec["path"]))
    fmt = file_format(task, spec)
    where = f"file {paths[0]}" if len(paths) == 1 else f"files {paths}"
    pairwise = spec.get("pairwise")
    if pairwise:
        needed, hint = [pairwise["chosen"], pairwise["rejected"]], "; set pairwise.chosen / pairwise.rejected"
    else:
        needed = [spec.get("text_column", "text"), spec.get("label_column", "label")]
        hint = "; set text_column / label_column"
    if "group_column" in spec:
        needed.append(spec["group_column"])
    for path in paths:
        if not Path(path).is_file():
            raise TaskDataError(f"task {task!r}: file {path} does not exist")
    with tempfile.TemporaryDirectory(prefix="task-") as scratch, quiet_datasets():
        files = _readable_copies(paths, fmt, Path(scratch))
        # a file task keeps no datasets cache unless asked: it reads the file afresh when it changes
        cache_dir = spec.get("cache_dir") or str(Path(scratch) / "cache")
        try:
            loader, options = LOADERS[fmt]
            dataset = datasets.load_dataset(loader, data_files=files, split="train", cache_dir=cache_dir, **options)
        except Exception as error:
            raise TaskDataError(
                f"task {task!r}: could not read {where} as {fmt}: {type(error).__name__}: {error}"
            ) from error
        check_columns(task, where, dataset.column_names, needed, hint)
        rows = dataset.select_columns(needed).to_pandas()
        del dataset
    groups = rows[spec["group_column"]].map(lambda g: None if g is None or pd.isna(g) else str(g)) \
        if "group_column" in spec else None
    if pairwise:
        examples = pairwise_examples(task, rows[needed[0]], rows[needed[1]])
        if groups is not None:  # the file's groups replace the pairs' shared prefixes
            examples["group"] = groups.to_numpy()
        return finish(task, examples, where, f"{needed[0]}/{needed[1]}")
    text_column, label_column = needed[:2]
    texts = rows[text_column]
    non_text = texts[texts.notna() & ~texts.map(lambda t: isinstance(t, str))]
    if len(non_text):
        raise TaskDataError(
            f"task {task!r}: {where}, column {text_column!r}: texts must be strings; found {non_text.iloc[0]!r}"
        )
    labels = binary_labels(rows[label_column], task, where, label_column, label_values=spec.get("label_values"))
    examples = pd.DataFrame({"text": texts.map(clean), "label": labels})
    if groups is not None:
        examples["group"] = groups.to_numpy()
    return finish(task, examples, where, label_column)
