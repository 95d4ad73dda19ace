"""Send a workflow job's output to its log file."""

from __future__ import annotations

import sys
from pathlib import Path


def redirect_output(log_path: str | Path) -> None:
    """Point stdout and stderr at the job's log; call before importing libraries that log,
    so that their handlers (bound to sys.stderr when created) write there too."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stdout = sys.stderr = stream
