"""The task registry and local-file tasks, read through `datasets`' own loaders from small files
written here in each dataset's real schema (no network, no mocks of the loaders)."""

from __future__ import annotations

import copy
import gzip
import json
import re
import shutil
from pathlib import Path

import datasets
import pandas as pd
import pytest
import yaml
from tests import REPO_ROOT
from datasets import ClassLabel, Features, Sequence, Value

from pipeline.tasks.sources import HUB_TASKS, TaskDataError
from pipeline.tasks.task_table import SPLITS, TASK_SOURCES, load_task, task_input_files

SIZES = {"A": 4, "B": 8, "test": 8}
N_ITEMS = 60  # per split file; about 30 per class after binarization, 10 per class needed
SCHEMA = REPO_ROOT / "config" / "schemas" / "config.schema.yaml"
datasets.disable_progress_bars()


# --------------------------------------------------------------------------------------------
# Small copies of the hub datasets, in their real columns, types and repo layouts


def _sciq(split, n):
    return datasets.Dataset.from_dict(
        {
            "question": [f"Which organelle makes energy in cell {split} {i}?" for i in range(n)],
            "distractor3": [f"ribosome {i}" for i in range(n)],
            "distractor1": [f"nucleus {i}" for i in range(n)],
            "distractor2": [f"vacuole {i}" for i in range(n)],
            "correct_answer": [f"mitochondria {i}" for i in range(n)],
            "support": [f"Mitochondria are the powerhouse {i}." for i in range(n)],
        }
    )


def _boolq(split, n):
    return datasets.Dataset.from_dict(
        {
            "question": [f"is the sky blue on day {split} {i}" for i in range(n)],
            "answer": [i % 3 != 0 for i in range(n)],  # bool, about 2/3 true as in BoolQ
            "passage": [f"On day {i} the weather report said many things." for i in range(n)],
        },
        features=Features({"question": Value("string"), "answer": Value("bool"), "passage": Value("string")}),
    )


NOTA = "None of the above choices ."


def _cosmos_qa(split, n):
    labels = [-1] * n if split == "test" else [i % 4 for i in range(n)]
    answers = {k: [f"answer {k} of {split} {i}" for i in range(n)] for k in range(4)}
    for i in range(0, n, 10):  # some items whose correct answer is "None of the above"
        if labels[i] >= 0:
            answers[labels[i]][i] = NOTA
    return datasets.Dataset.from_dict(
        {
            "id": [f"{split}-{i}" for i in range(n)],
            "context": [f"Yesterday I went to the market number {i}." for i in range(n)],
            "question": [f"Why did I go to market {split} {i}?" for i in range(n)],
            **{f"answer{k}": answers[k] for k in range(4)},
            "label": labels,
        },
        features=Features(
            {"id": Value("string"), "context": Value("string"), "question": Value("string"),
             **{f"answer{k}": Value("string") for k in range(4)}, "label": Value("int32")}
        ),
    )


def _hh_rows(subset, split, n):
    rows = []
    for i in range(n):
        prompt = f"\n\nHuman: Can you help me with {subset} question {split} {i}?"
        rows.append({"chosen": f"{prompt}\n\nAssistant: Sure, here is a careful answer {i}.",
                     "rejected": f"{prompt}\n\nAssistant: No. {i}"})
    rows.append({"chosen": "\n\nHuman: hi\n\nAssistant: hello", "rejected": "\n\nHuman: hi\n\nAssistant: hello"})
    return rows


def _amazon_polarity(split, n):
    return datasets.Dataset.from_dict(
        {
            "label": [i % 2 for i in range(n)],
            "title": [f"Review title {split} {i}" for i in range(n)],
            "content": [f"This product was {'great' if i % 2 else 'awful'}, item {split} {i}." for i in range(n)],
        },
        features=Features(
            {"label": ClassLabel(names=["negative", "positive"]), "title": Value("string"), "content": Value("string")}
        ),
    )


def _sst2(split, n):
    return datasets.Dataset.from_dict(
        {
            "idx": list(range(n)),
            "sentence": [f"a {'moving' if i % 2 else 'dull'} film , take {split} {i} " for i in range(n)],
            "label": [-1] * n if split == "test" else [i % 2 for i in range(n)],
        },
        features=Features(
            {"idx": Value("int32"), "sentence": Value("string"),
             # the hub's test split stores -1 in a ClassLabel column; a local file has to use int64
             "label": Value("int64") if split == "test" else ClassLabel(names=["negative", "positive"])}
        ),
    )


def _imdb(split, n):
    return datasets.Dataset.from_dict(
        {
            "text": [f"I watched film {split} {i}.<br /><br />It was {'good' if i % 2 else 'bad'}." for i in range(n)],
            "label": [i % 2 for i in range(n)],
        },
        features=Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])}),
    )


