"""At reduced size, W2SG emerges along the offline trajectory: no gain over the weak supervisor
at initialization, a clear gain after pre-training. Fixed seeds; a few minutes on 2 cores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from pipeline.config import MetricsConfig, ProbeConfig
from pipeline.extraction.engine import Extractor
from pipeline.probing.logistic import LogisticProbe
from pipeline.probing.probes import evaluate_layers
from pipeline.tasks.splits import make_splits
from pipeline.tiny.corpus import CorpusSpec, generate_documents
from pipeline.tiny.pretrain import ModelSpec, TrainSpec, pretrain
from pipeline.tiny.tokenizer import train_word_tokenizer

STEPS = (0, 8, 768)
PROBES = ProbeConfig(Cs=(0.01, 0.1, 1.0, 10.0), cv_folds=4)


@pytest.fixture(scope="module")
def trajectory(tmp_path_factory) -> dict[int, dict[str, float]]:
    torch.set_num_threads(2)
    spec = CorpusSpec(seed=0)
    corpus = generate_documents(spec, 30_000, stream=0)
    tokenizer = train_word_tokenizer(corpus["text"])
    root = tmp_path_factory.mktemp("trajectory")
    pretrain(corpus["text"].tolist(), tokenizer, root / "student", ModelSpec(), TrainSpec(checkpoint_steps=STEPS),
             seed=0)
    # the weak supervisor: a probe on a randomly initialised network of another seed, on no
    # student trajectory, fit on split A (as large as the students' split B)
    pretrain(corpus["text"].tolist(), tokenizer, root / "supervisor", ModelSpec(), TrainSpec(checkpoint_steps=(0,)),
             seed=9)
    table = make_splits(generate_documents(spec, 3600, stream=1), "latent", {"A": 1000, "B": 1000, "test": 1000})
    texts, labels = table["text"].tolist(), table["label"].to_numpy().astype(float)
    features = {s: Extractor(root / "student" / f"step{s}").extract(texts, [2])["last"][2] for s in STEPS}
    supervisor = Extractor(root / "supervisor" / "step0").extract(texts, [2])["last"][2]
    in_a = (table["split"] == "A").to_numpy()
    weak = LogisticProbe(cs=PROBES.Cs, folds=PROBES.cv_folds).fit(supervisor[in_a], labels[in_a])
    p_weak = weak.predict_proba(supervisor)
    return {s: evaluate_layers({2: features[s]}, table, {"weak": p_weak}, PROBES, MetricsConfig())[0][0]
            for s in STEPS}


def test_no_weak_to_strong_gain_at_initialization(trajectory):
    for step in (0, 8):
        assert trajectory[step]["gain"] <= 0.02, (step, trajectory[step])


def test_weak_to_strong_gain_after_pre_training(trajectory):
    late = trajectory[768]
    assert late["gain"] > 0.03, late
    assert late["gold_acc"] - late["weak_acc"] >= 0.05, late
    assert late["pgr"] >= 0.3, late


def test_linear_representation_improves_with_pre_training(trajectory):
    assert trajectory[768]["gold_acc"] > trajectory[0]["gold_acc"] + 0.02, pd.DataFrame(trajectory).T
    assert 0.6 < trajectory[0]["weak_acc"] < trajectory[768]["gold_acc"] - 0.05
    assert np.isfinite(trajectory[768]["w2s_auroc"])
