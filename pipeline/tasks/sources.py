"""Where binary tasks come from: a registry of Hugging Face datasets made binary, and local files.

Every loader returns a frame with columns `text` (str) and `label` (0/1), one row per example,
before splitting (`pipeline.tasks.make_splits`). Data are read with `datasets.load_dataset`: a
registry entry's hub id (or a repo / local folder laid out like it) for `source: hub`, the local
loaders `json`, `csv` and `parquet` for `source: file`. docs/tasks.md describes every entry.

Binarization is deterministic: where a choice has to be made (which candidate answer to show,
which response of a pair), it follows from a hash of the task name and the item's own fields,
never from row order or a random state, so a task's examples are the same on every run.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


class TaskDataError(ValueError):
    """Task data that cannot make a binary task; the message names the task, the file or dataset,
    the column and the offending values."""


def item_hash(task: str, *parts: str) -> int:
    """A 64-bit hash of an item's fields, salted by the task (the source of every choice)."""
    digest = hashlib.sha256("\x00".join((task, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _show_one(task: str, key: Sequence[str], correct: str, candidates: Sequence[str]) -> tuple[str | None, float]:
    """Pair an item with one answer: the correct one (label 1) or one wrong candidate (label 0).

    The hash of the item's key decides: its lowest bit is the label, the rest picks the wrong
    candidate (distinct non-empty texts other than the correct one). Items with no wrong
    candidate are unusable (None, NaN).
    """
    wrong = [c for c in dict.fromkeys(candidates) if c and c != correct]
    if not correct or not wrong:
        return None, np.nan
    h = item_hash(task, *key)
    if h % 2:
        return correct, 1.0
    return wrong[(h >> 1) % len(wrong)], 0.0


def _clean(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


# --------------------------------------------------------------------------------------------
# Registry converters: (task name, rows with the entry's fields, where) -> text, label (NaN: unusable)


def _pairwise(task: str, chosen: pd.Series, rejected: pd.Series) -> pd.DataFrame:
    """Show one response of each pair: the chosen one (label 1) or the rejected one (label 0),
    decided by the hash of the pair. Pairs with an empty side or two equal sides are unusable."""
    texts, labels = [], []
    for c, r in zip(map(_clean, chosen), map(_clean, rejected), strict=True):
        if not c or not r or c == r:
            texts.append(None)
            labels.append(np.nan)
        elif item_hash(task, c, r) % 2:
            texts.append(c)
            labels.append(1.0)
        else:
            texts.append(r)
            labels.append(0.0)
    return pd.DataFrame({"text": texts, "label": labels})


def _sciq(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    out = []
    columns = ["question", "correct_answer", "distractor1", "distractor2", "distractor3"]
    for q, a, *distractors in rows[columns].itertuples(index=False):
        q, a = _clean(q), _clean(a)
        answer, label = _show_one(task, (q, a), a, [_clean(d) for d in distractors])
        out.append((f"Question: {q}\nAnswer: {answer}" if answer else None, label))
    return pd.DataFrame(out, columns=["text", "label"])


def _boolq(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    labels = _binary_labels(rows["answer"], task, where, "answer", missing=(None,))
    texts = [f"Passage: {_clean(p)}\nQuestion: {_clean(q)}?" for p, q in zip(rows["passage"], rows["question"], strict=True)]
    return pd.DataFrame({"text": texts, "label": labels})


_NONE_OF_THE_ABOVE = "None of the above choices ."


def _cosmos_qa(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    out = []
    columns = ["context", "question", "answer0", "answer1", "answer2", "answer3", "label"]
    for context, question, *answers, index in rows[columns].itertuples(index=False):
        if index is None or pd.isna(index) or int(index) not in range(4):  # unlabelled (test: -1)
            out.append((None, np.nan))
            continue
        context, question = _clean(context), _clean(question)
        answers = [_clean(a) for a in answers]
        correct = answers[int(index)]
        answer, label = _show_one(task, (context, question), correct, answers)
        if correct.startswith(_NONE_OF_THE_ABOVE.rstrip(" .")) and label == 1.0:
            # "None of the above" is right only relative to the hidden list of choices, which the
            # binary form does not show: such items always show a wrong answer (as Burns et al. do)
            wrong = [a for a in dict.fromkeys(answers) if a and a != correct]
            answer, label = wrong[(item_hash(task, context, question) >> 1) % len(wrong)], 0.0
        out.append((f"Context: {context}\nQuestion: {question}\nAnswer: {answer}" if answer else None, label))
    return pd.DataFrame(out, columns=["text", "label"])


def _anthropic_hh(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    return _pairwise(task, rows["chosen"], rows["rejected"])


def _amazon_polarity(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    labels = _binary_labels(rows["label"], task, where, "label", missing=(-1, None))
    texts = [f"Title: {_clean(t)}\nReview: {_clean(c)}" for t, c in zip(rows["title"], rows["content"], strict=True)]
    return pd.DataFrame({"text": texts, "label": labels})


def _sst2(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    labels = _binary_labels(rows["label"], task, where, "label", missing=(-1, None))
    return pd.DataFrame({"text": [_clean(s) for s in rows["sentence"]], "label": labels})


_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _imdb(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    labels = _binary_labels(rows["label"], task, where, "label", missing=(-1, None))
    texts = [_HTML_BREAK.sub("\n", _clean(t)).strip() for t in rows["text"]]
    return pd.DataFrame({"text": texts, "label": labels})


def _hellaswag(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    out = []
    for ctx, endings, index in rows[["ctx", "endings", "label"]].itertuples(index=False):
        index = _clean(index)
        endings = [_clean(e) for e in (endings if endings is not None else [])]
        if index not in {str(i) for i in range(len(endings))}:  # unlabelled (test: "")
            out.append((None, np.nan))
            continue
        ctx = _clean(ctx)
        ending, label = _show_one(task, (ctx, endings[int(index)]), endings[int(index)], endings)
        out.append((f"{ctx} {ending}" if ending else None, label))
    return pd.DataFrame(out, columns=["text", "label"])


@dataclass(frozen=True)
class HubTask:
    """A dataset of the Hugging Face hub made binary; `prompt` and `binarization` document it."""

    hub_id: str
    split: str  # the split examples are drawn from unless the config names another
    fields: tuple[str, ...]  # the columns read (the dataset's own schema)
    prompt: str
    binarization: str
    convert: Callable[[str, pd.DataFrame, str], pd.DataFrame]
    revision: str | None = None  # default git revision of the repo (None: main)
    data_dir: str | None = None  # default sub-folder of the repo


HUB_TASKS: dict[str, HubTask] = {
    "sciq": HubTask(
        "allenai/sciq", "train",
        ("question", "distractor1", "distractor2", "distractor3", "correct_answer"),
        "Question: {question}\\nAnswer: {answer}",
        "question with one answer: correct_answer (1) or one distractor (0); `support` unused",
        _sciq,
    ),
    "boolq": HubTask(
        "google/boolq", "train", ("question", "answer", "passage"),
        "Passage: {passage}\\nQuestion: {question}?",
        "label = answer (true 1, false 0)",
        _boolq,
    ),
    "cosmos_qa": HubTask(
        "allenai/cosmos_qa", "train",
        ("context", "question", "answer0", "answer1", "answer2", "answer3", "label"),
        "Context: {context}\\nQuestion: {question}\\nAnswer: {answer}",
        "question with one answer: answer{label} (1) or another answer (0); a correct "
        "'None of the above choices .' always shows another answer (0)",
        _cosmos_qa,
        # the repo holds a loading script, which datasets >= 4 refuses: read the hub's parquet export
        revision="refs/convert/parquet",
        data_dir="default",
    ),
    "anthropic_hh": HubTask(
        "Anthropic/hh-rlhf", "train", ("chosen", "rejected"),
        "{dialogue} (the whole Human/Assistant transcript)",
        "one response of the pair: chosen (1) or rejected (0); pairs with equal sides dropped",
        _anthropic_hh,
    ),
    "amazon_polarity": HubTask(
        "fancyzhx/amazon_polarity", "test", ("label", "title", "content"),
        "Title: {title}\\nReview: {content}",
        "label (positive 1, negative 0)",
        _amazon_polarity,
    ),
    "sst2": HubTask(
        "stanfordnlp/sst2", "train", ("sentence", "label"),
        "{sentence}",
        "label (positive 1, negative 0); unlabelled rows (-1) dropped",
        _sst2,
    ),
    "imdb": HubTask(
        "stanfordnlp/imdb", "train", ("text", "label"),
        "{text} (<br /> replaced by a newline)",
        "label (positive 1, negative 0); unlabelled rows (-1) dropped",
        _imdb,
    ),
    "hellaswag": HubTask(
        "Rowan/hellaswag", "train", ("ctx", "endings", "label"),
        "{ctx} {ending}",
        "context with one ending: endings[label] (1) or another ending (0); unlabelled rows ('') dropped",
        _hellaswag,
    ),
}


# --------------------------------------------------------------------------------------------
# Labels, filtering and checks shared by every source


def _binary_labels(
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
    return pd.DataFrame({"text": kept["text"].astype(str).to_numpy(), "label": labels.to_numpy()})


def _check_columns(task: str, where: str, available: Sequence[str], needed: Sequence[str], hint: str) -> None:
    missing = [c for c in needed if c not in available]
    if missing:
        raise TaskDataError(
            f"task {task!r}: {where} has no column {missing[0]!r} (its columns: {list(available)}){hint}"
        )


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """Silence `datasets`' progress bars in job logs, restoring the caller's setting."""
    import datasets

    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()


# --------------------------------------------------------------------------------------------
# source: hub


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
    if name not in HUB_TASKS:
        raise TaskDataError(f"task {task!r}: {name!r} is not in the task registry; use one of {sorted(HUB_TASKS)}")
    entry = HUB_TASKS[name]
    where_args = hub_location(spec)
    split = where_args.pop("split")
    data_files = where_args.pop("data_files")
    where = f"{where_args['path']} (split {split!r})"
    kwargs = {k: v for k, v in where_args.items() if v is not None}
    if data_files is not None:
        kwargs["data_files"] = {split: data_files}
    try:
        with _quiet_datasets():
            dataset = datasets.load_dataset(**kwargs, split=split, cache_dir=spec.get("cache_dir"))
    except Exception as error:
        raise TaskDataError(
            f"task {task!r} ({name}): could not load {where}: {type(error).__name__}: {error}. "
            "Offline, datasets reads its cache (set HF_HUB_OFFLINE=1 after one online run) or a local "
            "copy named by `repo`."
        ) from error
    _check_columns(task, f"dataset {where}", dataset.column_names, entry.fields,
                   f"; registry entry {name!r} reads {list(entry.fields)}")
    rows = dataset.select_columns(list(entry.fields)).to_pandas()
    return finish(task, entry.convert(task, rows, f"dataset {where}"), f"dataset {where}", "label")


# --------------------------------------------------------------------------------------------
# source: file

FILE_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def file_paths(spec: Mapping) -> list[str]:
    path = spec["path"]
    return [str(p) for p in ([path] if isinstance(path, str | Path) else path)]


def file_format(task: str, spec: Mapping) -> str:
    """The `datasets` loader of a file task: `format`, else the extension (before .gz)."""
    if spec.get("format"):
        return spec["format"]
    formats = set()
    for path in file_paths(spec):
        name = path.removesuffix(".gz")
        suffix = Path(name).suffix.lower()
        if suffix not in FILE_FORMATS:
            raise TaskDataError(
                f"task {task!r}: cannot tell the format of file {path!r} from its extension; use .jsonl, .json, "
                f".csv or .parquet (optionally .gz), or set format: json|csv|parquet"
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
    """
    import datasets

    check_file_spec(task, spec)
    data = inputs.get("data", file_paths(spec))
    paths = [str(p) for p in ([data] if isinstance(data, str | Path) else data)]
    fmt = file_format(task, spec)
    where = f"file {paths[0]}" if len(paths) == 1 else f"files {paths}"
    pairwise = spec.get("pairwise")
    if pairwise:
        needed, hint = [pairwise["chosen"], pairwise["rejected"]], "; set pairwise.chosen / pairwise.rejected"
    else:
        needed = [spec.get("text_column", "text"), spec.get("label_column", "label")]
        hint = "; set text_column / label_column"
    for path in paths:
        if not Path(path).is_file():
            raise TaskDataError(f"task {task!r}: file {path} does not exist")
    with tempfile.TemporaryDirectory(prefix="task-") as scratch, _quiet_datasets():
        files = _readable_copies(paths, fmt, Path(scratch))
        # a file task keeps no datasets cache unless asked: it reads the file afresh when it changes
        cache_dir = spec.get("cache_dir") or str(Path(scratch) / "cache")
        try:
            dataset = datasets.load_dataset(fmt, data_files=files, split="train", cache_dir=cache_dir)
        except Exception as error:
            raise TaskDataError(f"task {task!r}: could not read {where} as {fmt}: {type(error).__name__}: {error}") from error
        _check_columns(task, where, dataset.column_names, needed, hint)
        rows = dataset.select_columns(needed).to_pandas()
        del dataset
    if pairwise:
        examples = _pairwise(task, rows[needed[0]], rows[needed[1]])
        return finish(task, examples, where, f"{needed[0]}/{needed[1]}")
    text_column, label_column = needed
    texts = rows[text_column]
    non_text = texts[texts.notna() & ~texts.map(lambda t: isinstance(t, str))]
    if len(non_text):
        raise TaskDataError(
            f"task {task!r}: {where}, column {text_column!r}: texts must be strings; found {non_text.iloc[0]!r}"
        )
    labels = _binary_labels(rows[label_column], task, where, label_column, label_values=spec.get("label_values"))
    return finish(task, pd.DataFrame({"text": texts.map(_clean), "label": labels}), where, label_column)
