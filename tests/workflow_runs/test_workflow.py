"""Run the real workflow with snakemake on a small config and check what it computes."""

from __future__ import annotations

import base64
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from safetensors import safe_open

from tests.workflow_runs.helpers import SNAKEMAKE, job_counts, small_config, snakemake, write_config


def test_metrics_table_covers_every_revision_task_and_layer(small_run):
    table = pd.read_csv(small_run / "results" / "tables" / "metrics.csv")
    config = small_config()
    steps = config["tiny"]["train"]["checkpoint_steps"]
    assert len(table) == (len(steps) * len(config["tasks"]) * len(config["extraction"]["layers"])
                          * len(config["weak_supervisors"]))
    assert set(table["supervisor"]) == set(config["weak_supervisors"]) and set(table["method"]) == {"soft_ce"}
    assert sorted(table["step"].unique()) == steps
    assert set(table["revision"]) == {f"step{s}" for s in steps}
    tokens_per_step = config["tiny"]["train"]["batch_size"] * config["tiny"]["model"]["context"]
    assert (table["tokens"] == table["step"] * tokens_per_step).all()
    assert (small_run / "results" / "figures" / "accuracy_vs_step.png").stat().st_size > 10_000


def test_metrics_agree_with_the_stored_predictions(small_run):
    """Recompute every accuracy, gain and PGR from the per-example test predictions."""
    table = pd.read_csv(small_run / "results" / "tables" / "metrics.csv")
    for row in table.itertuples():
        preds = pd.read_parquet(small_run / "results" / "probes" / row.model / f"{row.revision}_predictions.parquet")
        preds = preds[(preds["task"] == row.task) & (preds["layer"] == row.layer)
                      & (preds["supervisor"] == row.supervisor) & (preds["method"] == row.method)]
        assert len(preds) == row.n_test == 400 and preds["label"].mean() == 0.5
        acc = {k: float(np.mean((preds[f"p_{k}"] > 0.5) == preds["label"])) for k in ("weak", "w2s", "gold")}
        assert row.weak_acc == pytest.approx(acc["weak"]) and row.w2s_acc == pytest.approx(acc["w2s"])
        assert row.gold_acc == pytest.approx(acc["gold"])
        assert row.gain == pytest.approx(acc["w2s"] - acc["weak"])
        # PGR where gold − weak reaches the margin rule's threshold (written beside it)
        assert row.pgr_margin >= small_config()["metrics"]["pgr_min_margin"]
        if acc["gold"] - acc["weak"] >= row.pgr_margin:
            assert row.pgr == pytest.approx((acc["w2s"] - acc["weak"]) / (acc["gold"] - acc["weak"]))
            assert row.pgr_lo <= row.pgr <= row.pgr_hi
        else:
            assert np.isnan(row.pgr)
    # the weak supervisor does not depend on the revision; it is informative but weak
    weak = table.groupby("supervisor")["weak_acc"]  # each supervisor is fit once: one accuracy per supervisor
    assert (weak.nunique() == 1).all() and weak.first().between(0.6, 0.9).all()
    # gold probes learn the attribute well above chance
    assert table["gold_acc"].min() > 0.6


def test_second_run_has_nothing_to_do(small_run):
    result = snakemake(small_run, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" in result.stdout + result.stderr


def test_lint_is_clean(small_run):
    result = snakemake(small_run, "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c["probes"].update(bogus_key=1), "'bogus_key' was unexpected"),
        (lambda c: c["extraction"].update(layers="x"), "'x' is not valid under any of the given schemas"),
        (lambda c: c["models"]["tiny-s0"].update(revisions=["step3"]),
         "revision 'step3' is not in the schedule (8 revisions); nearest: step2, step4"),
        (lambda c: c["weak_supervisors"]["init-s9"].update(model="nope"),
         "weak_supervisors.init-s9.model 'nope' is not a key of models"),
    ],
    ids=["unknown-key", "layers-neither-all-nor-a-list", "revision-not-in-schedule", "unknown-weak-model"],
)
def test_broken_config_fails_fast_naming_the_problem(tmp_path, edit, expected):
    config = small_config()
    edit(config)
    write_config(tmp_path, config)
    start = time.monotonic()
    result = snakemake(tmp_path, "--cores", "1", timeout=60)
    elapsed = time.monotonic() - start
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
    assert elapsed < 10
    assert not (tmp_path / "results").exists()


