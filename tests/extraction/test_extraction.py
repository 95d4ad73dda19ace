import re

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import AutoModel, BertTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from pipeline.config import ExtractionConfig
from pipeline.extraction.engine import (
    Extractor,
    check_blocks,
    pool,
    resolve_device,
    resolve_dtype,
    token_budget_batches,
)
from pipeline.extraction.extract import write_activations
from pipeline.extraction.store import (
    check_alignment,
    ids_digest,
    load_activations,
    relative_depth,
    resolve_layers,
)
from tests.fakes.families import ENCODERS, FAMILIES, tiny_config, write_shared_layer_config


def test_resolve_layers():
    assert resolve_layers([-1, 0, 2], num_layers=2) == [0, 2]
    with pytest.raises(ValueError, match=r"layer 3 is out of range for a model with 2 layers: .* -3 … 2"):
        resolve_layers([3], num_layers=2)
    with pytest.raises(ValueError, match=r"layer -38 is out of range for model 'pythia' with 36 layers"):
        resolve_layers([-38], num_layers=36, model="pythia")


@pytest.mark.parametrize(
    ("num_layers", "expected"),
    [(2, [0, 1, 1, 2, 2]), (6, [0, 2, 3, 5, 6]), (36, [0, 9, 18, 27, 36])],
)
def test_relative_depths_resolve_to_the_nearest_layer_ties_deeper(num_layers, expected):
    depths = [0.0, 0.25, 0.5, 0.75, 1.0]  # 0.25 of 2 layers is 0.5: the tie goes deeper, to 1
    assert [resolve_layers([d], num_layers)[0] for d in depths] == expected
    assert resolve_layers([0.5, 3], num_layers=7) == [3, 4]  # 3.5 → 4; an int stays an index
    assert resolve_layers([0.29], num_layers=50) == [15]  # 14.499… in floats is still the tie 14.5


def test_relative_depth_of_a_resolved_layer():
    assert [relative_depth(layer, 6) for layer in resolve_layers([0, 0.5, -1], 6)] == [0.0, 0.5, 1.0]


def test_specs_landing_on_one_layer_are_extracted_once():
    assert resolve_layers([-1, 1.0, 6, 0.5, 3], num_layers=6) == [3, 6]


@pytest.mark.parametrize("spec", [1.5, -0.1, 3.0, True, "0.5", None])
def test_a_layer_that_is_neither_index_nor_depth_is_refused_naming_it(spec):
    with pytest.raises(ValueError, match=rf"layer {re.escape(repr(spec))} is not allowed: .*float .*depth in \[0, 1\]"):
        resolve_layers([spec], num_layers=6)


@pytest.mark.parametrize("side", ["left", "right"])
def test_pool_picks_last_or_first_real_token_and_mean_of_real_tokens(side):
    hidden = torch.arange(2 * 4 * 3, dtype=torch.float32).reshape(2, 4, 3)
    lengths = [2, 4]
    mask = torch.zeros(2, 4, dtype=torch.long)
    for row, n in enumerate(lengths):
        if side == "right":
            mask[row, :n] = 1
        else:
            mask[row, 4 - n :] = 1
    last = pool(hidden, mask, "last")
    expected_last = [1, 3] if side == "right" else [3, 3]
    for row, pos in enumerate(expected_last):
        assert torch.equal(last[row], hidden[row, pos])
    first = pool(hidden, mask, "first")
    expected_first = [0, 0] if side == "right" else [2, 0]
    for row, pos in enumerate(expected_first):
        assert torch.equal(first[row], hidden[row, pos])
    mean = pool(hidden, mask, "mean")
    for row in range(2):
        assert torch.allclose(mean[row], hidden[row][mask[row].bool()].mean(0))


def test_token_budget_batches_cover_every_row_once_within_the_budget():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 300, size=500).tolist() + [900]  # one text longer than the budget
    batches = list(token_budget_batches(lengths, max_tokens=1000, max_rows=16))
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    assert batches[0].tolist() == [500]  # longest first
    for batch in batches:
        padded = len(batch) * max(lengths[i] for i in batch)
        assert len(batch) <= 16 and (padded <= 1000 or len(batch) == 1)
    # sorted packing wastes little: padded tokens stay close to real tokens
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert padded < 1.1 * sum(lengths)


