"""`source: file`: every format, column and label option, and bad files and specs."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.tasks.labels import TaskDataError
from pipeline.tasks.task_table import load_task, task_input_files
from tests.tasks.helpers import _check_splits, _documents, _write, file_spec


@pytest.mark.parametrize(
    "suffix", [".jsonl", ".jsonl.gz", ".csv", ".csv.gz", ".tsv", ".tsv.gz", ".parquet", ".parquet.gz"]
)
def test_file_task_reads_every_format_with_its_columns(tmp_path, suffix):
    frame = _documents(text="review", label="y")
    path = _write(frame, tmp_path / f"data{suffix}")
    spec = file_spec(path, text_column="review", label_column="y")
    assert task_input_files("mine", spec) == {"data": str(path)}
    table = load_task("mine", spec, task_input_files("mine", spec))
    _check_splits(table)
    truth = dict(zip(frame["review"], frame["y"], strict=True))
    assert all(truth[t] == label for t, label in zip(table["text"], table["label"], strict=True))
    # the ids hash the task and text only: the same table from any format
    reference = load_task("mine", file_spec(_write(frame, tmp_path / "ref.parquet"), text_column="review",
                                            label_column="y"), {})
    pd.testing.assert_frame_equal(table, reference)


def test_tab_separated_file_with_another_extension_reads_with_format_tsv(tmp_path):
    frame = _documents(text="review", label="y")
    path = _write(frame, tmp_path / "data.tsv").rename(tmp_path / "data.txt")
    table = load_task("mine", file_spec(path, text_column="review", label_column="y", format="tsv"), {})
    _check_splits(table)


def test_file_task_maps_label_values_and_drops_unlabelled_rows(tmp_path):
    labels = ["neg", "pos"] * 30
    labels[:4] = [None] * 4
    path = _write(_documents(labels=labels), tmp_path / "d.jsonl")
    table = load_task("t", file_spec(path, label_values=["neg", "pos"]), {})
    _check_splits(table)
    assert table["text"].str.endswith("yes").eq(table["label"] == 1).all()
    assert not table["text"].isin(_documents()["text"][:4]).any()


def test_file_task_reads_a_list_of_files(tmp_path):
    frame = _documents(n=40)
    paths = [_write(frame.iloc[:20], tmp_path / "a.csv"), _write(frame.iloc[20:], tmp_path / "b.csv")]
    spec = {"source": "file", "path": [str(p) for p in paths], "sizes": {"A": 4, "B": 8, "test": 8}}
    assert task_input_files("t", spec) == {"data": [str(p) for p in paths]}
    assert set(load_task("t", spec, {})["text"]) <= set(frame["text"])


def test_file_task_keeps_a_group_in_one_split(tmp_path):
    frame = _documents(n=120).assign(product=[f"p{i // 4}" if i % 8 else None for i in range(120)])
    table = load_task("t", file_spec(_write(frame, tmp_path / "d.csv"), group_column="product"), {})
    _check_splits(table)
    grouped = table.merge(frame, on="text").dropna(subset=["product"])
    assert (grouped.groupby("product")["split"].nunique() == 1).all() and grouped["product"].duplicated().any()
    with pytest.raises(TaskDataError, match=r"column.*'shop'"):
        load_task("t", file_spec(_write(frame, tmp_path / "e.csv"), group_column="shop"), {})


def test_pairwise_file_shows_one_response_per_pair(tmp_path):
    pairs = pd.DataFrame({"good": [f"Q{i}: a helpful answer {i}" for i in range(60)],
                          "bad": [f"Q{i}: a rude answer {i}" for i in range(60)]})
    path = _write(pairs, tmp_path / "prefs.parquet")
    table = load_task("prefs", file_spec(path, pairwise={"chosen": "good", "rejected": "bad"}), {})
    _check_splits(table)
    assert (table["text"].str.contains("helpful") == (table["label"] == 1)).all()
    questions = table["text"].str.extract(r"^(Q\d+):")[0]
    assert questions.is_unique


# --------------------------------------------------------------------------------------------
# Bad input: each error names the file, the column and the value


@pytest.mark.parametrize(
    ("frame", "extra", "message"),
    [
        (_documents(text="review"), {}, r"file .*d\.jsonl has no column 'text' \(its columns: \['review', 'label'\]\)"),
        (_documents(label="y"), {"label_column": "stars"}, r"has no column 'stars'"),
        (_documents(labels=[0, 1, 2] * 20), {},
         r"d\.jsonl, column 'label': labels must be binary, 0/1 or false/true.*found 2 \(20×\)"),
        (_documents(labels=["neg", "pos", "meh"] * 20), {"label_values": ["neg", "pos"]},
         r"column 'label': labels must be binary, label_values \['neg', 'pos'\]; found 'meh' \(20×\)"),
        (_documents(labels=["0", "1"] * 30), {}, r"found '0' \(30×\), '1' \(30×\)"),
        (_documents(labels=[1] * 60), {},
         r"d\.jsonl, column 'label': only one class present: all 60 examples have label 1"),
        (_documents(labels=[None] * 60), {},
         r"d\.jsonl: no example left after filtering \(60 rows read: 60 without a label"),
        (_documents().assign(text=""), {},
         r"no example left after filtering \(60 rows read: 0 without a label .* 60 with an empty text\)"),
        (_documents(n=12), {}, r"class 0 has 6 examples, too few for splits"),
    ],
    ids=["missing-text-column", "missing-label-column", "non-binary", "unknown-label-value", "string-labels",
         "single-class", "all-unlabelled", "all-empty", "too-few"],
)
def test_bad_file_input_is_named(tmp_path, frame, extra, message):
    path = _write(frame, tmp_path / "d.jsonl")
    with pytest.raises(ValueError, match=message):
        load_task("t", file_spec(path, **extra), {})


def test_bad_file_specs_are_named_before_reading(tmp_path):
    with pytest.raises(TaskDataError, match=r"cannot tell the format of file '.*d\.txt'.*set format"):
        task_input_files("t", file_spec(tmp_path / "d.txt"))
    with pytest.raises(TaskDataError, match=r"pairwise .* excludes text_column"):
        task_input_files("t", file_spec(tmp_path / "d.csv", pairwise={"chosen": "a", "rejected": "b"}, text_column="x"))
    with pytest.raises(TaskDataError, match=r"file .*missing\.csv does not exist"):
        load_task("t", file_spec(tmp_path / "missing.csv"), {})
    with pytest.raises(TaskDataError, match=r"file .*p\.parquet has no column 'chosen'"):
        load_task("t", file_spec(_write(_documents(), tmp_path / "p.parquet"),
                                 pairwise={"chosen": "chosen", "rejected": "rejected"}), {})

