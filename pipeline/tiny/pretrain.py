"""Pre-train a tiny GPT-NeoX (the Pythia architecture) and save checkpoints as revisions.

Each checkpoint is a `save_pretrained` folder named like a Pythia branch (`step{N}`) with the
tokenizer beside the weights, so the extraction path loads it exactly as it loads a hub revision.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm
from transformers import AutoTokenizer, GPTNeoXConfig, GPTNeoXForCausalLM, PreTrainedTokenizerFast

from pipeline.checkpoints.revisions import step_revision
from pipeline.io import write_table


@dataclass(frozen=True)
class ModelSpec:
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    context: int = 64


@dataclass(frozen=True)
class TrainSpec:
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 32
    weight_decay: float = 0.01
    checkpoint_steps: tuple[int, ...] = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def build_model(tokenizer: PreTrainedTokenizerFast, spec: ModelSpec, seed: int) -> GPTNeoXForCausalLM:
    config = GPTNeoXConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        intermediate_size=4 * spec.hidden_size,
        max_position_embeddings=spec.context,
        rotary_pct=0.25,  # Pythia's setting
        use_parallel_residual=True,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    return GPTNeoXForCausalLM(config)


def pack_documents(tokenizer: PreTrainedTokenizerFast, texts: list[str]) -> np.ndarray:
    """Concatenate tokenized documents, each followed by eos, into one token stream."""
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    return np.fromiter((t for doc in ids for t in (*doc, eos)), dtype=np.int64)


def learning_rate(step: int, total: int, spec: TrainSpec) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < spec.warmup_steps:
        return spec.learning_rate * (step + 1) / spec.warmup_steps
    progress = (step - spec.warmup_steps) / max(1, total - spec.warmup_steps)
    return spec.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def save_checkpoint(model: GPTNeoXForCausalLM, tokenizer: PreTrainedTokenizerFast, folder: Path) -> None:
    """Write a complete checkpoint folder under a temporary name, then rename it into place."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def pretrain(
    texts: list[str],
    tokenizer: PreTrainedTokenizerFast,
    out_dir: Path,
    model_spec: ModelSpec,
    train_spec: TrainSpec,
    seed: int,
) -> list[float]:
    """Train from scratch, saving a checkpoint at every step in `train_spec.checkpoint_steps`.

    Returns the training loss of every step.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    model = build_model(tokenizer, model_spec, seed)
    stream = torch.from_numpy(pack_documents(tokenizer, texts))
    ctx = model_spec.context
    if len(stream) <= ctx:
        raise ValueError(f"corpus has {len(stream)} tokens, fewer than one context of {ctx}")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=train_spec.learning_rate, weight_decay=train_spec.weight_decay, betas=(0.9, 0.95)
    )
    total = max(train_spec.checkpoint_steps)
    offsets = torch.arange(ctx)
    losses: list[float] = []
    model.train()
    for step in tqdm(range(total + 1), desc=f"pre-training seed {seed}", mininterval=5):
        if step in train_spec.checkpoint_steps:
            save_checkpoint(model, tokenizer, out_dir / step_revision(step))
        if step == total:
            break
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, total, train_spec)
        starts = torch.randint(0, len(stream) - ctx, (train_spec.batch_size,), generator=generator)
        batch = stream[starts[:, None] + offsets]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    return losses


def run_pretraining(
    corpus_path: str, tokenizer_dir: str, out_dir: str, losses_path: str, model: dict, train: dict, seed: int
) -> None:
    """The workflow's pre-training job: checkpoints under `out_dir`, per-step losses as CSV."""
    texts = pd.read_parquet(corpus_path, columns=["text"])["text"].tolist()
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    train_spec = TrainSpec(
        batch_size=train["batch_size"],
        learning_rate=train["learning_rate"],
        warmup_steps=train.get("warmup_steps", TrainSpec.warmup_steps),
        checkpoint_steps=tuple(sorted(train["checkpoint_steps"])),
    )
    losses = pretrain(texts, tokenizer, Path(out_dir), ModelSpec(**model), train_spec, seed)
    write_table(pd.DataFrame({"step": range(len(losses)), "loss": losses}), losses_path)
