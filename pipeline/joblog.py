"""A workflow job's log: its output, and the time spent on its work."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

WORK_PREFIX = "work seconds:"


def redirect_output(log_path: str | Path) -> None:
    """Point stdout and stderr at the job's log; call before importing libraries that log,
    so that their handlers (bound to sys.stderr when created) write there too."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stdout = sys.stderr = stream


@contextmanager
def timed_work() -> Iterator[None]:
    """Log the wall seconds of the job's work proper, i.e. without process start and imports
    (benchmarks/end_to_end.py reads it to split a run into work and overhead)."""
    start = time.perf_counter()
    yield
    print(f"{WORK_PREFIX} {time.perf_counter() - start:.3f}")


def as_list(value: str | Sequence[str]) -> list[str]:
    """A rule's input or output entry as a list: one file, or a list of them."""
    return [value] if isinstance(value, str) else list(value)
