"""Tiny random configs of every architecture family the extraction supports: decoders (GPT-NeoX,
GPT-2, Llama, Mistral, Qwen2, OLMo, OLMo-2) and encoders (BERT, RoBERTa)."""

from __future__ import annotations

import transformers

FAMILIES = ("gpt_neox", "gpt2", "llama", "mistral", "qwen2", "olmo", "olmo2", "bert", "roberta")
ENCODERS = ("bert", "roberta")


def tiny_config(
    family: str, vocab_size: int, num_layers: int = 2, pad_token_id: int = 0
) -> transformers.PretrainedConfig:
    """A config of `family` with hidden size 32, 2 heads, 128 positions."""
    size = {"hidden_size": 32, "num_hidden_layers": num_layers, "num_attention_heads": 2, "intermediate_size": 64,
            "max_position_embeddings": 128, "vocab_size": vocab_size, "pad_token_id": pad_token_id,
            "bos_token_id": pad_token_id, "eos_token_id": pad_token_id}
    if family == "gpt2":
        return transformers.GPT2Config(vocab_size=vocab_size, n_embd=32, n_layer=num_layers, n_head=2, n_positions=128,
                                       bos_token_id=pad_token_id, eos_token_id=pad_token_id, pad_token_id=pad_token_id)
    classes = {"gpt_neox": transformers.GPTNeoXConfig, "llama": transformers.LlamaConfig,
               "mistral": transformers.MistralConfig, "qwen2": transformers.Qwen2Config,
               "olmo": transformers.OlmoConfig, "olmo2": transformers.Olmo2Config,
               "bert": transformers.BertConfig, "roberta": transformers.RobertaConfig}
    extra = {"num_key_value_heads": 1} if family in ("mistral", "qwen2") else {}
    return classes[family](**size, **extra)


def write_shared_layer_config(folder) -> None:
    """config.json of an ALBERT, whose 3 layers share one block: it has no list of its blocks."""
    transformers.AlbertConfig(vocab_size=50, embedding_size=16, hidden_size=32, num_hidden_layers=3,
                              num_attention_heads=2, intermediate_size=64).save_pretrained(folder)
