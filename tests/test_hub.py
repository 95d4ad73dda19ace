"""Hub checkpoints against a loopback server speaking the hub's HTTP API: the real
huggingface_hub client runs unmodified, pointed at it with HF_ENDPOINT (read at import, hence
the subprocesses)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest
from hub_server import commit_of, folder_files, serve
from workflow_helpers import SNAKEMAKE, small_config, write_config

PYTHIA = "EleutherAI/pythia-tiny"
OLMO = "allenai/OLMo-tiny-hf"
OLMO_REVISIONS = ["step0-tokens0B", "step1000-tokens4B", "step2000-tokens8B", "step3000-tokens13B", "step4000-tokens17B"]
OLMO_DUPLICATE = "step5000-tokens21B"  # serves step4000's weights, as some real branches do
TOKEN = "hf_loopbacktoken0123456789"


def _python(url: str, code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env={**os.environ, "HF_ENDPOINT": url, **env},
                          capture_output=True, text=True, timeout=300)


def _fetch(url: str, revisions: list[str], settings: str, **env: str) -> subprocess.CompletedProcess:
    """Fetch revisions with HubSource(PYTHIA, HubSettings(<settings>)), load each, print its folder and commit."""
    return _python(url, f"""
        import json
        from transformers import AutoModel
        from pipeline.checkpoints import HubSettings, HubSource
        source = HubSource({PYTHIA!r}, HubSettings({settings}))
        for revision in {revisions!r}:
            checkpoint = source.fetch(revision)
            AutoModel.from_pretrained(checkpoint.folder)
            files = sorted(str(p.relative_to(checkpoint.folder)) for p in checkpoint.folder.rglob("*")
                           if p.is_file() and ".cache" not in p.parts)
            print(json.dumps({{"revision": revision, "folder": str(checkpoint.folder), "commit": checkpoint.commit,
                               "files": files}}))
            source.release(checkpoint)
    """, **env)


def _results(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _resolves(hub, name: str = "model.safetensors") -> list[str]:
    return [r for r in hub.requests if "/resolve/" in r and r.endswith(name)]


def test_cached_download_is_pinned_to_the_commit_and_reused(checkpoint_root, tmp_path):
    branches = {r: folder_files(checkpoint_root / r) for r in ("step0", "step1")}
    settings = f"keep_checkpoints=True, cache_dir={str(tmp_path)!r}"
    with serve({PYTHIA: branches}) as (url, hub):
        result = _fetch(url, ["step0", "step1"], settings)
        assert result.returncode == 0, result.stderr[-3000:]
        for fetched, (revision, files) in zip(_results(result.stdout), branches.items()):
            assert fetched["commit"] == commit_of(revision, files)
            assert Path(fetched["folder"]).name == fetched["commit"]  # the snapshot of that commit
            assert set(fetched["files"]) == set(files)
            assert Path(fetched["folder"]).is_dir()  # kept
        again = _fetch(url, ["step1"], settings)
        assert again.returncode == 0, again.stderr[-3000:]
        assert len([r for r in _resolves(hub) if r.startswith("GET")]) == 2  # step1 came from the cache


def test_temporary_download_survives_faults_and_is_deleted_on_release(checkpoint_root, tmp_path):
    """Two 503s and a connection dropped halfway through the weights: the result is still
    byte-identical, and the folder is gone after release."""
    branches = {"step0": folder_files(checkpoint_root / "step0")}
    faults = {"model.safetensors": ["503", "503", "drop"]}
    settings = f"download_dir={str(tmp_path / 'downloads')!r}, backoff_s=0.1"
    with serve({PYTHIA: branches}, faults) as (url, hub):
        result = _python(url, f"""
            import hashlib, json
            from pipeline.checkpoints import HubSettings, HubSource
            source = HubSource({PYTHIA!r}, HubSettings({settings}))
            checkpoint = source.fetch("step0")
            print(json.dumps({{p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                               for p in checkpoint.folder.iterdir() if p.is_file()}}))
            source.release(checkpoint)
            print(json.dumps({{"exists": checkpoint.folder.exists()}}))
        """)
    assert result.returncode == 0, result.stderr[-3000:]
    digests, after = _results(result.stdout)
    assert digests == {name: hashlib.sha256(body).hexdigest() for name, body in branches["step0"].items()}
    assert after == {"exists": False}
    gets = [r for r in _resolves(hub) if r.startswith("GET")]
    assert len(gets) == 4  # 503, 503, the dropped transfer, its resumption
    assert "retry 2/4" in result.stderr  # the two 503s were retried with backoff


def test_missing_revision_fails_before_any_download_naming_the_nearest(checkpoint_root, tmp_path):
    files = folder_files(checkpoint_root / "step0")
    message = "revision 'step3' is not in the schedule (4 revisions); nearest: step2, step4, step0"
    with serve({PYTHIA: {name: files for name in ("step0", "step2", "step4", "step8")}}) as (url, hub):
        result = _fetch(url, ["step3"], f"download_dir={str(tmp_path)!r}")
        assert result.returncode != 0 and message in result.stderr
        preflight = _python(url, f"""
            from pipeline.integrity import hub_rows
            from pipeline.revisions import parse_revision
            hub_rows({PYTHIA!r}, [parse_revision("step0"), parse_revision("step3")], None)
        """)
        assert preflight.returncode != 0 and message in preflight.stderr  # the workflow's pre-flight job
    assert not [r for r in hub.requests if "/resolve/" in r]


def test_disk_preflight_refuses_a_download_that_cannot_fit(checkpoint_root, tmp_path):
    with serve({PYTHIA: {"step0": folder_files(checkpoint_root / "step0")}}) as (url, hub):
        result = _fetch(url, ["step0"], f"download_dir={str(tmp_path)!r}, min_free_disk_gb=1e9")
    assert result.returncode != 0
    needed = sum(len(b) for b in folder_files(checkpoint_root / "step0").values()) / 1e9
    assert f"EleutherAI/pythia-tiny@step0: not enough free disk: the download needs {needed:.2f} GB" in result.stderr
    assert "hub.min_free_disk_gb keeps 1e+09 GB free" in result.stderr
    assert not [r for r in hub.requests if "/resolve/" in r]


def test_bin_weights_are_used_only_where_a_revision_has_no_safetensors(checkpoint_root, tmp_path):
    import torch
    from safetensors.torch import load_file

    files = folder_files(checkpoint_root / "step0")
    state = load_file(str(checkpoint_root / "step0" / "model.safetensors"))
    bin_path = tmp_path / "pytorch_model.bin"
    torch.save(state, bin_path)
    bin_only = {**{k: v for k, v in files.items() if k != "model.safetensors"}, "pytorch_model.bin": bin_path.read_bytes()}
    both = {**files, "pytorch_model.bin": bin_path.read_bytes()}
    with serve({PYTHIA: {"step0": both, "step1": bin_only}}) as (url, hub):
        result = _fetch(url, ["step0", "step1"], f"download_dir={str(tmp_path / 'downloads')!r}")
    assert result.returncode == 0, result.stderr[-3000:]
    step0, step1 = _results(result.stdout)
    assert "model.safetensors" in step0["files"] and "pytorch_model.bin" not in step0["files"]
    assert "pytorch_model.bin" in step1["files"]


def test_manifest_command_lists_checkpoint_branches_with_commits(olmo_root, tmp_path):
    branches = {name: folder_files(olmo_root / name) for name in [*OLMO_REVISIONS, OLMO_DUPLICATE]}
    branches["main"] = branches[OLMO_DUPLICATE]
    with serve({OLMO: branches}) as (url, hub):
        result = _python(url, f"from pipeline.manifests import main; main([{OLMO!r}, '--root', {str(tmp_path)!r}])")
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(tmp_path / f"{OLMO}.tsv", sep="\t")
    assert table["revision"].tolist() == [*OLMO_REVISIONS, OLMO_DUPLICATE]  # main skipped, training order
    assert table["step"].tolist() == [0, 1000, 2000, 3000, 4000, 5000]
    assert table["tokens"].tolist() == [0, 4 * 10**9, 8 * 10**9, 13 * 10**9, 17 * 10**9, 21 * 10**9]
    assert table["commit"].tolist() == [hub.commits[OLMO][r] for r in table["revision"]]


def test_integrity_flags_duplicate_weights_from_metadata_alone(olmo_root):
    branches = {name: folder_files(olmo_root / name) for name in [*OLMO_REVISIONS, OLMO_DUPLICATE]}
    with serve({OLMO: branches}) as (url, hub):
        result = _python(url, f"""
            from pipeline.integrity import hub_rows, mark_duplicates
            from pipeline.revisions import parse_revision
            import pandas as pd
            rows = hub_rows({OLMO!r}, [parse_revision(n) for n in {[*OLMO_REVISIONS, OLMO_DUPLICATE]!r}], None)
            print(mark_duplicates(pd.DataFrame(rows).assign(model="olmo")).to_json(orient="records"))
        """)
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.DataFrame(json.loads(result.stdout.strip().splitlines()[-1]))
    flagged = table.dropna(subset=["duplicate_of"])
    assert flagged[["revision", "duplicate_of"]].values.tolist() == [[OLMO_DUPLICATE, OLMO_REVISIONS[-1]]]
    assert not [r for r in hub.requests if "/resolve/" in r]  # no weight was downloaded


class DiskWatch:
    """The peak total size of the files under a folder, polled in a thread."""

    def __init__(self, folder: Path):
        self.folder, self.peak, self._stop = folder, 0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.02):
            size = 0
            for root, _, names in os.walk(self.folder):
                for name in names:
                    try:
                        size += os.stat(os.path.join(root, name)).st_size
                    except FileNotFoundError:
                        pass
            self.peak = max(self.peak, size)

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def test_workflow_on_hub_trajectories_equals_local_copies(small_run, olmo_root, tmp_path):
    """The small run's own checkpoints as a Pythia-named repo (revisions resolved on the hub)
    and tiny OLMo checkpoints as an OLMo-named repo (pinned by a manifest), served with two 503s
    and a dropped connection: the metrics equal those of the local copies, the duplicate-weight
    branch is flagged and left out of the fits, temporary checkpoints are deleted (never more
    than two on disk at once), and the token never reaches a log."""
    trajectory = small_run / "results" / "checkpoints" / "tiny-s0"
    config = small_config()
    steps = config["tiny"]["train"]["checkpoint_steps"]
    pythia = {f"step{s}": folder_files(trajectory / f"step{s}") for s in steps}
    olmo = {name: folder_files(olmo_root / name) for name in [*OLMO_REVISIONS, OLMO_DUPLICATE]}
    tokens_per_step = config["tiny"]["train"]["batch_size"] * config["tiny"]["model"]["context"]
    config["models"] = {
        "pythia-tiny": {"source": "hub", "repo": PYTHIA, "revisions": list(pythia), "tokens_per_step": tokens_per_step,
                        "params": 1e5},
        "olmo-hub": {"source": "hub", "repo": OLMO, "schedule": "manifest", "params": 1e5},
        "olmo-local": {"source": "local", "path": str(olmo_root)},
    }
    config["weak_supervisor"].update(model="pythia-tiny")
    config["hub"] = {"backoff_s": 0.1}
    write_config(tmp_path, config)
    env = {**os.environ, "HF_TOKEN": TOKEN}
    faults = {"model.safetensors": ["503", "503", "drop"]}
    largest = max(sum(len(b) for b in files.values()) for files in [*pythia.values(), *olmo.values()])
    with serve({PYTHIA: pythia, OLMO: olmo}, faults) as (url, hub):
        env["HF_ENDPOINT"] = url
        manifest = subprocess.run([sys.executable, "-m", "pipeline.manifests", OLMO], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=120)
        assert manifest.returncode == 0, manifest.stderr[-3000:]
        with DiskWatch(tmp_path / "results" / "downloads") as disk:
            result = subprocess.run([*SNAKEMAKE, "--cores", "2"], cwd=tmp_path, capture_output=True, text=True,
                                    timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-5000:]
    assert not hub.faults["model.safetensors"]  # every fault was served

    metrics = pd.read_csv(tmp_path / "results" / "tables" / "metrics.csv")
    reference = pd.read_csv(small_run / "results" / "tables" / "metrics.csv")

    def rows(table: pd.DataFrame, model: str) -> pd.DataFrame:
        return table[table["model"] == model].drop(columns="model").reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(metrics, "pythia-tiny"), rows(reference, "tiny-s0"))
    pd.testing.assert_frame_equal(rows(metrics, "olmo-hub"), rows(metrics, "olmo-local"))
    assert len(rows(metrics, "olmo-hub")) == 6 * 2  # six revisions × two layers

    integrity = pd.read_csv(tmp_path / "results" / "tables" / "integrity.csv")
    flagged = integrity.dropna(subset=["duplicate_of"])
    assert sorted(flagged["model"]) == ["olmo-hub", "olmo-local"]
    assert set(flagged["revision"]) == {OLMO_DUPLICATE} and set(flagged["duplicate_of"]) == {OLMO_REVISIONS[-1]}
    assert f"olmo-hub: {OLMO_DUPLICATE}" in (tmp_path / "results" / "summary.md").read_text()

    print(f"peak of {disk.folder}: {disk.peak} bytes; largest checkpoint: {largest} bytes")  # shown with -s
    # two checkpoints at most (two extraction jobs at once), plus huggingface_hub's small
    # per-download metadata under .cache/ of each download folder (< 1% here)
    assert 0 < disk.peak <= 2 * largest * 1.05, (disk.peak, largest)
    assert not any(p.is_file() for p in (tmp_path / "results" / "downloads").rglob("*"))

    assert TOKEN.join(["Bearer ", ""]) in hub.authorizations  # the client sent the token …
    logs = [p.read_text(errors="replace") for p in (tmp_path / "results" / "logs").rglob("*") if p.is_file()]
    assert not any(TOKEN in text for text in [*logs, result.stdout, result.stderr])  # … and nothing logged it


@pytest.fixture(scope="module")
def olmo_root(small_run, tmp_path_factory) -> Path:
    """Tiny random OlmoForCausalLM checkpoints under OLMo branch names, on the small run's
    tokenizer; the last branch duplicates the one before it."""
    from transformers import OlmoConfig, OlmoForCausalLM, PreTrainedTokenizerFast

    import torch

    tokenizer = PreTrainedTokenizerFast.from_pretrained(small_run / "results" / "tiny" / "tokenizer")
    root = tmp_path_factory.mktemp("olmo")
    config = OlmoConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=2, max_position_embeddings=128, pad_token_id=tokenizer.eos_token_id,
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    for seed, name in enumerate(OLMO_REVISIONS):
        torch.manual_seed(seed)
        OlmoForCausalLM(config).save_pretrained(root / name)
        tokenizer.save_pretrained(root / name)
    shutil.copytree(root / OLMO_REVISIONS[-1], root / OLMO_DUPLICATE)
    return root
