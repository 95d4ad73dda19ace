"""A word-level tokenizer for the synthetic corpus, usable through `AutoTokenizer`."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

EOS_TOKEN = "<|endoftext|>"
UNK_TOKEN = "<|unk|>"


def train_word_tokenizer(texts: Iterable[str]) -> PreTrainedTokenizerFast:
    """Train a word-level tokenizer; like Pythia's, it has no pad token of its own (pad = eos)."""
    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK_TOKEN))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordLevelTrainer(special_tokens=[EOS_TOKEN, UNK_TOKEN])
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=EOS_TOKEN, unk_token=UNK_TOKEN, pad_token=EOS_TOKEN
    )


def write_tokenizer(corpus_path: str, out_dir: str) -> None:
    texts = pd.read_parquet(corpus_path, columns=["text"])["text"]
    train_word_tokenizer(texts).save_pretrained(out_dir)
