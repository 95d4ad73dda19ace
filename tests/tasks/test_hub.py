"""`source: hub`: the config's overrides of where a registry entry is read, and bad hub input."""

from __future__ import annotations

import shutil

import pytest

from pipeline.tasks.labels import TaskDataError
from pipeline.tasks.task_table import load_task, task_input_files
from tests.tasks.helpers import N_ITEMS, SIZES, _sciq, _write_parquet_repo, hub_spec, write_hub_repo


def test_hub_overrides_select_split_subset_and_files(hub_repos, tmp_path):
    cache = tmp_path / "cache"
    # amazon_polarity reads its test split by default
    table = load_task("amazon_polarity", hub_spec("amazon_polarity", hub_repos / "amazon_polarity", cache), {})
    assert table["text"].str.contains(" test ").all()
    validation = load_task(
        "a", hub_spec("amazon_polarity", hub_repos / "amazon_polarity", cache, split="validation"), {}
    )
    assert validation["text"].str.contains(" validation ").all()
    # data_dir: one subset of hh-rlhf
    harmless = load_task(
        "hh", hub_spec("anthropic_hh", hub_repos / "anthropic_hh", cache, data_dir="harmless-base"), {}
    )
    assert harmless["text"].str.contains("harmless-base question").all()
    # data_files: files inside the repo read as the split
    shards = write_hub_repo(tmp_path / "sciq", "sciq")
    shutil.copy(shards / "data/train-00000-of-00001.parquet", shards / "data/extra.parquet")
    _sciq("other", N_ITEMS).to_parquet(str(shards / "data/extra.parquet"))
    only_extra = load_task("sciq", hub_spec("sciq", shards, cache, data_files="data/extra.parquet"), {})
    assert only_extra["text"].str.contains("cell other").all()


def test_bad_hub_input_is_named(hub_repos, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(TaskDataError, match=r"dataset .*sst2 \(split 'test'\): no example left after filtering "
                                            r"\(60 rows read: 60 without a label \(e\.g\. -1"):
        load_task("sst2", hub_spec("sst2", hub_repos / "sst2", cache, split="test"), {})
    with pytest.raises(TaskDataError, match=r"hellaswag \(split 'test'\): no example left after filtering"):
        load_task("hs", hub_spec("hellaswag", hub_repos / "hellaswag", cache, split="test"), {})
    broken = tmp_path / "broken"
    _write_parquet_repo(broken, "data/{split}-00000-of-00001.parquet",
                        lambda split, n: _sciq(split, n).remove_columns("distractor3"))
    with pytest.raises(TaskDataError, match=r"broken \(split 'train'\) has no column 'distractor3'.*"
                                            r"registry entry 'sciq' reads"):
        load_task("sciq", hub_spec("sciq", broken, cache), {})
    with pytest.raises(TaskDataError, match=r"could not load .*sciq \(split 'nope'\).*Unknown split"):
        load_task("sciq", hub_spec("sciq", hub_repos / "sciq", cache, split="nope"), {})
    with pytest.raises(TaskDataError, match=r"'nope' is not in the task registry; use one of \['amazon_polarity'"):
        task_input_files("x", {"source": "hub", "name": "nope", "sizes": SIZES})

