import copy
import dataclasses
import re

import jsonschema
import pytest
import yaml

from pipeline.checkpoints.schedule import adaptive_settings, model_revisions, students
from pipeline.config import SECTIONS, AdaptiveConfig, ConfigError, ExtractionConfig, ProbeConfig, WeakSupervisorConfig
from pipeline.preflight import check_config
from tests import REPO_ROOT, load_config

DEFAULT = load_config("config")
PYTHIA = load_config("pythia")
OLMO = load_config("olmo")


def test_default_config_revisions():
    revisions = model_revisions(DEFAULT, "tiny-s0")
    steps = DEFAULT["tiny"]["train"]["checkpoint_steps"]
    assert [r.name for r in revisions] == [f"step{s}" for s in steps] and len(revisions) >= 16
    assert revisions[-1].tokens == steps[-1] * 32 * 64


def test_pythia_config_selects_log_spaced_revisions():
    check_config(PYTHIA)
    revisions = model_revisions(PYTHIA, "pythia-70m")
    assert len(revisions) == 16 and revisions[0].name == "step0" and revisions[-1].name == "step143000"


def test_adaptive_revisions_take_the_section_with_the_models_changes():
    config = copy.deepcopy(PYTHIA)
    assert adaptive_settings(config, "pythia-70m") is None
    config["models"]["pythia-70m"]["revisions"] = {"adaptive": {"budget": 30}}
    config["models"]["pythia-160m"]["revisions"] = "adaptive"
    section = AdaptiveConfig.from_mapping(config["adaptive"])
    assert adaptive_settings(config, "pythia-70m") == dataclasses.replace(section, budget=30)
    assert adaptive_settings(config, "pythia-160m") == section and section.budget == 48
    assert len(model_revisions(config, "pythia-70m")) == 154  # the candidates: the whole schedule
    check_config(config)
    config["models"]["pythia-70m"]["revisions"] = {"adaptive": {"coarse": 40, "budget": 30}}
    with pytest.raises(ConfigError, match=r"model 'pythia-70m': adaptive: need 2 <= coarse <= budget, got coarse=40"):
        check_config(config)


def test_tiny_models_cannot_be_adaptive():
    config = copy.deepcopy(DEFAULT)
    config["models"]["tiny-s1"]["revisions"] = "adaptive"
    with pytest.raises(ConfigError, match=r"models\.tiny-s1\.revisions: adaptive needs a hub or local model"):
        check_config(config)


def test_tiny_models_need_model_and_train_sections():
    config = copy.deepcopy(DEFAULT)
    del config["tiny"]["train"]
    with pytest.raises(ConfigError, match=r"tiny\.model and tiny\.train"):
        check_config(config)


def test_weak_probe_supervisors_are_checked_by_name():
    config = copy.deepcopy(DEFAULT)
    config["weak_supervisors"]["late"] = {"kind": "probe", "model": "tiny-s0", "revision": "step64", "layer": 7}
    with pytest.raises(ConfigError, match=r"weak_supervisors.late.layer 7 \(index\) is not stored: extraction.layers"):
        check_config(config)
    config["extraction"]["layers"] = [1, 3.0]
    with pytest.raises(ConfigError, match=r"extraction.layers: layer 3.0 is not allowed: a float is a relative depth"):
        check_config(config)
    config["extraction"]["layers"] = [1, 2]
    config["weak_supervisors"]["late"].update(layer=1.0)  # the last layer's depth, not index 1
    with pytest.raises(ConfigError, match=r"weak_supervisors.late.layer 1.0 \(relative depth\) is not stored"):
        check_config(config)
    config["weak_supervisors"]["late"].update(layer=1, revision="step65")
    with pytest.raises(ConfigError, match=r"weak_supervisors\.late: revision 'step65' is not in the schedule"):
        check_config(config)
    config["weak_supervisors"]["late"].update(model="nope")
    with pytest.raises(ConfigError, match=r"weak_supervisors\.late\.model 'nope' is not a key of models"):
        check_config(config)


