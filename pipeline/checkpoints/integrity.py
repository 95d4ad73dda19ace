"""Integrity pre-flight: which revisions serve the same weights as another revision.

Some hub branches are known to serve the wrong weights (Pythia's step0 = step1; many
pythia-2.8b branches hold final-era weights; three OLMo-2 stage-1 branches are identical). A
mislabelled checkpoint can fake a phase transition, so before any fit every revision's weight
files are fingerprinted: on the hub from the LFS sha256 in the file metadata (no weight
download), locally by hashing the files. Revisions whose fingerprint equals an earlier
revision's are flagged (`duplicate_of`) and, by default, left out of transition fits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from pipeline.checkpoints.hub import RemoteFile, branch_commits, list_files, matches, resolve_commit, weight_patterns
from pipeline.checkpoints.revisions import Revision
from pipeline.io import file_sha256, write_table

COLUMNS = ["model", "revision", "step", "commit", "weights", "n_files", "size_bytes", "duplicate_of"]


def fingerprint(files: Sequence[RemoteFile]) -> str:
    """A hash of (path, content hash) of the weight files; equal fingerprints mean equal weights."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.path):
        digest.update(f"{file.path}\0{file.sha256 or 'git:' + file.blob_id}\n".encode())
    return digest.hexdigest()[:16]


def weight_files(files: Sequence[RemoteFile], where: str) -> list[RemoteFile]:
    patterns = weight_patterns(files, where)[:1]  # the weights themselves, not their index
    return [f for f in files if matches(f.path, patterns)]


def local_weight_files(folder: Path) -> list[RemoteFile]:
    """The weight files of a local checkpoint, hashed as the hub lists them (only the weights
    are read: they decide the fingerprint)."""
    listed = [RemoteFile(str(p.relative_to(folder)), p.stat().st_size, "", None)
              for p in sorted(folder.rglob("*")) if p.is_file()]
    return [replace(f, sha256=file_sha256(folder / f.path)) for f in weight_files(listed, str(folder))]


def hub_rows(repo_id: str, revisions: Sequence[Revision], commits: Mapping[str, str] | None) -> list[dict]:
    commits = branch_commits(repo_id) if commits is None else commits
    # every revision resolved before any listing: a missing one fails first, naming the nearest
    resolved = {r.name: resolve_commit(repo_id, r.name, commits) for r in revisions}
    rows = []
    for revision in tqdm(revisions, desc=f"{repo_id} metadata", mininterval=5):
        commit = resolved[revision.name]
        weights = weight_files(list_files(repo_id, commit), f"{repo_id}@{revision.name}")
        rows.append(_row(revision, commit, weights))
    return rows


def local_rows(root: Path, revisions: Sequence[Revision]) -> list[dict]:
    return [_row(r, None, local_weight_files(root / r.name)) for r in revisions]


def _row(revision: Revision, commit: str | None, weights: Sequence[RemoteFile]) -> dict:
    return {
        "revision": revision.name,
        "step": revision.step,
        "commit": commit,
        "weights": fingerprint(weights),
        "n_files": len(weights),
        "size_bytes": sum(f.size for f in weights),
    }


def mark_duplicates(table: pd.DataFrame) -> pd.DataFrame:
    """`duplicate_of`: the first revision (in training order) of the model with the same weights."""
    table = table.sort_values(["model", "step", "revision"], kind="stable").reset_index(drop=True)
    first = table.groupby(["model", "weights"])["revision"].transform("first")
    return table.assign(duplicate_of=first.where(first != table["revision"]))


def duplicate_revisions(table: pd.DataFrame) -> dict[str, list[str]]:
    """{model: revisions whose weights duplicate an earlier revision's}."""
    flagged = table[table["duplicate_of"].notna()]
    return {model: group["revision"].tolist() for model, group in flagged.groupby("model")}


def write_integrity_table(rows_by_model: Mapping[str, Sequence[dict]], out: str) -> pd.DataFrame:
    rows = [{"model": m, **row} for m, model_rows in rows_by_model.items() for row in model_rows]
    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    table = mark_duplicates(table)[COLUMNS]
    write_table(table, out)
    return table
