"""Checkpoint sources behind one interface: `fetch(revision)` returns a local folder that
`transformers.AutoModel.from_pretrained` loads, and `release(checkpoint)` frees it once its
activations exist.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.checkpoints.hub import RemoteFile, checkpoint_files, list_files, resolve_commit
from pipeline.checkpoints.retries import with_retries
from pipeline.config import HubConfig
from pipeline.io import file_sha256

log = logging.getLogger(__name__)

# huggingface_hub writes a download in chunks of constants.DOWNLOAD_CHUNK_SIZE (10 MiB) and, when a
# transfer drops, resumes from the last whole chunk written: what it had received of the chunk in
# progress is fetched again. 1 MiB bounds that waste per drop to 2% of a 50 MB file (Pythia-14M's
# weights are 53 MB), at no measurable cost in write calls.
RESUME_CHUNK_BYTES = 2**20


@dataclass(frozen=True)
class Checkpoint:
    folder: Path
    commit: str | None = None  # the hub commit it was downloaded at
    temporary: bool = False  # deleted by `release`
    tokenizer: Path | None = None  # where its tokenizer is, if not in `folder`

    @property
    def tokenizer_folder(self) -> Path:
        return self.tokenizer or self.folder


class CheckpointSource(Protocol):
    def fetch(self, revision: str) -> Checkpoint: ...

    def release(self, checkpoint: Checkpoint) -> None: ...


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model*.bin"))


def _has_tokenizer(folder: Path) -> bool:
    return any((folder / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"))


class LocalDirectorySource:
    """A folder holding one `save_pretrained` sub-folder per revision (e.g. `root/step512`), or a
    Hugging Face Trainer's output folder (`root/checkpoint-500`, …; the tokenizer may be only at
    the top level; `trainer_state.json` counts the tokens seen)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def revisions(self) -> list[str]:
        if not self.root.is_dir():
            raise FileNotFoundError(f"checkpoint folder {self.root} does not exist")
        return sorted(p.name for p in self.root.iterdir() if (p / "config.json").is_file())

    def tokens_seen(self, revision: str) -> int | None:
        """`num_input_tokens_seen` of a Trainer checkpoint's trainer_state.json (None: not counted)."""
        state = self.root / revision / "trainer_state.json"
        tokens = json.loads(state.read_text()).get("num_input_tokens_seen") if state.is_file() else None
        return int(tokens) if tokens else None

    def fetch(self, revision: str) -> Checkpoint:
        folder = self.root / revision
        if not (folder / "config.json").is_file() or not _has_weights(folder):
            raise FileNotFoundError(
                f"revision {revision!r}: {folder} is not a checkpoint (needs config.json and weights); "
                f"revisions under {self.root}: {', '.join(self.revisions()) or 'none'}"
            )
        shared = not _has_tokenizer(folder) and _has_tokenizer(self.root)
        return Checkpoint(folder, tokenizer=self.root if shared else None)

    def release(self, checkpoint: Checkpoint) -> None:
        """Local checkpoints are inputs, never deleted."""


class InsufficientDiskError(OSError):
    """A download would not fit on disk; the message names the sizes."""


def _gb(n: int | float) -> str:
    return f"{n / 1e9:.2f} GB"


def check_free_disk(where: str, needed: int, folder: Path, reserve_gb: float) -> None:
    """Refuse a download that would leave less than `reserve_gb` free under `folder`."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if free - needed < reserve_gb * 1e9:
        raise InsufficientDiskError(
            f"{where}: not enough free disk: the download needs {_gb(needed)}, {existing} has {_gb(free)} free, "
            f"and hub.min_free_disk_gb keeps {reserve_gb:g} GB free"
        )


def verify_download(folder: Path, files: Sequence[RemoteFile], where: str) -> None:
    """Every file has the size, and every LFS file the sha256, the hub lists for it."""
    for file in files:
        path = folder / file.path
        if not path.is_file() or path.stat().st_size != file.size:
            raise OSError(f"{where}: {file.path} is missing or has the wrong size after download")
        if file.sha256 is not None and file_sha256(path) != file.sha256:
            raise OSError(f"{where}: {file.path} does not match the sha256 the hub lists ({file.sha256[:12]}…)")


class HubSource:
    """A Hugging Face hub repo. Each revision is resolved to its commit (from the manifest, or
    from the repo's branches: an unknown revision fails before any download), its files are
    listed, the disk checked, and then downloaded at that commit by huggingface_hub (safetensors
    first, `.bin` only if a revision has none) with bounded retries, and verified.
    """

    def __init__(
        self,
        repo_id: str | None,
        settings: HubConfig = HubConfig(),
        commits: Mapping[str, str] | None = None,
        repos: Mapping[str, str] | None = None,
    ):
        self.repo_id = repo_id
        self.settings = settings
        self.commits = dict(commits) if commits is not None else None
        self.repos = dict(repos) if repos is not None else None  # {revision: repo}: one repo per step

    def _where(self, revision: str) -> tuple[str, str]:
        """(repo, git revision) of a revision: a branch of the repo, or the main branch of its own repo."""
        return (self.repos[revision], "main") if self.repos is not None else (self.repo_id, revision)

    def _folder(self, revision: str) -> Path:
        return Path(self.settings.download_dir) / self._where(revision)[0] / revision

    def fetch(self, revision: str) -> Checkpoint:
        from huggingface_hub import constants, snapshot_download

        constants.DOWNLOAD_CHUNK_SIZE = RESUME_CHUNK_BYTES  # read by each download as it starts
        repo_id, branch = self._where(revision)
        if constants.HF_HUB_OFFLINE:  # a pre-filled cache, e.g. on nodes without network
            folder = snapshot_download(repo_id, revision=branch, cache_dir=self.settings.cache_dir)
            return Checkpoint(Path(folder), Path(folder).name)
        where = f"{repo_id}@{branch}"
        commit = resolve_commit(repo_id, branch, self.commits)
        files = checkpoint_files(list_files(repo_id, commit), where)
        keep = self.settings.keep_checkpoints
        target = Path(self.settings.cache_dir or constants.HF_HUB_CACHE) if keep else self._folder(revision)
        needed = sum(f.size for f in files if not self._present(f, commit, revision))
        check_free_disk(where, needed, target, self.settings.min_free_disk_gb)
        log.info("%s: commit %s, %d files, %s to download", where, commit, len(files), _gb(needed))

        def download() -> str:
            location = {"cache_dir": self.settings.cache_dir} if keep else {"local_dir": self._folder(revision)}
            return snapshot_download(repo_id, revision=commit, allow_patterns=[f.path for f in files], **location)

        folder = Path(with_retries(download, f"downloading {where}", self.settings.attempts, self.settings.backoff_s))
        verify_download(folder, files, where)
        return Checkpoint(folder, commit, temporary=not keep)

    def _present(self, file: RemoteFile, commit: str, revision: str) -> bool:
        if not self.settings.keep_checkpoints:
            path = self._folder(revision) / file.path
            return path.is_file() and path.stat().st_size == file.size
        from huggingface_hub import try_to_load_from_cache

        repo_id = self._where(revision)[0]
        cached = try_to_load_from_cache(repo_id, file.path, cache_dir=self.settings.cache_dir, revision=commit)
        return isinstance(cached, str)

    def release(self, checkpoint: Checkpoint) -> None:
        """Delete a temporary download (kept ones stay in the hub cache)."""
        if checkpoint.temporary:
            shutil.rmtree(checkpoint.folder, ignore_errors=True)
