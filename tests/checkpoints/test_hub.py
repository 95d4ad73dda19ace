"""Hub checkpoints against a loopback server speaking the hub's HTTP API: the real
huggingface_hub client runs unmodified, pointed at it with HF_ENDPOINT (read at import, hence
the subprocesses)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.checkpoints.sources import RESUME_CHUNK_BYTES
from tests import OLMO, OLMO_DUPLICATE, OLMO_REVISIONS
from tests.fakes.hub_server import commit_of, folder_files, serve

PYTHIA = "EleutherAI/pythia-tiny"


def _python(url: str, code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env={**os.environ, "HF_ENDPOINT": url, **env},
                          capture_output=True, text=True, timeout=300)


def _fetch(url: str, revisions: list[str], settings: str, **env: str) -> subprocess.CompletedProcess:
    """Fetch revisions with HubSource(PYTHIA, HubConfig(<settings>)), load each, print its folder and commit."""
    return _python(url, f"""
        import json
        from transformers import AutoModel
        from pipeline.checkpoints.sources import HubSource
        from pipeline.config import HubConfig
        source = HubSource({PYTHIA!r}, HubConfig({settings}))
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
            from pipeline.checkpoints.sources import HubSource
            from pipeline.config import HubConfig
            source = HubSource({PYTHIA!r}, HubConfig({settings}))
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



