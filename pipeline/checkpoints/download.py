"""The download job: one hub revision fetched ahead of its extraction, and a record of where it
lies for the extraction job that reads it (pipeline/checkpoints/prefetch.py orders the jobs)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pipeline.checkpoints.schedule import checkpoint_source
from pipeline.checkpoints.sources import Checkpoint
from pipeline.io import atomic_path


def write_checkpoint_record(checkpoint: Checkpoint, path: str | Path) -> None:
    record = {"folder": str(checkpoint.folder), "commit": checkpoint.commit, "temporary": checkpoint.temporary,
              "tokenizer": None if checkpoint.tokenizer is None else str(checkpoint.tokenizer)}
    with atomic_path(path) as partial:
        Path(partial).write_text(json.dumps(record, indent=1))


def read_checkpoint_record(path: str | Path) -> Checkpoint:
    record = json.loads(Path(path).read_text())
    tokenizer = record["tokenizer"]
    return Checkpoint(Path(record["folder"]), record["commit"], record["temporary"],
                      None if tokenizer is None else Path(tokenizer))


def download(config: Mapping, model: str, revision: str, out: str | Path) -> None:
    """Fetch `revision` of the hub model `model` (resolved, disk-checked, retried, verified) and
    record where it lies in `out`."""
    write_checkpoint_record(checkpoint_source(config, model).fetch(revision), out)
