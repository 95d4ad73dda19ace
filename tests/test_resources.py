import copy
import json

import pytest

from pipeline.config import ConfigError
from pipeline.preflight import check_config
from pipeline.resources import job_resources, size_from_name
from tests import load_config

PYTHIA = load_config("pythia")


@pytest.mark.parametrize("name, size", [
    ("EleutherAI/pythia-70m", 70e6), ("EleutherAI/pythia-1.4b-deduped", 1.4e9), ("allenai/OLMo-1B-hf", 1e9),
    ("allenai/OLMo-2-1124-7B", 7e9), ("allenai/OLMo-2-0425-1B", 1e9), ("tiny-s0", None),
])
def test_size_from_name(name, size):
    assert size_from_name(name) == size


def test_rows_by_model_size():
    assert job_resources(PYTHIA, "pythia-160m", "extract") == {"mem_mb": 4000, "runtime": 30, "gpu": 0}
    assert job_resources(PYTHIA, "pythia-410m", "extract")["gpu"] == 1
    assert job_resources(PYTHIA, "pythia-12b-deduped", "extract")["mem_mb"] == 96000
    assert job_resources(PYTHIA, "pythia-6.9b", "probes") == {"mem_mb": 8000, "runtime": 60}


def test_unknown_or_oversized_models_fail_before_any_job():
    config = copy.deepcopy(PYTHIA)
    config["models"] = {"mystery": {"source": "hub", "repo": "someone/mystery", "schedule": "pythia"}}
    with pytest.raises(ConfigError, match=r"model 'mystery': its size is not in its name; set models.mystery.params"):
        check_config(config)
    config["models"]["mystery"]["params"] = 7e10
    with pytest.raises(ConfigError, match=r"7e\+10 parameters, more than the largest job_resources row"):
        check_config(config)


def test_local_model_size_comes_from_its_config(checkpoint_root):
    from pipeline.resources import model_parameters

    config = {"models": {"mine": {"source": "local", "path": str(checkpoint_root)}}}
    shape = json.loads((checkpoint_root / "step0" / "config.json").read_text())
    h, layers, vocab = shape["hidden_size"], shape["num_hidden_layers"], shape["vocab_size"]
    assert model_parameters(config, "mine") == 12 * layers * h * h + 2 * vocab * h
