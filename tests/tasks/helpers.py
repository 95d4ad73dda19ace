"""Small copies of the registry's hub datasets, in their real columns, types and repo layouts,
and local task files: what the task tests (and the local-task workflow test) read through
`datasets`' own loaders (no network, no mocks of the loaders)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import datasets
import pandas as pd
from datasets import ClassLabel, Features, Sequence, Value

from pipeline.tasks.splits import SPLITS

SIZES = {"A": 4, "B": 8, "test": 8}
N_ITEMS = 60  # per split file; about 30 per class after binarization, 10 per class needed
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
            # three questions per passage, as in BoolQ: a passage's questions share a split
            "passage": [f"On day {i // 3} the weather report said many things." for i in range(n)],
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
            "context": [f"Yesterday I went to the market number {i // 2}." for i in range(n)],  # two questions each
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
        prompt = f"\n\nHuman: Can you help me with {subset} question {split} {i // 2}?"  # two pairs per prompt
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


def _check_splits(table: pd.DataFrame, sizes=SIZES) -> None:
    assert list(table.columns) == ["id", "split", "text", "label"]
    for split in SPLITS:
        part = table[table["split"] == split]
        assert len(part) == sizes[split] and part["label"].mean() == 0.5, split
    assert table["id"].is_unique and table["text"].is_unique


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
    elif name.endswith(".tsv"):
        frame.to_csv(plain, index=False, sep="\t")
    else:
        frame.to_parquet(plain, index=False)
    if path.name.endswith(".gz"):
        with open(plain, "rb") as source, gzip.open(path, "wb") as sink:
            shutil.copyfileobj(source, sink)
        plain.unlink()
    return path


def file_spec(path, **extra):
    return {"source": "file", "path": str(path), "sizes": SIZES, **extra}
