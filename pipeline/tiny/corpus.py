"""A synthetic corpus whose documents carry a hidden binary attribute.

Each document has a latent label z ∈ {0, 1} ("sentiment") and a nuisance topic. Every
content word w has a polarity s_w and a topic affinity a_w,t; its probability in a slot
of its part of speech is tilted by exp(β·s_w·(2z−1) + γ·a_w,topic). The attribute is thus
spread thinly over many words, none decisive: a next-token predictor gains from inferring z
from the words so far, while a single word (or a random network's features) says little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.io import write_table

# Parts of speech and how many invented words each has (content parts are scaled by
# CorpusSpec.vocabulary_scale). Function words carry no polarity.
PARTS_OF_SPEECH: dict[str, int] = {
    "DET": 6,
    "ADJ": 80,
    "NOUN": 120,
    "VERB": 80,
    "ADV": 40,
    "PREP": 8,
}
CONTENT_PARTS = ("ADJ", "NOUN", "VERB", "ADV")

# Sentence templates; "." ends a sentence.
TEMPLATES: tuple[tuple[str, ...], ...] = (
    ("DET", "ADJ", "NOUN", "VERB", "DET", "NOUN"),
    ("DET", "NOUN", "VERB", "ADV"),
    ("DET", "ADJ", "NOUN", "VERB", "PREP", "DET", "ADJ", "NOUN"),
    ("DET", "NOUN", "ADV", "VERB", "DET", "ADJ", "NOUN"),
    ("DET", "ADJ", "ADJ", "NOUN", "VERB"),
    ("PREP", "DET", "NOUN", "DET", "NOUN", "VERB", "ADV"),
)

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "pl", "kr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")


@dataclass(frozen=True)
class CorpusSpec:
    """Parameters of the generator; the same spec and seed give the same corpus."""

    seed: int = 0
    n_topics: int = 4
    beta: float = 0.5  # strength of the latent attribute's tilt
    gamma: float = 0.3  # strength of the nuisance topic's tilt
    zipf_exponent: float = 1.0  # base word frequencies within a part of speech
    min_sentences: int = 2
    max_sentences: int = 4
    vocabulary_scale: float = 1.0  # multiplies the number of content words

    def part_sizes(self) -> dict[str, int]:
        return {
            name: round(count * self.vocabulary_scale) if name in CONTENT_PARTS else count
            for name, count in PARTS_OF_SPEECH.items()
        }


@dataclass(frozen=True)
class Lexicon:
    """The invented vocabulary with each word's part of speech, base weight and tilts."""

    words: tuple[str, ...]
    part: np.ndarray  # index into PARTS_OF_SPEECH per word
    base: np.ndarray  # base weight (Zipfian within its part of speech)
    polarity: np.ndarray  # s_w; zero for function words
    topic_affinity: np.ndarray  # a_w,t, shape (n_words, n_topics); zero for function words


def _invent_words(n: int, rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < n:
        n_syllables = int(rng.integers(1, 4))
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(n_syllables))
        if word not in words:
            words.add(word)
            ordered.append(word)
    return ordered


def make_lexicon(spec: CorpusSpec) -> Lexicon:
    rng = np.random.default_rng([spec.seed, 0])
    sizes = spec.part_sizes()
    n_words = sum(sizes.values())
    words = _invent_words(n_words, rng)
    part, base = [], []
    for index, count in enumerate(sizes.values()):
        part += [index] * count
        weights = 1.0 / np.arange(1, count + 1) ** spec.zipf_exponent
        base += list(rng.permutation(weights / weights.sum()))
    part_arr = np.array(part)
    content = np.isin(part_arr, [list(PARTS_OF_SPEECH).index(p) for p in CONTENT_PARTS])
    polarity = np.where(content, rng.standard_normal(n_words), 0.0)
    affinity = rng.standard_normal((n_words, spec.n_topics)) * content[:, None]
    return Lexicon(tuple(words), part_arr, np.array(base), polarity, affinity)


def _slot_distributions(lexicon: Lexicon, spec: CorpusSpec) -> np.ndarray:
    """Cumulative word distributions, shape (2 labels, n_topics, n_parts, n_words)."""
    n_parts = len(PARTS_OF_SPEECH)
    cdf = np.zeros((2, spec.n_topics, n_parts, len(lexicon.words)))
    for z in (0, 1):
        for topic in range(spec.n_topics):
            logits = spec.beta * lexicon.polarity * (2 * z - 1) + spec.gamma * lexicon.topic_affinity[:, topic]
            weights = lexicon.base * np.exp(logits)
            for p in range(n_parts):
                w = np.where(lexicon.part == p, weights, 0.0)
                cdf[z, topic, p] = np.cumsum(w / w.sum())
    return cdf


def generate_documents(spec: CorpusSpec, n_documents: int, stream: int) -> pd.DataFrame:
    """Generate documents with columns `text`, `label` (z) and `topic`.

    `stream` selects an independent random stream over the same lexicon, so that
    pre-training text and labelled task documents never share a document.
    """
    lexicon = make_lexicon(spec)
    cdf = _slot_distributions(lexicon, spec)
    rng = np.random.default_rng([spec.seed, 1, stream])
    labels = rng.integers(0, 2, n_documents)
    topics = rng.integers(0, spec.n_topics, n_documents)
    n_sentences = rng.integers(spec.min_sentences, spec.max_sentences + 1, n_documents)
    part_index = {name: i for i, name in enumerate(PARTS_OF_SPEECH)}
    words = np.array(lexicon.words)
    texts = []
    for doc in range(n_documents):
        template_ids = rng.integers(0, len(TEMPLATES), n_sentences[doc])
        sentences = []
        for t in template_ids:
            slots = [part_index[p] for p in TEMPLATES[t]]
            table = cdf[labels[doc], topics[doc]][slots]
            draws = rng.random(len(slots))
            chosen = [min(int(np.searchsorted(row, u, side="right")), len(row) - 1) for row, u in zip(table, draws)]
            sentences.append(" ".join(words[chosen]) + " .")
        texts.append(" ".join(sentences))
    return pd.DataFrame({"text": texts, "label": labels, "topic": topics})


def write_corpus(params: dict, corpus_path: str, task_documents_path: str) -> None:
    """Write the pre-training documents and, from an independent stream, the labelled
    held-out documents the task draws on."""
    spec = CorpusSpec(**{k: v for k, v in params.items() if k in CorpusSpec.__dataclass_fields__})
    outputs = ((corpus_path, params["n_documents"], 0), (task_documents_path, params["n_task_documents"], 1))
    for path, n, stream in outputs:
        write_table(generate_documents(spec, n, stream), path)