def test_a_dropped_transfer_resumes_so_the_bytes_served_stay_within_2_percent_of_the_bytes_used(
    checkpoint_root, tmp_path
):
    """A 503 and a connection dropped halfway through 64 MiB of weights: huggingface_hub resumes
    from the last whole chunk it wrote (RESUME_CHUNK_BYTES), so the hub serves at most one chunk
    more than the files used."""
    files = {**folder_files(checkpoint_root / "step0"),
             "model.safetensors": np.random.default_rng(0).bytes(64 * 2**20 + 777_777)}  # half is not chunk-aligned
    settings = f"download_dir={str(tmp_path / 'downloads')!r}, backoff_s=0.1"
    with serve({PYTHIA: {"step0": files}}, {"model.safetensors": ["503", "drop"]}) as (url, hub):
        result = _python(url, f"""
            import json
            from pipeline.checkpoints.sources import HubSource
            from pipeline.config import HubConfig
            checkpoint = HubSource({PYTHIA!r}, HubConfig({settings})).fetch("step0")
            print(json.dumps({{"files": sorted(p.name for p in checkpoint.folder.iterdir() if p.is_file())}}))
        """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not hub.faults["model.safetensors"]  # both faults were served
    used = sum(len(files[name]) for name in _results(result.stdout)[0]["files"])
    served = sum(hub.served.values())
    print(f"served {served:,} bytes for {used:,} bytes of files used: {served / used:.4f}×")  # shown with -s
    assert used <= served <= used + RESUME_CHUNK_BYTES <= 1.02 * used


def test_missing_revision_fails_before_any_download_naming_the_nearest(checkpoint_root, tmp_path):
    files = folder_files(checkpoint_root / "step0")
    message = "revision 'step3' is not in the schedule (4 revisions); nearest: step2, step4, step0"
    with serve({PYTHIA: dict.fromkeys(("step0", "step2", "step4", "step8"), files)}) as (url, hub):
        result = _fetch(url, ["step3"], f"download_dir={str(tmp_path)!r}")
        assert result.returncode != 0 and message in result.stderr
        preflight = _python(url, f"""
            from pipeline.checkpoints.integrity import hub_rows
            from pipeline.checkpoints.revisions import parse_revision
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
    no_safetensors = {k: v for k, v in files.items() if k != "model.safetensors"}
    bin_only = {**no_safetensors, "pytorch_model.bin": bin_path.read_bytes()}
    both = {**files, "pytorch_model.bin": bin_path.read_bytes()}
    with serve({PYTHIA: {"step0": both, "step1": bin_only}}) as (url, _):
        result = _fetch(url, ["step0", "step1"], f"download_dir={str(tmp_path / 'downloads')!r}")
    assert result.returncode == 0, result.stderr[-3000:]
    step0, step1 = _results(result.stdout)
    assert "model.safetensors" in step0["files"] and "pytorch_model.bin" not in step0["files"]
    assert "pytorch_model.bin" in step1["files"]


def test_manifest_command_lists_checkpoint_branches_with_commits(olmo_root, tmp_path):
    branches = {name: folder_files(olmo_root / name) for name in [*OLMO_REVISIONS, OLMO_DUPLICATE]}
    branches["main"] = branches[OLMO_DUPLICATE]
    with serve({OLMO: branches}) as (url, hub):
        code = f"from pipeline.checkpoints.manifests import main; main([{OLMO!r}, '--root', {str(tmp_path)!r}])"
        result = _python(url, code)
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(tmp_path / f"{OLMO}.tsv", sep="\t")
    assert table["revision"].tolist() == [*OLMO_REVISIONS, OLMO_DUPLICATE]  # main skipped, training order
    assert table["step"].tolist() == [0, 1000, 2000, 3000, 4000, 5000]
    assert table["tokens"].tolist() == [0, 4 * 10**9, 8 * 10**9, 13 * 10**9, 17 * 10**9, 21 * 10**9]
    assert table["commit"].tolist() == [hub.commits[OLMO][r] for r in table["revision"]]


def _integrity(url: str, repo: str, names: list[str]) -> pd.DataFrame:
    """The integrity rows of `repo`'s revisions `names` (the last one final), from the hub's metadata."""
    result = _python(url, f"""
        from pipeline.checkpoints.integrity import flag_revisions, hub_final_weights, hub_rows
        from pipeline.checkpoints.revisions import parse_revision
        import pandas as pd
        revisions = [parse_revision(n) for n in {names!r}]
        rows = hub_rows({repo!r}, revisions, None)
        final = hub_final_weights({repo!r}, revisions[-1], rows, None)
        print(flag_revisions(pd.DataFrame(rows), final, revisions[-1].name).to_json(orient="records"))
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    return pd.DataFrame(json.loads(result.stdout.strip().splitlines()[-1]))


def _flagged(table: pd.DataFrame) -> list[list[str]]:
    return table.dropna(subset=["flag"])[["revision", "flag", "duplicate_of"]].values.tolist()


def test_integrity_keeps_the_final_revision_whose_weights_the_last_branch_serves(olmo_root):
    """The last revision's weights are the final weights: the earlier branch serving them is flagged."""
    branches = {name: folder_files(olmo_root / name) for name in [*OLMO_REVISIONS, OLMO_DUPLICATE]}
    with serve({OLMO: branches}) as (url, hub):
        table = _integrity(url, OLMO, [*OLMO_REVISIONS, OLMO_DUPLICATE])
    assert _flagged(table) == [[OLMO_REVISIONS[-1], "serves final weights", OLMO_DUPLICATE]]
    assert not [r for r in hub.requests if "/resolve/" in r]  # no weight was downloaded


def _weights(tag: str) -> dict[str, bytes]:
    return {"config.json": b"{}", "model.safetensors": f"weights of {tag}".encode()}


def test_integrity_with_only_step0_equal_to_step1_keeps_step0():
    names = ["step0", "step1", "step2", "step4"]
    branches = {n: _weights(n) for n in names} | {"step1": _weights("step0")} | {"main": _weights("step4")}
    with serve({PYTHIA: branches}) as (url, _):
        table = _integrity(url, PYTHIA, names)
    assert _flagged(table) == [["step1", "duplicate", "step0"]]


def test_integrity_flags_early_branches_serving_main_and_keeps_the_final_revision():
    names = ["step0", "step1", "step2", "step4", "step8"]
    branches = {n: _weights(n) for n in names} | {n: _weights("step8") for n in ("step0", "step1", "main")}
    with serve({PYTHIA: branches}) as (url, _):
        table = _integrity(url, PYTHIA, names)
    assert _flagged(table) == [["step0", "serves final weights", "step8"], ["step1", "serves final weights", "step8"]]


def test_integrity_flags_a_revision_serving_one_shard_of_the_final_weights():
    def sharded(first: str, second: str) -> dict[str, bytes]:
        return {"config.json": b"{}", "model.safetensors.index.json": b"{}",
                "model-00001-of-00002.safetensors": f"first shard of {first}".encode(),
                "model-00002-of-00002.safetensors": f"second shard of {second}".encode()}

    names = ["step0", "step1000", "step2000", "step3000"]
    branches = {n: sharded(n, n) for n in names} | {"step1000": sharded("step3000", "step1000")}
    with serve({PYTHIA: branches}) as (url, _):
        table = _integrity(url, PYTHIA, names)
    assert _flagged(table) == [["step1000", "partly mislabelled", "step3000"]]
    assert table.set_index("revision").loc["step1000", "reason"].startswith("1 of its 2 weight files equal")