def planned_jobs(workdir: Path, config: dict) -> dict[str, int]:
    """Rules and job counts that a dry run plans after `config` replaces the run's config."""
    (workdir / "edited.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "-n", "--configfile", "edited.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    return job_counts(result.stdout + result.stderr)


def test_unchanged_config_plans_nothing(small_run):
    assert planned_jobs(small_run, small_config()) == {}


def test_probe_setting_reruns_probes_and_aggregation_only(small_run):
    config = small_config()
    config["probes"]["Cs"] = [0.1, 1.0]
    jobs = planned_jobs(small_run, config)
    # each weak supervisor picks its C by CV over the probes' Cs, so both follow the probe settings;
    # a tiny model's revisions are probed in one job (probes_<model>)
    assert jobs == {"weak_supervisor": 2, "probes_tiny_s0": 1, "metrics_table": 1, "analysis": 1, "figures": 1,
                    "all": 1}


@pytest.mark.parametrize(("edit", "weak"), [({"layers": [2]}, set()), ({"pooling": "last"}, {"weak_supervisor"})])
def test_probing_another_stored_subset_reruns_no_extraction(small_run, edit, weak):
    """Layers 1 and 2 (last pooling) are stored: probing a subset of them, or naming the stored
    pooling, plans probes and what follows, and no extraction (a probe supervisor reads the probed
    pooling, so it is refit where that changes)."""
    config = small_config()
    config["probes"].update(edit)
    assert set(planned_jobs(small_run, config)) == {"probes_tiny_s0", "metrics_table", "analysis", "figures", "all",
                                                     *weak}


def test_probing_a_layer_that_is_not_stored_fails_naming_the_stored_ones(small_run):
    config = small_config()
    config["probes"]["layers"] = [3]
    (small_run / "edited.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(small_run, "-n", "--configfile", "edited.yaml")
    assert result.returncode != 0
    assert "probes.layers 3 (index) is not stored: extraction.layers is [1, 2]" in result.stdout + result.stderr


def test_metric_setting_leaves_the_weak_supervisor_alone(small_run):
    config = small_config()
    config["metrics"]["pgr_min_margin"] = 0.05
    assert set(planned_jobs(small_run, config)) == {"probes_tiny_s0", "metrics_table", "analysis", "figures", "all"}


@pytest.mark.parametrize("edit", [{"layers": [2]}, {"poolings": ["last", "mean"]}, {"storage_dtype": "float16"}])
def test_extraction_setting_reruns_extraction_not_pre_training(small_run, edit):
    config = small_config()
    config["extraction"].update(edit)
    jobs = planned_jobs(small_run, config)
    assert jobs["extract_tiny_s0"] == 1  # one job extracts every revision of a tiny model
    assert not {"tiny_corpus", "tiny_tokenizer", "tiny_pretrain", "task_table"} & set(jobs)


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(0.2)


def written(folder: Path) -> list[Path]:
    """The finished activation files: pathlib's glob also matches a job's hidden partial file."""
    return sorted(p for p in folder.glob("*.safetensors") if not p.name.startswith("."))


def recorded(workdir: Path, files: list[Path]) -> list[Path]:
    """The files Snakemake has recorded as finished outputs (.snakemake/metadata, by encoded path)."""
    metadata = workdir / ".snakemake" / "metadata"
    return [f for f in files
            if (metadata / base64.urlsafe_b64encode(str(f.relative_to(workdir)).encode()).decode()).exists()]


def test_interrupted_run_resumes_to_identical_outputs(small_run, tmp_path):
    """On the small run's checkpoints read as a local model (one extraction job per revision):
    SIGKILL a running extraction job, SIGINT snakemake, corrupt a finished activations file,
    restart: the run completes and every table and activation equals the uninterrupted run's."""
    import signal

    import psutil

    config = small_config()
    tokens_per_step = config["tiny"]["train"]["batch_size"] * config["tiny"]["model"]["context"]
    config["models"] = {"local-s0": {"source": "local", "path": str(small_run / "results" / "checkpoints" / "tiny-s0"),
                                     "tokens_per_step": tokens_per_step}}
    # the small run's supervisor model, as a local copy too
    config["models"]["local-s9"] = {"source": "local", "path": str(small_run / "results" / "checkpoints" / "tiny-s9"),
                                    "role": "supervisor"}
    config["weak_supervisors"]["init-s9"]["model"] = "local-s9"
    write_config(tmp_path, config)
    process = subprocess.Popen(
        [*SNAKEMAKE, "--cores", "2"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    activations = tmp_path / "results" / "activations" / "local-s0"

    def command_line(child: psutil.Process) -> list[str]:
        try:
            return child.cmdline()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):  # a job that ended since it was listed
            return []

    def running_extraction() -> list[psutil.Process]:
        children = psutil.Process(process.pid).children(recursive=True)
        return [c for c in children if any("extract" in part for part in command_line(c))]

    try:
        # finished in Snakemake's own records: a file written by a job that Snakemake has not yet
        # seen end may belong to a job killed below, and Snakemake then deletes it as incomplete
        _wait_for(lambda: activations.exists() and len(recorded(tmp_path, written(activations))) >= 2, 600,
                  "two activation files Snakemake recorded as finished")
        _wait_for(lambda: running_extraction(), 120, "a running extraction job")
        for job in running_extraction():
            job.kill()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    finished = written(activations)
    assert 2 <= len(finished) < len(config["tiny"]["train"]["checkpoint_steps"])
    truncated = finished[0]
    truncated.write_bytes(truncated.read_bytes()[:1000])

    result = snakemake(tmp_path, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Removed unreadable {truncated.relative_to(tmp_path)}" in result.stderr

    for table in ("metrics", "transitions", "correlations"):
        expected = pd.read_csv(small_run / "results" / "tables" / f"{table}.csv").replace("tiny-s0", "local-s0")
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "results" / "tables" / f"{table}.csv"), expected)
    # safetensors orders header keys arbitrarily, so compare contents, not bytes
    for reference in (small_run / "results" / "activations" / "tiny-s0").glob("*.safetensors"):
        with safe_open(str(reference), "numpy") as want, safe_open(str(activations / reference.name), "numpy") as got:
            assert sorted(got.keys()) == sorted(want.keys())
            for key in want.keys():  # noqa: SIM118 - safe_open is not iterable
                np.testing.assert_array_equal(got.get_tensor(key), want.get_tensor(key), err_msg=reference.name)


def test_synthetic_setting_reruns_only_the_synthetic_branch(small_run):
    config = small_config()
    config["synthetic"]["steps"] = 50
    # the figures draw the synthetic plateau beside the checkpoints' (figures/saturation.png)
    assert planned_jobs(small_run, config) == {"synthetic": 1, "synthetic_adaptive": 1, "figures": 1, "all": 1}
    summary = pd.read_csv(small_run / "results" / "synthetic" / "summary.csv")
    assert list(summary["claim"]) == [1, 2, 3, 4, 5, 6]
