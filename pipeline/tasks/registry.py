"""The task registry: Hugging Face datasets made binary, each converter next to its entry.

Contract: `HUB_TASKS[name].convert(task, rows, where)` takes the entry's `fields` as columns and
returns a frame `text`, `label` (0.0 / 1.0; NaN where a row is unusable), one row per input row,
and where examples share a context (boolq's passage, cosmos_qa's context, anthropic_hh's
dialogue before the final response) `group`: the splits keep a group together.
docs/tasks.md describes every entry and how it is made binary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.tasks.labels import binary_labels, clean, item_hash, pairwise_examples


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


HUB_TASKS: dict[str, HubTask] = {}


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


def _sciq(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    out = []
    columns = ["question", "correct_answer", "distractor1", "distractor2", "distractor3"]
    for q, a, *distractors in rows[columns].itertuples(index=False):
        q, a = clean(q), clean(a)
        answer, label = _show_one(task, (q, a), a, [clean(d) for d in distractors])
        out.append((f"Question: {q}\nAnswer: {answer}" if answer else None, label))
    return pd.DataFrame(out, columns=["text", "label"])


HUB_TASKS["sciq"] = HubTask(
    "allenai/sciq", "train",
    ("question", "distractor1", "distractor2", "distractor3", "correct_answer"),
    "Question: {question}\\nAnswer: {answer}",
    "question with one answer: correct_answer (1) or one distractor (0); `support` unused",
    _sciq,
)


def _boolq(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    labels = binary_labels(rows["answer"], task, where, "answer", missing=(None,))
    texts = [
        f"Passage: {clean(p)}\nQuestion: {clean(q)}?" for p, q in zip(rows["passage"], rows["question"], strict=True)
    ]
    return pd.DataFrame({"text": texts, "label": labels, "group": [clean(p) for p in rows["passage"]]})


HUB_TASKS["boolq"] = HubTask(
    "google/boolq", "train", ("question", "answer", "passage"),
    "Passage: {passage}\\nQuestion: {question}?",
    "label = answer (true 1, false 0)",
    _boolq,
)


_NONE_OF_THE_ABOVE = "None of the above choices ."


def _cosmos_qa(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    out = []
    columns = ["context", "question", "answer0", "answer1", "answer2", "answer3", "label"]
    for context, question, *answers, index in rows[columns].itertuples(index=False):
        if index is None or pd.isna(index) or int(index) not in range(4):  # unlabelled (test: -1)
            out.append((None, np.nan, None))
            continue
        context, question = clean(context), clean(question)
        answers = [clean(a) for a in answers]
        correct = answers[int(index)]
        answer, label = _show_one(task, (context, question), correct, answers)
        if correct.startswith(_NONE_OF_THE_ABOVE.rstrip(" .")) and label == 1.0:
            # "None of the above" is right only relative to the hidden list of choices, which the
            # binary form does not show: such items always show a wrong answer (as Burns et al. do)
            wrong = [a for a in dict.fromkeys(answers) if a and a != correct]
            answer, label = wrong[(item_hash(task, context, question) >> 1) % len(wrong)], 0.0
        out.append((f"Context: {context}\nQuestion: {question}\nAnswer: {answer}" if answer else None, label, context))
    return pd.DataFrame(out, columns=["text", "label", "group"])


HUB_TASKS["cosmos_qa"] = HubTask(
    "allenai/cosmos_qa", "train",
    ("context", "question", "answer0", "answer1", "answer2", "answer3", "label"),
    "Context: {context}\\nQuestion: {question}\\nAnswer: {answer}",
    "question with one answer: answer{label} (1) or another answer (0); a correct "
    "'None of the above choices .' always shows another answer (0)",
    _cosmos_qa,
    # the repo holds a loading script, which datasets >= 4 refuses: read the hub's parquet export
    revision="refs/convert/parquet",
    data_dir="default",
)


def _anthropic_hh(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    return pairwise_examples(task, rows["chosen"], rows["rejected"])


HUB_TASKS["anthropic_hh"] = HubTask(
    "Anthropic/hh-rlhf", "train", ("chosen", "rejected"),
    "{dialogue} (the whole Human/Assistant transcript)",
    "one response of the pair: chosen (1) or rejected (0); pairs with equal sides dropped",
    _anthropic_hh,
)


def _amazon_polarity(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    labels = binary_labels(rows["label"], task, where, "label", missing=(-1, None))
    texts = [f"Title: {clean(t)}\nReview: {clean(c)}" for t, c in zip(rows["title"], rows["content"], strict=True)]
    return pd.DataFrame({"text": texts, "label": labels})


HUB_TASKS["amazon_polarity"] = HubTask(
    "fancyzhx/amazon_polarity", "test", ("label", "title", "content"),
    "Title: {title}\\nReview: {content}",
    "label (positive 1, negative 0)",
    _amazon_polarity,
)


def _sst2(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    labels = binary_labels(rows["label"], task, where, "label", missing=(-1, None))
    return pd.DataFrame({"text": [clean(s) for s in rows["sentence"]], "label": labels})


HUB_TASKS["sst2"] = HubTask(
    "stanfordnlp/sst2", "train", ("sentence", "label"),
    "{sentence}",
    "label (positive 1, negative 0); unlabelled rows (-1) dropped",
    _sst2,
)


_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _imdb(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    labels = binary_labels(rows["label"], task, where, "label", missing=(-1, None))
    texts = [_HTML_BREAK.sub("\n", clean(t)).strip() for t in rows["text"]]
    return pd.DataFrame({"text": texts, "label": labels})


HUB_TASKS["imdb"] = HubTask(
    "stanfordnlp/imdb", "train", ("text", "label"),
    "{text} (<br /> replaced by a newline)",
    "label (positive 1, negative 0); unlabelled rows (-1) dropped",
    _imdb,
)


def _hellaswag(task: str, rows: pd.DataFrame, where: str) -> pd.DataFrame:
    out = []
    for ctx, endings, index in rows[["ctx", "endings", "label"]].itertuples(index=False):
        index = clean(index)
        endings = [clean(e) for e in (endings if endings is not None else [])]
        if index not in {str(i) for i in range(len(endings))}:  # unlabelled (test: "")
            out.append((None, np.nan))
            continue
        ctx = clean(ctx)
        ending, label = _show_one(task, (ctx, endings[int(index)]), endings[int(index)], endings)
        out.append((f"{ctx} {ending}" if ending else None, label))
    return pd.DataFrame(out, columns=["text", "label"])


HUB_TASKS["hellaswag"] = HubTask(
    "Rowan/hellaswag", "train", ("ctx", "endings", "label"),
    "{ctx} {ending}",
    "context with one ending: endings[label] (1) or another ending (0); unlabelled rows ('') dropped",
    _hellaswag,
)
