"""The peak total size of the files under a folder, polled in a thread (a sweep's disk bound)."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path


class DiskWatch:
    def __init__(self, folder: Path, interval_s: float = 0.02):
        self.folder, self.interval_s, self.peak, self._stop = folder, interval_s, 0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(self.interval_s):
            size = 0
            for root, _, names in os.walk(self.folder):
                for name in names:
                    with contextlib.suppress(FileNotFoundError):  # deleted while we walk
                        size += os.stat(os.path.join(root, name)).st_size
            self.peak = max(self.peak, size)

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()
