"""The small hub repos every task test module reads (built once a session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.tasks.registry import HUB_TASKS
from tests.tasks.helpers import write_hub_repo


@pytest.fixture(scope="session")
def hub_repos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hub")
    for name in HUB_TASKS:
        write_hub_repo(root / name, name)
        write_hub_repo(root / f"{name}-shuffled", name, shuffle=True)
    return root
