from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.tiny.corpus import CorpusSpec, generate_documents
from pipeline.tiny.pretrain import ModelSpec, build_model, save_checkpoint
from pipeline.tiny.tokenizer import train_word_tokenizer

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """The workflow run once, for real, on the small config (shared by the tests that read it)."""
    from workflow_helpers import small_config, snakemake, write_config

    workdir = tmp_path_factory.mktemp("run")
    write_config(workdir, small_config())
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


@pytest.fixture(scope="session")
def small_documents():
    return generate_documents(CorpusSpec(seed=3), 400, stream=0)


@pytest.fixture(scope="session")
def word_tokenizer(small_documents):
    return train_word_tokenizer(small_documents["text"])


@pytest.fixture(scope="session")
def checkpoint_root(tmp_path_factory, word_tokenizer) -> Path:
    """A folder of two randomly initialised revisions, `step0` and `step1` (different seeds)."""
    root = tmp_path_factory.mktemp("checkpoints")
    for seed, revision in enumerate(("step0", "step1")):
        model = build_model(word_tokenizer, ModelSpec(hidden_size=32, num_layers=2, num_heads=2, context=64), seed)
        save_checkpoint(model, word_tokenizer, root / revision)
    return root
