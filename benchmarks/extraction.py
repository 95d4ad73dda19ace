"""Extraction speed: our engine against a naive loop, on a GPT-NeoX with pythia-70m's exact
config (random weights, built here) and 1,000 generated texts of long-tailed length.

    .venv/bin/python benchmarks/extraction.py [--repeats 3] [--quick]

naive: batches of 8 in the given order, one forward each with output_hidden_states=True (every
layer), torch.no_grad, in two variants: padded to max_length (static padding, the issue's baseline;
every batch has the same 8 × max_length shape, so it is timed on its first --static-batches batches
and its tokens/s taken from those) and padded to each batch's longest text (a stronger baseline,
timed on every text). ours: `Extractor.extract` (length-sorted batches under a token budget, only
the blocks needed, inference_mode). All pool the last token of the same layers; outputs are
compared. tokens/s counts real (non-pad) tokens.

FLOP rate: 2 × (parameters of the blocks that run, plus the final norm when it runs; embeddings
are a lookup and not counted) × real tokens, against a large fp32 torch.mm timed in the same run.
Attention scores (QKᵀ and AV, a few % of the work at these lengths) and padding are not counted,
so the rate understates the work done. On a shared machine timings are noisy: each repeat is
printed, then the median.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPTNeoXConfig, GPTNeoXModel, PreTrainedTokenizerFast

from pipeline.extraction.engine import DEFAULT_MAX_TOKENS, Extractor, pool
from pipeline.extraction.store import resolve_layers

PYTHIA_70M = {
    "vocab_size": 50304, "hidden_size": 512, "num_hidden_layers": 6, "num_attention_heads": 8,
    "intermediate_size": 2048, "rotary_pct": 0.25, "rotary_emb_base": 10000, "max_position_embeddings": 2048,
    "use_parallel_residual": True, "layer_norm_eps": 1e-5, "hidden_act": "gelu", "tie_word_embeddings": False,
    "bos_token_id": 0, "eos_token_id": 0,
}
EOS = "<|endoftext|>"


def make_texts(n: int, seed: int) -> list[str]:
    """Texts of Zipfian words; lengths lognormal (median ~45 words, long right tail), 8–400 words."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "zen", "dar", "qui", "bel", "tor", "fin", "ash"]
    lexicon = ["".join(rng.choice(syllables, size=rng.integers(1, 4))) for _ in range(3000)]
    weights = 1 / np.arange(1, len(lexicon) + 1)
    weights /= weights.sum()
    words = np.clip(rng.lognormal(np.log(45), 0.8, size=n), 8, 400).astype(int)
    return [" ".join(rng.choice(lexicon, size=k, p=weights)) + "." for k in words]


