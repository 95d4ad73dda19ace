import pandas as pd
from transformers import AutoModelForCausalLM, AutoTokenizer

from pipeline.tiny.corpus import CorpusSpec, generate_documents, make_lexicon
from pipeline.tiny.pretrain import ModelSpec, TrainSpec, pretrain


def test_corpus_is_deterministic_and_streams_are_independent():
    spec = CorpusSpec(seed=1)
    a = generate_documents(spec, 50, stream=0)
    pd.testing.assert_frame_equal(a, generate_documents(spec, 50, stream=0))
    b = generate_documents(spec, 50, stream=1)
    assert set(a["text"]).isdisjoint(b["text"])
    assert set(a["label"]) == {0, 1}


def test_latent_attribute_tilts_word_frequencies():
    """Words of positive polarity are more frequent in documents with z = 1."""
    spec = CorpusSpec(seed=2)
    lexicon = make_lexicon(spec)
    docs = generate_documents(spec, 3000, stream=0)
    polarity = dict(zip(lexicon.words, lexicon.polarity))
    score = docs["text"].map(lambda t: sum(polarity.get(w, 0.0) for w in t.split()) / len(t.split()))
    assert score[docs["label"] == 1].mean() > score[docs["label"] == 0].mean() + 0.1


def test_pretraining_saves_loadable_revisions_and_learns(tmp_path, small_documents, word_tokenizer):
    steps = (0, 1, 2, 40)
    losses = pretrain(
        small_documents["text"].tolist(), word_tokenizer, tmp_path,
        ModelSpec(hidden_size=32, num_layers=1, num_heads=2, context=32),
        TrainSpec(batch_size=8, learning_rate=3e-3, warmup_steps=4, checkpoint_steps=steps), seed=0,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"step{s}" for s in steps)
    assert len(losses) == 40 and sum(losses[-5:]) < sum(losses[:5])
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "step40")
    assert tokenizer.pad_token == tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "step40")
    assert model.config.model_type == "gpt_neox"