def test_a_supervisor_model_lends_only_the_revisions_its_supervisors_read():
    config = copy.deepcopy(DEFAULT)
    assert [r.name for r in model_revisions(config, "tiny-small")] == ["step0", "step32", "step1024"]
    assert "tiny-small" not in students(config) and len(model_revisions(config, "tiny-s0")) > 3
    config["models"]["tiny-small"]["revisions"] = "all"
    with pytest.raises(ConfigError, match="tiny-small: a model of role supervisor uses the revisions its weak"):
        check_config(config)
    del config["models"]["tiny-small"]["revisions"]
    config["weak_supervisors"] = {"words": {"kind": "bag_of_words"}}
    with pytest.raises(ConfigError, match="tiny-small has role supervisor but no weak supervisor"):
        check_config(config)
    for spec in config["models"].values():
        spec["role"] = "supervisor"
    with pytest.raises(ConfigError, match="at least one must be a student"):
        check_config(config)


OLMO2_BRANCHES = [
    ("main", "f" * 40, 0, 0),
    ("stage1-step0-tokens0B", "a" * 40, 0, 0),
    ("stage1-step1000-tokens5B", "b" * 40, 1000, 5 * 10**9),
    ("stage1-step2000-tokens9B", "c" * 40, 2000, 9 * 10**9),
    ("stage2-ingredient1-step1000-tokens5B", "d" * 40, 1000, 5 * 10**9),
]


@pytest.fixture
def olmo2_manifest(tmp_path, monkeypatch):
    """An OLMo-2-style manifest under resources/revisions/ of a fresh working directory."""
    from pipeline.checkpoints.manifests import manifest_path

    monkeypatch.chdir(tmp_path)
    path = manifest_path("allenai/OLMo-2-0425-1B")
    path.parent.mkdir(parents=True)
    rows = ["\t".join(map(str, row)) for row in OLMO2_BRANCHES if row[0] != "main"]
    path.write_text("revision\tcommit\tstep\ttokens\n" + "\n".join(rows) + "\n")
    config = copy.deepcopy(OLMO)
    config["models"] = {"olmo2-1b": {"source": "hub", "repo": "allenai/OLMo-2-0425-1B", "schedule": "manifest",
                                     "stage": "stage1"}}
    config["weak_supervisors"] = {"words": {"kind": "bag_of_words"}}
    return config


def test_manifest_schedule_keeps_one_stage_pinned_to_commits(olmo2_manifest):
    from pipeline.checkpoints.schedule import checkpoint_source

    check_config(olmo2_manifest)
    revisions = model_revisions(olmo2_manifest, "olmo2-1b")
    assert [(r.name, r.step, r.tokens) for r in revisions] == [(n, s, t) for n, _, s, t in OLMO2_BRANCHES[1:4]]
    assert checkpoint_source(olmo2_manifest, "olmo2-1b").commits["stage1-step1000-tokens5B"] == "b" * 40


def test_manifest_schedule_errors_name_the_fix(olmo2_manifest):
    del olmo2_manifest["models"]["olmo2-1b"]["stage"]
    with pytest.raises(ConfigError, match=r"stages \['stage1', 'stage2'\]; choose one with `stage`"):
        check_config(olmo2_manifest)
    olmo2_manifest["models"]["olmo2-1b"].update(stage="stage1", revisions=["stage1-step1500-tokens7B"])
    with pytest.raises(ConfigError, match=r"'stage1-step1500-tokens7B' is not in the schedule \(3 revisions\); "
                                          r"nearest: stage1-step1000-tokens5B, stage1-step2000-tokens9B"):
        check_config(olmo2_manifest)
    olmo2_manifest["models"]["olmo2-1b"]["repo"] = "allenai/OLMo-2-1124-7B"
    with pytest.raises(ConfigError, match=r"resources/revisions/allenai/OLMo-2-1124-7B.tsv does not exist; write it "
                                          r"\(needs the hub\) with: "
                                          r"python -m pipeline.checkpoints.manifests allenai/OLMo-2-1124-7B"):
        check_config(olmo2_manifest)


def test_pythia_config_is_the_whole_suite():
    repos = {spec["repo"] for spec in PYTHIA["models"].values()}
    sizes = ["14m", "31m", "70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"]
    assert repos == {f"EleutherAI/pythia-{s}" for s in sizes} | {f"EleutherAI/pythia-{s}-deduped" for s in sizes[2:]}


SCHEMA = yaml.safe_load((REPO_ROOT / "config" / "schemas" / "config.schema.yaml").read_text())


