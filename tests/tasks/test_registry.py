"""The task registry: every entry loaded from a small local copy in its real schema, and the
docs agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline.tasks.registry import HUB_TASKS
from pipeline.tasks.task_table import load_task
from tests import REPO_ROOT
from tests.tasks.helpers import (
    N_ITEMS,
    NOTA,
    _amazon_polarity,
    _boolq,
    _check_splits,
    _cosmos_qa,
    _hellaswag,
    _hh_rows,
    _imdb,
    _sciq,
    _sst2,
    hub_spec,
)


# What each example may be: text -> (label, item) from the source rows, built independently of
# the loaders from each entry's documented prompt format.
def _oracle(name: str, root: Path, split: str = "train") -> dict[str, tuple[int, str]]:
    out = {}
    if name == "anthropic_hh":
        for subset in ("helpful-base", "harmless-base"):
            for row in _hh_rows(subset, split, N_ITEMS // 2):
                if row["chosen"] != row["rejected"]:
                    out[row["chosen"].strip()] = (1, row["chosen"])
                    out[row["rejected"].strip()] = (0, row["chosen"])
        return out
    make = {"sciq": _sciq, "boolq": _boolq, "cosmos_qa": _cosmos_qa, "amazon_polarity": _amazon_polarity,
            "sst2": _sst2, "imdb": _imdb, "hellaswag": _hellaswag}[name]
    for i, r in enumerate(make(split, N_ITEMS)):
        if name == "sciq":
            q = f"Question: {r['question']}\nAnswer: "
            out[q + r["correct_answer"]] = (1, i)
            out.update({q + r[f"distractor{k}"]: (0, i) for k in (1, 2, 3)})
        elif name == "boolq":
            out[f"Passage: {r['passage']}\nQuestion: {r['question']}?"] = (int(r["answer"]), i)
        elif name == "cosmos_qa":
            head = f"Context: {r['context']}\nQuestion: {r['question']}\nAnswer: "
            for k in range(4):
                correct = k == r["label"] and r[f"answer{k}"] != NOTA
                out[head + r[f"answer{k}"]] = (int(correct), i)
        elif name == "amazon_polarity":
            out[f"Title: {r['title']}\nReview: {r['content']}"] = (r["label"], i)
        elif name == "sst2":
            out[r["sentence"].strip()] = (r["label"], i)
        elif name == "imdb":
            out[r["text"].replace("<br />", "\n")] = (r["label"], i)
        elif name == "hellaswag":
            out.update({f"{r['ctx']} {e}": (int(k == int(r["label"])), i) for k, e in enumerate(r["endings"])})
    return out


@pytest.mark.parametrize("name", sorted(HUB_TASKS))
def test_registry_task_formats_balances_and_repeats(hub_repos, tmp_path, name):
    table = load_task(name, hub_spec(name, hub_repos / name, tmp_path / "cache"), {})
    _check_splits(table)
    oracle = _oracle(name, hub_repos / name, HUB_TASKS[name].split)
    for text, label in zip(table["text"], table["label"], strict=True):
        assert text in oracle, f"{name}: unexpected text {text!r}"
        assert label == oracle[text][0], f"{name}: {text!r} should have label {oracle[text][0]}"
    items = [oracle[t][1] for t in table["text"]]
    assert len(set(items)) == len(items), "an item appears twice (each item shows one answer or response)"
    # the same examples and splits from rows in another order, read through a fresh cache
    again = load_task(name, hub_spec(name, hub_repos / f"{name}-shuffled", tmp_path / "cache2"), {})
    pd.testing.assert_frame_equal(table, again)


@pytest.mark.parametrize(("name", "context"), [
    ("boolq", lambda text: text.split("\nQuestion:")[0]),
    ("cosmos_qa", lambda text: text.split("\nQuestion:")[0]),
    ("anthropic_hh", lambda text: text[: text.rindex("\n\nAssistant:")]),
])
def test_examples_sharing_a_context_share_a_split(hub_repos, tmp_path, name, context):
    table = load_task(name, hub_spec(name, hub_repos / name, tmp_path / "cache"), {})
    splits_per_context = table.groupby(table["text"].map(context))["split"].nunique()
    assert (splits_per_context == 1).all() and (table["text"].map(context).value_counts() > 1).any()


def test_multiple_choice_shows_both_correct_and_wrong_answers_of_a_split_deterministically(hub_repos, tmp_path):
    spec = hub_spec("sciq", hub_repos / "sciq", tmp_path / "cache", sizes={"A": 10, "B": 20, "test": 20})
    table = load_task("sciq", spec, {})
    wrong = table.loc[table["label"] == 0, "text"]
    # wrong answers are spread over the three distractors (picked by the item's hash)
    assert {re.search(r"Answer: (\w+)", t).group(1) for t in wrong} == {"nucleus", "vacuole", "ribosome"}
    # the choice is salted by the task name: another task name shows other answers
    other = load_task("sciq_again", spec, {})
    assert set(other["text"]) != set(table["text"])


def test_cosmos_none_of_the_above_is_never_shown_as_the_answer(hub_repos, tmp_path):
    spec = hub_spec("cosmos_qa", hub_repos / "cosmos_qa", tmp_path / "cache", sizes={"A": 10, "B": 10, "test": 10})
    table = load_task("cosmos_qa", spec, {})
    assert not table["text"].str.endswith(NOTA).any()


def test_docs_describe_every_registry_entry():
    docs = (REPO_ROOT / "docs" / "tasks.md").read_text()
    for name, entry in HUB_TASKS.items():
        row = next((line for line in docs.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"docs/tasks.md has no table row for {name}"
        assert f"`{entry.hub_id}`" in row and entry.split in row, name
        for field in entry.fields:
            assert field in row, (name, field)
