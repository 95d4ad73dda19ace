"""The task table of a spec: `max_chars` and `truncation_side`, and the config schema's task specs."""

from __future__ import annotations

import copy

import pytest
import yaml

from pipeline.tasks.labels import TaskDataError
from pipeline.tasks.registry import HUB_TASKS
from pipeline.tasks.task_table import TASK_SOURCES, load_task
from tests import REPO_ROOT
from tests.tasks.helpers import _documents, _write, file_spec, hub_spec

SCHEMA = REPO_ROOT / "config" / "schemas" / "config.schema.yaml"


# --------------------------------------------------------------------------------------------
# max_chars and truncation_side


def test_truncation_keeps_the_configured_end(tmp_path):
    frame = _documents()
    path = _write(frame, tmp_path / "d.jsonl")
    full = dict(zip(frame["text"], frame["label"], strict=True))
    for side, keep in (("left", lambda t: t[-12:]), ("right", lambda t: t[:12])):
        table = load_task("t", file_spec(path, max_chars=12, truncation_side=side), {})
        cut = {keep(t): label for t, label in full.items()}
        assert (table["text"].str.len() <= 12).all()
        assert all(cut[t] == label for t, label in zip(table["text"], table["label"], strict=True)), side
    # default: left, which keeps the answer of every registry prompt
    assert load_task("t", file_spec(path, max_chars=12), {})["text"].str.endswith(("yes", "no")).all()


def test_truncation_that_makes_pairs_equal_drops_them_and_says_so(hub_repos, tmp_path):
    spec = hub_spec("anthropic_hh", hub_repos / "anthropic_hh", tmp_path / "cache", max_chars=30)
    kept = load_task("hh", spec, {})  # left: responses differ at the end
    assert kept["text"].str.contains("Assistant").sum() > 0
    with pytest.raises(TaskDataError, match=r"no example of both classes left after max_chars=30 \(right\)"):
        load_task("hh", {**spec, "truncation_side": "right"}, {})  # every text is the same prompt start


# --------------------------------------------------------------------------------------------
# Config schema: task specs, and its enums are the registry and the sources


def _schema_tasks() -> dict:
    return yaml.safe_load(SCHEMA.read_text())["properties"]["tasks"]["additionalProperties"]


def test_schema_enums_are_the_registry():
    properties = _schema_tasks()["properties"]
    assert properties["name"]["enum"] == sorted(HUB_TASKS)
    assert properties["source"]["enum"] == list(TASK_SOURCES)


def _validate(tasks: dict) -> dict:
    from snakemake.utils import validate

    config = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())
    config["tasks"] = copy.deepcopy(tasks)
    validate(config, str(SCHEMA))
    return config["tasks"]


EXAMPLE_TASKS = {
    "latent_sentiment": {"source": "tiny", "sizes": {"A": 300, "B": 1500, "test": 1500}},
    "sciq": {"source": "hub", "name": "sciq", "max_chars": 1000, "sizes": {"A": 300, "B": 1500, "test": 1500}},
    "hh": {"source": "hub", "name": "anthropic_hh", "data_dir": "helpful-base", "cache_dir": "/data/hf",
           "sizes": {"A": 300, "B": 1500, "test": 1500}},
    "mydata": {"source": "file", "path": "data/x.jsonl.gz", "text_column": "text", "label_column": "y",
               "label_values": ["neg", "pos"], "truncation_side": "right", "sizes": {"A": 10, "B": 10, "test": 10}},
    "prefs": {"source": "file", "path": ["p1.parquet", "p2.parquet"],
              "pairwise": {"chosen": "chosen", "rejected": "rejected"}, "sizes": {"A": 10, "B": 10, "test": 10}},
}


def test_schema_accepts_the_documented_shapes_and_adds_no_defaults():
    # no default is injected: a task's params (and so its reruns) hold only what its config says
    assert _validate(EXAMPLE_TASKS) == EXAMPLE_TASKS


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"source": "hub", "name": "squad"}, r"'squad' is not one of \['amazon_polarity', 'anthropic_hh', 'boolq'"),
        ({"source": "hub"}, "'name' is a required property"),
        ({"source": "file"}, "'path' is a required property"),
        ({"source": "tiny", "path": "x.csv"},
         r"'path' is not one of \['source', 'sizes', 'max_chars', 'truncation_side'\]"),
        ({"source": "hub", "name": "sciq", "text_column": "x"}, "'text_column' is not one of"),
        ({"source": "file", "path": "x.csv", "truncation_side": "middle"},
         r"'middle' is not one of \['left', 'right'\]"),
        ({"source": "file", "path": "x.csv", "max_chars": 0}, "0 is less than the minimum of 1"),
        ({"source": "file", "path": "x.csv", "colour": "red"}, "'colour' was unexpected"),
    ],
)
def test_schema_rejects_bad_task_specs(task, message):
    from snakemake.exceptions import WorkflowError

    with pytest.raises(WorkflowError, match=message):
        _validate({"t": {**task, "sizes": {"A": 2, "B": 2, "test": 2}}})