REQUIRED = {"layers": [1]}  # placeholders of required keys that sections check


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.key)
def test_typed_sections_have_the_schema_defaults(section):
    """Every key of a typed section is in the schema, and both give it the same default."""
    node = SCHEMA["properties"][section.key]
    properties = node["properties"] if "properties" in node else node["additionalProperties"]["properties"]
    assert {f.name for f in dataclasses.fields(section)} == set(properties)
    built = section.from_mapping({k: v["default"] for k, v in properties.items() if "default" in v}
                                 | {f.name: REQUIRED.get(f.name, "x") for f in dataclasses.fields(section)
                                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING})
    for f in dataclasses.fields(section):
        if "default" in properties[f.name]:
            default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
            assert getattr(built, f.name) == default == (
                tuple(properties[f.name]["default"]) if isinstance(default, tuple) else properties[f.name]["default"]
            ), f.name


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        (ExtractionConfig, {"layers": [-1, 1.5]}, r"extraction.layers: layer 1.5 is not allowed: a float is a relative "
                                                  r"depth in \[0, 1\].*write an index as an int"),
        (ExtractionConfig, {"layers": [True]}, r"extraction.layers: layer True is not allowed"),
        (WeakSupervisorConfig, {"kind": "probe", "layer": -0.5}, r"weak_supervisors.layer: layer -0.5 is not allowed"),
    ],
)
def test_a_layer_neither_index_nor_depth_is_refused_naming_it(section, values, message):
    with pytest.raises(ConfigError, match=message):
        section.from_mapping(values)


def test_the_schema_takes_indices_and_depths_and_refuses_other_floats():
    layers = {"$defs": SCHEMA["$defs"], **SCHEMA["properties"]["extraction"]["properties"]["layers"]}
    jsonschema.validate([-1, 3, 0.0, 0.5, 1.0], layers)
    jsonschema.validate("all", layers)
    for wrong in ([1.5], "every"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, layers)


def test_a_section_names_an_unknown_key_and_the_allowed_ones():
    allowed = r"\['Cs', 'cv_folds', 'layers', 'objectives', 'pooling', 'seed', 'selection'\]"
    with pytest.raises(ConfigError, match=rf"probes: unknown key 'cs'; allowed: {allowed}"):
        ProbeConfig.from_mapping({"cs": [1.0]})


def test_probed_layers_and_pooling_must_be_stored_naming_what_is():
    config = copy.deepcopy(DEFAULT)
    config["extraction"].update(layers=[2, 0.5], poolings=["last", "mean"])
    config["probes"].update(layers=[0.5], pooling="mean")
    check_config(config)
    config["probes"]["layers"] = [2, 1]
    with pytest.raises(ConfigError, match=r"probes.layers 1 \(index\) is not stored: extraction.layers is \[2, 0.5\]"):
        check_config(config)
    config["extraction"]["layers"] = "all"  # every layer is stored
    check_config(config)
    config["probes"]["pooling"] = "first"
    with pytest.raises(ConfigError, match=r"probes.pooling 'first' is not stored: extraction.poolings is "
                                          r"\['last', 'mean'\]"):
        check_config(config)
    with pytest.raises(ConfigError, match=r"extraction.layers 'every' is not allowed: use 'all' or a list"):
        ExtractionConfig.from_mapping({"layers": "every"})
    with pytest.raises(ConfigError, match=r"extraction.poolings \['last', 'last'\] is not allowed"):
        ExtractionConfig.from_mapping({"layers": [1], "poolings": ["last", "last"]})


def test_probe_objectives_are_checked_by_name():
    assert ProbeConfig.from_mapping({"objectives": ["logconf", "knn"]}).objectives == ("logconf", "knn")
    with pytest.raises(ConfigError, match=r"unknown objective 'xent' in \['soft_ce', 'xent'\]; allowed: \['soft_ce'"):
        ProbeConfig.from_mapping({"objectives": ["soft_ce", "xent"]})


def _schema_keys(schema: dict, prefix: str = "") -> list[str]:
    keys = []
    for name, spec in schema.get("properties", {}).items():
        keys.append(prefix + name)
        keys += _schema_keys(spec, f"{prefix}{name}.")
    return keys


def test_configuration_docs_name_every_schema_key():
    docs = (REPO_ROOT / "docs" / "configuration.md").read_text()
    code_spans = " ".join(re.findall(r"`([^`]*)`", docs))
    missing = [key for key in _schema_keys(SCHEMA) if not re.search(rf"\b{key.split('.')[-1]}\b", code_spans)]
    assert not missing


def test_suite_configs_run_on_schema_defaults():
    """The shipped configs leave out the sections every suite shares; the schema fills them."""
    for config in (DEFAULT, PYTHIA, OLMO):
        assert ProbeConfig.from_mapping(config["probes"]) == ProbeConfig()
        assert len(config["job_resources"]) == 4
