import copy

import pytest
import yaml
from conftest import REPO_ROOT

from pipeline.config import ConfigError, check_config, model_revisions

DEFAULT = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())
PYTHIA = yaml.safe_load((REPO_ROOT / "config" / "pythia.yaml").read_text())


def test_default_config_revisions():
    revisions = model_revisions(DEFAULT, "tiny-s0")
    steps = DEFAULT["tiny"]["train"]["checkpoint_steps"]
    assert [r.name for r in revisions] == [f"step{s}" for s in steps] and len(revisions) >= 16
    assert revisions[-1].tokens == steps[-1] * 32 * 64


def test_pythia_config_selects_log_spaced_revisions():
    check_config(PYTHIA)
    revisions = model_revisions(PYTHIA, "pythia-70m")
    assert len(revisions) == 16 and revisions[0].name == "step0" and revisions[-1].name == "step143000"


def test_tiny_models_need_model_and_train_sections():
    config = copy.deepcopy(DEFAULT)
    del config["tiny"]["train"]
    with pytest.raises(ConfigError, match="tiny.model and tiny.train"):
        check_config(config)


def test_weak_probe_layer_must_be_extracted():
    config = copy.deepcopy(DEFAULT)
    config["weak_supervisor"] = {"kind": "probe", "model": "tiny-s0", "revision": "step64", "layer": 7}
    with pytest.raises(ConfigError, match=r"weak_supervisor.layer 7 is not among extraction.layers \[1, 2\]"):
        check_config(config)
    config["weak_supervisor"].update(layer=1, revision="step65")
    with pytest.raises(ConfigError, match="weak_supervisor: revision 'step65' is not in the schedule"):
        check_config(config)