def _hellaswag(split, n):
    return datasets.Dataset.from_dict(
        {
            "ind": list(range(n)),
            "activity_label": ["Baking cookies"] * n,
            "ctx_a": [f"A woman mixes dough {split} {i}." for i in range(n)],
            "ctx_b": ["she"] * n,
            "ctx": [f"A woman mixes dough {split} {i}. she" for i in range(n)],
            "endings": [[f"puts the tray in the oven {i}.", f"flies away {i}.", f"sings to the dough {i}.",
                         f"paints the wall {i}."] for i in range(n)],
            "source_id": [f"activitynet~v_{i}" for i in range(n)],
            "split": [split] * n,
            "split_type": ["indomain"] * n,
            "label": [""] * n if split == "test" else [str(i % 4) for i in range(n)],
        },
        features=Features(
            {"ind": Value("int32"), "activity_label": Value("string"), "ctx_a": Value("string"),
             "ctx_b": Value("string"), "ctx": Value("string"), "endings": Sequence(Value("string")),
             "source_id": Value("string"), "split": Value("string"), "split_type": Value("string"),
             "label": Value("string")}
        ),
    )


def _write_parquet_repo(root: Path, pattern: str, make, splits=("train", "validation", "test"), shuffle=False):
    for split in splits:
        dataset = make(split, N_ITEMS)
        if shuffle:
            dataset = dataset.shuffle(seed=1)
        path = root / pattern.format(split=split)
        path.parent.mkdir(parents=True, exist_ok=True)
        dataset.to_parquet(str(path))


def write_hub_repo(root: Path, name: str, shuffle: bool = False) -> Path:
    """A local folder laid out like the hub repo of registry entry `name`."""
    layouts = {
        "sciq": ("data/{split}-00000-of-00001.parquet", _sciq),
        "boolq": ("data/{split}-00000-of-00001.parquet", _boolq),
        # the hub's parquet export of a script repo: {config}/{split}/0000.parquet
        "cosmos_qa": ("default/{split}/0000.parquet", _cosmos_qa),
        "amazon_polarity": ("amazon_polarity/{split}-00000-of-00001.parquet", _amazon_polarity),
        "sst2": ("data/{split}-00000-of-00001.parquet", _sst2),
        "imdb": ("plain_text/{split}-00000-of-00001.parquet", _imdb),
        "hellaswag": ("data/{split}-00000-of-00001.parquet", _hellaswag),
    }
    if name == "anthropic_hh":
        for subset in ("helpful-base", "harmless-base"):
            for split in ("train", "test"):
                rows = _hh_rows(subset, split, N_ITEMS // 2)
                if shuffle:
                    rows = rows[::-1]
                (root / subset).mkdir(parents=True, exist_ok=True)
                with gzip.open(root / subset / f"{split}.jsonl.gz", "wt") as f:
                    f.writelines(json.dumps(r) + "\n" for r in rows)
    else:
        pattern, make = layouts[name]
        _write_parquet_repo(root, pattern, make, shuffle=shuffle)
    return root


def hub_spec(name: str, repo: Path, cache: Path, **extra) -> dict:
    spec = {"source": "hub", "name": name, "repo": str(repo), "cache_dir": str(cache), "sizes": SIZES, **extra}
    if name == "cosmos_qa":  # the registry's data_dir applies to its own hub id only, not to a repo override
        spec.setdefault("data_dir", "default")
    return spec


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


@pytest.fixture(scope="module")
def hub_repos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hub")
    for name in HUB_TASKS:
        write_hub_repo(root / name, name)
        write_hub_repo(root / f"{name}-shuffled", name, shuffle=True)
    return root


def _check_splits(table: pd.DataFrame, sizes=SIZES) -> None:
    assert list(table.columns) == ["id", "split", "text", "label"]
    for split in SPLITS:
        part = table[table["split"] == split]
        assert len(part) == sizes[split] and part["label"].mean() == 0.5, split
    assert table["id"].is_unique and table["text"].is_unique


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


def test_hub_overrides_select_split_subset_and_files(hub_repos, tmp_path):
    cache = tmp_path / "cache"
    # amazon_polarity reads its test split by default
    table = load_task("amazon_polarity", hub_spec("amazon_polarity", hub_repos / "amazon_polarity", cache), {})
    assert table["text"].str.contains(" test ").all()
    validation = load_task("a", hub_spec("amazon_polarity", hub_repos / "amazon_polarity", cache, split="validation"), {})
    assert validation["text"].str.contains(" validation ").all()
    # data_dir: one subset of hh-rlhf
    harmless = load_task("hh", hub_spec("anthropic_hh", hub_repos / "anthropic_hh", cache, data_dir="harmless-base"), {})
    assert harmless["text"].str.contains("harmless-base question").all()
    # data_files: files inside the repo read as the split
    shards = write_hub_repo(tmp_path / "sciq", "sciq")
    shutil.copy(shards / "data/train-00000-of-00001.parquet", shards / "data/extra.parquet")
    _sciq("other", N_ITEMS).to_parquet(str(shards / "data/extra.parquet"))
    only_extra = load_task("sciq", hub_spec("sciq", shards, cache, data_files="data/extra.parquet"), {})
    assert only_extra["text"].str.contains("cell other").all()


# --------------------------------------------------------------------------------------------
# source: file


def _documents(n=60, text="text", label="label", labels=None):
    says = ["no", "yes"]
    return pd.DataFrame({text: [f"{i:03d} is {says[i % 2]}; document {i} says {says[i % 2]}" for i in range(n)],
                         label: labels if labels is not None else [i % 2 for i in range(n)]})


def _write(frame: pd.DataFrame, path: Path) -> Path:
    name = path.name.removesuffix(".gz")
    plain = path.with_name(name)
    if name.endswith(".jsonl"):
        frame.to_json(plain, orient="records", lines=True)
    elif name.endswith(".csv"):
        frame.to_csv(plain, index=False)
    else:
        frame.to_parquet(plain, index=False)
    if path.name.endswith(".gz"):
        with open(plain, "rb") as source, gzip.open(path, "wb") as sink:
            shutil.copyfileobj(source, sink)
        plain.unlink()
    return path


def file_spec(path, **extra):
    return {"source": "file", "path": str(path), "sizes": SIZES, **extra}


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".csv", ".csv.gz", ".parquet", ".parquet.gz"])
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
# Bad input: each error names the file or dataset, the column and the value


