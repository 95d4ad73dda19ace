from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.tiny.corpus import CorpusSpec, generate_documents
from pipeline.tiny.pretrain import ModelSpec, build_model, save_checkpoint
from pipeline.tiny.tokenizer import train_word_tokenizer
from tests import OLMO_DUPLICATE, OLMO_REVISIONS
from tests.workflow_runs.helpers import small_config, snakemake, write_config


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """The workflow run once, for real, on the small config (shared by the tests that read it)."""
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


@pytest.fixture(scope="session")
def olmo_root(small_run, tmp_path_factory) -> Path:
    """Tiny random OlmoForCausalLM checkpoints under OLMo branch names, on the small run's
    tokenizer; the last branch duplicates the one before it."""
    import torch
    from transformers import OlmoConfig, OlmoForCausalLM, PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast.from_pretrained(small_run / "results" / "tiny" / "tokenizer")
    root = tmp_path_factory.mktemp("olmo")
    config = OlmoConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=2, max_position_embeddings=128, pad_token_id=tokenizer.eos_token_id,
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    for seed, name in enumerate(OLMO_REVISIONS):
        torch.manual_seed(seed)
        OlmoForCausalLM(config).save_pretrained(root / name)
        tokenizer.save_pretrained(root / name)
    shutil.copytree(root / OLMO_REVISIONS[-1], root / OLMO_DUPLICATE)
    return root


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run the workflow (in tests/workflow_runs/, or through the small run) are marked
    `workflow`, so that `make test-fast` (-m "not workflow") skips them."""
    for item in items:
        folders = Path(item.path).relative_to(Path(__file__).parent).parts
        if "workflow_runs" in folders or "small_run" in item.fixturenames:
            item.add_marker(pytest.mark.workflow)