def make_tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    """A byte-level BPE like Pythia's (no pad token), trained on the generated texts."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=2000, special_tokens=[EOS], show_progress=False))
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, bos_token=EOS, unk_token=EOS)


def naive(model: GPTNeoXModel, tokenizer: PreTrainedTokenizerFast, texts: list[str], layers: list[int],
          max_length: int, padding: str) -> dict[int, np.ndarray]:
    tokenizer.pad_token, tokenizer.padding_side = tokenizer.eos_token, "right"
    out = {layer: [] for layer in layers}
    with torch.no_grad():
        for start in range(0, len(texts), 8):
            batch = tokenizer(texts[start : start + 8], padding=padding, truncation=True, max_length=max_length,
                              return_tensors="pt")
            hidden = model(**batch, output_hidden_states=True).hidden_states
            for layer in layers:
                out[layer].append(pool(hidden[layer], batch["attention_mask"], "last").numpy())
    return {layer: np.concatenate(parts) for layer, parts in out.items()}


def matmul_flops(clock: Callable[[], float], n: int = 2048, reps: int = 5) -> float:
    """FLOP/s of a large fp32 matrix product, the machine's practical peak here."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)  # warm-up
    start = clock()
    for _ in range(reps):
        torch.mm(a, b)
    return 2 * n**3 * reps / (clock() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 texts, 1 repeat: a smoke run while developing")
    parser.add_argument("--layers", type=int, nargs="+", default=[-1, 3], help="as config/pythia.yaml")
    parser.add_argument("--batch-size", type=int, default=128, help="ours: texts per batch at most")
    parser.add_argument("--max-tokens", type=int, default=None,
                        help="ours: padded tokens per batch (default: the engine's)")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--static-batches", type=int, default=16,
                        help="batches of the max_length-padded naive loop that are timed (all have one shape)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1, as the workflow's extract job)")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                        help="cpu: this process's CPU time, robust to other jobs on a shared machine "
                        "(use with 1 thread)")
    args = parser.parse_args()
    n_texts, repeats = (200, 1) if args.quick else (args.texts, args.repeats)
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    texts = make_texts(n_texts, seed=0)
    tokenizer = make_tokenizer(texts)
    torch.manual_seed(0)
    model = GPTNeoXModel(GPTNeoXConfig(**PYTHIA_70M)).eval()
    extractor = Extractor(None, dtype="float32", device="cpu", model=model, tokenizer=tokenizer)
    layers = resolve_layers(args.layers, extractor.num_layers)
    lengths = np.array([len(ids) for ids in tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"]])
    real_tokens = int(lengths.sum())
    deepest = max(layers)
    blocks_run = extractor.num_layers if deepest == extractor.num_layers else deepest
    counted = sum(p.numel() for block in extractor.blocks[:blocks_run] for p in block.parameters())
    if deepest == extractor.num_layers:
        counted += sum(p.numel() for p in model.final_layer_norm.parameters())
    flops_per_pass = 2 * counted * real_tokens

    print(f"pythia-70m config, random weights, fp32 CPU, {args.threads} thread(s), {args.clock} clock; "
          f"{n_texts} texts, {real_tokens} real tokens "
          f"(length min/median/max {lengths.min()}/{int(np.median(lengths))}/{lengths.max()})")
    print(f"layers {layers}: ours runs {blocks_run} of {extractor.num_layers} blocks; naive runs all with "
          f"output_hidden_states. FLOPs counted = 2 × {counted / 1e6:.2f}M block params × real tokens")
    n_static = min(n_texts, 8 * args.static_batches)
    static_tokens = int(lengths[:n_static].sum())
    max_tokens = args.max_tokens or DEFAULT_MAX_TOKENS["cpu"]
    print(f"ours: batch_size ≤ {args.batch_size}, max_tokens {max_tokens}; naive: batches of 8, unsorted, padded "
          f"to max_length {args.max_length} (timed on the first {n_static} texts) "
          "or to each batch's longest (all texts)")
    print(f"{'run':>4} {'matmul GFLOP/s':>15} {'ours tok/s':>11} {'ours GFLOP/s':>13} {'% of matmul':>12} "
          f"{'naive-max tok/s':>16} {'ratio':>6} {'naive-longest tok/s':>20} {'ratio':>6}")
    rows = []
    for run in range(1, repeats + 1):
        peak = matmul_flops(clock)
        start = clock()
        ours = extractor.extract(texts, layers, batch_size=args.batch_size, max_length=args.max_length,
                                 max_tokens=max_tokens, truncation_side="right", progress=False)["last"]  # as naive's
        t_ours = clock() - start
        start = clock()
        static = naive(model, tokenizer, texts[:n_static], layers, args.max_length, "max_length")
        t_static = clock() - start
        start = clock()
        longest = naive(model, tokenizer, texts, layers, args.max_length, "longest")
        t_longest = clock() - start
        diff = max(max(float(np.abs(ours[layer] - longest[layer]).max()),
                       float(np.abs(ours[layer][:n_static] - static[layer]).max())) for layer in layers)
        if diff > 1e-3:
            raise SystemExit(f"ours and naive disagree: max |Δ| = {diff:.2e}")
        ours_tps, static_tps, longest_tps = real_tokens / t_ours, static_tokens / t_static, real_tokens / t_longest
        rate = flops_per_pass / t_ours
        rows.append((peak / 1e9, ours_tps, rate / 1e9, 100 * rate / peak, static_tps, ours_tps / static_tps,
                     longest_tps, ours_tps / longest_tps))
        print(fmt(str(run), rows[-1]) + f"   (max |ours − naive| = {diff:.1e})")
    med = [statistics.median(col) for col in zip(*rows)]
    print(fmt("med", med))
    print(f"median of {repeats}: ours/naive = {med[5]:.1f}× tokens/s against padding to max_length, "
          f"{med[7]:.1f}× against padding to the batch's longest; ours at {med[3]:.0f}% of the fp32 matmul rate")


def fmt(label: str, row) -> str:
    peak, ours, rate, pct, static, r_static, longest, r_longest = row
    return (f"{label:>4} {peak:>15.1f} {ours:>11.0f} {rate:>13.1f} {pct:>11.0f}% "
            f"{static:>16.0f} {r_static:>5.1f}× {longest:>20.0f} {r_longest:>5.1f}×")


if __name__ == "__main__":
    main()