@pytest.mark.parametrize(
    ("frame", "extra", "message"),
    [
        (_documents(text="review"), {}, r"file .*d\.jsonl has no column 'text' \(its columns: \['review', 'label'\]\)"),
        (_documents(label="y"), {"label_column": "stars"}, r"has no column 'stars'"),
        (_documents(labels=[0, 1, 2] * 20), {}, r"d\.jsonl, column 'label': labels must be binary, 0/1 or false/true.*found 2 \(20×\)"),
        (_documents(labels=["neg", "pos", "meh"] * 20), {"label_values": ["neg", "pos"]},
         r"column 'label': labels must be binary, label_values \['neg', 'pos'\]; found 'meh' \(20×\)"),
        (_documents(labels=["0", "1"] * 30), {}, r"found '0' \(30×\), '1' \(30×\)"),
        (_documents(labels=[1] * 60), {}, r"d\.jsonl, column 'label': only one class present: all 60 examples have label 1"),
        (_documents(labels=[None] * 60), {}, r"d\.jsonl: no example left after filtering \(60 rows read: 60 without a label"),
        (_documents().assign(text=""), {}, r"no example left after filtering \(60 rows read: 0 without a label .* 60 with an empty text\)"),
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
    with pytest.raises(TaskDataError, match="pairwise .* excludes text_column"):
        task_input_files("t", file_spec(tmp_path / "d.csv", pairwise={"chosen": "a", "rejected": "b"}, text_column="x"))
    with pytest.raises(TaskDataError, match=r"file .*missing\.csv does not exist"):
        load_task("t", file_spec(tmp_path / "missing.csv"), {})
    with pytest.raises(TaskDataError, match=r"file .*p\.parquet has no column 'chosen'"):
        load_task("t", file_spec(_write(_documents(), tmp_path / "p.parquet"),
                                 pairwise={"chosen": "chosen", "rejected": "rejected"}), {})


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


# --------------------------------------------------------------------------------------------
# Config schema and docs agree with the registry


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
    "prefs": {"source": "file", "path": ["p1.parquet", "p2.parquet"], "pairwise": {"chosen": "chosen", "rejected": "rejected"},
              "sizes": {"A": 10, "B": 10, "test": 10}},
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
        ({"source": "tiny", "path": "x.csv"}, r"'path' is not one of \['source', 'sizes', 'max_chars', 'truncation_side'\]"),
        ({"source": "hub", "name": "sciq", "text_column": "x"}, "'text_column' is not one of"),
        ({"source": "file", "path": "x.csv", "truncation_side": "middle"}, r"'middle' is not one of \['left', 'right'\]"),
        ({"source": "file", "path": "x.csv", "max_chars": 0}, "0 is less than the minimum of 1"),
        ({"source": "file", "path": "x.csv", "colour": "red"}, "'colour' was unexpected"),
    ],
)
def test_schema_rejects_bad_task_specs(task, message):
    from snakemake.exceptions import WorkflowError

    with pytest.raises(WorkflowError, match=message):
        _validate({"t": {**task, "sizes": {"A": 2, "B": 2, "test": 2}}})


def test_docs_describe_every_registry_entry():
    docs = (REPO_ROOT / "docs" / "tasks.md").read_text()
    for name, entry in HUB_TASKS.items():
        row = next((line for line in docs.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"docs/tasks.md has no table row for {name}"
        assert f"`{entry.hub_id}`" in row and entry.split in row, name
        for field in entry.fields:
            assert field in row, (name, field)
