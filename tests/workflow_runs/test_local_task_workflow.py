"""The workflow, run for real on tasks from a local file and from a local copy of a hub dataset."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.tiny.corpus import CorpusSpec, generate_documents
from tests.tasks.helpers import write_hub_repo
from tests.workflow_runs.helpers import small_config, snakemake, write_config
from tests.workflow_runs.test_workflow import planned_jobs

SIZES = {"A": 200, "B": 400, "test": 400}


def write_reviews(path: Path, stream: int = 5, n: int = 1200) -> pd.DataFrame:
    """Documents in the tiny corpus's vocabulary, as a gzipped jsonl with its own column names."""
    documents = generate_documents(CorpusSpec(seed=0), n, stream=stream)
    frame = pd.DataFrame({"body": documents["text"], "stars": documents["label"].map({0: "low", 1: "high"})})
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as f:
        frame.to_json(f, orient="records", lines=True)
    return frame


def local_task_config() -> dict:
    config = small_config()
    config["tiny"]["train"]["checkpoint_steps"] = [0, 4, 16, 64]
    config["tasks"] = {
        "reviews": {"source": "file", "path": "data/reviews.jsonl.gz", "text_column": "body", "label_column": "stars",
                    "label_values": ["low", "high"], "max_chars": 300, "truncation_side": "right", "sizes": SIZES},
    }
    return config


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    workdir = tmp_path_factory.mktemp("local-task")
    frame = write_reviews(workdir / "data" / "reviews.jsonl.gz")
    write_config(workdir, local_task_config())
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir, frame


def test_local_file_task_runs_end_to_end(local_run):
    workdir, frame = local_run
    table = pd.read_parquet(workdir / "results" / "tasks" / "reviews.parquet")
    truth = {text[:300]: int(stars == "high") for text, stars in zip(frame["body"], frame["stars"], strict=True)}
    for split, size in SIZES.items():
        part = table[table["split"] == split]
        assert len(part) == size and part["label"].mean() == 0.5
    assert all(truth[t] == label for t, label in zip(table["text"], table["label"], strict=True))
    metrics = pd.read_csv(workdir / "results" / "tables" / "metrics.csv")
    assert set(metrics["task"]) == {"reviews"} and (metrics["n_test"] == SIZES["test"]).all()
    steps = local_task_config()["tiny"]["train"]["checkpoint_steps"]
    assert sorted(metrics["step"].unique()) == steps
    assert metrics["gold_acc"].max() > 0.6  # the attribute is learnable from the file's texts


def test_changed_file_rebuilds_the_task_and_what_follows(local_run):
    workdir, _ = local_run
    config = local_task_config()
    assert planned_jobs(workdir, config) == {}
    write_reviews(workdir / "data" / "reviews.jsonl.gz", stream=6)
    jobs = planned_jobs(workdir, config)
    assert {"task_table", "weak_supervisor", "extract_tiny_s0", "probes_tiny_s0", "metrics_table"} <= set(jobs)
    assert not {"tiny_corpus", "tiny_tokenizer", "tiny_pretrain"} & set(jobs)


def test_hub_task_table_is_built_from_a_local_copy_of_the_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the job must not need the network
    write_hub_repo(tmp_path / "mirror" / "sciq", "sciq")
    config = local_task_config()
    config["tasks"] = {"sciq": {"source": "hub", "name": "sciq", "repo": "mirror/sciq", "cache_dir": "hf-cache",
                                "max_chars": 200, "sizes": {"A": 4, "B": 8, "test": 8}}}
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "--cores", "1", "results/tasks/sciq.parquet")
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_parquet(tmp_path / "results" / "tasks" / "sciq.parquet")
    assert len(table) == 20 and table["label"].mean() == 0.5 and table["text"].str.startswith("Question: ").all()
    assert (tmp_path / "hf-cache").is_dir()


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ({"source": "hub", "name": "squad"},
         "'squad' is not one of ['amazon_polarity', 'anthropic_hh', 'boolq', 'cosmos_qa', 'hellaswag', 'imdb', "
         "'sciq', 'sst2']"),
        ({"source": "file", "path": "data/x.csv", "pairwise": {"chosen": "a", "rejected": "b"}, "text_column": "t"},
         "pairwise (chosen/rejected columns) excludes text_column"),
    ],
    ids=["unknown-registry-name", "pairwise-with-text-column"],
)
def test_bad_task_config_fails_before_any_job(tmp_path, task, expected):
    config = local_task_config()
    config["tasks"] = {"bad": {**task, "sizes": SIZES}}
    write_config(tmp_path, config)
    start = time.monotonic()
    result = snakemake(tmp_path, "--cores", "1", timeout=60)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
    assert time.monotonic() - start < 20
    assert not (tmp_path / "results").exists()
