"""Checkpoint sources return folders that transformers loads. The hub source runs the real
huggingface_hub client, offline, against a cache laid out as the hub client writes it."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from transformers import AutoModel

from pipeline.checkpoints.sources import LocalDirectorySource

COMMITS = {"step0": "a" * 40, "step1": "b" * 40}


def test_local_directory_source(checkpoint_root):
    source = LocalDirectorySource(checkpoint_root)
    assert source.revisions() == ["step0", "step1"]
    model = AutoModel.from_pretrained(source.fetch("step1").folder)
    assert model.config.num_hidden_layers == 2
    with pytest.raises(FileNotFoundError, match=r"revision 'step9'.*step0, step1"):
        source.fetch("step9")


def _hub_cache(root, checkpoint_root, repo="EleutherAI/pythia-tiny"):
    """Lay out models--{ns}--{name}/{blobs,refs,snapshots} as the hub client does."""
    repo_dir = root / ("models--" + repo.replace("/", "--"))
    for revision, commit in COMMITS.items():
        (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
        (repo_dir / "refs" / revision).write_text(commit)
        snapshot = repo_dir / "snapshots" / commit
        snapshot.mkdir(parents=True)
        for file in (checkpoint_root / revision).iterdir():
            blob = repo_dir / "blobs" / f"{commit[:8]}-{file.name}"
            blob.parent.mkdir(exist_ok=True)
            shutil.copy(file, blob)
            (snapshot / file.name).symlink_to(os.path.relpath(blob, snapshot))
    return repo


def test_hub_source_resolves_revisions_through_the_cache(tmp_path, checkpoint_root):
    repo = _hub_cache(tmp_path, checkpoint_root)
    script = textwrap.dedent(f"""
        from transformers import AutoModel
        from pipeline.checkpoints.sources import HubSource
        from pipeline.config import HubConfig
        source = HubSource({repo!r}, HubConfig(cache_dir={str(tmp_path)!r}))
        for revision in ("step0", "step1"):
            folder = source.fetch(revision).folder
            model = AutoModel.from_pretrained(folder)
            print(revision, folder.name, model.config.hidden_size)
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # read by huggingface_hub at import
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert f"step0 {COMMITS['step0']} 32" in lines and f"step1 {COMMITS['step1']} 32" in lines
