"""Integrity pre-flight: which revisions do not serve their own weights.

Some hub branches are known to serve the wrong weights (Pythia's step0 = step1; most
pythia-2.8b branches, step0 among them, serve the final weights; pythia-12b step50000 and
step58000 serve the final model's first shard; three OLMo-2 stage-1 branches are identical).
A mislabelled checkpoint can fake a phase transition, so before any fit every revision's weight
files are fingerprinted, as a whole and shard by shard: on the hub from the LFS sha256 in the
file metadata (no weight download), locally by hashing the files.

In a group of revisions with equal weights the revision the weights belong to is kept:
- the group holds the model's final weights (`main`'s weights where the repo has `main`, else
  the last revision's): the final revision is kept, the others "serve final weights" (even
  when the final revision itself is not in the sweep);
- otherwise the earliest is kept (Pythia's step0 = step1: training had not moved the weights)
  and the later ones are flagged "duplicate".
A revision only some of whose shards equal another revision's (or the final weights') shards is
"partly mislabelled". Flagged revisions are, by default, left out of the fits; `duplicate_of`
names the revision kept in their place and `reason` says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from pipeline.checkpoints.hub import RemoteFile, branch_commits, list_files, matches, resolve_commit, weight_patterns
from pipeline.checkpoints.revisions import Revision
from pipeline.io import file_sha256, write_table

COLUMNS = ["model", "revision", "step", "commit", "weights", "shards", "n_files", "size_bytes",
           "flag", "duplicate_of", "reason"]
DUPLICATE, SERVES_FINAL, PARTLY = "duplicate", "serves final weights", "partly mislabelled"


@dataclass(frozen=True)
class FinalWeights:
    """A model's final weights: whose they are (`main`, the top level of a local run, or the
    last revision's name) and their fingerprints."""

    label: str
    weights: str
    shards: tuple[str, ...]


