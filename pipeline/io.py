"""Atomic file output (an interrupted job never leaves a file that looks complete) and file hashes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it into place only if the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # keep the suffix, so that writers that infer the format from it still can
    partial = final.with_name(f".{final.stem}.partial-{os.getpid()}{final.suffix}")
    try:
        yield partial
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a frame without its index, as Parquet (`.parquet`) or else CSV, atomically."""
    with atomic_path(path) as partial:
        if partial.suffix == ".parquet":
            table.to_parquet(partial, index=False)
        else:
            table.to_csv(partial, index=False)


def write_text(text: str, path: str | os.PathLike) -> None:
    with atomic_path(path) as partial:
        partial.write_text(text)


def save_figure(figure: Figure, *paths: str | os.PathLike, dpi: int = 120) -> None:
    """Save a figure to each path (the format from its suffix), atomically, then close it."""
    import matplotlib.pyplot as plt  # only figure-writing jobs pay for pyplot

    for path in paths:
        with atomic_path(path) as partial:
            figure.savefig(partial, dpi=dpi)
    plt.close(figure)


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's content, read in chunks (checkpoint shards are GBs)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()