def test_dtype_and_device_policy():
    assert resolve_dtype("auto", "cpu") == "float32" and resolve_dtype("auto", "cuda") == "bfloat16"
    assert resolve_dtype("bfloat16", "cpu") == "bfloat16"
    with pytest.raises(ValueError, match=r"float16.*early Pythia.*NaN"):
        resolve_dtype("float16", "cuda")
    with pytest.raises(ValueError, match="'float64' is not allowed"):
        resolve_dtype("float64", "cpu")
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in {"cpu", "cuda", "mps"}
    with pytest.raises(ValueError, match="'tpu' is not allowed"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            resolve_device("cuda")


@pytest.mark.parametrize("pooling", ["last", "mean"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_activation_of_a_text_does_not_depend_on_its_batch(checkpoint_root, small_documents, pooling, side):
    extractor = Extractor(checkpoint_root / "step1", device="cpu", padding_side=side)
    texts = small_documents["text"].tolist()[:40]
    lengths = [len(ids) for ids in extractor.tokenizer(texts)["input_ids"]]
    assert len(set(lengths)) > 5  # batches really are padded
    together = extractor.extract(texts, [0, 1, 2], poolings=[pooling], batch_size=16, progress=False)[pooling]
    tight = extractor.extract(texts, [0, 1, 2], poolings=[pooling], max_tokens=100, progress=False)[pooling]
    for i in (0, 7, 39, int(np.argmin(lengths))):
        alone = extractor.extract([texts[i]], [0, 1, 2], poolings=[pooling], batch_size=1, progress=False)[pooling]
        for layer in (0, 1, 2):
            np.testing.assert_allclose(together[layer][i], alone[layer][0], atol=1e-4)
            np.testing.assert_allclose(tight[layer][i], alone[layer][0], atol=1e-4)


def test_left_and_right_padding_agree(checkpoint_root, small_documents):
    texts = small_documents["text"].tolist()[:30]
    right, left = (
        Extractor(checkpoint_root / "step0", device="cpu", padding_side=side).extract(texts, [1, 2], progress=False)
        for side in ("right", "left")
    )
    for layer in (1, 2):
        np.testing.assert_allclose(left["last"][layer], right["last"][layer], atol=1e-4)


def tiny_model(kind: str, vocab_size: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return AutoModel.from_config(tiny_config(kind, vocab_size, num_layers=4)).eval()


@pytest.mark.parametrize("kind", FAMILIES)
@pytest.mark.parametrize("layers", [[0], [1, 2], [2, 4], [0, 1, 2, 3, 4], [3]])
def test_early_stop_reproduces_output_hidden_states(word_tokenizer, small_documents, kind, layers):
    """Blocks past the deepest requested layer are skipped, yet every layer equals the full
    forward's hidden_states[layer] (hidden_states[L] is after the final norm), in every family."""
    model = tiny_model(kind, len(word_tokenizer))
    extractor = Extractor(None, device="cpu", model=model, tokenizer=word_tokenizer)
    texts = small_documents["text"].tolist()[:12]
    ran = []
    hooks = [
        block.register_forward_hook(lambda m, a, o, i=i: ran.append(i)) for i, block in enumerate(extractor.blocks)
    ]
    pooling = "first" if kind in ENCODERS else "last"
    ours = extractor.extract(texts, layers, poolings=[pooling], batch_size=64, progress=False)[pooling]
    for hook in hooks:
        hook.remove()
    deepest = max(layers)
    assert sorted(set(ran)) == list(range(deepest if deepest < 4 else 4))  # only the blocks needed ran
    with torch.inference_mode():
        for i, text in enumerate(texts):
            ids = word_tokenizer(text, truncation=True, max_length=512, return_tensors="pt")["input_ids"]
            full = model(input_ids=ids, output_hidden_states=True).hidden_states
            for layer in layers:
                position = 0 if pooling == "first" else -1
                np.testing.assert_allclose(ours[layer][i], full[layer][0, position].numpy(), atol=1e-5)


@pytest.mark.parametrize(("side", "kept"), [("left", slice(6, 10)), ("right", slice(0, 4))])
def test_long_texts_lose_the_end_their_task_cuts(word_tokenizer, side, kept):
    """Cut to 4 tokens, a text's pooled states are those of the 4 words its task keeps, alone:
    'last' is the text's real last word when the start is cut (left), its 4th when the end is."""
    words = word_tokenizer.convert_ids_to_tokens(list(range(2, 12)))  # 10 words, one token each
    extractor = Extractor(None, device="cpu", model=tiny_model("gpt_neox", len(word_tokenizer)),
                          tokenizer=word_tokenizer)
    for pooling in ("last", "first", "mean"):
        cut = extractor.extract([" ".join(words)], [1, 4], poolings=[pooling], max_length=4, truncation_side=side,
                                progress=False)[pooling]
        alone = extractor.extract([" ".join(words[kept])], [1, 4], poolings=[pooling], progress=False)[pooling]
        for layer in (1, 4):
            np.testing.assert_allclose(cut[layer], alone[layer], atol=1e-5)
    assert word_tokenizer.truncation_side == "right"  # the shared tokenizer is left as it was


WORDS = [f"w{i}" for i in range(10)]


def bert_tokenizer() -> PreTrainedTokenizerBase:
    """A BERT WordPiece tokenizer: [CLS] text [SEP], as the hub's BERT tokenizers add them."""
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    return BertTokenizer(vocab={token: i for i, token in enumerate(tokens)})


def bos_tokenizer() -> PreTrainedTokenizerBase:
    """A word tokenizer that prepends <s> by its post-processor, as Llama's and OLMo-2's do."""
    vocab = {token: i for i, token in enumerate(["<unk>", "<s>", *WORDS])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", unk_token="<unk>", pad_token="<unk>")


@pytest.mark.parametrize(
    ("make", "start", "end"), [(bert_tokenizer, ["[CLS]"], ["[SEP]"]), (bos_tokenizer, ["<s>"], [])]
)
@pytest.mark.parametrize("side", ["left", "right"])
def test_truncation_keeps_the_special_tokens_of_real_tokenizers(make, start, end, side):
    """BOS/CLS and EOS/SEP survive the cut on either side: 'first' is still CLS, 'last' SEP or
    the last kept word, as when the kept words are extracted alone."""
    tokenizer = make()
    kept = slice(10 - 8 + len(start) + len(end), 10) if side == "left" else slice(0, 8 - len(start) - len(end))
    extractor = Extractor(None, device="cpu", model=tiny_model("bert", len(tokenizer)), tokenizer=tokenizer)
    ids = extractor._encode([" ".join(WORDS)], max_length=8, side=side)[0]
    assert tokenizer.convert_ids_to_tokens(ids) == [*start, *WORDS[kept], *end]
    # both poolings from the same forward passes
    cut = extractor.extract([" ".join(WORDS)], [2], poolings=["first", "last"], max_length=8, truncation_side=side,
                            progress=False)
    alone = extractor.extract([" ".join(WORDS[kept])], [2], poolings=["first", "last"], progress=False)
    for pooling in ("first", "last"):
        np.testing.assert_allclose(cut[pooling][2], alone[pooling][2], atol=1e-5)


def test_an_unknown_truncation_side_is_refused(word_tokenizer):
    extractor = Extractor(None, device="cpu", model=tiny_model("gpt2", len(word_tokenizer)), tokenizer=word_tokenizer)
    with pytest.raises(ValueError, match=r"truncation_side 'middle' is not allowed: use one of \('left', 'right'\)"):
        extractor.extract(["a"], [1], truncation_side="middle", progress=False)


def test_a_model_without_a_list_of_its_blocks_is_refused_naming_what_was_tried(tmp_path):
    write_shared_layer_config(tmp_path)
    with pytest.raises(TypeError, match=r"AlbertModel: found no list of its 3 blocks .*ModuleList of "
                                        r"num_hidden_layers = 3 .*encoder.albert_layer_groups \(1\)"):
        check_blocks(tmp_path)


def test_empty_text_is_refused_with_its_index(checkpoint_root):
    extractor = Extractor(checkpoint_root / "step0", device="cpu")
    with pytest.raises(ValueError, match="text 1 has no tokens"):
        extractor.extract(["a b", ""], [1], progress=False)


def test_written_activations_round_trip_with_metadata(tmp_path, checkpoint_root, small_documents):
    table = small_documents.head(30).assign(id=[f"id{i}" for i in range(30)])
    table.to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "acts.safetensors"
    identity = {"model": "m", "revision": "step0", "checkpoint": str(checkpoint_root / "step0")}
    write_activations(checkpoint_root / "step0", {"t": tmp_path / "t.parquet"},
                      ExtractionConfig(layers=(-1, 1), device="cpu"), out, identity)
    layers, meta = load_activations(out, "t")
    assert sorted(layers) == [1, 2] and layers[2].shape == (30, 32)
    assert meta["revision"] == "step0" and meta["n"] == {"t": 30} and meta["layers"] == [1, 2]
    assert meta["dtype"] == "float32" and meta["device"] == "cpu"  # the resolved policy is recorded
    assert meta["poolings"] == ["last"] and meta["storage_dtype"] == "float32"  # the defaults
    assert meta["layer_specs"] == [-1, 1] and meta["truncation_side"] == {"t": "left"}  # the tables' default
    assert meta["ids_digest"]["t"] == ids_digest(table["id"].tolist())
    check_alignment(meta, "t", table["id"].tolist(), out)
    with pytest.raises(ValueError, match="other examples"):
        check_alignment(meta, "t", table["id"].tolist()[::-1], out)
    assert not list(tmp_path.glob(".*partial*"))