def fingerprint(files: Sequence[RemoteFile]) -> str:
    """A hash of (path, content hash) of the weight files; equal fingerprints mean equal weights."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.path):
        digest.update(f"{file.path}\0{file.sha256 or 'git:' + file.blob_id}\n".encode())
    return digest.hexdigest()[:16]


def shard_ids(files: Sequence[RemoteFile]) -> tuple[str, ...]:
    """The content hash of each weight file (path order): equal ids mean equal shards."""
    return tuple((f.sha256 or "git:" + f.blob_id)[:20] for f in sorted(files, key=lambda f: f.path))


def weight_files(files: Sequence[RemoteFile], where: str) -> list[RemoteFile]:
    patterns = weight_patterns(files, where)[:1]  # the weights themselves, not their index
    return [f for f in files if matches(f.path, patterns)]


def local_weight_files(folder: Path, recursive: bool = True) -> list[RemoteFile]:
    """The weight files of a local checkpoint, hashed as the hub lists them (only the weights
    are read: they decide the fingerprint)."""
    found = folder.rglob("*") if recursive else folder.iterdir()
    listed = [RemoteFile(str(p.relative_to(folder)), p.stat().st_size, "", None) for p in sorted(found) if p.is_file()]
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


def hub_final_weights(
    repo_id: str, final: Revision, rows: Sequence[dict], commits: Mapping[str, str] | None
) -> FinalWeights:
    """`main`'s weights where the repo has a `main` branch, else the final revision's."""
    branches = branch_commits(repo_id)
    if "main" in branches:
        files = weight_files(list_files(repo_id, branches["main"]), f"{repo_id}@main")
        return FinalWeights("main", fingerprint(files), shard_ids(files))
    return _final_revision_weights(final, rows, lambda: hub_rows(repo_id, [final], commits)[0])


def step_repo_rows(repos: Mapping[str, str], revisions: Sequence[Revision]) -> list[dict]:
    """Rows of a trajectory with one repo per revision (each revision is its repo's `main`)."""
    commits = {r.name: resolve_commit(repos[r.name], "main", branch_commits(repos[r.name])) for r in revisions}
    return [hub_rows(repos[r.name], [r], {r.name: commits[r.name]})[0] for r in revisions]


def step_repo_final_weights(repos: Mapping[str, str], final: Revision, rows: Sequence[dict]) -> FinalWeights:
    return _final_revision_weights(final, rows, lambda: step_repo_rows(repos, [final])[0])


def local_rows(root: Path, revisions: Sequence[Revision]) -> list[dict]:
    return [_row(r, None, local_weight_files(root / r.name)) for r in revisions]


def local_final_weights(root: Path, final: Revision, rows: Sequence[dict]) -> FinalWeights:
    """The weights at the top level of a run's folder (a Trainer's saved model) where it has
    some, else the final revision's."""
    if any(root.glob("*.safetensors")) or any(root.glob("pytorch_model*.bin")):
        top = local_weight_files(root, recursive=False)
        return FinalWeights("top level", fingerprint(top), shard_ids(top))
    return _final_revision_weights(final, rows, lambda: local_rows(root, [final])[0])


def _final_revision_weights(final: Revision, rows: Sequence[dict], fetch) -> FinalWeights:
    row = next((r for r in rows if r["revision"] == final.name), None) or fetch()
    return FinalWeights(final.name, row["weights"], tuple(row["shards"].split(";")))


def _row(revision: Revision, commit: str | None, weights: Sequence[RemoteFile]) -> dict:
    return {
        "revision": revision.name,
        "step": revision.step,
        "commit": commit,
        "weights": fingerprint(weights),
        "shards": ";".join(shard_ids(weights)),
        "n_files": len(weights),
        "size_bytes": sum(f.size for f in weights),
    }


def flag_revisions(table: pd.DataFrame, final: FinalWeights | None, final_name: str) -> pd.DataFrame:
    """One model's rows with `flag`, `duplicate_of` (the revision kept in its place) and `reason`.

    `final` is the model's final weights (None: the last row's), `final_name` its final
    revision (the last of its schedule, in the sweep or not)."""
    table = table.sort_values(["step", "revision"], kind="stable").reset_index(drop=True)
    if final is None:
        last = table.iloc[-1]
        final = FinalWeights(last["revision"], last["weights"], tuple(last["shards"].split(";")))
    flag, kept, reason = [None] * len(table), [None] * len(table), [""] * len(table)
    names = table["revision"].tolist()
    for _, group in table.groupby("weights", sort=False):
        members = group.index.tolist()
        if group["weights"].iloc[0] == final.weights:
            keeper = final_name if final_name in group["revision"].values else None
            owner = keeper or final.label
            for i in members:
                if names[i] == keeper:
                    reason[i] = f"kept: the final revision; {len(members) - 1} other revision(s) serve its weights"
                else:
                    flag[i], kept[i] = SERVES_FINAL, owner
                    reason[i] = f"its weights equal the final weights ({final.label}), which belong to {owner}"
        elif len(members) > 1:
            for i in members[1:]:
                flag[i], kept[i] = DUPLICATE, names[members[0]]
                reason[i] = f"its weights equal those of the earlier revision {names[members[0]]}, which is kept"
            reason[members[0]] = f"kept: the earliest of {len(members)} revisions with these weights"
    # shard by shard: a revision serving only part of another's weights
    shards = [set(s.split(";")) for s in table["shards"]]
    for i in range(len(table)):
        if flag[i] is not None or table["weights"].iloc[i] == final.weights:
            continue
        shared = shards[i] & set(final.shards)
        if shared:
            owner = final_name if final_name in names else final.label
            flag[i], kept[i] = PARTLY, owner
            reason[i] = f"{len(shared)} of its {len(shards[i])} weight files equal the final weights' ({final.label})"
            continue
        earlier = next((j for j in range(i) if flag[j] is None and shards[i] & shards[j]), None)
        if earlier is not None:
            flag[i], kept[i] = PARTLY, names[earlier]
            shared = shards[i] & shards[earlier]
            reason[i] = f"{len(shared)} of its {len(shards[i])} weight files equal {names[earlier]}'s"
    return table.assign(flag=flag, duplicate_of=kept, reason=reason)


def read_integrity_table(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"flag": str, "duplicate_of": str, "reason": str})


def flagged_revisions(table: pd.DataFrame) -> dict[str, list[str]]:
    """{model: revisions flagged by the pre-flight (left out of the fits by default)}."""
    flagged = table[table["flag"].notna()]
    return {model: group["revision"].tolist() for model, group in flagged.groupby("model")}


def write_integrity_table(
    rows_by_model: Mapping[str, Sequence[dict]],
    finals: Mapping[str, tuple[FinalWeights | None, str]],
    out: str,
) -> pd.DataFrame:
    """The integrity table: every model's rows flagged against its (final weights, final revision)."""
    parts = [
        flag_revisions(pd.DataFrame(rows).assign(model=model), *finals[model])
        for model, rows in rows_by_model.items() if rows
    ]
    table = pd.concat(parts, ignore_index=True)[COLUMNS] if parts else pd.DataFrame(columns=COLUMNS)
    write_table(table, out)
    return table
