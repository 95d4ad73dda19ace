"""Does weak-to-strong generalization emerge along pre-training? The library behind the workflow.

Stages, in the order data flows: `checkpoints` and `tasks` → `extraction` → `probing` →
`analysis`; `tiny` builds the offline trajectory, `synthetic` is the theory's branch.
Infrastructure (`config`, `paths`, `io`, `joblog`, `resources`) sits below every stage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], list[str]]:
    """`__getattr__` and `__all__` for a stage package whose public names live in its modules
    ({name: module}): a name is imported when first used, so that importing a light module of a
    stage (e.g. the activations store) never imports another's heavy dependencies (torch)."""

    def get(name: str) -> object:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{exports[name]}"), name)

    return get, sorted(exports)
