import numpy as np
import pandas as pd
import pytest

from pipeline.config import ProbeConfig, WeakSupervisorConfig
from pipeline.probing.metrics import accuracy
from pipeline.probing.weak_supervisor import BagOfWordsSupervisor, weak_labels, weak_layer
from pipeline.tiny.corpus import CorpusSpec, generate_documents


@pytest.fixture(scope="module")
def documents():
    return generate_documents(CorpusSpec(seed=0), 2300, stream=1)


def test_bag_of_words_is_weak_but_informative(documents):
    train, test = documents.iloc[:300], documents.iloc[300:]
    supervisor = BagOfWordsSupervisor(n_words=3).fit(train["text"].tolist(), train["label"].to_numpy())
    assert len(supervisor.words_) == 3
    acc = accuracy(supervisor.predict_proba(test["text"].tolist()), test["label"].to_numpy())
    assert 0.6 < acc < 0.85


def test_more_cue_words_make_a_stronger_supervisor(documents):
    train, test = documents.iloc[:300], documents.iloc[300:]

    def acc(n):
        s = BagOfWordsSupervisor(n_words=n).fit(train["text"].tolist(), train["label"].to_numpy())
        return accuracy(s.predict_proba(test["text"].tolist()), test["label"].to_numpy())

    assert acc(30) > acc(1) + 0.05


def test_weak_labels_fit_on_split_a_only(documents):
    table = documents.head(400).assign(id=[f"i{k}" for k in range(400)], split=["A"] * 200 + ["B"] * 200)
    spec = WeakSupervisorConfig(kind="bag_of_words", n_words=3)
    base = weak_labels(table, spec, probes=ProbeConfig())
    flipped = table.assign(label=np.where(table["split"] == "B", 1 - table["label"], table["label"]))
    np.testing.assert_array_equal(base["p_weak"], weak_labels(flipped, spec, probes=ProbeConfig())["p_weak"])
    assert list(base.columns) == ["id", "split", "p_weak"]


def test_probe_kind_needs_features():
    table = pd.DataFrame({"id": ["a", "b"], "split": ["A", "B"], "text": ["x", "y"], "label": [0, 1]})
    with pytest.raises(ValueError, match="activations"):
        weak_labels(table, WeakSupervisorConfig(kind="probe"), probes=ProbeConfig(Cs=(1.0,), cv_folds=2))


def test_the_weak_probe_layer_may_be_a_depth_resolved_against_its_model():
    metadata = {"num_layers": 6, "layers": [3, 6]}
    assert weak_layer(WeakSupervisorConfig(kind="probe", model="m", layer=0.5), metadata, "a.safetensors") == 3
    assert weak_layer(WeakSupervisorConfig(kind="probe", model="m", layer=-1), metadata, "a.safetensors") == 6
    with pytest.raises(ValueError, match=r"a.safetensors: weak supervisor layer 0.25 is layer 2 of 'm', which was "
                                          r"not extracted \(stored layers: \[3, 6\]\)"):
        weak_layer(WeakSupervisorConfig(kind="probe", model="m", layer=0.25), metadata, "a.safetensors")
