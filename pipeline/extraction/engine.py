"""Pooled hidden states of a language model: the extraction engine.

Contract: layers are hidden-state indices as in `output_hidden_states` (0 = the embedding
output, L = the last block's output after the final norm, negative from the end) or relative
depths in [0, 1] (store.resolve_layers); a text longer than `max_length` tokens is cut on the
side its task cuts (`truncation_side`; left keeps the end, e.g. a QA text's answer), its special
tokens (BOS/CLS, EOS/SEP) kept; pooling is the last non-pad token, the first one (an encoder's
CLS position) or the mean over non-pad tokens; results do not depend on batching or padding side
(tested). How it is fast (length-sorted token-budget batches, early stop after the deepest
layer): docs/performance.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm
from transformers import AutoModel, AutoTokenizer

from pipeline.config import POOLINGS
from pipeline.extraction.store import LayerSpec, resolve_layers
from pipeline.tasks.splits import DEFAULT_TRUNCATION_SIDE, TRUNCATION_SIDES

PADDING_SIDES = ("right", "left")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
DEVICES = ("auto", "cpu", "cuda", "mps")
# Padded tokens per batch when not configured. On CPU, batches whose activations stay in cache
# ran fastest (pythia-70m config, fp32: flat from 256 to 1024, ~2× slower at 8192); a GPU wants
# large batches to fill its cores.
DEFAULT_MAX_TOKENS = {"cpu": 1024, "cuda": 16384, "mps": 4096}


def resolve_device(device: str = "auto") -> str:
    """'auto' → cuda, else mps, else cpu; an explicit device must be available here."""
    kind = device.split(":")[0]
    if kind not in DEVICES:
        raise ValueError(f"device {device!r} is not allowed: use one of {DEVICES} (cuda:N for a given GPU)")
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was requested but torch sees no CUDA device here; use cpu or auto")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} was requested but MPS is not available here; use cpu or auto")
    return device


def resolve_dtype(dtype: str, device: str) -> str:
    """'auto' → bfloat16 on CUDA (fast, float32's range), float32 elsewhere. float16 is refused:
    early Pythia checkpoints' activations exceed its range and turn into inf/NaN."""
    if dtype == "float16":
        raise ValueError(
            "dtype 'float16' is not allowed: early Pythia checkpoints overflow float16's range "
            "(activations become inf/NaN); use bfloat16 (same speed on GPU, float32's range), float32 or auto"
        )
    if dtype == "auto":
        return "bfloat16" if device.startswith("cuda") else "float32"
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not allowed: use one of {['auto', *DTYPES]}")
    return dtype


def pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Pool (batch, seq, dim) states over non-pad positions; works for left or right padding.
    The mean is taken in float32 so that bfloat16 states lose no further precision."""
    if pooling == "last":
        positions = torch.arange(mask.shape[1], device=mask.device).expand_as(mask)
        last = torch.where(mask.bool(), positions, -1).max(dim=1).values
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    if pooling == "first":
        positions = torch.arange(mask.shape[1], device=mask.device).expand_as(mask)
        first = torch.where(mask.bool(), positions, mask.shape[1]).min(dim=1).values
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), first]
    if pooling == "mean":
        weights = mask.unsqueeze(-1).to(torch.float32)
        return (hidden.float() * weights).sum(1) / weights.sum(1).clamp(min=1)
    raise ValueError(f"pooling {pooling!r} is not allowed: use one of {POOLINGS}")


def token_budget_batches(lengths: Sequence[int], max_tokens: int, max_rows: int) -> Iterator[np.ndarray]:
    """Row indices of batches, longest texts first: each batch holds at most `max_rows` texts and
    at most `max_tokens` padded tokens (rows × its longest text); a text longer than the budget
    gets a batch of its own. Longest first, so a batch that does not fit in memory fails at once."""
    if max_tokens < 1 or max_rows < 1:
        raise ValueError(f"max_tokens ({max_tokens}) and batch_size ({max_rows}) must be positive integers")
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    start = 0
    while start < len(order):
        longest = max(int(lengths[order[start]]), 1)  # sorted: the first row is the batch's longest
        rows = max(1, min(max_rows, max_tokens // longest))
        yield order[start : start + rows]
        start += rows


class _StopForward(Exception):
    """Raised by the pre-hook of the first block no requested layer needs, to end the forward."""


def decoder_blocks(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The model's list of its `num_hidden_layers` transformer blocks, wherever its family keeps
    it (`layers` in GPT-NeoX, Llama, Mistral, Qwen2, OLMo; `h` in GPT-2; `encoder.layer` in BERT
    and RoBERTa): the shallowest torch.nn.ModuleList of that length."""
    name = type(model).__name__
    n = getattr(model.config, "num_hidden_layers", None)
    if not isinstance(n, int):
        raise TypeError(f"{name}: its config has no num_hidden_layers, so its list of blocks cannot be found")
    lists = [(path, m) for path, m in model.named_modules() if isinstance(m, torch.nn.ModuleList)]
    found = [(path, m) for path, m in lists if len(m) == n]
    if not found:
        seen = ", ".join(f"{path} ({len(m)})" for path, m in lists) or "none"
        raise TypeError(
            f"{name}: found no list of its {n} blocks (looked for a torch.nn.ModuleList of num_hidden_layers = {n} "
            f"modules anywhere in the model; its module lists: {seen})"
        )
    return min(found, key=lambda item: item[0].count("."))[1]


def check_blocks(model_folder: str | Path) -> None:
    """Fail, naming what was tried, if the model of a folder's config.json has no list of blocks
    (built on the meta device: no weights read, no memory used)."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model_folder)
    with torch.device("meta"):
        model = AutoModel.from_config(config)
    decoder_blocks(getattr(model, "base_model", model))


class Extractor:
    """Loads a checkpoint once and pools hidden states for any number of text sets.

    Pythia's tokenizer has no pad token: padding uses eos (masked out, so any id would do)."""

    def __init__(
        self,
        model_path: str | Path,
        dtype: str = "auto",
        device: str = "auto",
        padding_side: str = "right",
        model: torch.nn.Module | None = None,
        tokenizer=None,
        tokenizer_path: str | Path | None = None,
    ):
        if padding_side not in PADDING_SIDES:
            raise ValueError(f"padding_side {padding_side!r} is not allowed: use one of {PADDING_SIDES}")
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.padding_side = padding_side
        # `model`/`tokenizer` let tests and benchmarks pass objects built in memory
        # `tokenizer_path`: a Trainer run may keep its tokenizer only at the top level
        if tokenizer is None:
            tokenizer = AutoTokenizer.from_pretrained(tokenizer_path or model_path)
        self.tokenizer = tokenizer
        if model is None:
            model = AutoModel.from_pretrained(model_path, dtype=DTYPES[self.dtype])
        model = getattr(model, "base_model", model)  # a *ForCausalLM's head is not needed
        self.model = model.to(device=self.device, dtype=DTYPES[self.dtype]).eval()
        self.num_layers = self.model.config.num_hidden_layers
        self.hidden_size = self.model.config.hidden_size
        self.blocks = decoder_blocks(self.model)
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else (self.tokenizer.eos_token_id or 0)

    def _encode(self, texts: Sequence[str], max_length: int, side: str) -> list[list[int]]:
        """Token ids of each text, at most `max_length` with special tokens, cut on `side`. The
        tokenizer cuts (its `truncation_side`), so special tokens are added after the cut."""
        if side not in TRUNCATION_SIDES:
            raise ValueError(f"truncation_side {side!r} is not allowed: use one of {TRUNCATION_SIDES}")
        default, self.tokenizer.truncation_side = self.tokenizer.truncation_side, side
        try:
            return self.tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
        finally:
            self.tokenizer.truncation_side = default

    def _collate(self, ids: list[list[int]]) -> dict[str, torch.Tensor]:
        """Pad to the batch's longest text (dynamic padding) on the configured side."""
        width = max(len(row) for row in ids)
        input_ids = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for r, row in enumerate(ids):
            span = slice(0, len(row)) if self.padding_side == "right" else slice(width - len(row), width)
            input_ids[r, span], mask[r, span] = row, 1
        batch = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(mask)}
        if self.padding_side == "left":  # positions count real tokens only, as when the text is alone
            batch["position_ids"] = (batch["attention_mask"].cumsum(-1) - 1).clamp(min=0)
        return {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}

    def _pooled_batch(
        self, batch: dict[str, torch.Tensor], layers: list[int], poolings: Sequence[str]
    ) -> dict[tuple[str, int], torch.Tensor]:
        """One forward that runs only the blocks the requested layers need; {(pooling, layer): states}."""
        mask, pooled = batch["attention_mask"], {}
        inner = [layer for layer in layers if layer < self.num_layers]
        stop = max(inner) if self.num_layers not in layers else None  # None: full forward

        def capture(index: int):
            def hook(module, args, kwargs):
                hidden = args[0] if args else kwargs["hidden_states"]
                for pooling in poolings:  # hidden_states[i] is block i's input
                    pooled[pooling, index] = pool(hidden, mask, pooling)
                if index == stop:
                    raise _StopForward

            return hook

        handles = [self.blocks[i].register_forward_pre_hook(capture(i), with_kwargs=True) for i in inner]
        try:
            output = self.model(**batch, use_cache=False)
            for pooling in poolings:
                pooled[pooling, self.num_layers] = pool(output.last_hidden_state, mask, pooling)
        except _StopForward:
            pass
        finally:
            for handle in handles:
                handle.remove()
        return pooled

    @torch.inference_mode()
    def extract(
        self,
        texts: Sequence[str],
        layers: Sequence[LayerSpec] | str,
        poolings: Sequence[str] = ("last",),
        batch_size: int = 64,
        max_length: int = 512,
        max_tokens: int | None = None,
        truncation_side: str = DEFAULT_TRUNCATION_SIDE,
        desc: str = "extracting",
        progress: bool = True,
    ) -> dict[str, dict[int, np.ndarray]]:
        """Pooled states {pooling: {layer: (n, dim) float32}}, rows in the order of `texts`, every
        pooling from the same forward passes. `layers` are indices or relative depths, or "all"
        (store.resolve_layers); `batch_size` caps texts per
        batch, `max_tokens` padded tokens per batch (None: the device's default, DEFAULT_MAX_TOKENS);
        `truncation_side` is the end cut from texts over `max_length` tokens (the task's)."""
        unknown = [p for p in poolings if p not in POOLINGS]
        if unknown or not poolings:
            raise ValueError(f"poolings {list(poolings)!r} are not allowed: use some of {list(POOLINGS)}")
        layers = resolve_layers(layers, self.num_layers)
        encoded = self._encode(texts, max_length, truncation_side)
        lengths = [len(ids) for ids in encoded]
        if any(n == 0 for n in lengths):
            raise ValueError(f"{desc}: text {lengths.index(0)} has no tokens; every text needs at least one")
        if max_tokens is None:
            max_tokens = DEFAULT_MAX_TOKENS[self.device.split(":")[0]]
        out = {p: {layer: np.zeros((len(texts), self.hidden_size), np.float32) for layer in layers} for p in poolings}
        with tqdm(total=sum(lengths), desc=desc, unit="tok", unit_scale=True, mininterval=5,
                  disable=not progress) as bar:
            for rows in token_budget_batches(lengths, max_tokens, batch_size):
                pooled = self._pooled_batch(self._collate([encoded[i] for i in rows]), layers, poolings)
                for (pooling, layer), states in pooled.items():  # written as each batch ends
                    out[pooling][layer][rows] = states.float().cpu().numpy()
                bar.update(sum(lengths[i] for i in rows))
        return out
