"""Metadata of hub repos without downloading weights: branches and their commits, and the
files of a commit with sizes and (for LFS files, i.e. weights) sha256.

Every call goes through `with_retries`. A token, where a repo needs one, is read by
huggingface_hub from the environment (HF_TOKEN); it is never passed, stored or logged here.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.checkpoints.retries import with_retries
from pipeline.checkpoints.revisions import UnknownRevisionError

# What a model needs, without optimizer states or other formats.
BASE_PATTERNS = (
    "config.json", "generation_config.json", "tokenizer*", "special_tokens_map.json", "vocab*", "merges.txt"
)
SAFETENSORS_PATTERNS = ("*.safetensors", "*.safetensors.index.json")
PYTORCH_PATTERNS = ("pytorch_model*.bin", "pytorch_model.bin.index.json")


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    blob_id: str  # git's blob hash
    sha256: str | None  # LFS files only (weights): the content hash the hub stores


def matches(path: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in patterns)


def branch_commits(repo_id: str) -> dict[str, str]:
    """{branch name: commit} of a repo."""
    from huggingface_hub import HfApi

    refs = with_retries(lambda: HfApi().list_repo_refs(repo_id), f"listing the branches of {repo_id}")
    return {branch.name: branch.target_commit for branch in refs.branches}


def resolve_commit(repo_id: str, revision: str, commits: dict[str, str] | None = None) -> str:
    """The commit of a branch, from `commits` (a manifest) or the hub; an unknown branch fails
    here, before any download, naming the nearest existing branches."""
    commits = branch_commits(repo_id) if commits is None else commits
    if revision not in commits:
        raise UnknownRevisionError(revision, sorted(commits)) from None
    return commits[revision]


@functools.cache  # a commit's files never change: each is listed once per process
def list_files(repo_id: str, commit: str) -> tuple[RemoteFile, ...]:
    """Every file of a commit, with size and LFS sha256."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    def call() -> tuple[RemoteFile, ...]:
        entries = HfApi().list_repo_tree(repo_id, revision=commit, recursive=True)
        return tuple(
            RemoteFile(e.path, e.size, e.blob_id, e.lfs.sha256 if e.lfs is not None else None)
            for e in entries
            if isinstance(e, RepoFile)
        )

    return with_retries(call, f"listing the files of {repo_id}@{commit[:12]}")


def weight_patterns(files: Sequence[RemoteFile], where: str) -> tuple[str, ...]:
    """safetensors where a revision has them, else pytorch_model*.bin."""
    for patterns in (SAFETENSORS_PATTERNS, PYTORCH_PATTERNS):
        if any(matches(f.path, patterns[:1]) for f in files):
            return patterns
    raise FileNotFoundError(f"{where} has neither safetensors nor pytorch_model*.bin weights")


def checkpoint_files(files: Sequence[RemoteFile], where: str) -> list[RemoteFile]:
    """The files a model load needs: config, tokenizer and one weight format."""
    patterns = (*BASE_PATTERNS, *weight_patterns(files, where))
    return [f for f in files if matches(f.path, patterns)]
