"""Revision manifests: a hub repo's checkpoint branches, pinned to their commits.

`resources/revisions/<owner>/<name>.tsv` lists revision, commit, step, tokens for every branch
whose name parses as a checkpoint (`stepN`, `stepN-tokensMB`, `stageK-stepN-tokensMB`). Steps
and tokens are parsed from the real branch names, never constructed. A model with
`schedule: manifest` takes its revisions from the committed manifest, so the workflow's DAG
is built offline and every download is pinned to the listed commit.

Write or refresh manifests (needs the hub; a token, if needed, comes from HF_TOKEN):
    python -m pipeline.checkpoints.manifests EleutherAI/pythia-70m allenai/OLMo-1B-hf
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.checkpoints.hub import branch_commits
from pipeline.checkpoints.revisions import Revision, parse_branches
from pipeline.io import atomic_path

MANIFEST_DIR = "resources/revisions"
COLUMNS = ["revision", "commit", "step", "tokens"]


def manifest_path(repo_id: str, root: str | Path = MANIFEST_DIR) -> Path:
    return Path(root) / f"{repo_id}.tsv"


def fetch_manifest(repo_id: str) -> pd.DataFrame:
    """The repo's checkpoint branches with their commits, in training order (one API call)."""
    commits = branch_commits(repo_id)
    revisions = parse_branches(list(commits))
    if not revisions:
        raise ValueError(f"{repo_id} has no checkpoint branches; its branches: {', '.join(sorted(commits)) or 'none'}")
    return pd.DataFrame(
        [(r.name, commits[r.name], r.step, r.tokens) for r in revisions], columns=COLUMNS
    ).astype({"tokens": "Int64"})


def write_manifest(table: pd.DataFrame, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial:
        table[COLUMNS].to_csv(partial, sep="\t", index=False)


def read_manifest(path: str | Path, tokens_per_step: int | None = None) -> tuple[list[Revision], dict[str, str]]:
    """The revisions of a manifest in training order, and {revision: commit}."""
    path = Path(path)
    if not path.is_file():
        repo = path.relative_to(MANIFEST_DIR).with_suffix("") if path.is_relative_to(MANIFEST_DIR) else "<repo>"
        raise FileNotFoundError(
            f"revision manifest {path} does not exist; write it (needs the hub) with: "
            f"python -m pipeline.checkpoints.manifests {repo}"
        )
    table = pd.read_csv(path, sep="\t", dtype={"revision": str, "commit": str}).astype({"tokens": "Int64"})
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"revision manifest {path} lacks the columns {missing}; it needs {COLUMNS}")
    revisions = [
        Revision(row.revision, int(row.step), _tokens(row.tokens, row.step, tokens_per_step))
        for row in table.sort_values(["step", "revision"]).itertuples()
    ]
    return revisions, dict(zip(table["revision"], table["commit"]))


def _tokens(tokens: object, step: int, tokens_per_step: int | None) -> int | None:
    if not pd.isna(tokens):
        return int(tokens)
    return int(step) * tokens_per_step if tokens_per_step is not None else None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write revision manifests of hub repos (needs the hub).")
    parser.add_argument("repos", nargs="+", help="repo ids, e.g. EleutherAI/pythia-70m")
    parser.add_argument("--root", default=MANIFEST_DIR, help=f"folder of the manifests (default: {MANIFEST_DIR})")
    args = parser.parse_args(argv)
    for repo in args.repos:
        table = fetch_manifest(repo)
        path = manifest_path(repo, args.root)
        write_manifest(table, path)
        print(f"{path}: {len(table)} revisions, step {table['step'].min()} … {table['step'].max()}")


if __name__ == "__main__":
    main()
