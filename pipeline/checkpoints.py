"""Checkpoint sources behind one interface: `fetch(revision)` returns a local folder that
`transformers.AutoModel.from_pretrained` loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

# What a model needs, without optimizer states or other formats; safetensors preferred.
BASE_PATTERNS = (
    "config.json", "generation_config.json", "tokenizer*", "special_tokens_map.json", "vocab*", "merges.txt"
)
SAFETENSORS_PATTERNS = ("*.safetensors", "*.safetensors.index.json")
PYTORCH_PATTERNS = ("pytorch_model*.bin", "pytorch_model.bin.index.json")


class CheckpointSource(Protocol):
    def fetch(self, revision: str) -> Path: ...


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model*.bin"))


class LocalDirectorySource:
    """A folder holding one `save_pretrained` sub-folder per revision (e.g. `root/step512`)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def revisions(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if (p / "config.json").is_file())

    def fetch(self, revision: str) -> Path:
        folder = self.root / revision
        if not (folder / "config.json").is_file() or not _has_weights(folder):
            raise FileNotFoundError(
                f"revision {revision!r}: {folder} is not a checkpoint (needs config.json and weights); "
                f"revisions under {self.root}: {', '.join(self.revisions()) or 'none'}"
            )
        return folder


class HubSource:
    """A Hugging Face hub repo; each revision is downloaded (or found in the cache) by
    `huggingface_hub.snapshot_download`, safetensors first, `.bin` only if a revision has none.
    The token, if any, comes from the environment (HF_TOKEN), never from config.
    """

    def __init__(self, repo_id: str, cache_dir: str | Path | None = None, extra_patterns: Sequence[str] = ()):
        self.repo_id = repo_id
        self.cache_dir = str(cache_dir) if cache_dir is not None else None
        self.extra_patterns = tuple(extra_patterns)

    def _download(self, revision: str, weight_patterns: Sequence[str]) -> Path:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(
            self.repo_id,
            revision=revision,
            cache_dir=self.cache_dir,
            allow_patterns=[*BASE_PATTERNS, *weight_patterns, *self.extra_patterns],
        )
        return Path(folder)

    def fetch(self, revision: str) -> Path:
        folder = self._download(revision, SAFETENSORS_PATTERNS)
        if not _has_weights(folder):
            folder = self._download(revision, PYTORCH_PATTERNS)
        if not _has_weights(folder):
            raise FileNotFoundError(f"{self.repo_id}@{revision} has neither safetensors nor pytorch_model*.bin weights")
        return folder
