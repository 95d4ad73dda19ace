"""One workflow run over every kind of trajectory this pipeline reads besides the tiny one: a
tiny random model of each architecture family (local folders), a Hugging Face Trainer output
folder, and a one-repo-per-step hub trajectory with .bin-only weights (MultiBERTs-like, on the
loopback hub), on a TSV task file. Then dry runs of bad configs on the same folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

import pipeline.paths as paths
from pipeline.tiny.corpus import CorpusSpec, generate_documents
from tests.fakes.families import FAMILIES, tiny_config, write_shared_layer_config
from tests.fakes.hub_server import folder_files, serve
from tests.workflow_runs.helpers import SNAKEMAKE, write_config

TEMPLATE = "google/multiberts-tiny-step_{step}k"
BERT_STEPS = [0, 20, 40]
TRAINER_STEPS = [16, 32, 64]
LAYERS = [1, 2]  # of 3-layer family models: the forward stops after block 2


def _save(model: torch.nn.Module, tokenizer, folder: Path, bin_only: bool = False) -> None:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if bin_only:
        (folder / "model.safetensors").unlink()
        torch.save(model.state_dict(), folder / "pytorch_model.bin")


@pytest.fixture(scope="module")
def suites_run(small_run, tmp_path_factory):
    from transformers import AutoModel, PreTrainedTokenizerFast

    workdir = tmp_path_factory.mktemp("suites")
    tokenizer = PreTrainedTokenizerFast.from_pretrained(small_run / "results" / "tiny" / "tokenizer")
    models = {}
    for i, family in enumerate(FAMILIES):  # one random revision per family
        torch.manual_seed(i)
        config = tiny_config(family, len(tokenizer), num_layers=3, pad_token_id=tokenizer.eos_token_id)
        _save(AutoModel.from_config(config), tokenizer, workdir / "families" / family / "step0")
        models[family] = {"source": "local", "path": f"families/{family}"}
    # a Trainer output folder: checkpoint-N/ without tokenizer, the final model at the top level
    trainer = workdir / "trainer"
    tiny = small_run / "results" / "checkpoints" / "tiny-s0"
    for step in TRAINER_STEPS:
        shutil.copytree(tiny / f"step{step}", trainer / f"checkpoint-{step}",
                        ignore=shutil.ignore_patterns("tokenizer*", "special_tokens_map.json"))
        (trainer / f"checkpoint-{step}" / "trainer_state.json").write_text(
            f'{{"global_step": {step}, "num_input_tokens_seen": {step * 1000}}}')
    for file in (tiny / f"step{TRAINER_STEPS[-1]}").iterdir():
        shutil.copy(file, trainer / file.name)
    models["trainer-run"] = {"source": "local", "path": "trainer"}
    # one repo per step, .bin weights only
    repos = {}
    for step in BERT_STEPS:
        torch.manual_seed(100 + step)
        folder = workdir / "bert-repos" / str(step)
        _save(AutoModel.from_config(tiny_config("bert", len(tokenizer), pad_token_id=tokenizer.eos_token_id)),
              tokenizer, folder, bin_only=True)
        repos[TEMPLATE.format(step=step)] = {"main": folder_files(folder)}
    models["multiberts-tiny"] = {"source": "hub", "repo_template": TEMPLATE, "steps": BERT_STEPS,
                                 "naming": "multiberts", "params": 1e5}

    documents = generate_documents(CorpusSpec(seed=0), 800, stream=5)
    (workdir / "data").mkdir()
    documents[["text", "label"]].to_csv(workdir / "data" / "reviews.tsv", sep="\t", index=False)
    config = {
        "models": models,
        "tasks": {"reviews": {"source": "file", "path": "data/reviews.tsv",
                              "sizes": {"A": 100, "B": 200, "test": 200}}},
        "weak_supervisors": {"cue-words": {"kind": "bag_of_words"}},
        # float32: the early stop is compared with output_hidden_states to 1e-5, beyond float16's rounding
        "extraction": {"layers": LAYERS, "poolings": ["mean"], "max_length": 64, "storage_dtype": "float32"},
        "probes": {"Cs": [0.01, 1.0], "cv_folds": 3},
        "hub": {"backoff_s": 0.1},
    }
    write_config(workdir, config)
    with serve(repos) as (url, _):
        env = {**os.environ, "HF_ENDPOINT": url}
        start = time.monotonic()
        result = subprocess.run([*SNAKEMAKE, "--cores", "2"], cwd=workdir, capture_output=True, text=True,
                                timeout=900, env=env)
        print(f"suites run: {time.monotonic() - start:.0f} s")  # shown with -s
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir, config


def _metrics(workdir: Path) -> pd.DataFrame:
    return pd.read_csv(workdir / "results" / "tables" / "metrics.csv")


@pytest.mark.parametrize("family", FAMILIES)
def test_every_architecture_family_runs_and_its_early_stop_equals_output_hidden_states(suites_run, family):
    from transformers import AutoModel

    from pipeline.extraction.store import load_activations

    workdir, _ = suites_run
    metrics = _metrics(workdir)
    assert sorted(metrics.loc[metrics["model"] == family, "layer"]) == LAYERS
    features, _ = load_activations(workdir / paths.activations(family, "step0"), "reviews")
    texts = pd.read_parquet(workdir / "results" / "tasks" / "reviews.parquet")["text"].tolist()[:8]
    folder = workdir / "families" / family / "step0"
    from transformers import AutoTokenizer

    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    with torch.inference_mode():
        for i, text in enumerate(texts):
            ids = tokenizer(text, truncation=True, max_length=64, return_tensors="pt")["input_ids"]
            hidden = model(input_ids=ids, output_hidden_states=True).hidden_states
            for layer in LAYERS:
                np.testing.assert_allclose(features[layer][i], hidden[layer][0].mean(0).numpy(), atol=1e-5)


def test_trainer_output_folder_runs_as_it_is_with_tokens_from_trainer_state(suites_run):
    workdir, _ = suites_run
    rows = _metrics(workdir).query("model == 'trainer-run'")
    assert sorted(set(rows["revision"])) == sorted(f"checkpoint-{s}" for s in TRAINER_STEPS)
    assert sorted(set(rows["step"])) == TRAINER_STEPS
    assert sorted(set(rows["tokens"])) == [s * 1000 for s in TRAINER_STEPS]
    integrity = pd.read_csv(workdir / "results" / "tables" / "integrity.csv").query("model == 'trainer-run'")
    assert integrity["flag"].isna().all()  # the top-level model is the last checkpoint's: the final weights
    kept = integrity.set_index("revision").loc[f"checkpoint-{TRAINER_STEPS[-1]}", "reason"]
    assert kept.startswith("kept: the final revision")


def test_one_repo_per_step_trajectory_with_bin_weights_runs(suites_run):
    workdir, _ = suites_run
    rows = _metrics(workdir).query("model == 'multiberts-tiny'")
    assert sorted(set(rows["step"])) == [s * 1000 for s in BERT_STEPS]
    assert not any(p.is_file() for p in (workdir / "results" / "downloads").rglob("*"))


def _dry_run(workdir: Path, config: dict) -> subprocess.CompletedProcess:
    (workdir / "edited.yaml").write_text(yaml.safe_dump(config))
    return subprocess.run([*SNAKEMAKE, "-n", "--configfile", "edited.yaml"], cwd=workdir, capture_output=True,
                          text=True, timeout=300)


def test_missing_paths_bad_naming_and_blockless_models_fail_at_dag_build(suites_run):
    """Also after outputs of the earlier, valid paths exist."""
    workdir, config = suites_run
    missing_task = yaml.safe_load(yaml.safe_dump(config))
    missing_task["tasks"]["reviews"]["path"] = "data/renamed.tsv"
    missing_folder = yaml.safe_load(yaml.safe_dump(config))
    missing_folder["models"]["trainer-run"]["path"] = "trainer-moved"
    bad_naming = yaml.safe_load(yaml.safe_dump(config))
    bad_naming["models"]["trainer-run"]["naming"] = "step"
    write_shared_layer_config(workdir / "albert" / "step0")
    blockless = yaml.safe_load(yaml.safe_dump(config))
    blockless["models"]["albert"] = {"source": "local", "path": "albert"}
    expected = {
        "tasks.reviews.path: file 'data/renamed.tsv' does not exist": missing_task,
        "models.trainer-run.path: checkpoint folder 'trainer-moved' does not exist": missing_folder,
        "revision names not recognised: checkpoint-16, checkpoint-32, checkpoint-64": bad_naming,
        "AlbertModel: found no list of its 3 blocks": blockless,
    }
    for message, edited in expected.items():
        result = _dry_run(workdir, edited)
        output = result.stdout + result.stderr
        assert result.returncode != 0 and message in output, (message, output[-2000:])
        assert "Job stats" not in output  # no job was planned
